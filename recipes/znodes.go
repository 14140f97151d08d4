package recipes

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/warrenhq/warren"
)

// Errors of this package. Errors of the coordination service (ErrNoNode,
// ErrSessionExpired, ...) are passed on wrapped; match them with errors.Is.
var (
	// ErrHeld: the value already holds, or is acquiring, a lock, lease,
	// candidacy or barrier place. Release it first, or use another value.
	ErrHeld = errors.New("recipes: already held or being acquired")
	// ErrNotHeld: Unlock, Resign, Leave or Proclaim on a value that holds
	// nothing.
	ErrNotHeld = errors.New("recipes: not held")
	// ErrNoLeader: the election has no candidate.
	ErrNoLeader = errors.New("recipes: no leader")
)

// cleanupTimeout bounds the best-effort deletes a recipe makes after its
// caller's context has ended.
const cleanupTimeout = 5 * time.Second

// retryBackoff is the pause before retrying a read that failed for a
// transient reason (a leader change, a timeout).
const retryBackoff = 100 * time.Millisecond

// seqDigits is the width of the suffix ZooKeeper appends to sequential
// names.
const seqDigits = 10

// join returns the path of child name under dir.
func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// base returns the last element of path.
func base(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

// parent returns the parent of path ("/" for "/x").
func parent(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// validName reports whether s can be one path element.
func validName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\x00")
}

// uniqueTag returns a random tag to put in a znode name, so its creator can
// find it again after a create whose outcome it did not learn.
func uniqueTag() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// mkdirs creates path with mode and its missing ancestors as persistent
// znodes. Znodes that exist already are left alone.
func mkdirs(ctx context.Context, c *warren.Coord, path string, mode warren.CreateMode) error {
	if path == "/" {
		return nil
	}
	for attempt := 0; ; attempt++ {
		_, _, err := c.Create(ctx, path, nil, warren.CreateOptions{Mode: mode})
		switch {
		case err == nil, errors.Is(err, warren.ErrNodeExists):
			return nil
		case !errors.Is(err, warren.ErrNoNode) || attempt == 3:
			return fmt.Errorf("recipes: create %s: %w", path, err)
		}
		if err := mkdirs(ctx, c, parent(path), warren.ModePersistent); err != nil {
			return err
		}
	}
}

// ensure makes sure a persistent znode exists at path, creating it (with
// data) and its parents if missing.
func ensure(ctx context.Context, c *warren.Coord, path string, data []byte) error {
	for attempt := 0; ; attempt++ {
		_, _, err := c.Create(ctx, path, data, warren.CreateOptions{})
		switch {
		case err == nil, errors.Is(err, warren.ErrNodeExists):
			return nil
		case !errors.Is(err, warren.ErrNoNode) || attempt == 3:
			return fmt.Errorf("recipes: create %s: %w", path, err)
		}
		if err := mkdirs(ctx, c, parent(path), warren.ModePersistent); err != nil {
			return err
		}
	}
}

// contender is one child of a queue directory, named by enqueue.
type contender struct {
	name string
	seq  int64
}

// queueOf returns the children of a queue directory that carry a sequence
// suffix, in sequence order (the order the service created them in).
func queueOf(children []string) []contender {
	q := make([]contender, 0, len(children))
	for _, name := range children {
		if len(name) <= seqDigits {
			continue
		}
		seq, err := strconv.ParseInt(name[len(name)-seqDigits:], 10, 64)
		if err != nil {
			continue
		}
		q = append(q, contender{name: name, seq: seq})
	}
	slices.SortFunc(q, func(a, b contender) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), strings.Compare(a.name, b.name))
	})
	return q
}

func indexOf(q []contender, name string) int {
	for i, c := range q {
		if c.name == name {
			return i
		}
	}
	return -1
}

// enqueue creates an ephemeral-sequential child of dir named
// prefix<tag>-<sequence> holding data, creating dir (a container) and its
// parents when missing, and returns the child's path and Stat. If the
// create fails without a verdict from the service (a timeout, a dead
// node), the child may exist: enqueue looks for it by its tag and deletes
// it, so that no orphan blocks the queue until the session ends.
func enqueue(ctx context.Context, s *warren.Session, dir, prefix string, data []byte) (string, warren.Stat, error) {
	c := s.Coord()
	stem := prefix + uniqueTag() + "-"
	for attempt := 0; ; attempt++ {
		p, st, err := c.Create(ctx, join(dir, stem), data, warren.CreateOptions{Mode: warren.ModeEphemeralSequential})
		if err == nil {
			return p, st, nil
		}
		if errors.Is(err, warren.ErrNoNode) && attempt < 3 {
			if err := mkdirs(ctx, c, dir, warren.ModeContainer); err != nil {
				return "", warren.Stat{}, err
			}
			continue
		}
		var zk *warren.ZKError
		if !errors.As(err, &zk) {
			discardTagged(ctx, s, dir, stem)
		}
		return "", warren.Stat{}, fmt.Errorf("recipes: join queue %s: %w", dir, err)
	}
}

// discardTagged deletes the children of dir whose names start with stem,
// best effort, even after ctx has ended.
func discardTagged(ctx context.Context, s *warren.Session, dir, stem string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	children, _, err := s.Coord().Children(ctx, dir)
	if err != nil {
		return
	}
	for _, name := range children {
		if strings.HasPrefix(name, stem) {
			_ = s.Coord().Delete(ctx, join(dir, name), warren.AnyVersion)
		}
	}
}

// discard deletes path, best effort, even after ctx has ended. A failure
// leaves the ephemeral to the session's end.
func discard(ctx context.Context, s *warren.Session, path string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.Coord().Delete(ctx, path, warren.AnyVersion)
}

// blocker picks, given a queue and the index of our child in it, the child
// we must wait for, or "" when our turn has come.
type blocker func(q []contender, i int) string

// predecessor is the blocker of exclusive queues: the child just ahead.
func predecessor(q []contender, i int) string {
	if i == 0 {
		return ""
	}
	return q[i-1].name
}

// awaitTurn blocks until block finds nothing ahead of our child name in
// dir. It watches only the child block names, so each release wakes one
// waiter. If our child has vanished, the session has ended (its ephemerals
// are deleted with it), and awaitTurn returns ErrSessionExpired.
func awaitTurn(ctx context.Context, s *warren.Session, dir, name string, block blocker) error {
	c := s.Coord()
	for {
		children, _, err := c.Children(ctx, dir)
		if err != nil && !errors.Is(err, warren.ErrNoNode) {
			if err := pauseIfTransient(ctx, s, err); err != nil {
				return err
			}
			continue
		}
		q := queueOf(children)
		i := indexOf(q, name)
		if i < 0 {
			return fmt.Errorf("recipes: %s vanished: %w", join(dir, name), warren.ErrSessionExpired)
		}
		ahead := block(q, i)
		if ahead == "" {
			return nil
		}
		if err := awaitGone(ctx, s, join(dir, ahead)); err != nil {
			return err
		}
	}
}

// awaitGone blocks until the znode at path is deleted or changes; it
// returns at once if the znode is missing. Callers look again afterwards.
func awaitGone(ctx context.Context, s *warren.Session, path string) error {
	for {
		_, ok, ch, err := s.Coord().ExistsW(ctx, path)
		if err != nil {
			if err := pauseIfTransient(ctx, s, err); err != nil {
				return err
			}
			continue
		}
		if !ok {
			return nil
		}
		return await(ctx, s, ch)
	}
}

// await blocks until a one-shot watch fires, ctx ends or the session
// expires.
func await(ctx context.Context, s *warren.Session, ch <-chan warren.WatchEvent) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.Expired():
		return warren.ErrSessionExpired
	}
}

// pauseIfTransient returns err unless it may go away on retry (a leader
// change, an unavailable shard, a request timeout while ctx still runs),
// in which case it pauses retryBackoff and returns nil. Answers of the
// service (*warren.ZKError), a closed node, an ended ctx and an expired
// session are final.
func pauseIfTransient(ctx context.Context, s *warren.Session, err error) error {
	var zk *warren.ZKError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &zk), errors.Is(err, warren.ErrClosed), errors.Is(err, warren.ErrWatchNotHosted):
		return err
	}
	t := time.NewTimer(retryBackoff)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.Expired():
		return warren.ErrSessionExpired
	}
}

// claim is what a participant value (a Lock, an Election...) holds: at
// most one znode, acquired by one call at a time.
type claim struct {
	mu struct {
		sync.Mutex
		busy bool   // an acquisition is in progress or held
		path string // the held znode, "" while acquiring
		data int    // recipe-specific mode of the held znode
	}
}

// begin starts an acquisition; it fails with ErrHeld if one is in
// progress or held.
func (c *claim) begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.busy {
		return ErrHeld
	}
	c.mu.busy = true
	return nil
}

// finish ends the acquisition begin started: with the znode now held, or
// with "" when it failed.
func (c *claim) finish(path string, mode int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.busy = path != ""
	c.mu.path = path
	c.mu.data = mode
}

// held returns the held znode and its mode, or "" if none.
func (c *claim) held() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.path, c.mu.data
}

// release deletes the held znode. A znode already gone (its session
// expired) counts as released.
func (c *claim) release(ctx context.Context, s *warren.Session, mode int) error {
	path, m := c.held()
	if path == "" || m != mode {
		return ErrNotHeld
	}
	if err := s.Coord().Delete(ctx, path, warren.AnyVersion); err != nil && !errors.Is(err, warren.ErrNoNode) {
		return fmt.Errorf("recipes: release %s: %w", path, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.path == path {
		c.mu.busy, c.mu.path = false, ""
	}
	return nil
}

// watchSynced sets a persistent watch on path (recursive: on its subtree
// too), then syncs, so that reads after it see every change made before
// it and the watch reports every change after them.
func watchSynced(ctx context.Context, s *warren.Session, path string, recursive bool) (*warren.Watch, error) {
	for {
		w, err := s.Coord().AddWatch(ctx, path, recursive)
		if err == nil {
			err = s.Coord().Sync(ctx, path)
			if err == nil {
				return w, nil
			}
			w.Close()
		}
		if err := pauseIfTransient(ctx, s, err); err != nil {
			return nil, err
		}
	}
}

// send delivers v on out unless ctx ends or the session expires first.
func send[T any](ctx context.Context, s *warren.Session, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
	case <-s.Expired():
	}
	return false
}

// nextEvents waits for an event of the persistent watch w and takes every
// event already queued behind it, so that one read answers them all. It
// reports false when ctx ends, the session expires or w is closed.
func nextEvents(ctx context.Context, s *warren.Session, w *warren.Watch) bool {
	select {
	case _, ok := <-w.Events():
		if !ok {
			return false
		}
	case <-ctx.Done():
		return false
	case <-s.Expired():
		return false
	}
	for {
		select {
		case _, ok := <-w.Events():
			if !ok {
				return false
			}
		default:
			return true
		}
	}
}
