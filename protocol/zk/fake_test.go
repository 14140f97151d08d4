package zk

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/warrenhq/warren"
)

// fakeBackend is an in-memory backend: one znode tree without ACL checks,
// sessions that never expire on their own, and watches fired as changes are
// made. It serves the fuzz target and the tests of connection mechanics
// that need no cluster.
type fakeBackend struct {
	// readGate, if set, runs before every Get outside the lock, so a test
	// can hold reads in flight.
	readGate func(path string)

	mu struct {
		sync.Mutex
		nodes    map[string]*fakeNode
		zxid     int64
		nextID   int64
		sessions map[int64]*fakeSession
		watches  []*fakeWatch
	}
}

type fakeNode struct {
	data []byte
	acl  []warren.ACL
	stat warren.Stat
}

type fakeWatch struct {
	path    string
	kind    warren.WatchKind
	owner   any
	fn      warren.WatchFunc
	oneShot bool
}

type fakeSession struct {
	b       *fakeBackend
	id      int64
	passwd  []byte
	timeout time.Duration
	closed  bool
}

func newFakeBackend() *fakeBackend {
	b := &fakeBackend{}
	b.mu.nodes = map[string]*fakeNode{"/": {acl: warren.OpenACL()}}
	b.mu.sessions = map[int64]*fakeSession{}
	return b
}

var _ backend = (*fakeBackend)(nil)

func (b *fakeBackend) NewSession(_ context.Context, timeout time.Duration) (session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mu.nextID++
	s := &fakeSession{b: b, id: b.mu.nextID, passwd: bytes.Repeat([]byte{byte(b.mu.nextID)}, 16),
		timeout: min(max(timeout, 100*time.Millisecond), 40*time.Second)}
	b.mu.sessions[s.id] = s
	return s, nil
}

func (b *fakeBackend) AttachSession(_ context.Context, id int64, passwd []byte) (session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.mu.sessions[id]
	switch {
	case s == nil || s.closed:
		return nil, warren.ErrSessionExpired
	case !bytes.Equal(s.passwd, passwd):
		return nil, warren.ErrAuthFailed
	}
	return s, nil
}

func (b *fakeBackend) Admin() client { return &fakeClient{b: b} }

func (b *fakeBackend) Info(context.Context) nodeInfo {
	return nodeInfo{ID: 1, Mode: "standalone", DataDir: "", MinSessionTimeout: 100 * time.Millisecond,
		MaxSessionTimeout: 40 * time.Second}
}

func (s *fakeSession) ID() int64              { return s.id }
func (s *fakeSession) Password() []byte       { return s.passwd }
func (s *fakeSession) Timeout() time.Duration { return s.timeout }
func (s *fakeSession) Client(string) client   { return &fakeClient{b: s.b, session: s.id} }
func (s *fakeSession) Abandon()               {}
func (s *fakeSession) Close(context.Context) error {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	s.closed = true
	for p, n := range b.mu.nodes {
		if n.stat.EphemeralOwner == s.id {
			b.deleteLocked(p)
		}
	}
	return nil
}

// fakeClient is a client of a fakeBackend.
type fakeClient struct {
	b       *fakeBackend
	session int64
}

var _ client = (*fakeClient)(nil)

func parentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// REQUIRES: b.mu
func (b *fakeBackend) fireLocked(path string, t warren.EventType) {
	ev := warren.WatchEvent{Type: t, Path: path, Zxid: b.mu.zxid}
	kept := b.mu.watches[:0]
	var fire []*fakeWatch
	for _, w := range b.mu.watches {
		match := false
		switch w.kind {
		case warren.WatchKindData:
			match = w.path == path && (t == warren.EventNodeDataChanged || t == warren.EventNodeDeleted)
		case warren.WatchKindExist:
			match = w.path == path && t != warren.EventNodeChildrenChanged
		case warren.WatchKindChild:
			match = w.path == path && (t == warren.EventNodeChildrenChanged || t == warren.EventNodeDeleted)
		case warren.WatchKindPersistent:
			match = w.path == path
		case warren.WatchKindRecursive:
			match = t != warren.EventNodeChildrenChanged && (w.path == path || w.path == "/" || strings.HasPrefix(path, w.path+"/"))
		}
		if match {
			fire = append(fire, w)
		}
		if !match || !w.oneShot {
			kept = append(kept, w)
		}
	}
	b.mu.watches = kept
	for _, w := range fire {
		w.fn(ev)
	}
}

// REQUIRES: b.mu
func (b *fakeBackend) deleteLocked(path string) {
	b.mu.zxid++
	delete(b.mu.nodes, path)
	if p := b.mu.nodes[parentPath(path)]; p != nil {
		p.stat.NumChildren--
		p.stat.Cversion++
		p.stat.Pzxid = b.mu.zxid
	}
	b.fireLocked(path, warren.EventNodeDeleted)
	b.fireLocked(parentPath(path), warren.EventNodeChildrenChanged)
}

// REQUIRES: b.mu
func (c *fakeClient) createLocked(path string, data []byte, opts warren.CreateOptions) (string, warren.Stat, error) {
	b := c.b
	parent := b.mu.nodes[parentPath(path)]
	if parent == nil {
		return "", warren.Stat{}, warren.ErrNoNode
	}
	if opts.Mode.IsSequential() {
		path += fmt.Sprintf("%010d", parent.stat.Cversion)
	}
	if b.mu.nodes[path] != nil {
		return "", warren.Stat{}, warren.ErrNodeExists
	}
	b.mu.zxid++
	n := &fakeNode{data: slices.Clone(data), acl: opts.ACL, stat: warren.Stat{Czxid: b.mu.zxid, Mzxid: b.mu.zxid,
		Pzxid: b.mu.zxid, DataLength: int32(len(data))}}
	if opts.Mode.IsEphemeral() {
		n.stat.EphemeralOwner = c.session
	}
	b.mu.nodes[path] = n
	parent.stat.NumChildren++
	parent.stat.Cversion++
	parent.stat.Pzxid = b.mu.zxid
	b.fireLocked(path, warren.EventNodeCreated)
	b.fireLocked(parentPath(path), warren.EventNodeChildrenChanged)
	return path, n.stat, nil
}

func (c *fakeClient) Create(_ context.Context, path string, data []byte, opts warren.CreateOptions) (string, warren.Stat, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	return c.createLocked(path, data, opts)
}

func (c *fakeClient) node(path string) (*fakeNode, error) {
	n := c.b.mu.nodes[path]
	if n == nil {
		return nil, warren.ErrNoNode
	}
	return n, nil
}

func (c *fakeClient) Get(_ context.Context, path string) ([]byte, warren.Stat, error) {
	if c.b.readGate != nil {
		c.b.readGate(path)
	}
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	n, err := c.node(path)
	if err != nil {
		return nil, warren.Stat{}, err
	}
	return slices.Clone(n.data), n.stat, nil
}

func (c *fakeClient) Exists(_ context.Context, path string) (warren.Stat, bool, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	n, err := c.node(path)
	if err != nil {
		return warren.Stat{}, false, nil
	}
	return n.stat, true, nil
}

// REQUIRES: c.b.mu
func (c *fakeClient) setLocked(path string, data []byte, version int32) (warren.Stat, error) {
	n, err := c.node(path)
	switch {
	case err != nil:
		return warren.Stat{}, err
	case version != -1 && version != n.stat.Version:
		return warren.Stat{}, warren.ErrBadVersion
	}
	c.b.mu.zxid++
	n.data = slices.Clone(data)
	n.stat.Version++
	n.stat.Mzxid = c.b.mu.zxid
	n.stat.DataLength = int32(len(data))
	c.b.fireLocked(path, warren.EventNodeDataChanged)
	return n.stat, nil
}

func (c *fakeClient) Set(_ context.Context, path string, data []byte, version int32) (warren.Stat, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	return c.setLocked(path, data, version)
}

// REQUIRES: c.b.mu
func (c *fakeClient) deleteLocked(path string, version int32) error {
	n, err := c.node(path)
	switch {
	case path == "/":
		return warren.ErrBadArguments
	case err != nil:
		return err
	case version != -1 && version != n.stat.Version:
		return warren.ErrBadVersion
	case n.stat.NumChildren > 0:
		return warren.ErrNotEmpty
	}
	c.b.deleteLocked(path)
	return nil
}

func (c *fakeClient) Delete(_ context.Context, path string, version int32) error {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	return c.deleteLocked(path, version)
}

// REQUIRES: c.b.mu
func (c *fakeClient) childrenLocked(path string) []string {
	var out []string
	for p := range c.b.mu.nodes {
		if p != "/" && parentPath(p) == path {
			out = append(out, p[strings.LastIndexByte(p, '/')+1:])
		}
	}
	slices.Sort(out)
	return out
}

func (c *fakeClient) Children(_ context.Context, path string) ([]string, warren.Stat, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	n, err := c.node(path)
	if err != nil {
		return nil, warren.Stat{}, err
	}
	return c.childrenLocked(path), n.stat, nil
}

func (c *fakeClient) ChildrenCount(_ context.Context, path string) (int32, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if _, err := c.node(path); err != nil {
		return 0, err
	}
	var n int32
	for p := range c.b.mu.nodes {
		if p != path && (path == "/" || strings.HasPrefix(p, path+"/")) {
			n++
		}
	}
	return n, nil
}

func (c *fakeClient) GetACL(_ context.Context, path string) ([]warren.ACL, warren.Stat, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	n, err := c.node(path)
	if err != nil {
		return nil, warren.Stat{}, err
	}
	return slices.Clone(n.acl), n.stat, nil
}

func (c *fakeClient) SetACL(_ context.Context, path string, acl []warren.ACL, aversion int32) (warren.Stat, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	n, err := c.node(path)
	switch {
	case err != nil:
		return warren.Stat{}, err
	case aversion != -1 && aversion != n.stat.Aversion:
		return warren.Stat{}, warren.ErrBadVersion
	}
	c.b.mu.zxid++
	n.acl = slices.Clone(acl)
	n.stat.Aversion++
	return n.stat, nil
}

func (c *fakeClient) Sync(context.Context, string) error { return nil }

// Multi applies ops in order and stops at the first failure; unlike the
// real one it does not roll back what went before.
func (c *fakeClient) Multi(_ context.Context, ops []multiOp) ([]warren.OpResult, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	res := make([]warren.OpResult, len(ops))
	for i, o := range ops {
		var err error
		switch o.kind {
		case multiCreate:
			res[i].Path, res[i].Stat, err = c.createLocked(o.path, o.data, o.create)
		case multiDelete:
			err = c.deleteLocked(o.path, o.version)
		case multiSet:
			res[i].Stat, err = c.setLocked(o.path, o.data, o.version)
		case multiCheck:
			if n, nerr := c.node(o.path); nerr != nil {
				err = nerr
			} else if o.version != -1 && o.version != n.stat.Version {
				err = warren.ErrBadVersion
			}
		}
		if err != nil {
			code, _ := codeOf(err)
			for j := range res {
				res[j] = warren.OpResult{}
				if j == i {
					res[j].Err = int32(code)
				} else if j > i {
					res[j].Err = -2
				}
			}
			return res, err
		}
	}
	return res, nil
}

func (c *fakeClient) LastZxid(string) int64 {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	return c.b.mu.zxid
}

func (c *fakeClient) WaitLocal(context.Context, string) error { return nil }

func (c *fakeClient) Ephemerals(_ context.Context, session int64, prefix string) ([]string, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	var out []string
	for p, n := range c.b.mu.nodes {
		if n.stat.EphemeralOwner == session && strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

// REQUIRES: c.b.mu
func (c *fakeClient) watchLocked(path string, kind warren.WatchKind, owner any, fn warren.WatchFunc, oneShot bool) {
	c.b.mu.watches = append(c.b.mu.watches, &fakeWatch{path: path, kind: kind, owner: owner, fn: fn, oneShot: oneShot})
}

func (c *fakeClient) GetWatch(_ context.Context, path string, owner any, fn warren.WatchFunc) ([]byte, warren.Stat, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	n, err := c.node(path)
	if err != nil {
		return nil, warren.Stat{}, err
	}
	c.watchLocked(path, warren.WatchKindData, owner, fn, true)
	return slices.Clone(n.data), n.stat, nil
}

func (c *fakeClient) ExistsWatch(_ context.Context, path string, owner any, fn warren.WatchFunc) (warren.Stat, bool, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	n, err := c.node(path)
	if err != nil {
		c.watchLocked(path, warren.WatchKindExist, owner, fn, true)
		return warren.Stat{}, false, nil
	}
	c.watchLocked(path, warren.WatchKindData, owner, fn, true)
	return n.stat, true, nil
}

func (c *fakeClient) ChildrenWatch(_ context.Context, path string, owner any, fn warren.WatchFunc) ([]string, warren.Stat, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	n, err := c.node(path)
	if err != nil {
		return nil, warren.Stat{}, err
	}
	c.watchLocked(path, warren.WatchKindChild, owner, fn, true)
	return c.childrenLocked(path), n.stat, nil
}

func (c *fakeClient) AddWatchFunc(_ context.Context, path string, recursive bool, owner any, fn warren.WatchFunc) error {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	kind := warren.WatchKindPersistent
	if recursive {
		kind = warren.WatchKindRecursive
	}
	c.watchLocked(path, kind, owner, fn, false)
	return nil
}

func (c *fakeClient) RemoveWatches(path string, owner any, kinds []warren.WatchKind, remove bool) bool {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	found := false
	kept := c.b.mu.watches[:0]
	for _, w := range c.b.mu.watches {
		if w.owner == owner && w.path == path && slices.Contains(kinds, w.kind) {
			found = true
			if remove {
				continue
			}
		}
		kept = append(kept, w)
	}
	c.b.mu.watches = kept
	return found
}

func (c *fakeClient) DropWatches(owner any) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	kept := c.b.mu.watches[:0]
	for _, w := range c.b.mu.watches {
		if w.owner != owner {
			kept = append(kept, w)
		}
	}
	c.b.mu.watches = kept
}

func (c *fakeClient) RestoreWatches(_ context.Context, relZxid int64, byKind map[warren.WatchKind][]string, owner any, fn warren.WatchFunc) error {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	for kind, paths := range byKind {
		for _, p := range paths {
			n := c.b.mu.nodes[p]
			switch {
			case kind == warren.WatchKindExist && n != nil:
				fn(warren.WatchEvent{Type: warren.EventNodeCreated, Path: p})
			case (kind == warren.WatchKindData || kind == warren.WatchKindChild) && n == nil:
				fn(warren.WatchEvent{Type: warren.EventNodeDeleted, Path: p})
			case kind == warren.WatchKindData && n.stat.Mzxid > relZxid:
				fn(warren.WatchEvent{Type: warren.EventNodeDataChanged, Path: p})
			default:
				oneShot := kind != warren.WatchKindPersistent && kind != warren.WatchKindRecursive
				c.watchLocked(p, kind, owner, fn, oneShot)
			}
		}
	}
	return nil
}

func (c *fakeClient) WithAuth(bool, ...warren.AuthID) client { return c }
