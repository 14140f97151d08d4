package recipes

import (
	"context"
	"errors"
	"fmt"

	"github.com/warrenhq/warren"
)

// Config is a shared configuration value in one persistent znode: any
// client Sets it, every interested client Watches it.
type Config struct {
	s    *warren.Session
	path string
}

// NewConfig returns a handle on the configuration value at path.
func NewConfig(s *warren.Session, path string) *Config {
	return &Config{s: s, path: path}
}

// Get returns the current value, after every Set acknowledged before the
// call; ErrNoNode if the value was never set.
func (c *Config) Get(ctx context.Context) ([]byte, error) {
	co := c.s.Coord()
	if err := co.Sync(ctx, c.path); err != nil {
		return nil, err
	}
	data, _, err := co.Get(ctx, c.path)
	if err != nil {
		return nil, fmt.Errorf("recipes: config %s: %w", c.path, err)
	}
	return data, nil
}

// Set replaces the value, creating the znode and its parents if missing.
func (c *Config) Set(ctx context.Context, value []byte) error {
	co := c.s.Coord()
	for attempt := 0; ; attempt++ {
		_, err := co.Set(ctx, c.path, value, warren.AnyVersion)
		if !errors.Is(err, warren.ErrNoNode) || attempt == 3 {
			if err != nil {
				return fmt.Errorf("recipes: set config %s: %w", c.path, err)
			}
			return nil
		}
		_, _, err = co.Create(ctx, c.path, value, warren.CreateOptions{})
		switch {
		case err == nil:
			return nil
		case errors.Is(err, warren.ErrNoNode):
			if err := createAll(ctx, co, parent(c.path), nil, warren.ModePersistent); err != nil {
				return err
			}
		case !errors.Is(err, warren.ErrNodeExists): // NodeExists: set it on the next round
			return fmt.Errorf("recipes: set config %s: %w", c.path, err)
		}
	}
}

// Watch returns a channel that receives the current value, if it is set,
// and then each new value: one per observed write, so writes that come
// quickly may be reported as the last of them only, as with any ZooKeeper
// watch. A deletion is reported as nil. The channel is closed when ctx
// ends, the session expires or the node closes.
func (c *Config) Watch(ctx context.Context) <-chan []byte {
	out := make(chan []byte)
	go func() {
		defer close(out)
		co := c.s.Coord()
		w, err := watchSynced(ctx, c.s, c.path, false)
		if err != nil {
			return
		}
		defer w.Close()
		var mzxid int64 // of the value last sent; 0: none, or deleted
		for {
			data, st, err := co.Get(ctx, c.path)
			switch {
			case errors.Is(err, warren.ErrNoNode):
				if mzxid != 0 {
					if !send(ctx, c.s, out, []byte(nil)) {
						return
					}
					mzxid = 0
				}
			case err != nil:
				if pauseIfTransient(ctx, c.s, err) != nil {
					return
				}
				continue
			case st.Mzxid != mzxid:
				if !send(ctx, c.s, out, data) {
					return
				}
				mzxid = st.Mzxid
			}
			if !nextEvents(ctx, c.s, w) {
				return
			}
		}
	}()
	return out
}
