package recipes

import (
	"context"

	"github.com/warrenhq/warren"
)

// Lock is an exclusive lock: ZooKeeper's lock recipe. Each contender
// creates an ephemeral-sequential child "lock-<tag>-<seq>" of the lock's
// path; the child with the lowest sequence number holds the lock, and every
// other contender watches only the child just ahead of its own, so an
// unlock (or the expiry of the holder's session) wakes exactly one waiter.
//
// A Lock value stands for one contender; see the package documentation for
// sharing. The lock is held until Unlock or until the session ends: the
// holder must treat s.Expired() as the loss of the lock, and should pass
// the fencing token to whatever the lock protects.
//
// # Fencing tokens
//
// Lock returns a fencing token: the czxid of the holder's child, the zxid
// of the transaction that created it. Tokens strictly increase with every
// acquisition of the same lock path, whichever node or session acquires
// it, for two reasons:
//
//   - A namespace (first path segment) lives in one Raft shard (the
//     mapping is fixed when the cluster forms), and each command that
//     shard applies gets a zxid greater than every zxid before it. The last zxid is replicated state, so it does not go back when
//     leadership moves or a node dies or restarts.
//   - The lock is granted in creation order. Suppose holder H2 acquired
//     after H1 but its child was created first. Then both children were in
//     the directory when H1 acquired (H2's stays until H2 releases, after
//     H1's acquisition), and H2's has the lower sequence number, so H1
//     could not have acquired. Hence a later holder's child is younger and
//     its czxid larger.
//
// The sequence suffix would order acquisitions too, but it restarts at zero
// when the empty lock directory (a container) is deleted and created again,
// and it is 32 bits wide; the czxid does neither. A holder whose session
// has expired without its knowing still carries its old, lower token: a
// resource that refuses tokens below the highest it has seen fences it off.
// Tokens of different lock paths are not comparable.
type Lock struct {
	s   *warren.Session
	dir string
	c   claim
}

// NewLock returns a contender for the lock at path, a znode path that need
// not exist yet.
func NewLock(s *warren.Session, path string) *Lock {
	return &Lock{s: s, dir: path}
}

// Lock blocks until it holds the lock and returns the fencing token. If ctx
// ends or the session expires first, it withdraws from the queue and
// returns the context's error or ErrSessionExpired.
func (l *Lock) Lock(ctx context.Context) (token int64, err error) {
	if err := l.c.begin(); err != nil {
		return 0, err
	}
	path, st, err := enqueue(ctx, l.s, l.dir, "lock-", nil)
	if err != nil {
		l.c.finish("", 0)
		return 0, err
	}
	if err := awaitTurn(ctx, l.s, l.dir, base(path), predecessor); err != nil {
		discard(ctx, l.s, path)
		l.c.finish("", 0)
		return 0, err
	}
	l.c.finish(path, 0)
	return st.Czxid, nil
}

// TryLock takes the lock if no one holds or awaits it, without waiting. It
// reports whether it took the lock and, if so, the fencing token.
func (l *Lock) TryLock(ctx context.Context) (token int64, ok bool, err error) {
	if err := l.c.begin(); err != nil {
		return 0, false, err
	}
	path, st, err := enqueue(ctx, l.s, l.dir, "lock-", nil)
	if err != nil {
		l.c.finish("", 0)
		return 0, false, err
	}
	children, _, err := l.s.Coord().Children(ctx, l.dir)
	if err == nil {
		switch indexOf(queueOf(children), base(path)) {
		case 0:
			l.c.finish(path, 0)
			return st.Czxid, true, nil
		case -1:
			err = warren.ErrSessionExpired
		}
	}
	discard(ctx, l.s, path)
	l.c.finish("", 0)
	return 0, false, err
}

// Unlock releases the lock. It fails with ErrNotHeld if this value does
// not hold it. A lock lost with its session counts as released.
func (l *Lock) Unlock(ctx context.Context) error {
	return l.c.release(ctx, l.s, 0)
}
