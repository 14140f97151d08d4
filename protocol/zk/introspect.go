package zk

import (
	"slices"
	"strings"
	"time"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// SessionInfo describes one client connection that holds a session, as the
// cons and wchc four-letter words report it. It is a snapshot: the
// connection goes on while the caller reads it.
type SessionInfo struct {
	// ID is the session id.
	ID int64
	// Remote is the client's address (host:port).
	Remote string
	// Established is when the connection was accepted.
	Established time.Time
	// Timeout is the negotiated session timeout.
	Timeout time.Duration
	// LastZxid is the highest zxid the connection has answered with.
	LastZxid int64
	// LastOp is the short name of the last operation (GETD, SETD, PING...),
	// "NA" before the first.
	LastOp string
	// Received and Sent count the connection's request and reply frames.
	Received, Sent int64
	// Queued is the number of bytes waiting to be written to the client.
	Queued int
	// Watches are the connection's registered watches, sorted by path then
	// kind.
	Watches []WatchInfo
}

// WatchInfo is one watch a connection has registered.
type WatchInfo struct {
	Path string
	// Kind is "data" (getData and exists), "child" (getChildren),
	// "persistent" or "recursive" (addWatch).
	Kind string
}

// Sessions returns the sessions of the open connections, oldest connection
// first. It only reads: it may be called from any goroutine, and the slices
// it returns belong to the caller.
func (s *Server) Sessions() []SessionInfo {
	conns := s.sortedConns()
	out := make([]SessionInfo, 0, len(conns))
	for _, c := range conns {
		st := &c.stats
		info := SessionInfo{
			ID:          c.sid.Load(),
			Remote:      c.remote,
			Established: c.est,
			Timeout:     time.Duration(c.timeout.Load()) * time.Millisecond,
			LastZxid:    c.zxid.Load(),
			LastOp:      opAbbrev(jute.OpCode(st.lastOp.Load())),
			Received:    st.recv.Load(),
			Sent:        st.sent.Load(),
			Queued:      c.out.queued(),
		}
		for _, k := range c.watch.snapshot() {
			info.Watches = append(info.Watches, WatchInfo{Path: k.path, Kind: watchClassName(k.class)})
		}
		slices.SortFunc(info.Watches, func(a, b WatchInfo) int {
			if c := strings.Compare(a.Path, b.Path); c != 0 {
				return c
			}
			return strings.Compare(a.Kind, b.Kind)
		})
		out = append(out, info)
	}
	return out
}

// watchClassName names a class as WatchInfo.Kind does.
func watchClassName(c watchClass) string {
	switch c {
	case classData:
		return "data"
	case classChild:
		return "child"
	case classPersistent:
		return "persistent"
	case classRecursive:
		return "recursive"
	}
	return "unknown"
}
