package recipes

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warrenhq/warren"
)

// seqDigits is the width of the suffix ZooKeeper appends to sequential
// names.
const seqDigits = 10

// cleanupTimeout bounds the best-effort deletes a recipe makes after its
// caller's context has ended.
const cleanupTimeout = 5 * time.Second

// uniqueTag returns a random tag to put in a znode name, so its creator can
// find it again after a create whose outcome it did not learn.
func uniqueTag() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// contender is one child of a queue directory, named by enqueue.
type contender struct {
	name string
	seq  int64
}

// queueOf returns the children of a queue directory that carry a sequence
// suffix, in sequence order (the order the service created them in).
func queueOf(children []string) []contender {
	q := make([]contender, 0, len(children))
	for _, name := range children {
		if len(name) <= seqDigits {
			continue
		}
		seq, err := strconv.ParseInt(name[len(name)-seqDigits:], 10, 64)
		if err != nil {
			continue
		}
		q = append(q, contender{name: name, seq: seq})
	}
	slices.SortFunc(q, func(a, b contender) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), strings.Compare(a.name, b.name))
	})
	return q
}

func indexOf(q []contender, name string) int {
	for i, c := range q {
		if c.name == name {
			return i
		}
	}
	return -1
}

// enqueue creates an ephemeral-sequential child of dir named
// prefix<tag>-<sequence> holding data, creating dir (a container) and its
// parents when missing, and returns the child's path and Stat. If the
// create fails without a verdict from the service (a timeout, a dead
// node), the child may exist: enqueue looks for it by its tag and deletes
// it, so that no orphan blocks the queue until the session ends.
func enqueue(ctx context.Context, s *warren.Session, dir, prefix string, data []byte) (string, warren.Stat, error) {
	c := s.Coord()
	stem := prefix + uniqueTag() + "-"
	for attempt := 0; ; attempt++ {
		p, st, err := c.Create(ctx, join(dir, stem), data, warren.CreateOptions{Mode: warren.ModeEphemeralSequential})
		if err == nil {
			return p, st, nil
		}
		if errors.Is(err, warren.ErrNoNode) && attempt < 3 {
			if err := createAll(ctx, c, dir, nil, warren.ModeContainer); err != nil {
				return "", warren.Stat{}, err
			}
			continue
		}
		var zk *warren.ZKError
		if !errors.As(err, &zk) {
			discardTagged(ctx, s, dir, stem)
		}
		return "", warren.Stat{}, fmt.Errorf("recipes: join queue %s: %w", dir, err)
	}
}

// discardTagged deletes the children of dir whose names start with stem,
// best effort, even after ctx has ended.
func discardTagged(ctx context.Context, s *warren.Session, dir, stem string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	children, _, err := s.Coord().Children(ctx, dir)
	if err != nil {
		return
	}
	for _, name := range children {
		if strings.HasPrefix(name, stem) {
			_ = s.Coord().Delete(ctx, join(dir, name), warren.AnyVersion)
		}
	}
}

// discard deletes path, best effort, even after ctx has ended. A failure
// leaves the ephemeral to the session's end.
func discard(ctx context.Context, s *warren.Session, path string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.Coord().Delete(ctx, path, warren.AnyVersion)
}

// blocker picks, given a queue and the index of our child in it, the child
// we must wait for, or "" when our turn has come.
type blocker func(q []contender, i int) string

// predecessor is the blocker of exclusive queues: the child just ahead.
func predecessor(q []contender, i int) string {
	if i == 0 {
		return ""
	}
	return q[i-1].name
}

// awaitTurn blocks until block finds nothing ahead of our child name in
// dir. It watches only the child block names, so each release wakes one
// waiter. If our child has vanished, the session has ended (its ephemerals
// are deleted with it), and awaitTurn returns ErrSessionExpired.
func awaitTurn(ctx context.Context, s *warren.Session, dir, name string, block blocker) error {
	c := s.Coord()
	for {
		children, _, err := c.Children(ctx, dir)
		if err != nil && !errors.Is(err, warren.ErrNoNode) {
			if err := pauseIfTransient(ctx, s, err); err != nil {
				return err
			}
			continue
		}
		q := queueOf(children)
		i := indexOf(q, name)
		if i < 0 {
			return fmt.Errorf("recipes: %s vanished: %w", join(dir, name), warren.ErrSessionExpired)
		}
		ahead := block(q, i)
		if ahead == "" {
			return nil
		}
		if err := awaitGone(ctx, s, join(dir, ahead)); err != nil {
			return err
		}
	}
}
