package recipes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

// sessionTimeout is the timeout of every test session: the cluster's
// minimum, so that failovers are quick.
const sessionTimeout = 4 * time.Second

// newCluster starts a 3-node cluster and returns it with a context that
// bounds the test.
func newCluster(t *testing.T) (*testcluster.Cluster, context.Context) {
	t.Helper()
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c, ctx
}

// session opens a session through node i. It is abandoned when the test
// ends, before the cluster goes down.
func session(t *testing.T, ctx context.Context, c *testcluster.Cluster, i int) *warren.Session {
	t.Helper()
	s, err := c.N(i).Coord().NewSession(ctx, sessionTimeout)
	if err != nil {
		t.Fatalf("session on node %d: %v", i+1, err)
	}
	t.Cleanup(s.Abandon)
	return s
}

// recv returns the next value of ch, failing the test if none comes
// within d or ch is closed.
func recv[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing within %v", what, d)
	}
	var zero T
	return zero
}

// pending fails the test if ch has a value ready.
func pending[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s: got %v early", what, v)
	default:
	}
}

// children returns the children of path as node i sees them after a sync.
func children(t *testing.T, ctx context.Context, c *testcluster.Cluster, i int, path string) []string {
	t.Helper()
	co := c.N(i).Coord()
	if err := co.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	kids, _, err := co.Children(ctx, path)
	if err != nil && !errors.Is(err, warren.ErrNoNode) {
		t.Fatal(err)
	}
	return kids
}
