package zk

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// Watches are kept by the node's watch hub with the connection as owner;
// their WatchFuncs queue notifications on the connection. The connection
// also remembers which watches it has registered (watchSet), for two
// reasons ZooKeeper's server has too: a connection holds at most one watch
// of a class per path, however often the client asks, and one change is
// reported once per connection even when several of its watches match
// (a data and a child watch on a deleted node, a persistent watch beside a
// one-shot one).

// watchClass groups watches as ZooKeeper's server tables do.
type watchClass uint8

const (
	classData       watchClass = iota // getData and exists watches
	classChild                        // getChildren watches
	classPersistent                   // addWatch PERSISTENT
	classRecursive                    // addWatch PERSISTENT_RECURSIVE
)

type watchKey struct {
	path  string
	class watchClass
}

// watchSet is a connection's registered watches. Its methods are called
// from the reader goroutine and from apply goroutines (deliver).
type watchSet struct {
	mu   sync.Mutex
	keys map[watchKey]uint64 // -> token of the registered watch
	next uint64
	// last is the last event delivered, and fired the tokens of the watches
	// that reported it so far: the hub calls every matching watch for one
	// event before it moves on, so a second call for the same event from a
	// watch not in fired is a duplicate, and one from a watch in fired is
	// a new event with the same content.
	last  warren.WatchEvent
	fired []uint64
}

// claim reserves key for a new watch and returns its token, or false when
// the connection already has that watch.
func (w *watchSet) claim(key watchKey) (uint64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.keys[key]; ok {
		return 0, false
	}
	w.next++
	w.keys[key] = w.next
	return w.next, true
}

// release gives key up if token still holds it.
func (w *watchSet) release(key watchKey, token uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.keys[key] == token {
		delete(w.keys, key)
	}
}

// forget drops the keys of the given classes on path.
func (w *watchSet) forget(path string, classes []watchClass) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cl := range classes {
		delete(w.keys, watchKey{path, cl})
	}
}

// deliver records that the watch (key, token) fired for ev and reports
// whether ev goes to the client.
func (w *watchSet) deliver(key watchKey, token uint64, oneShot bool, ev warren.WatchEvent) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if oneShot && w.keys[key] == token {
		delete(w.keys, key)
	}
	if ev.Zxid == 0 { // fired by setWatches, not by a change
		return true
	}
	if ev == w.last && !slices.Contains(w.fired, token) {
		w.fired = append(w.fired, token)
		return false
	}
	w.last = ev
	w.fired = append(w.fired[:0], token)
	return true
}

// snapshot returns the paths watched, by class, for the four-letter words.
func (w *watchSet) snapshot() []watchKey {
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := make([]watchKey, 0, len(w.keys))
	for k := range w.keys {
		keys = append(keys, k)
	}
	return keys
}

// watchFunc returns the WatchFunc of the watch (key, token). It runs on
// the node's apply goroutines, where a panic would take the node down: one
// is logged and closes only this connection.
func (c *conn) watchFunc(key watchKey, token uint64, oneShot bool) warren.WatchFunc {
	return func(ev warren.WatchEvent) {
		defer func() {
			if p := recover(); p != nil {
				c.s.log.Error("panic queueing a notification; closing the connection", "remote", c.remote,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				c.kill()
			}
		}()
		if c.watch.deliver(key, token, oneShot, ev) {
			c.notify(ev)
		}
	}
}

// watched runs withWatch, a read that sets a one-shot watch of key, when
// watch is asked for and the connection has no such watch yet; otherwise
// it runs plain, the same read without a watch (an existing watch of the
// class fires for every change the new one would).
func (c *conn) watched(key watchKey, watch bool, withWatch func(warren.WatchFunc) error, plain func() error) error {
	if !watch {
		return plain()
	}
	token, ok := c.watch.claim(key)
	if !ok {
		return plain()
	}
	if err := withWatch(c.watchFunc(key, token, true)); err != nil {
		c.watch.release(key, token) // reads that fail set no watch
		return err
	}
	return nil
}

func (c *conn) addWatch(ctx context.Context, r *jute.AddWatchRequest) result {
	if res, bad := badPath(r.Path, false); bad {
		return res
	}
	key := watchKey{r.Path, classPersistent}
	switch r.Mode {
	case jute.AddWatchPersistent:
	case jute.AddWatchPersistentRecursive:
		key.class = classRecursive
	default:
		return result{code: jute.CodeBadArguments}
	}
	if isVirtual(r.Path) {
		return result{body: addWatchOK} // nothing there ever changes
	}
	if err := c.fresh(ctx, r.Path); err != nil {
		return c.fail(err, r.Path)
	}
	token, ok := c.watch.claim(key)
	if ok {
		err := c.cl.AddWatchFunc(ctx, r.Path, key.class == classRecursive, c, c.watchFunc(key, token, false))
		if err != nil {
			c.watch.release(key, token)
			return c.fail(err, r.Path)
		}
	}
	return result{body: addWatchOK, zxid: c.cl.LastZxid(r.Path)}
}

// addWatchOK is addWatch's reply body. ZooKeeper's server sends an
// ErrorResponse carrying ZOK, and its Java client reads one: a reply
// without it costs a Java client its connection.
var addWatchOK = &jute.ErrorResponse{Err: jute.CodeOK}

// watchKinds maps a watcher type of checkWatches and removeWatches to the
// SDK's kinds and this package's classes, as ZooKeeper 3.8's server tables
// do: persistent watches sit in both its data and its child table, so Data
// and Children cover them too, and Any covers everything. Persistent and
// PersistentRecursive, which later ZooKeeper releases define, select those
// watches alone.
func watchKinds(t jute.WatcherType) ([]warren.WatchKind, []watchClass, bool) {
	persistent := []warren.WatchKind{warren.WatchKindPersistent, warren.WatchKindRecursive}
	switch t {
	case jute.WatcherChildren:
		return append([]warren.WatchKind{warren.WatchKindChild}, persistent...),
			[]watchClass{classChild, classPersistent, classRecursive}, true
	case jute.WatcherData:
		return append([]warren.WatchKind{warren.WatchKindData, warren.WatchKindExist}, persistent...),
			[]watchClass{classData, classPersistent, classRecursive}, true
	case jute.WatcherAny:
		return append([]warren.WatchKind{warren.WatchKindData, warren.WatchKindExist, warren.WatchKindChild}, persistent...),
			[]watchClass{classData, classChild, classPersistent, classRecursive}, true
	case jute.WatcherPersistent:
		return []warren.WatchKind{warren.WatchKindPersistent}, []watchClass{classPersistent}, true
	case jute.WatcherPersistentRecursive:
		return []warren.WatchKind{warren.WatchKindRecursive}, []watchClass{classRecursive}, true
	}
	return nil, nil, false
}

// removeWatches answers checkWatches (remove false) and removeWatches:
// ZNOWATCHER when the connection has no watch of the type on the path. The
// server sends no notification; clients report the removal themselves.
func (c *conn) removeWatches(path string, t jute.WatcherType, remove bool) result {
	kinds, classes, ok := watchKinds(t)
	if !ok || jute.ValidatePath(path, false) != nil {
		return result{code: jute.CodeBadArguments}
	}
	found := c.cl.RemoveWatches(path, c, kinds, remove)
	if remove {
		c.watch.forget(path, classes)
	}
	if !found {
		return result{code: jute.CodeNoWatcher}
	}
	return result{}
}

// restoreKinds are the lists of setWatches and setWatches2, in order.
var restoreKinds = []struct {
	kind    warren.WatchKind
	class   watchClass
	oneShot bool
	kept    []warren.WatchKind // the kinds that show the watch was kept
}{
	{warren.WatchKindData, classData, true, []warren.WatchKind{warren.WatchKindData, warren.WatchKindExist}},
	{warren.WatchKindExist, classData, true, []warren.WatchKind{warren.WatchKindData, warren.WatchKindExist}},
	{warren.WatchKindChild, classChild, true, []warren.WatchKind{warren.WatchKindChild}},
	{warren.WatchKindPersistent, classPersistent, false, []warren.WatchKind{warren.WatchKindPersistent}},
	{warren.WatchKindRecursive, classRecursive, false, []warren.WatchKind{warren.WatchKindRecursive}},
}

// setWatches re-registers the watches of a client that reconnected: lists
// holds the paths of each of restoreKinds. A one-shot watch whose znode
// changed after relZxid, the last zxid the client saw, fires at once. If
// the cluster cannot answer, the connection is closed after the reply, so
// that the client reconnects and sends its watches again rather than keep
// watches nobody serves.
func (c *conn) setWatches(ctx context.Context, relZxid int64, lists [][]string) result {
	for i, paths := range lists {
		k := restoreKinds[i]
		for _, p := range paths {
			if jute.ValidatePath(p, false) != nil || isVirtual(p) {
				continue
			}
			if err := c.fresh(ctx, p); err != nil {
				return c.restoreFailed(err, p)
			}
			key := watchKey{p, k.class}
			token, ok := c.watch.claim(key)
			if !ok {
				continue
			}
			err := c.cl.RestoreWatches(ctx, relZxid, map[warren.WatchKind][]string{k.kind: {p}}, c,
				c.watchFunc(key, token, k.oneShot))
			if err != nil {
				c.watch.release(key, token)
				return c.restoreFailed(err, p)
			}
			if !c.cl.RemoveWatches(p, c, k.kept, false) {
				c.watch.release(key, token) // it fired at once, or cannot be kept here
			}
		}
	}
	// Zxid 0, as for auth: go-zookeeper v1.0.4 reads its last zxid without
	// synchronisation while it sends setWatches, so a non-zero zxid in this
	// reply is a data race in that client. Clients ignore a zero zxid.
	return result{zeroZxid: true}
}

func (c *conn) restoreFailed(err error, path string) result {
	r := c.fail(err, path)
	if !r.gone {
		c.s.log.Warn("cannot restore a reconnected client's watches; closing so that it retries",
			"remote", c.remote, "path", path, "err", err)
		r.closeAfter = true
	}
	return r
}
