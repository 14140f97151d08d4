package recipes

import (
	"context"
	"strings"

	"github.com/warrenhq/warren"
)

const (
	readPrefix  = "read-"
	writePrefix = "write-"
)

// Modes of an RWLock's claim.
const (
	modeRead = 1 + iota
	modeWrite
)

// RWLock is a readers-writer lock: ZooKeeper's shared-lock recipe.
// Readers create "read-<tag>-<seq>" children of the lock's path and writers
// "write-<tag>-<seq>", all ephemeral-sequential. A reader holds the lock
// once no writer is ahead of it, and watches only the last writer ahead; a
// writer holds it once nothing is ahead of it, and watches only the child
// just ahead. Readers and writers are served in arrival order, so a stream
// of readers cannot starve a writer.
//
// An RWLock value stands for one contender, holding the lock in one mode
// at a time. Write acquisitions return fencing tokens with the guarantee
// Lock documents: writers, too, acquire in creation order.
type RWLock struct {
	s   *warren.Session
	dir string
	c   claim
}

// NewRWLock returns a contender for the readers-writer lock at path.
func NewRWLock(s *warren.Session, path string) *RWLock {
	return &RWLock{s: s, dir: path}
}

// RLock blocks until it holds the lock for reading, alongside other
// readers.
func (rw *RWLock) RLock(ctx context.Context) error {
	_, err := rw.acquire(ctx, readPrefix, modeRead, lastWriterAhead)
	return err
}

// RUnlock releases a read hold; ErrNotHeld if this value holds none.
func (rw *RWLock) RUnlock(ctx context.Context) error {
	return rw.c.release(ctx, rw.s, modeRead)
}

// Lock blocks until it holds the lock alone, and returns the fencing
// token.
func (rw *RWLock) Lock(ctx context.Context) (token int64, err error) {
	return rw.acquire(ctx, writePrefix, modeWrite, predecessor)
}

// Unlock releases a write hold; ErrNotHeld if this value holds none.
func (rw *RWLock) Unlock(ctx context.Context) error {
	return rw.c.release(ctx, rw.s, modeWrite)
}

func (rw *RWLock) acquire(ctx context.Context, prefix string, mode int, block blocker) (int64, error) {
	if err := rw.c.begin(); err != nil {
		return 0, err
	}
	path, st, err := enqueue(ctx, rw.s, rw.dir, prefix, nil)
	if err != nil {
		rw.c.finish("", 0)
		return 0, err
	}
	if err := awaitTurn(ctx, rw.s, rw.dir, base(path), block); err != nil {
		discard(ctx, rw.s, path)
		rw.c.finish("", 0)
		return 0, err
	}
	rw.c.finish(path, mode)
	return st.Czxid, nil
}

// lastWriterAhead is the blocker of readers: the nearest writer ahead.
func lastWriterAhead(q []contender, i int) string {
	for j := i - 1; j >= 0; j-- {
		if strings.HasPrefix(q[j].name, writePrefix) {
			return q[j].name
		}
	}
	return ""
}
