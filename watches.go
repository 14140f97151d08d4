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

// watcher is one registered watch.
type watcher struct {
	shard uint64
	path  string
	kind  watchKind
	once  chan WatchEvent // one-shot watches: capacity 1
	q     *eventQueue     // persistent watches
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
		ev := WatchEvent{Type: zev.Type, Path: zev.Path, Zxid: int64(e.Zxid)}
		for w := range ws {
			if !w.matches(ev) {
				continue
			}
			if w.q != nil {
				w.q.push(ev)
				continue
			}
			w.once <- ev // capacity 1, and a one-shot watch fires once
			close(w.once)
			delete(ws, w)
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
	once sync.Once
}

// Events returns the watch's events, in zxid order. It is closed by Close.
func (w *Watch) Events() <-chan WatchEvent { return w.w.q.out }

// Close removes the watch.
func (w *Watch) Close() {
	w.once.Do(func() {
		w.hub.remove(w.w)
		close(w.w.q.done)
	})
}

// readWatched runs query on the local replica of path's shard, after it has
// caught up with this client, and registers the watch that decide returns
// (nil: none) under the same lock, so no change between the read and the
// registration is missed.
func (c *Coord) readWatched(ctx context.Context, path string, q []byte, decide func(answer []byte) *watcher) error {
	shard := c.n.NamespaceShard(path)
	if c.n.host.AppliedIndex(shard) == 0 {
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
		ch = make(chan WatchEvent, 1)
		return &watcher{path: path, kind: watchData, once: ch}
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
	ch := make(chan WatchEvent, 1)
	var derr error
	err := c.readWatched(ctx, path, znode.EncodeExists(znode.Exists{Path: path}), func(b []byte) *watcher {
		rep, derr = znode.DecodeStatReply(b)
		switch {
		case derr != nil:
			return nil
		case rep.Err == znode.ZNONODE:
			return &watcher{path: path, kind: watchExists, once: ch}
		case rep.Err == znode.ZOK:
			return &watcher{path: path, kind: watchData, once: ch}
		}
		return nil
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
		ch = make(chan WatchEvent, 1)
		return &watcher{path: path, kind: watchChildren, once: ch}
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
	w := &watcher{path: path, kind: kind, q: newEventQueue()}
	err := c.readWatched(ctx, path, znode.EncodeExists(znode.Exists{Path: path}), func([]byte) *watcher { return w })
	if err != nil {
		close(w.q.done)
		return nil, err
	}
	return &Watch{hub: c.n.watches, w: w}, nil
}
