package recipes

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/warrenhq/warren"
)

// claim is what a participant value (a Lock, an Election...) holds: at
// most one znode, acquired by one call at a time.
type claim struct {
	mu struct {
		sync.Mutex
		busy bool   // an acquisition is in progress or held
		path string // the held znode, "" while acquiring
		mode int    // recipe-specific mode of the held znode
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
	c.mu.mode = mode
}

// held returns the held znode and its mode, or "" if none.
func (c *claim) held() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.path, c.mu.mode
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
