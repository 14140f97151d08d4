package consensus

import (
	"errors"

	"github.com/lni/dragonboat/v4"
)

// Errors returned by Host. Callers match them with errors.Is.
var (
	// ErrClosed: the host or the shard replica is shutting down.
	ErrClosed = errors.New("consensus: closed")
	// ErrShardNotFound: this node hosts no replica of the shard.
	ErrShardNotFound = errors.New("consensus: shard not hosted here")
	// ErrTimeout: the deadline passed before the outcome was known. A
	// timed-out proposal may still be applied later.
	ErrTimeout = errors.New("consensus: timeout")
	// ErrBusy: too many requests are queued; retry with backoff.
	ErrBusy = errors.New("consensus: busy")
	// ErrDropped: the proposal was dropped before it was committed, for
	// example because the shard has no leader right now; it is safe to retry.
	ErrDropped = errors.New("consensus: dropped, no leader")
	// ErrRejected: Raft rejected the request (for example a membership
	// change that conflicts with one in progress).
	ErrRejected = errors.New("consensus: rejected")
	// ErrNoDeadline: a proposal or linearizable read was made with a
	// context that has no deadline.
	ErrNoDeadline = errors.New("consensus: context has no deadline")
)

// mapError translates dragonboat's errors to this package's sentinels,
// keeping the original as context.
func mapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dragonboat.ErrTimeout):
		return errors.Join(ErrTimeout, err)
	case errors.Is(err, dragonboat.ErrSystemBusy):
		return errors.Join(ErrBusy, err)
	case errors.Is(err, dragonboat.ErrShardNotFound):
		return errors.Join(ErrShardNotFound, err)
	case errors.Is(err, dragonboat.ErrShardNotReady), errors.Is(err, dragonboat.ErrShardNotBootstrapped):
		return errors.Join(ErrDropped, err)
	case errors.Is(err, dragonboat.ErrShardClosed), errors.Is(err, dragonboat.ErrClosed):
		return errors.Join(ErrClosed, err)
	case errors.Is(err, dragonboat.ErrRejected), errors.Is(err, dragonboat.ErrAborted):
		return errors.Join(ErrRejected, err)
	case errors.Is(err, dragonboat.ErrDeadlineNotSet):
		return errors.Join(ErrNoDeadline, err)
	case errors.Is(err, dragonboat.ErrCanceled):
		return errors.Join(ErrTimeout, err)
	}
	return err
}
