package main

import (
	"context"
	"strconv"

	"github.com/warrenhq/warren/internal/httpapi"
	"github.com/warrenhq/warren/protocol/zk"
)

// The dashboard's optional capabilities of nodeBackend: active grains from
// the node, sessions and watches from the ZooKeeper front end.

var (
	_ httpapi.TraceSource   = (*nodeBackend)(nil)
	_ httpapi.GrainSource   = (*nodeBackend)(nil)
	_ httpapi.SessionSource = (*nodeBackend)(nil)
)

// httpTracerName is the instrumentation scope of the HTTP API's spans.
const httpTracerName = "github.com/warrenhq/warren/internal/httpapi"

// ActiveGrains counts the node's activations per kind.
func (b *nodeBackend) ActiveGrains(ctx context.Context) (map[string]int, error) {
	n := b.node.Load()
	if n == nil {
		return nil, errStarting
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return n.ActiveGrains(ctx)
}

// Sessions lists the ZooKeeper sessions connected to this node; none while
// the front end is off or not started.
func (b *nodeBackend) Sessions() []httpapi.Session {
	srv, n := b.zkSrv.Load(), b.node.Load()
	if srv == nil || n == nil {
		return nil
	}
	return sessionsOf(n.ID(), srv.Sessions())
}

// sessionsOf converts the front end's view of its sessions to the API's.
func sessionsOf(node uint64, infos []zk.SessionInfo) []httpapi.Session {
	out := make([]httpapi.Session, 0, len(infos))
	for _, s := range infos {
		w := make([]httpapi.SessionWatch, 0, len(s.Watches))
		for _, x := range s.Watches {
			w = append(w, httpapi.SessionWatch{Path: x.Path, Kind: x.Kind})
		}
		out = append(out, httpapi.Session{
			NodeID:        node,
			ID:            "0x" + strconv.FormatUint(uint64(s.ID), 16),
			Remote:        s.Remote,
			Established:   s.Established.UTC(),
			TimeoutMillis: s.Timeout.Milliseconds(),
			LastZxid:      s.LastZxid,
			LastOp:        s.LastOp,
			Received:      s.Received,
			Sent:          s.Sent,
			QueuedBytes:   s.Queued,
			Watches:       w,
		})
	}
	return out
}
