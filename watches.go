package warren

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/znode"
)

// Watches, as in ZooKeeper. A watch is kept by the node the client talks
// through and fires as that node's replica applies the change: the replica
// hands each applied batch's events to the node's watch hub before any
// read can see the batch's state (consensus.Host.ReadLocked), and a watch
// is registered under the same lock as the read that sets it. So a watch
// fires exactly for the changes after the state its read returned, in zxid
// order, and before this node serves the changed data.
//
// Every node can keep watches on every namespace: a node that holds no
// voting replica of a data shard holds a non-voting one (Config.Observers,
// controller.go), which applies the same log.

// EventType is the type of a watch event.
type EventType = znode.EventType

// Watch event types.
const (
	EventNodeCreated         = znode.NodeCreated
	EventNodeDeleted         = znode.NodeDeleted
	EventNodeDataChanged     = znode.NodeDataChanged
	EventNodeChildrenChanged = znode.NodeChildrenChanged
)

// WatchEvent is a change a watch reports.
type WatchEvent struct {
	Type EventType
	Path string
	// Zxid is the zxid of the change.
	Zxid int64
	// Traceparent is the W3C traceparent of the change's apply on this
	// node when the change was traced ("" otherwise): a front end
	// continues that trace with the span of the event's delivery.
	Traceparent string
}

// ErrWatchNotHosted: this node holds no replica of the namespace's shard,
// or its replica did not start and catch up within watchHostWait, so it
// cannot keep a watch there. With Config.Observers (the default) every node
// of the placement replicates every data shard; without it only the nodes
// placement puts the shard on do.
var ErrWatchNotHosted = errors.New("warren: watches need a node that replicates the namespace")

// watchHostWait bounds how long setting a watch waits for this node's
// replica of the namespace to start and catch up with its shard.
const watchHostWait = 15 * time.Second

type watchKind int

const (
	watchData       watchKind = iota // getData, or exists on an existing node
	watchExists                      // exists on a missing node
	watchChildren                    // getChildren
	watchPersistent                  // addWatch PERSISTENT
	watchRecursive                   // addWatch PERSISTENT_RECURSIVE
)

// WatchFunc receives watch events. It is called on a replica's apply
// goroutine, in zxid order, and must not block.
type WatchFunc func(WatchEvent)

// watcher is one registered watch.
type watcher struct {
	shard   uint64
	path    string
	kind    watchKind
	oneShot bool
	owner   any // who may remove it (RemoveWatches); nil for SDK channels
	fire    WatchFunc
}

func oneShotChan(path string, kind watchKind) (*watcher, chan WatchEvent) {
	ch := make(chan WatchEvent, 1)
	return &watcher{path: path, kind: kind, oneShot: true, fire: func(ev WatchEvent) {
		ch <- ev
		close(ch)
	}}, ch
}

func (w *watcher) matches(ev WatchEvent) bool {
	switch w.kind {
	case watchData:
		return ev.Path == w.path && (ev.Type == EventNodeDataChanged || ev.Type == EventNodeDeleted)
	case watchExists:
		return ev.Path == w.path && (ev.Type == EventNodeCreated || ev.Type == EventNodeDataChanged || ev.Type == EventNodeDeleted)
	case watchChildren:
		return ev.Path == w.path && (ev.Type == EventNodeChildrenChanged || ev.Type == EventNodeDeleted)
	case watchPersistent:
		return ev.Path == w.path
	case watchRecursive:
		return ev.Type != EventNodeChildrenChanged &&
			(ev.Path == w.path || w.path == "/" || strings.HasPrefix(ev.Path, w.path+"/"))
	}
	return false
}

// recheck compares a watch with the current state of its znode (exists,
// st) after the hub missed the changes made after zxid rel: it returns the
// event to fire (nil: none) and whether the watch stays set. One-shot
// watches whose condition changed fire, as ZooKeeper's setWatches does;
// persistent watches stay set without replaying what they missed.
func (w *watcher) recheck(exists bool, st Stat, rel int64) (ev *WatchEvent, keep bool) {
	fire := func(t EventType, zxid int64) (*WatchEvent, bool) {
		return &WatchEvent{Type: t, Path: w.path, Zxid: zxid}, false
	}
	switch w.kind {
	case watchData:
		switch {
		case !exists:
			return fire(EventNodeDeleted, 0)
		case st.Mzxid > rel:
			return fire(EventNodeDataChanged, st.Mzxid)
		}
	case watchExists:
		if exists {
			return fire(EventNodeCreated, st.Czxid)
		}
	case watchChildren:
		switch {
		case !exists:
			return fire(EventNodeDeleted, 0)
		case st.Pzxid > rel:
			return fire(EventNodeChildrenChanged, st.Pzxid)
		}
	}
	return nil, true
}

// watchHub holds a node's watches. dispatch runs on replicas' apply
// goroutines and never blocks.
type watchHub struct {
	mu      sync.Mutex
	byShard map[uint64]map[*watcher]struct{}
	// zxid is, per shard, the newest zxid whose state the watches
	// reflect: of the last event dispatched, or of the state a watch was
	// registered at. dispatch skips older events, which a replica that
	// replaces a dropped one replays.
	zxid map[uint64]int64
	// detached maps the shards whose local replica was dropped while
	// watches were set on it to their zxid then. The replica that replaces
	// it may start from a snapshot, which skips events, so once it has
	// caught up the one-shot watches left are rechecked against it
	// (reattach); until then no watch is set on the shard.
	detached map[uint64]int64
}

func newWatchHub() *watchHub {
	return &watchHub{byShard: map[uint64]map[*watcher]struct{}{}, zxid: map[uint64]int64{}, detached: map[uint64]int64{}}
}

// detach records that the local replica of shard is going away.
func (h *watchHub) detach(shard uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.detached[shard]; ok || len(h.byShard[shard]) == 0 {
		return
	}
	h.detached[shard] = h.zxid[shard]
}

func (h *watchHub) isDetached(shard uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.detached[shard]
	return ok
}

// detachedShards returns the shards waiting for reattach.
func (h *watchHub) detachedShards() []uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]uint64, 0, len(h.detached))
	for s := range h.detached {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// reattach rechecks every watch of a detached shard against the state stat
// reads, whose last zxid is zxid: a one-shot watch still set whose znode
// changed after the detach missed its event in a snapshot. The caller
// holds the new replica's view lock (Host.ViewLocked), so no apply runs in
// between. Persistent watches miss what a snapshot skipped.
func (h *watchHub) reattach(shard uint64, zxid int64, stat func(path string) (Stat, bool, error)) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	rel, ok := h.detached[shard]
	if !ok {
		return nil
	}
	ws := h.byShard[shard]
	for w := range ws {
		st, exists, err := stat(w.path)
		if err != nil {
			return err
		}
		ev, keep := w.recheck(exists, st, rel)
		if ev != nil {
			w.fire(*ev)
		}
		if !keep {
			delete(ws, w)
		}
	}
	delete(h.detached, shard)
	h.zxid[shard] = max(h.zxid[shard], zxid)
	return nil
}

// add registers w at the state of w's shard whose last zxid is zxid.
func (h *watchHub) add(w *watcher, zxid int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.zxid[w.shard] = max(h.zxid[w.shard], zxid)
	m := h.byShard[w.shard]
	if m == nil {
		m = map[*watcher]struct{}{}
		h.byShard[w.shard] = m
	}
	m[w] = struct{}{}
}

func (h *watchHub) remove(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.byShard[w.shard], w)
}

// counts returns how many watches the hub holds, by kind.
func (h *watchHub) counts() map[watchKind]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[watchKind]int)
	for _, ws := range h.byShard {
		for w := range ws {
			out[w.kind]++
		}
	}
	return out
}

// dispatch delivers the events of one applied entry.
func (h *watchHub) dispatch(shard uint64, events []fsm.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	prev := h.zxid[shard]
	if n := len(events); n > 0 {
		h.zxid[shard] = max(prev, int64(events[n-1].Zxid))
	}
	ws := h.byShard[shard]
	if len(ws) == 0 {
		return
	}
	for _, e := range events {
		if e.Kind != znode.Kind || int64(e.Zxid) <= prev {
			continue
		}
		zev, err := znode.DecodeEvent(e.Data)
		if err != nil {
			continue
		}
		ev := WatchEvent{Type: zev.Type, Path: zev.Path, Zxid: int64(e.Zxid), Traceparent: e.Trace["traceparent"]}
		for w := range ws {
			if !w.matches(ev) {
				continue
			}
			w.fire(ev)
			if w.oneShot {
				delete(ws, w)
			}
		}
	}
}

// eventQueue is an unbounded FIFO feeding a persistent watch's channel, so
// that dispatch never waits for a slow consumer.
type eventQueue struct {
	mu     sync.Mutex
	items  []WatchEvent
	signal chan struct{}
	out    chan WatchEvent
	done   chan struct{}
}

func newEventQueue() *eventQueue {
	q := &eventQueue{signal: make(chan struct{}, 1), out: make(chan WatchEvent), done: make(chan struct{})}
	go q.pump()
	return q
}

func (q *eventQueue) push(ev WatchEvent) {
	q.mu.Lock()
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *eventQueue) pump() {
	defer close(q.out)
	for {
		q.mu.Lock()
		var ev WatchEvent
		ok := len(q.items) > 0
		if ok {
			ev, q.items = q.items[0], q.items[1:]
		}
		q.mu.Unlock()
		if !ok {
			select {
			case <-q.signal:
				continue
			case <-q.done:
				return
			}
		}
		select {
		case q.out <- ev:
		case <-q.done:
			return
		}
	}
}

// Watch is a persistent watch (AddWatch): it reports every matching change
// until Close.
type Watch struct {
	hub  *watchHub
	w    *watcher
	q    *eventQueue
	once sync.Once
}

// Events returns the watch's events, in zxid order. It is closed by Close.
func (w *Watch) Events() <-chan WatchEvent { return w.q.out }

// Close removes the watch.
func (w *Watch) Close() {
	w.once.Do(func() {
		w.hub.remove(w.w)
		close(w.q.done)
	})
}

// readWatched runs query on the local replica of path's shard, after it has
// caught up with this client, and registers the watch that decide returns
// (nil: none) under the same lock, so no change between the read and the
// registration is missed.
func (c *Coord) readWatched(ctx context.Context, path string, q []byte, decide func(answer []byte) *watcher) error {
	shard := c.n.NamespaceShard(path)
	if err := c.n.watchable(ctx, shard); err != nil {
		return err
	}
	if err := c.n.host.WaitApplied(ctx, shard, c.seenIndex(shard)); err != nil {
		return err
	}
	return c.n.host.ReadLocked(shard, fsm.EncodeQuery(znode.Kind, q), func(answer []byte, _ uint64) {
		if w := decide(answer); w != nil {
			w.shard = shard
			c.n.watches.add(w, int64(c.n.host.LastZxid(shard)))
		}
	})
}

// watchable returns once this node can keep watches on shard: its local
// replica (voting or not) runs, has caught up with the shard since it
// started, and the watches a dropped replica left were rechecked against
// it. It waits for that, within ctx and watchHostWait, while this node is
// expected to hold a replica; otherwise it fails with ErrWatchNotHosted.
// When it had to wait, it also brings the replica up to date through the
// leader (ReadIndex): the client's Sync, made while the replica had not
// caught up, went to the leader instead.
func (n *Node) watchable(ctx context.Context, shard uint64) error {
	if n.host.Hosts(shard) && !n.watches.isDetached(shard) {
		return nil
	}
	if !n.expectsReplica(shard) {
		return ErrWatchNotHosted
	}
	wctx, cancel := context.WithTimeout(ctx, watchHostWait)
	defer cancel()
	rtt := time.Duration(n.cfg.RTTMillis) * time.Millisecond
	sync := fsm.EncodeQuery(znode.Kind, znode.EncodeExists(znode.Exists{Path: "/"}))
	for {
		err := n.host.CatchUp(wctx, shard)
		if err == nil {
			err = n.reattachWatches(shard)
		}
		if err == nil && n.host.Hosts(shard) {
			if _, err = n.host.Read(wctx, shard, sync, true); err == nil {
				return nil
			}
		}
		t := time.NewTimer(rtt)
		select {
		case <-t.C:
		case <-wctx.Done():
			t.Stop()
			return fmt.Errorf("%w: shard %d: %w", ErrWatchNotHosted, shard, errors.Join(err, wctx.Err()))
		}
	}
}

// expectsReplica reports whether this node holds, or is about to hold, a
// replica of shard.
func (n *Node) expectsReplica(shard uint64) bool {
	if n.host.Runs(shard) {
		return true
	}
	return n.ctl.wantsLocal(shard, n.members.Placement())
}

// reattachWatches rechecks the watches a dropped replica of shard left
// against the local replica that replaced it, once that has caught up.
func (n *Node) reattachWatches(shard uint64) error {
	if !n.watches.isDetached(shard) {
		return nil
	}
	if !n.host.Hosts(shard) {
		return fmt.Errorf("warren: shard %d: replica not caught up", shard)
	}
	var rerr error
	err := n.host.ViewLocked(shard, func(lookup func([]byte) ([]byte, error)) {
		rerr = n.watches.reattach(shard, int64(n.host.LastZxid(shard)), func(path string) (Stat, bool, error) {
			b, err := lookup(fsm.EncodeQuery(znode.Kind, znode.EncodeExists(znode.Exists{Path: path})))
			if err != nil {
				return Stat{}, false, err
			}
			rep, err := znode.DecodeStatReply(b)
			if err != nil {
				return Stat{}, false, err
			}
			return rep.Stat, rep.Err == znode.ZOK, nil
		})
	})
	return errors.Join(err, rerr)
}

// GetW is Get that also sets a one-shot data watch, which fires on the
// next change or deletion of the znode.
func (c *Coord) GetW(ctx context.Context, path string) ([]byte, Stat, <-chan WatchEvent, error) {
	var rep znode.DataReply
	var ch chan WatchEvent
	var derr error
	err := c.readWatched(ctx, path, znode.EncodeGetData(znode.GetData{Path: path, Auth: c.auth}), func(b []byte) *watcher {
		rep, derr = znode.DecodeDataReply(b)
		if derr != nil || rep.Err != znode.ZOK {
			return nil
		}
		var w *watcher
		w, ch = oneShotChan(path, watchData)
		return w
	})
	if err = errors.Join(err, derr); err != nil {
		return nil, Stat{}, nil, err
	}
	return rep.Data, rep.Stat, ch, zkErr(rep.Err, path)
}

// ExistsW is Exists that also sets a one-shot watch: on creation if the
// znode is missing, on change or deletion if it exists.
func (c *Coord) ExistsW(ctx context.Context, path string) (Stat, bool, <-chan WatchEvent, error) {
	var rep znode.StatReply
	var ch chan WatchEvent
	var derr error
	err := c.readWatched(ctx, path, znode.EncodeExists(znode.Exists{Path: path}), func(b []byte) *watcher {
		rep, derr = znode.DecodeStatReply(b)
		var w *watcher
		switch {
		case derr != nil:
			return nil
		case rep.Err == znode.ZNONODE:
			w, ch = oneShotChan(path, watchExists)
		case rep.Err == znode.ZOK:
			w, ch = oneShotChan(path, watchData)
		}
		return w
	})
	if err = errors.Join(err, derr); err != nil {
		return Stat{}, false, nil, err
	}
	if rep.Err == znode.ZNONODE {
		return Stat{}, false, ch, nil
	}
	return rep.Stat, rep.Err == znode.ZOK, ch, zkErr(rep.Err, path)
}

// ChildrenW is Children that also sets a one-shot child watch, which fires
// when a child is created or deleted, or the znode itself is deleted.
func (c *Coord) ChildrenW(ctx context.Context, path string) ([]string, Stat, <-chan WatchEvent, error) {
	var rep znode.ChildrenReply
	var ch chan WatchEvent
	var derr error
	err := c.readWatched(ctx, path, znode.EncodeGetChildren(znode.GetChildren{Path: path, Auth: c.auth}), func(b []byte) *watcher {
		rep, derr = znode.DecodeChildrenReply(b)
		if derr != nil || rep.Err != znode.ZOK {
			return nil
		}
		var w *watcher
		w, ch = oneShotChan(path, watchChildren)
		return w
	})
	if err = errors.Join(err, derr); err != nil {
		return nil, Stat{}, nil, err
	}
	return rep.Children, rep.Stat, ch, zkErr(rep.Err, path)
}

// AddWatch sets a persistent watch on path (ZooKeeper's addWatch): every
// change of the znode (and, with recursive, of every descendant, without
// child-list events) until the watch is closed.
func (c *Coord) AddWatch(ctx context.Context, path string, recursive bool) (*Watch, error) {
	kind := watchPersistent
	if recursive {
		kind = watchRecursive
	}
	q := newEventQueue()
	w := &watcher{path: path, kind: kind, fire: q.push}
	err := c.readWatched(ctx, path, znode.EncodeExists(znode.Exists{Path: path}), func([]byte) *watcher { return w })
	if err != nil {
		close(q.done)
		return nil, err
	}
	return &Watch{hub: c.n.watches, w: w, q: q}, nil
}

// WatchKind names the watches a front end can set and remove.
type WatchKind int

// Watch kinds, as ZooKeeper distinguishes them.
const (
	WatchKindData       WatchKind = iota // getData / exists on an existing node
	WatchKindExist                       // exists on a missing node
	WatchKindChild                       // getChildren
	WatchKindPersistent                  // addWatch PERSISTENT
	WatchKindRecursive                   // addWatch PERSISTENT_RECURSIVE
)

// GetWatch is GetW for front ends: fn receives the event; owner tags the
// watch for RemoveWatches.
func (c *Coord) GetWatch(ctx context.Context, path string, owner any, fn WatchFunc) ([]byte, Stat, error) {
	var rep znode.DataReply
	var derr error
	err := c.readWatched(ctx, path, znode.EncodeGetData(znode.GetData{Path: path, Auth: c.auth}), func(b []byte) *watcher {
		rep, derr = znode.DecodeDataReply(b)
		if derr != nil || rep.Err != znode.ZOK {
			return nil
		}
		return &watcher{path: path, kind: watchData, oneShot: true, owner: owner, fire: fn}
	})
	if err = errors.Join(err, derr); err != nil {
		return nil, Stat{}, err
	}
	return rep.Data, rep.Stat, zkErr(rep.Err, path)
}

// ExistsWatch is ExistsW for front ends.
func (c *Coord) ExistsWatch(ctx context.Context, path string, owner any, fn WatchFunc) (Stat, bool, error) {
	var rep znode.StatReply
	var derr error
	err := c.readWatched(ctx, path, znode.EncodeExists(znode.Exists{Path: path}), func(b []byte) *watcher {
		rep, derr = znode.DecodeStatReply(b)
		switch {
		case derr != nil:
			return nil
		case rep.Err == znode.ZNONODE:
			return &watcher{path: path, kind: watchExists, oneShot: true, owner: owner, fire: fn}
		case rep.Err == znode.ZOK:
			return &watcher{path: path, kind: watchData, oneShot: true, owner: owner, fire: fn}
		}
		return nil
	})
	if err = errors.Join(err, derr); err != nil {
		return Stat{}, false, err
	}
	if rep.Err == znode.ZNONODE {
		return Stat{}, false, nil
	}
	return rep.Stat, rep.Err == znode.ZOK, zkErr(rep.Err, path)
}

// ChildrenWatch is ChildrenW for front ends.
func (c *Coord) ChildrenWatch(ctx context.Context, path string, owner any, fn WatchFunc) ([]string, Stat, error) {
	var rep znode.ChildrenReply
	var derr error
	err := c.readWatched(ctx, path, znode.EncodeGetChildren(znode.GetChildren{Path: path, Auth: c.auth}), func(b []byte) *watcher {
		rep, derr = znode.DecodeChildrenReply(b)
		if derr != nil || rep.Err != znode.ZOK {
			return nil
		}
		return &watcher{path: path, kind: watchChildren, oneShot: true, owner: owner, fire: fn}
	})
	if err = errors.Join(err, derr); err != nil {
		return nil, Stat{}, err
	}
	return rep.Children, rep.Stat, zkErr(rep.Err, path)
}

// AddWatchFunc is AddWatch for front ends.
func (c *Coord) AddWatchFunc(ctx context.Context, path string, recursive bool, owner any, fn WatchFunc) error {
	kind := watchPersistent
	if recursive {
		kind = watchRecursive
	}
	w := &watcher{path: path, kind: kind, owner: owner, fire: fn}
	return c.readWatched(ctx, path, znode.EncodeExists(znode.Exists{Path: path}), func([]byte) *watcher { return w })
}

// RemoveWatches removes owner's watches of the given kinds on path and
// reports whether there were any (ZooKeeper's removeWatches and
// checkWatches; with remove false it only checks).
func (c *Coord) RemoveWatches(path string, owner any, kinds []WatchKind, remove bool) bool {
	want := map[watchKind]bool{}
	for _, k := range kinds {
		want[watchKind(k)] = true
	}
	h := c.n.watches
	h.mu.Lock()
	defer h.mu.Unlock()
	found := false
	for _, ws := range h.byShard {
		for w := range ws {
			if w.owner == owner && w.path == path && want[w.kind] {
				found = true
				if remove {
					delete(ws, w)
				}
			}
		}
	}
	return found
}

// DropWatches removes every watch of owner (a closed connection).
func (c *Coord) DropWatches(owner any) {
	h := c.n.watches
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ws := range h.byShard {
		for w := range ws {
			if w.owner == owner {
				delete(ws, w)
			}
		}
	}
}

// RestoreWatches re-sets watches after a client reconnects (ZooKeeper's
// setWatches): relZxid is the last zxid the client saw. A watch whose
// condition already changed after relZxid fires at once, as ZooKeeper
// does; the others are registered. Each path is handled atomically with
// respect to applies.
func (c *Coord) RestoreWatches(ctx context.Context, relZxid int64, byKind map[WatchKind][]string, owner any, fn WatchFunc) error {
	for kind, paths := range byKind {
		for _, p := range paths {
			if err := c.restoreOne(ctx, relZxid, kind, p, owner, fn); err != nil && !errors.Is(err, ErrWatchNotHosted) {
				return err
			}
		}
	}
	return nil
}

func (c *Coord) restoreOne(ctx context.Context, relZxid int64, kind WatchKind, path string, owner any, fn WatchFunc) error {
	var derr error
	err := c.readWatched(ctx, path, znode.EncodeExists(znode.Exists{Path: path}), func(b []byte) *watcher {
		var rep znode.StatReply
		rep, derr = znode.DecodeStatReply(b)
		if derr != nil {
			return nil
		}
		w := &watcher{path: path, owner: owner, fire: fn, oneShot: true}
		switch kind {
		case WatchKindData:
			w.kind = watchData
		case WatchKindExist:
			w.kind = watchExists
		case WatchKindChild:
			w.kind = watchChildren
		case WatchKindPersistent, WatchKindRecursive:
			w.kind, w.oneShot = watchPersistent, false
			if kind == WatchKindRecursive {
				w.kind = watchRecursive
			}
		}
		if ev, keep := w.recheck(rep.Err == znode.ZOK, rep.Stat, relZxid); !keep {
			// Zxid 0: fired by setWatches, not by a change.
			fn(WatchEvent{Type: ev.Type, Path: path})
			return nil
		}
		return w
	})
	return errors.Join(err, derr)
}
