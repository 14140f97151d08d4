package zk

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren"
)

// backend is what the server needs of a Warren node: sessions, and facts
// for the four-letter words. nodeBackend implements it over a *warren.Node;
// tests use an in-memory fake. Its methods are called from connection
// goroutines, concurrently.
type backend interface {
	// NewSession opens a session; the timeout is negotiated by the node.
	NewSession(ctx context.Context, timeout time.Duration) (session, error)
	// AttachSession resumes a session, failing with errors matching
	// warren.ErrSessionExpired or warren.ErrAuthFailed when the client
	// must start over.
	AttachSession(ctx context.Context, id int64, passwd []byte) (session, error)
	// Admin returns a client that bypasses ACLs, for server statistics.
	Admin() client
	// Info describes the node for the four-letter words.
	Info(ctx context.Context) nodeInfo
}

// nodeInfo is what srvr, mntr, conf and dirs report about the node.
type nodeInfo struct {
	ID      uint64
	Mode    string // "standalone", "leader" (leads the meta shard) or "follower"
	DataDir string
	// Session timeout bounds, as negotiated by the node.
	MinSessionTimeout, MaxSessionTimeout time.Duration
}

// session is one client session (warren.Session). The connection that
// opened or attached it owns it: it calls Close on closeSession and Abandon
// when the connection goes away without one.
type session interface {
	ID() int64
	Password() []byte
	Timeout() time.Duration
	// Client returns a client bound to the session, acting from the bare
	// IP address ip (matched by "ip" ACL entries).
	Client(ip string) client
	Close(ctx context.Context) error
	Abandon()
}

// client is the subset of *warren.Coord the request handlers use, with
// WithAuth and Multi shaped so that a fake can implement it. Methods that
// take an owner and a warren.WatchFunc register watches kept by this node;
// the WatchFunc runs on an apply goroutine and must not block.
type client interface {
	Create(ctx context.Context, path string, data []byte, opts warren.CreateOptions) (string, warren.Stat, error)
	Get(ctx context.Context, path string) ([]byte, warren.Stat, error)
	Exists(ctx context.Context, path string) (warren.Stat, bool, error)
	Set(ctx context.Context, path string, data []byte, version int32) (warren.Stat, error)
	Delete(ctx context.Context, path string, version int32) error
	Children(ctx context.Context, path string) ([]string, warren.Stat, error)
	ChildrenCount(ctx context.Context, path string) (int32, error)
	GetACL(ctx context.Context, path string) ([]warren.ACL, warren.Stat, error)
	SetACL(ctx context.Context, path string, acl []warren.ACL, aversion int32) (warren.Stat, error)
	Sync(ctx context.Context, path string) error
	// Multi applies ops atomically; see warren.Coord.Multi.
	Multi(ctx context.Context, ops []multiOp) ([]warren.OpResult, error)
	LastZxid(path string) int64
	// WaitLocal: see warren.Coord.WaitLocal.
	WaitLocal(ctx context.Context, path string) error
	Ephemerals(ctx context.Context, session int64, prefix string) ([]string, error)

	GetWatch(ctx context.Context, path string, owner any, fn warren.WatchFunc) ([]byte, warren.Stat, error)
	ExistsWatch(ctx context.Context, path string, owner any, fn warren.WatchFunc) (warren.Stat, bool, error)
	ChildrenWatch(ctx context.Context, path string, owner any, fn warren.WatchFunc) ([]string, warren.Stat, error)
	AddWatchFunc(ctx context.Context, path string, recursive bool, owner any, fn warren.WatchFunc) error
	RemoveWatches(path string, owner any, kinds []warren.WatchKind, remove bool) bool
	DropWatches(owner any)
	RestoreWatches(ctx context.Context, relZxid int64, byKind map[warren.WatchKind][]string, owner any, fn warren.WatchFunc) error

	// WithAuth returns a client with the identities added.
	WithAuth(super bool, ids ...warren.AuthID) client
}

// multiOp is one operation of a multi, as the handlers hand it to
// client.Multi; every create opcode becomes multiCreate.
type multiOp struct {
	kind    multiKind
	path    string
	data    []byte
	version int32
	create  warren.CreateOptions
}

type multiKind uint8

const (
	multiCreate multiKind = iota
	multiDelete
	multiSet
	multiCheck
)

// nodeBackend is the backend of a real node.
type nodeBackend struct{ n *warren.Node }

var _ backend = nodeBackend{}

// Tracer and Meter give the front end the node's telemetry.
func (b nodeBackend) Tracer() trace.Tracer { return b.n.Telemetry().Tracer(instrumentation) }
func (b nodeBackend) Meter() metric.Meter  { return b.n.Telemetry().Meter(instrumentation) }

func (b nodeBackend) NewSession(ctx context.Context, timeout time.Duration) (session, error) {
	s, err := b.n.Coord().NewSession(ctx, timeout)
	if err != nil {
		return nil, err
	}
	return nodeSession{s}, nil
}

func (b nodeBackend) AttachSession(ctx context.Context, id int64, passwd []byte) (session, error) {
	s, err := b.n.Coord().AttachSession(ctx, id, passwd)
	if err != nil {
		return nil, err
	}
	return nodeSession{s}, nil
}

func (b nodeBackend) Admin() client { return coordClient{b.n.Coord().WithAuth(true)} }

func (b nodeBackend) Info(ctx context.Context) nodeInfo {
	cfg := b.n.Config()
	info := nodeInfo{ID: b.n.ID(), Mode: "follower", DataDir: cfg.DataDir,
		MinSessionTimeout: cfg.SessionMinTimeout, MaxSessionTimeout: cfg.SessionMaxTimeout}
	st, err := b.n.Status(ctx)
	if err != nil {
		return info
	}
	alive := 0
	for _, m := range st.Members {
		if m.State == "alive" {
			alive++
		}
	}
	switch {
	case alive <= 1:
		info.Mode = "standalone"
	case len(st.Shards) > 0 && st.Shards[0].Leader == b.n.ID():
		info.Mode = "leader"
	}
	return info
}

// nodeSession adapts *warren.Session.
type nodeSession struct{ *warren.Session }

func (s nodeSession) Client(ip string) client { return coordClient{s.Coord().WithIP(ip)} }

// coordClient adapts *warren.Coord; every method but WithAuth and Multi is
// the Coord's own.
type coordClient struct{ *warren.Coord }

var _ client = coordClient{}

func (c coordClient) WithAuth(super bool, ids ...warren.AuthID) client {
	return coordClient{c.Coord.WithAuth(super, ids...)}
}

func (c coordClient) Multi(ctx context.Context, ops []multiOp) ([]warren.OpResult, error) {
	mops := make([]warren.MultiOp, len(ops))
	for i, o := range ops {
		switch o.kind {
		case multiCreate:
			mops[i] = c.CreateOp(o.path, o.data, o.create)
		case multiDelete:
			mops[i] = c.DeleteOp(o.path, o.version)
		case multiSet:
			mops[i] = c.SetOp(o.path, o.data, o.version)
		case multiCheck:
			mops[i] = c.CheckOp(o.path, o.version)
		}
	}
	return c.Coord.Multi(ctx, mops...)
}
