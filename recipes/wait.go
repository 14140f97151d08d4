package recipes

import (
	"context"
	"errors"
	"time"

	"github.com/warrenhq/warren"
)

// retryBackoff is the pause before retrying a read that failed for a
// transient reason (a leader change, a timeout).
const retryBackoff = 100 * time.Millisecond

// notHostedTries and notHostedPause bound how long watching waits for a
// node to accept watches in a namespace: about a second.
const (
	notHostedTries = 20
	notHostedPause = 50 * time.Millisecond
)

// awaitGone blocks until the znode at path does not exist.
func awaitGone(ctx context.Context, s *warren.Session, path string) error {
	return awaitPresence(ctx, s, path, false)
}

// awaitPresence blocks until the znode at path exists (want) or does not
// (!want), with one ExistsW watch at a time.
func awaitPresence(ctx context.Context, s *warren.Session, path string, want bool) error {
	for {
		var ok bool
		var ch <-chan warren.WatchEvent
		err := watching(ctx, s, path, func() (err error) {
			_, ok, ch, err = s.Coord().ExistsW(ctx, path)
			return err
		})
		if err != nil {
			if err := pauseIfTransient(ctx, s, err); err != nil {
				return err
			}
			continue
		}
		if ok == want {
			return nil
		}
		if err := await(ctx, s, ch); err != nil {
			return err
		}
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

// watching runs call, which sets a watch on path, and retries it while it
// fails with warren.ErrWatchNotHosted for a short while. A node refuses
// watches in a namespace whose shard its replica has applied nothing of,
// which is also the state of a replica of a shard no one has written to
// yet; a write that changes nothing (a Multi of one CheckOp) gets such a
// shard going. If the refusal persists, the node really does not
// replicate the namespace, and call's error is returned.
func watching(ctx context.Context, s *warren.Session, path string, call func() error) error {
	err := call()
	for try := 0; errors.Is(err, warren.ErrWatchNotHosted) && try < notHostedTries; try++ {
		if try == 0 {
			c := s.Coord()
			_, _ = c.Multi(ctx, c.CheckOp(path, warren.AnyVersion)) // ErrNoNode is fine
		}
		t := time.NewTimer(notHostedPause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-s.Expired():
			t.Stop()
			return warren.ErrSessionExpired
		}
		err = call()
	}
	return err
}

// watchSynced sets a persistent watch on path (recursive: on its subtree
// too), then syncs, so that reads after it see every change made before
// it and the watch reports every change after them.
func watchSynced(ctx context.Context, s *warren.Session, path string, recursive bool) (*warren.Watch, error) {
	for {
		var w *warren.Watch
		err := watching(ctx, s, path, func() (err error) {
			w, err = s.Coord().AddWatch(ctx, path, recursive)
			return err
		})
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
