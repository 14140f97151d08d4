package recipes

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/warrenhq/warren"
)

// Semaphore hands out at most N leases at a time to contenders anywhere in
// the cluster. A lease is an ephemeral-sequential child of <path>/leases.
// Contenders line up on a Lock at <path>/queue; only the head of that
// line creates a lease and, while the leases number more than N, waits
// with one child watch on <path>/leases for a release. So a release wakes
// one contender, and a lease stays pending only while its creator heads
// the line: every lease beyond the first N is the head's, and the head
// counts its own. A contender that dies or loses its session frees its
// place in the line and its lease.
//
// All contenders of one path must agree on N. A Semaphore value is safe
// for concurrent Acquires: each is a contender of its own, with its own
// Lease.
type Semaphore struct {
	s    *warren.Session
	path string
	n    int
}

// NewSemaphore returns a handle on the semaphore at path with n leases.
func NewSemaphore(s *warren.Session, path string, n int) *Semaphore {
	return &Semaphore{s: s, path: path, n: n}
}

// Lease is one acquired lease of a Semaphore.
type Lease struct {
	s    *warren.Session
	path string
}

// Acquire blocks until it holds a lease.
func (sem *Semaphore) Acquire(ctx context.Context) (*Lease, error) {
	if sem.n < 1 {
		return nil, fmt.Errorf("recipes: semaphore %s: %d leases: %w", sem.path, sem.n, warren.ErrBadArguments)
	}
	line := NewLock(sem.s, join(sem.path, "queue"))
	if _, err := line.Lock(ctx); err != nil {
		return nil, err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		_ = line.Unlock(ctx) // on failure the session's end frees the line
	}()
	dir := join(sem.path, "leases")
	path, _, err := enqueue(ctx, sem.s, dir, "lease-", nil)
	if err != nil {
		return nil, err
	}
	if err := sem.awaitRoom(ctx, dir, base(path)); err != nil {
		discard(ctx, sem.s, path)
		return nil, err
	}
	return &Lease{s: sem.s, path: path}, nil
}

// awaitRoom blocks until dir holds at most n leases, ours (mine) included.
func (sem *Semaphore) awaitRoom(ctx context.Context, dir, mine string) error {
	for {
		var leases []string
		var ch <-chan warren.WatchEvent
		err := watching(ctx, sem.s, dir, func() (err error) {
			leases, _, ch, err = sem.s.Coord().ChildrenW(ctx, dir)
			return err
		})
		if err != nil {
			if errors.Is(err, warren.ErrNoNode) {
				return fmt.Errorf("recipes: lease in %s vanished: %w", dir, warren.ErrSessionExpired)
			}
			if err := pauseIfTransient(ctx, sem.s, err); err != nil {
				return err
			}
			continue
		}
		switch {
		case !slices.Contains(leases, mine):
			return fmt.Errorf("recipes: lease %s vanished: %w", join(dir, mine), warren.ErrSessionExpired)
		case len(leases) <= sem.n:
			return nil
		}
		if err := await(ctx, sem.s, ch); err != nil {
			return err
		}
	}
}

// Release gives the lease back; calling it again is harmless. A lease lost
// with its session counts as released.
func (l *Lease) Release(ctx context.Context) error {
	if err := l.s.Coord().Delete(ctx, l.path, warren.AnyVersion); err != nil && !errors.Is(err, warren.ErrNoNode) {
		return fmt.Errorf("recipes: release lease %s: %w", l.path, err)
	}
	return nil
}
