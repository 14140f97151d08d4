package recipes

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/warrenhq/warren"
)

// Counter is a shared 64-bit counter in one persistent znode, holding the
// value in decimal. Add reads the value and its version and writes the sum
// only if the version is unchanged (a compare-and-set), retrying when
// another client won the race, so concurrent Adds never lose an update.
// A missing znode reads as 0.
type Counter struct {
	s    *warren.Session
	path string
}

// NewCounter returns a handle on the counter at path.
func NewCounter(s *warren.Session, path string) *Counter {
	return &Counter{s: s, path: path}
}

// Get returns the counter's value, after every Add acknowledged before the
// call.
func (c *Counter) Get(ctx context.Context) (int64, error) {
	if err := c.s.Coord().Sync(ctx, c.path); err != nil {
		return 0, err
	}
	v, _, err := c.read(ctx)
	return v, err
}

// Add adds delta and returns the new value. When the service's verdict on
// a write is unknown (a timeout, warren.ErrTimeout), Add returns the error:
// the addition may or may not have happened, so a retry could count twice.
func (c *Counter) Add(ctx context.Context, delta int64) (int64, error) {
	co := c.s.Coord()
	for {
		v, version, err := c.read(ctx)
		if err != nil {
			return 0, err
		}
		next := v + delta
		data := []byte(strconv.FormatInt(next, 10))
		if version < 0 {
			err = createAll(ctx, co, c.path, nil, warren.ModePersistent)
			if err == nil {
				continue // created empty: add on the next round
			}
		} else {
			_, err = co.Set(ctx, c.path, data, version)
			if err == nil {
				return next, nil
			}
		}
		if !errors.Is(err, warren.ErrBadVersion) && !errors.Is(err, warren.ErrNoNode) {
			return 0, fmt.Errorf("recipes: add to counter %s: %w", c.path, err)
		}
		// Someone else wrote (or deleted) first. The failed Set has moved
		// this client's view past their write, so the next read sees it.
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

// read returns the value and version; version -1 if the znode is missing.
func (c *Counter) read(ctx context.Context) (int64, int32, error) {
	data, st, err := c.s.Coord().Get(ctx, c.path)
	if errors.Is(err, warren.ErrNoNode) {
		return 0, -1, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("recipes: read counter %s: %w", c.path, err)
	}
	if len(data) == 0 {
		return 0, st.Version, nil
	}
	v, err := strconv.ParseInt(string(data), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("recipes: counter %s holds %q, not a number", c.path, data)
	}
	return v, st.Version, nil
}
