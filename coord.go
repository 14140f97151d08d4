package warren

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/warrenhq/warren/consensus"
	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/znode"
	"github.com/warrenhq/warren/grains/coord"
)

// Znode types, re-exported from the state machine.
type (
	// Stat is a znode's metadata, field for field ZooKeeper's Stat.
	Stat = znode.Stat
	// ACL is one access-control entry.
	ACL = znode.ACL
	// AuthID is an authenticated identity (scheme and id), e.g.
	// {"digest", "alice:<base64 sha1>"}.
	AuthID = znode.ID
	// CreateMode is ZooKeeper's create mode.
	CreateMode = znode.Mode
	// OpResult is the outcome of one operation of a Multi.
	OpResult = znode.OpResult
)

// Create modes.
const (
	ModePersistent              = znode.Persistent
	ModeEphemeral               = znode.Ephemeral
	ModePersistentSequential    = znode.PersistentSequential
	ModeEphemeralSequential     = znode.EphemeralSequential
	ModeContainer               = znode.Container
	ModePersistentTTL           = znode.PersistentTTL
	ModePersistentSequentialTTL = znode.PersistentSequentialTTL
)

// AnyVersion matches every version in Set, Delete and Check.
const AnyVersion = znode.AnyVersion

// OpenACL returns the ACL that grants everything to everyone.
func OpenACL() []ACL { return znode.OpenACL() }

// coordShardKind salts the hash that places a namespace on a shard.
const coordShardKind = "zk-namespace"

// Coord is a client of the coordination service: ZooKeeper's data model
// (znodes, versions, ACLs, multi) served by this node. Znodes are sharded by
// namespace, the first path segment: everything under /app lives in one
// Raft log, so ZooKeeper's ordering guarantees hold within a namespace.
//
// A Coord reads its own writes: reads are served by this node's replica
// when it has one, after it has applied everything this Coord has seen,
// and otherwise linearizably by the shard's leader. A Coord is safe for
// concurrent use.
type Coord struct {
	n       *Node
	auth    znode.Auth
	session int64

	mu   sync.Mutex
	seen map[uint64]uint64 // shard -> highest Raft index this client has seen
}

// Coord returns a new coordination client with the "world" identity.
func (n *Node) Coord() *Coord {
	return &Coord{n: n, seen: map[uint64]uint64{}}
}

// WithAuth returns a client acting with the given identities added (what
// ZooKeeper's addAuth gives a session). super grants every permission.
func (c *Coord) WithAuth(super bool, ids ...AuthID) *Coord {
	nc := &Coord{n: c.n, session: c.session, seen: map[uint64]uint64{}}
	nc.auth = znode.Auth{Super: c.auth.Super || super, IDs: append(slices.Clone(c.auth.IDs), ids...), IP: c.auth.IP}
	c.mu.Lock()
	for k, v := range c.seen {
		nc.seen[k] = v
	}
	c.mu.Unlock()
	return nc
}

// namespace returns the first segment of path ("" for "/" and for paths
// that are not absolute; the state machine rejects the latter).
func namespace(path string) string {
	p := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return p
}

// NamespaceShard returns the shard that holds the namespace of path.
func (n *Node) NamespaceShard(path string) uint64 {
	return ShardOf(coordShardKind, namespace(path), n.cfg.Shards)
}

func (c *Coord) note(shard, index uint64) {
	c.mu.Lock()
	if index > c.seen[shard] {
		c.seen[shard] = index
	}
	c.mu.Unlock()
}

func (c *Coord) seenIndex(shard uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[shard]
}

// write proposes an encoded znode op through the shard's coordination grain.
func (c *Coord) write(ctx context.Context, name string, shard uint64, op []byte) (fsm.Result, error) {
	if c.n.closed.Load() {
		return fsm.Result{}, ErrClosed
	}
	ctx, span := c.n.startSpan(ctx, name, shard)
	r, err := c.writeGrain(ctx, shard, op)
	if span != nil {
		endCoordSpan(span, r.Zxid, zkCodeOf(r, err), err)
	}
	return r, err
}

func (c *Coord) writeGrain(ctx context.Context, shard uint64, op []byte) (fsm.Result, error) {
	if r, done, err := c.writeLocal(ctx, shard, op); done {
		return r, err
	}
	out, err := c.n.rt.Request(ctx, coord.Kind, coord.GrainID(shard), coord.MethodOp, op, nil)
	if err != nil {
		return fsm.Result{}, err
	}
	r, err := coord.DecodeReply(out)
	if err != nil {
		return fsm.Result{}, err
	}
	c.note(shard, r.Index)
	return r, nil
}

// writeLocal proposes a znode op through this node's own replica of
// shard, follower or leader: a follower's Raft forwards the entry to the
// leader over the Raft transport, and the result comes when the local
// replica applies it. That spares a follower the request to the leader's
// grain (a gRPC round trip) and, as the ZooKeeper front end waits for the
// local apply anyway before it answers, any extra wait. done is false when
// nothing was proposed and the caller should go through the shard's grain:
// no caught-up replica here, or it stopped before taking the proposal.
func (c *Coord) writeLocal(ctx context.Context, shard uint64, op []byte) (r fsm.Result, done bool, err error) {
	if !c.n.host.Hosts(shard) {
		return fsm.Result{}, false, nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.n.cfg.RequestTimeout) // as a grain request would
		defer cancel()
	}
	cmd := fsm.Command{Kind: znode.Kind, Stamp: time.Now().UnixMilli(), Op: op}
	r, err = c.n.host.Propose(ctx, shard, cmd)
	switch {
	case err == nil:
		c.note(shard, r.Index)
		return r, true, nil
	case errors.Is(err, consensus.ErrShardNotFound), errors.Is(err, consensus.ErrClosed):
		return fsm.Result{}, false, nil
	case errors.Is(err, consensus.ErrTimeout):
		// Proposed, outcome unknown: never propose it again.
		return fsm.Result{}, true, fmt.Errorf("%w: %w", ErrTimeout, err)
	case errors.Is(err, consensus.ErrDropped), errors.Is(err, consensus.ErrBusy):
		// Not committed, and the deadline is too close to try again.
		return fsm.Result{}, true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fsm.Result{}, true, err
}

// read answers an encoded znode query: from the local replica once it has
// caught up with this client, or linearizably through the shard's leader.
func (c *Coord) read(ctx context.Context, name string, shard uint64, q []byte) ([]byte, error) {
	if c.n.closed.Load() {
		return nil, ErrClosed
	}
	ctx, span := c.n.startSpan(ctx, name, shard)
	out, local, err := c.readAt(ctx, shard, q)
	if span != nil {
		span.SetAttributes(attribute.Bool("warren.read.local", local))
		endCoordSpan(span, 0, 0, err)
	}
	return out, err
}

func (c *Coord) readAt(ctx context.Context, shard uint64, q []byte) (out []byte, local bool, err error) {
	if c.n.host.Hosts(shard) {
		var err error
		if seen := c.seenIndex(shard); c.n.host.AppliedIndex(shard) < seen {
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			err = c.n.host.WaitApplied(wctx, shard, seen)
			cancel()
		}
		if err == nil {
			// Under the apply lock: a change is visible only after its
			// watch events were handed out.
			var out []byte
			err = c.n.host.ReadLocked(shard, fsm.EncodeQuery(znode.Kind, q), func(b []byte, _ uint64) { out = b })
			if err == nil {
				return out, true, nil
			}
		}
	}
	out, err = c.n.rt.Request(ctx, coord.Kind, coord.GrainID(shard), coord.MethodRead, q, nil)
	return out, false, err
}

// CreateOptions tune Create. The zero value creates a persistent znode
// open to everyone.
type CreateOptions struct {
	Mode CreateMode
	// ACL defaults to OpenACL().
	ACL []ACL
	// TTL applies to the TTL modes.
	TTL time.Duration
}

// Create creates a znode and returns its path (with the sequence suffix
// for sequential modes) and Stat.
func (c *Coord) Create(ctx context.Context, path string, data []byte, opts CreateOptions) (string, Stat, error) {
	if opts.Mode.IsEphemeral() && c.session == 0 {
		return "", Stat{}, ErrNeedsSession
	}
	op := c.createOp(path, data, opts)
	r, err := c.write(ctx, "create", c.n.NamespaceShard(path), znode.EncodeCreate(op))
	if err != nil {
		return "", Stat{}, err
	}
	if code := znode.ZKError(r); code != znode.ZOK {
		return "", Stat{}, zkErr(code, path)
	}
	p, st, err := znode.DecodeCreateResult(r.Data)
	return p, st, err
}

func (c *Coord) createOp(path string, data []byte, opts CreateOptions) znode.Create {
	acl := opts.ACL
	if len(acl) == 0 {
		acl = OpenACL()
	}
	var sess int64
	if opts.Mode.IsEphemeral() {
		sess = c.session
	}
	return znode.Create{Path: path, Data: data, ACL: acl, Mode: opts.Mode, TTL: opts.TTL.Milliseconds(), Session: sess, Auth: c.auth}
}

// Get returns a znode's data and Stat.
func (c *Coord) Get(ctx context.Context, path string) ([]byte, Stat, error) {
	if path == "/" {
		st, err := c.rootStat(ctx)
		return nil, st, err
	}
	b, err := c.read(ctx, "getData", c.n.NamespaceShard(path), znode.EncodeGetData(znode.GetData{Path: path, Auth: c.auth}))
	if err != nil {
		return nil, Stat{}, err
	}
	rep, err := znode.DecodeDataReply(b)
	if err != nil {
		return nil, Stat{}, err
	}
	return rep.Data, rep.Stat, zkErr(rep.Err, path)
}

// Exists returns a znode's Stat and whether it exists.
func (c *Coord) Exists(ctx context.Context, path string) (Stat, bool, error) {
	if path == "/" {
		st, err := c.rootStat(ctx)
		return st, err == nil, err
	}
	b, err := c.read(ctx, "exists", c.n.NamespaceShard(path), znode.EncodeExists(znode.Exists{Path: path}))
	if err != nil {
		return Stat{}, false, err
	}
	rep, err := znode.DecodeStatReply(b)
	if err != nil {
		return Stat{}, false, err
	}
	if rep.Err == znode.ZNONODE {
		return Stat{}, false, nil
	}
	return rep.Stat, rep.Err == znode.ZOK, zkErr(rep.Err, path)
}

// Set replaces a znode's data if its version matches (AnyVersion: any).
func (c *Coord) Set(ctx context.Context, path string, data []byte, version int32) (Stat, error) {
	r, err := c.write(ctx, "setData", c.n.NamespaceShard(path), znode.EncodeSetData(znode.SetData{Path: path, Data: data, Version: version, Auth: c.auth}))
	if err != nil {
		return Stat{}, err
	}
	if code := znode.ZKError(r); code != znode.ZOK {
		return Stat{}, zkErr(code, path)
	}
	return znode.DecodeStat(r.Data)
}

// Delete deletes a znode without children if its version matches.
func (c *Coord) Delete(ctx context.Context, path string, version int32) error {
	r, err := c.write(ctx, "delete", c.n.NamespaceShard(path), znode.EncodeDelete(znode.Delete{Path: path, Version: version, Auth: c.auth}))
	if err != nil {
		return err
	}
	return zkErr(znode.ZKError(r), path)
}

// Children returns the names of a znode's children, sorted, and its Stat.
// Listing "/" gathers the namespaces of every shard.
func (c *Coord) Children(ctx context.Context, path string) ([]string, Stat, error) {
	if path == "/" {
		return c.rootChildren(ctx)
	}
	b, err := c.read(ctx, "getChildren", c.n.NamespaceShard(path), znode.EncodeGetChildren(znode.GetChildren{Path: path, Auth: c.auth}))
	if err != nil {
		return nil, Stat{}, err
	}
	rep, err := znode.DecodeChildrenReply(b)
	if err != nil {
		return nil, Stat{}, err
	}
	return rep.Children, rep.Stat, zkErr(rep.Err, path)
}

// ChildrenCount returns the number of descendants of a znode.
func (c *Coord) ChildrenCount(ctx context.Context, path string) (int32, error) {
	b, err := c.read(ctx, "getAllChildrenNumber", c.n.NamespaceShard(path), znode.EncodeGetAllChildrenNumber(znode.GetAllChildrenNumber{Path: path, Auth: c.auth}))
	if err != nil {
		return 0, err
	}
	rep, err := znode.DecodeCountReply(b)
	if err != nil {
		return 0, err
	}
	return rep.Count, zkErr(rep.Err, path)
}

// GetACL returns a znode's ACL and Stat.
func (c *Coord) GetACL(ctx context.Context, path string) ([]ACL, Stat, error) {
	b, err := c.read(ctx, "getACL", c.n.NamespaceShard(path), znode.EncodeGetACL(znode.GetACL{Path: path, Auth: c.auth}))
	if err != nil {
		return nil, Stat{}, err
	}
	rep, err := znode.DecodeACLReply(b)
	if err != nil {
		return nil, Stat{}, err
	}
	return rep.ACL, rep.Stat, zkErr(rep.Err, path)
}

// SetACL replaces a znode's ACL if its ACL version matches.
func (c *Coord) SetACL(ctx context.Context, path string, acl []ACL, aversion int32) (Stat, error) {
	r, err := c.write(ctx, "setACL", c.n.NamespaceShard(path), znode.EncodeSetACL(znode.SetACL{Path: path, ACL: acl, Version: aversion, Auth: c.auth}))
	if err != nil {
		return Stat{}, err
	}
	if code := znode.ZKError(r); code != znode.ZOK {
		return Stat{}, zkErr(code, path)
	}
	return znode.DecodeStat(r.Data)
}

// rootChildren lists "/" by gathering the namespaces of every data shard.
func (c *Coord) rootChildren(ctx context.Context) ([]string, Stat, error) {
	var names []string
	for s := uint64(1); s < uint64(c.n.cfg.Shards); s++ {
		b, err := c.read(ctx, "getChildren", s, znode.EncodeGetChildren(znode.GetChildren{Path: "/", Auth: c.auth}))
		if err != nil {
			return nil, Stat{}, fmt.Errorf("warren: list / on shard %d: %w", s, err)
		}
		rep, err := znode.DecodeChildrenReply(b)
		if err != nil {
			return nil, Stat{}, err
		}
		if rep.Err != znode.ZOK {
			return nil, Stat{}, zkErr(rep.Err, "/")
		}
		names = append(names, rep.Children...)
	}
	slices.Sort(names)
	return names, Stat{NumChildren: int32(len(names))}, nil
}

func (c *Coord) rootStat(ctx context.Context) (Stat, error) {
	_, st, err := c.rootChildren(ctx)
	return st, err
}

// MultiOp is one operation of a Multi; build it with CreateOp, DeleteOp,
// SetOp or CheckOp.
type MultiOp struct {
	path string
	op   znode.MultiOp
	err  error
}

// CreateOp is a Create inside a Multi.
func (c *Coord) CreateOp(path string, data []byte, opts CreateOptions) MultiOp {
	if opts.Mode.IsEphemeral() && c.session == 0 {
		return MultiOp{path: path, err: ErrNeedsSession}
	}
	return MultiOp{path: path, op: c.createOp(path, data, opts)}
}

// DeleteOp is a Delete inside a Multi.
func (c *Coord) DeleteOp(path string, version int32) MultiOp {
	return MultiOp{path: path, op: znode.Delete{Path: path, Version: version, Auth: c.auth}}
}

// SetOp is a Set inside a Multi.
func (c *Coord) SetOp(path string, data []byte, version int32) MultiOp {
	return MultiOp{path: path, op: znode.SetData{Path: path, Data: data, Version: version, Auth: c.auth}}
}

// CheckOp succeeds inside a Multi only if the znode's version matches.
func (c *Coord) CheckOp(path string, version int32) MultiOp {
	return MultiOp{path: path, op: znode.Check{Path: path, Version: version, Auth: c.auth}}
}

// Multi applies ops atomically: all or none. Every op must address the same
// namespace (ErrCrossNamespace otherwise, with nothing applied). On failure
// the error is that of the first failing op and the results say, op by op,
// what ZooKeeper would report.
func (c *Coord) Multi(ctx context.Context, ops ...MultiOp) ([]OpResult, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	ns := namespace(ops[0].path)
	m := znode.Multi{Ops: make([]znode.MultiOp, 0, len(ops))}
	for _, o := range ops {
		if o.err != nil {
			return nil, o.err
		}
		if namespace(o.path) != ns {
			return nil, fmt.Errorf("%w: %q and %q", ErrCrossNamespace, ops[0].path, o.path)
		}
		m.Ops = append(m.Ops, o.op)
	}
	r, err := c.write(ctx, "multi", c.n.NamespaceShard(ops[0].path), znode.EncodeMulti(m))
	if err != nil {
		return nil, err
	}
	res, derr := znode.DecodeMultiResult(r)
	if derr != nil {
		return nil, derr
	}
	if code := znode.ZKError(r); code != znode.ZOK {
		for i, or := range res {
			if or.Err != znode.ZOK && or.Err != znode.ZRUNTIMEINCONSISTENCY {
				return res, zkErr(or.Err, ops[i].path)
			}
		}
		return res, zkErr(code, "")
	}
	return res, nil
}

// Sync brings this client's view of path's namespace up to date: reads
// after it see every write acknowledged (to anyone) before it, as
// ZooKeeper's sync promises.
func (c *Coord) Sync(ctx context.Context, path string) error {
	if c.n.closed.Load() {
		return ErrClosed
	}
	shards := []uint64{c.n.NamespaceShard(path)}
	if path == "/" {
		shards = shards[:0]
		for s := uint64(1); s < uint64(c.n.cfg.Shards); s++ {
			shards = append(shards, s)
		}
	}
	for _, s := range shards {
		if !c.n.host.Runs(s) {
			continue // no replica here: reads go to the leader anyway
		}
		q := fsm.EncodeQuery(znode.Kind, znode.EncodeExists(znode.Exists{Path: "/"}))
		if _, err := c.n.host.Read(ctx, s, q, true); err != nil {
			if !c.n.host.Hosts(s) {
				continue // a replica still catching up: reads skip it too
			}
			return err
		}
		c.note(s, c.n.host.AppliedIndex(s))
	}
	return nil
}

// LastZxid returns the newest zxid this node has applied in path's
// namespace (for "/", over every shard), for replies that must carry the
// server's zxid. It is 0 when this node hosts no replica of it.
func (c *Coord) LastZxid(path string) int64 {
	if path != "/" {
		return int64(c.n.host.LastZxid(c.n.NamespaceShard(path)))
	}
	var z uint64
	for s := uint64(1); s < uint64(c.n.cfg.Shards); s++ {
		z = max(z, c.n.host.LastZxid(s))
	}
	return int64(z)
}

// Ephemerals returns the paths of the ephemeral znodes session owns under
// prefix ("/" for all), gathered from every shard, sorted.
func (c *Coord) Ephemerals(ctx context.Context, session int64, prefix string) ([]string, error) {
	var out []string
	for s := uint64(1); s < uint64(c.n.cfg.Shards); s++ {
		b, err := c.read(ctx, "getEphemerals", s, znode.EncodeGetEphemerals(znode.GetEphemerals{Session: session, PathPrefix: prefix}))
		if err != nil {
			return nil, err
		}
		rep, err := znode.DecodePathsReply(b)
		if err != nil {
			return nil, err
		}
		out = append(out, rep.Paths...)
	}
	slices.Sort(out)
	return out, nil
}

// Session returns the session id this client acts for (0: none).
func (c *Coord) Session() int64 { return c.session }

// Auth returns the identities this client acts with.
func (c *Coord) Auth() (super bool, ids []AuthID) { return c.auth.Super, slices.Clone(c.auth.IDs) }
