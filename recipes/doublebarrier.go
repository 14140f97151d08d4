package recipes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/warrenhq/warren"
)

const (
	participantPrefix = "p-"
	readyName         = "ready"
)

// DoubleBarrier lets N participants start a computation together and
// finish it together: ZooKeeper's double-barrier recipe. Enter blocks
// until N participants have entered; Leave blocks until every participant
// that entered has left.
//
// Each participant is an ephemeral child "p-<tag>" of the barrier's path.
// The participant whose entry makes N creates the persistent child
// "ready", which every earlier participant watches. On the way out, every
// participant but the lowest-named deletes its child and watches the
// lowest; the lowest watches the highest remaining and leaves last,
// deleting "ready" with its own child in one Multi so the barrier can be
// used again. A participant that dies is counted out when its session
// ends. A new round must not begin before the previous one has left.
//
// A DoubleBarrier value stands for one participant.
type DoubleBarrier struct {
	s    *warren.Session
	dir  string
	n    int
	name string
	c    claim
}

// NewDoubleBarrier returns a participant of the double barrier at path for
// n participants. All participants must agree on n.
func NewDoubleBarrier(s *warren.Session, path string, n int) *DoubleBarrier {
	return &DoubleBarrier{s: s, dir: path, n: n, name: participantPrefix + uniqueTag()}
}

// Enter joins the barrier and blocks until n participants have joined. If
// ctx ends or the session expires first, it withdraws.
func (d *DoubleBarrier) Enter(ctx context.Context) error {
	if d.n < 1 {
		return fmt.Errorf("recipes: double barrier %s for %d: %w", d.dir, d.n, warren.ErrBadArguments)
	}
	if err := d.c.begin(); err != nil {
		return err
	}
	path := join(d.dir, d.name)
	if err := d.enter(ctx, path); err != nil {
		discard(ctx, d.s, path)
		d.c.finish("", 0)
		return err
	}
	d.c.finish(path, 0)
	return nil
}

func (d *DoubleBarrier) enter(ctx context.Context, path string) error {
	c := d.s.Coord()
	ready := join(d.dir, readyName)
	// Watch "ready" before joining, so its creation cannot slip between
	// the count below and the wait.
	var up bool
	var ch <-chan warren.WatchEvent
	for attempt := 0; ; attempt++ {
		err := watching(ctx, d.s, ready, func() (err error) {
			_, up, ch, err = c.ExistsW(ctx, ready)
			return err
		})
		if err != nil {
			return err
		}
		_, _, err = c.Create(ctx, path, nil, warren.CreateOptions{Mode: warren.ModeEphemeral})
		if err == nil {
			break
		}
		if !errors.Is(err, warren.ErrNoNode) || attempt == 3 {
			return fmt.Errorf("recipes: enter %s: %w", d.dir, err)
		}
		if err := createAll(ctx, c, d.dir, nil, warren.ModeContainer); err != nil {
			return err
		}
	}
	if up {
		return nil
	}
	// Our create is applied, so this list holds every participant that
	// joined before us: the last to join sees all n.
	children, _, err := c.Children(ctx, d.dir)
	if err != nil {
		return err
	}
	if len(participants(children)) >= d.n {
		return createAll(ctx, c, ready, nil, warren.ModePersistent)
	}
	return await(ctx, d.s, ch)
}

// Leave leaves the barrier and blocks until every participant has left.
// It fails with ErrNotHeld unless this participant has entered.
func (d *DoubleBarrier) Leave(ctx context.Context) error {
	path, _ := d.c.held()
	if path == "" {
		return ErrNotHeld
	}
	if err := d.leave(ctx, path); err != nil {
		return err
	}
	d.c.finish("", 0)
	return nil
}

func (d *DoubleBarrier) leave(ctx context.Context, path string) error {
	c := d.s.Coord()
	for {
		children, _, err := c.Children(ctx, d.dir)
		if errors.Is(err, warren.ErrNoNode) {
			return nil
		}
		if err != nil {
			if err := pauseIfTransient(ctx, d.s, err); err != nil {
				return err
			}
			continue
		}
		ps := participants(children)
		i := slices.Index(ps, d.name)
		switch {
		case len(ps) == 0:
			return nil
		case len(ps) == 1 && i == 0:
			return d.leaveLast(ctx, path)
		case i == 0:
			err = awaitGone(ctx, d.s, join(d.dir, ps[len(ps)-1]))
		default:
			if i > 0 {
				if err := c.Delete(ctx, path, warren.AnyVersion); err != nil && !errors.Is(err, warren.ErrNoNode) {
					return fmt.Errorf("recipes: leave %s: %w", d.dir, err)
				}
			}
			err = awaitGone(ctx, d.s, join(d.dir, ps[0]))
		}
		if err != nil {
			return err
		}
	}
}

// leaveLast deletes "ready" and our child together: the barrier is empty.
func (d *DoubleBarrier) leaveLast(ctx context.Context, path string) error {
	c := d.s.Coord()
	_, err := c.Multi(ctx, c.DeleteOp(join(d.dir, readyName), warren.AnyVersion), c.DeleteOp(path, warren.AnyVersion))
	if errors.Is(err, warren.ErrNoNode) {
		err = c.Delete(ctx, path, warren.AnyVersion)
	}
	if err != nil && !errors.Is(err, warren.ErrNoNode) {
		return fmt.Errorf("recipes: leave %s: %w", d.dir, err)
	}
	return nil
}

// participants returns the participants among a barrier's children,
// sorted by name.
func participants(children []string) []string {
	var ps []string
	for _, name := range children {
		if strings.HasPrefix(name, participantPrefix) {
			ps = append(ps, name)
		}
	}
	slices.Sort(ps)
	return ps
}
