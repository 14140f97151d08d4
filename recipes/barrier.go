package recipes

import (
	"context"
	"errors"
	"fmt"

	"github.com/warrenhq/warren"
)

// Barrier holds participants back while a znode exists: ZooKeeper's
// barrier recipe. A coordinator Sets the barrier, participants Wait, and
// Remove lets every waiter through. The barrier znode is persistent: it
// outlives the session that set it, as a barrier must not fall because
// its coordinator crashed.
type Barrier struct {
	s    *warren.Session
	path string
}

// NewBarrier returns a handle on the barrier at path.
func NewBarrier(s *warren.Session, path string) *Barrier {
	return &Barrier{s: s, path: path}
}

// Set raises the barrier, creating missing parents. Raising a raised
// barrier is not an error.
func (b *Barrier) Set(ctx context.Context) error {
	return createAll(ctx, b.s.Coord(), b.path, nil, warren.ModePersistent)
}

// Remove lowers the barrier. Lowering a lowered barrier is not an error.
func (b *Barrier) Remove(ctx context.Context) error {
	if err := b.s.Coord().Delete(ctx, b.path, warren.AnyVersion); err != nil && !errors.Is(err, warren.ErrNoNode) {
		return fmt.Errorf("recipes: remove barrier %s: %w", b.path, err)
	}
	return nil
}

// Wait blocks while the barrier is raised; it returns at once if it is
// not.
func (b *Barrier) Wait(ctx context.Context) error {
	c := b.s.Coord()
	if err := c.Sync(ctx, b.path); err != nil {
		return err
	}
	return awaitGone(ctx, b.s, b.path)
}
