package warren

import (
	"context"
	"errors"
	"strings"
	"sync"

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
// so it cannot keep a watch there. Watches through nodes that do not
// replicate the namespace are not supported yet; in clusters of up to
// Replicas nodes every node replicates every shard.
var ErrWatchNotHosted = errors.New("warren: watches need a node that replicates the namespace")

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

// watchHub holds a node's watches. dispatch runs on replicas' apply
// goroutines and never blocks.
type watchHub struct {
	mu      sync.Mutex
	byShard map[uint64]map[*watcher]struct{}
}

func newWatchHub() *watchHub {
	return &watchHub{byShard: map[uint64]map[*watcher]struct{}{}}
}

func (h *watchHub) add(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
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

// dispatch delivers the events of one applied entry.
func (h *watchHub) dispatch(shard uint64, events []fsm.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ws := h.byShard[shard]
	if len(ws) == 0 {
		return
	}
	for _, e := range events {
		if e.Kind != znode.Kind {
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
	if !c.n.host.Hosts(shard) {
		return ErrWatchNotHosted
	}
	if err := c.n.host.WaitApplied(ctx, shard, c.seenIndex(shard)); err != nil {
		return err
	}
	return c.n.host.ReadLocked(shard, fsm.EncodeQuery(znode.Kind, q), func(answer []byte, _ uint64) {
		if w := decide(answer); w != nil {
			w.shard = shard
			c.n.watches.add(w)
		}
	})
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
		exists := rep.Err == znode.ZOK
		st := rep.Stat
		w := &watcher{path: path, owner: owner, fire: fn, oneShot: true}
		switch kind {
		case WatchKindData:
			switch {
			case !exists:
				fn(WatchEvent{Type: EventNodeDeleted, Path: path})
				return nil
			case st.Mzxid > relZxid:
				fn(WatchEvent{Type: EventNodeDataChanged, Path: path})
				return nil
			}
			w.kind = watchData
		case WatchKindExist:
			if exists {
				fn(WatchEvent{Type: EventNodeCreated, Path: path})
				return nil
			}
			w.kind = watchExists
		case WatchKindChild:
			switch {
			case !exists:
				fn(WatchEvent{Type: EventNodeDeleted, Path: path})
				return nil
			case st.Pzxid > relZxid:
				fn(WatchEvent{Type: EventNodeChildrenChanged, Path: path})
				return nil
			}
			w.kind = watchChildren
		case WatchKindPersistent, WatchKindRecursive:
			w.kind, w.oneShot = watchPersistent, false
			if kind == WatchKindRecursive {
				w.kind = watchRecursive
			}
		}
		return w
	})
	return errors.Join(err, derr)
}
