package zk

import (
	"context"
	"errors"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Close.
var ErrServerClosed = errors.New("zk: server closed")

// errConnGone reports that the node behind the connection is closing: the
// connection is closed so that the client moves to another node.
var errConnGone = errors.New("zk: node closing")

// codeOf maps an error of the SDK to the code a client is answered with.
// This is the one table of such mappings:
//
//	*warren.ZKError                  its own ZooKeeper number
//	warren.ErrCrossNamespace         ZBADARGUMENTS
//	warren.ErrWatchNotHosted         ZUNIMPLEMENTED (watches need a replica here)
//	leader moving, timeouts          ZOPERATIONTIMEOUT (clients retry)
//	anything else                    ZSYSTEMERROR
//
// known is false for the last row, which the caller logs. warren.ErrClosed
// is not mapped: the caller closes the connection instead (errConnGone).
func codeOf(err error) (code jute.Code, known bool) {
	var zerr *warren.ZKError
	switch {
	case err == nil:
		return jute.CodeOK, true
	case errors.As(err, &zerr):
		return jute.Code(zerr.Code), true
	case errors.Is(err, warren.ErrCrossNamespace), errors.Is(err, warren.ErrNeedsSession):
		return jute.CodeBadArguments, true
	case errors.Is(err, warren.ErrWatchNotHosted):
		return jute.CodeUnimplemented, true
	case errors.Is(err, warren.ErrNotLeader), errors.Is(err, warren.ErrUnavailable),
		errors.Is(err, warren.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled):
		return jute.CodeOperationTimeout, true
	}
	return jute.CodeSystemError, false
}

// closing reports whether err means the node is going away.
func closing(err error) bool {
	return errors.Is(err, warren.ErrClosed) || errors.Is(err, errConnGone)
}
