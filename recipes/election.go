package recipes

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/warrenhq/warren"
)

// Election is leader election: ZooKeeper's election recipe. Each candidate
// creates an ephemeral-sequential child "candidate-<tag>-<seq>" of the
// election's path holding its value; the candidate with the lowest
// sequence number leads, and every other candidate watches only the
// candidate just ahead of it. When the leader resigns or its session ends,
// the next candidate in line takes over.
//
// An Election value stands for one candidate, and any value can also
// observe the election. A leader leads until Resign or until its session
// ends, so it must treat s.Expired() as the loss of leadership.
type Election struct {
	s   *warren.Session
	dir string
	c   claim
}

// NewElection returns a candidate (or observer) of the election at path.
func NewElection(s *warren.Session, path string) *Election {
	return &Election{s: s, dir: path}
}

// Campaign enters the election with value and blocks until this candidate
// leads. If ctx ends or the session expires first, it withdraws and
// returns the context's error or ErrSessionExpired.
func (e *Election) Campaign(ctx context.Context, value string) error {
	if err := e.c.begin(); err != nil {
		return err
	}
	path, _, err := enqueue(ctx, e.s, e.dir, "candidate-", []byte(value))
	if err != nil {
		e.c.finish("", 0)
		return err
	}
	if err := awaitTurn(ctx, e.s, e.dir, base(path), predecessor); err != nil {
		discard(ctx, e.s, path)
		e.c.finish("", 0)
		return err
	}
	e.c.finish(path, 0)
	return nil
}

// Proclaim replaces the leader's value without an election; observers see
// the new value. It fails with ErrNotHeld unless this candidate leads.
func (e *Election) Proclaim(ctx context.Context, value string) error {
	path, _ := e.c.held()
	if path == "" {
		return ErrNotHeld
	}
	if _, err := e.s.Coord().Set(ctx, path, []byte(value), warren.AnyVersion); err != nil {
		return fmt.Errorf("recipes: proclaim: %w", err)
	}
	return nil
}

// Resign gives up leadership; the next candidate takes over. It fails with
// ErrNotHeld unless this candidate leads.
func (e *Election) Resign(ctx context.Context) error {
	return e.c.release(ctx, e.s, 0)
}

// Leader returns the current leader's value, or ErrNoLeader.
func (e *Election) Leader(ctx context.Context) (string, error) {
	c := e.s.Coord()
	if err := c.Sync(ctx, e.dir); err != nil {
		return "", err
	}
	for {
		children, _, err := c.Children(ctx, e.dir)
		if errors.Is(err, warren.ErrNoNode) {
			return "", ErrNoLeader
		}
		if err != nil {
			return "", err
		}
		q := queueOf(children)
		if len(q) == 0 {
			return "", ErrNoLeader
		}
		data, _, err := c.Get(ctx, join(e.dir, q[0].name))
		if errors.Is(err, warren.ErrNoNode) {
			continue // the leader just left
		}
		if err != nil {
			return "", err
		}
		return string(data), nil
	}
}

// Observe returns a channel that receives the leader's value now, if there
// is a leader, and then each time another candidate takes over or the
// leader proclaims a new value. Nothing is sent while there is no leader.
// The channel is closed when ctx ends, the session expires or the node
// closes; a slow receiver delays, and never loses, the latest value.
func (e *Election) Observe(ctx context.Context) <-chan string {
	out := make(chan string)
	go func() {
		defer close(out)
		o := observer{e: e, out: out}
		for {
			err := o.step(ctx)
			if err == nil || errors.Is(err, warren.ErrNoNode) {
				continue // ErrNoNode: lost a race with a change; look again
			}
			if err := pauseIfTransient(ctx, e.s, err); err != nil {
				return
			}
		}
	}()
	return out
}

// observer is the state of one Observe goroutine.
type observer struct {
	e      *Election
	out    chan<- string
	synced bool
	// The leader last sent: its child and that child's data version.
	name  string
	mzxid int64
}

// step looks at the election once, sends the leader if it is new, and
// waits for the next change that can matter: the leader's child changing
// or going (later candidates never get ahead of it), or, with no leader, a
// candidate arriving.
func (o *observer) step(ctx context.Context) error {
	c, s, dir := o.e.s.Coord(), o.e.s, o.e.dir
	if !o.synced {
		if err := c.Sync(ctx, dir); err != nil {
			return err
		}
		o.synced = true
	}
	children, _, err := c.Children(ctx, dir)
	if errors.Is(err, warren.ErrNoNode) {
		// No directory yet: wait for it to be created.
		return awaitPresence(ctx, s, dir, true)
	}
	if err != nil {
		return err
	}
	q := queueOf(children)
	if len(q) == 0 {
		var ch <-chan warren.WatchEvent
		err := watching(ctx, s, dir, func() (err error) {
			children, _, ch, err = c.ChildrenW(ctx, dir)
			return err
		})
		if err != nil || len(queueOf(children)) > 0 {
			return err
		}
		return await(ctx, s, ch)
	}
	var data []byte
	var st warren.Stat
	var ch <-chan warren.WatchEvent
	err = watching(ctx, s, dir, func() (err error) {
		data, st, ch, err = c.GetW(ctx, join(dir, q[0].name))
		return err
	})
	if errors.Is(err, warren.ErrNoNode) {
		return nil // the leader just left: look again
	}
	if err != nil {
		return err
	}
	if q[0].name != o.name || st.Mzxid != o.mzxid {
		if !send(ctx, s, o.out, string(data)) {
			return cmp.Or(ctx.Err(), error(warren.ErrSessionExpired))
		}
		o.name, o.mzxid = q[0].name, st.Mzxid
	}
	return await(ctx, s, ch)
}
