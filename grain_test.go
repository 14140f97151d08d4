package warren_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

func activeOn(t *testing.T, n *warren.Node, kind string) int {
	t.Helper()
	m, err := n.ActiveGrains(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m[kind]
}

// TestGrainsActivateOnlyOnLeaderAndPassivate checks that a grain is active
// on exactly one node — the one leading its shard — whichever node the
// request came through, and that it passivates when idle.
func TestGrainsActivateOnlyOnLeaderAndPassivate(t *testing.T) {
	// Long enough that no grain passivates while the 36 requests run on a
	// loaded machine, short enough to wait for.
	c := testcluster.New(t, 3, testcluster.Options{GrainIdleTimeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const grains = 12
	for g := 0; g < grains; g++ {
		for i := 0; i < 3; i++ { // through every node
			if _, err := add(ctx, c.N(i).Node, fmt.Sprintf("g%d", g), 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	total := 0
	for i := 0; i < 3; i++ {
		total += activeOn(t, c.N(i).Node, warren.CounterKind)
	}
	if total != grains {
		t.Fatalf("%d counter activations across the cluster, want exactly %d", total, grains)
	}
	for g := 0; g < grains; g++ {
		if got := get(t, c.N(g%3).Node, fmt.Sprintf("g%d", g)); got != 3 {
			t.Fatalf("g%d = %d, want 3", g, got)
		}
	}
	testcluster.WaitFor(t, 30*time.Second, "idle grains passivate", func() bool {
		for i := 0; i < 3; i++ {
			if activeOn(t, c.N(i).Node, warren.CounterKind) != 0 {
				return false
			}
		}
		return true
	})
	// State survives passivation.
	if got := get(t, c.N(1).Node, "g0"); got != 3 {
		t.Fatalf("g0 after passivation = %d", got)
	}
}

// TestGracefulCloseMovesLeadership closes the node leading a grain's shard:
// leadership is handed off before it goes, and the grain keeps answering
// with its state from the new leader.
func TestGracefulCloseMovesLeadership(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const id = "handoff"
	if _, err := add(ctx, c.N(0).Node, id, 41); err != nil {
		t.Fatal(err)
	}
	shard := c.N(0).Grain(warren.CounterKind, id).Shard()
	l := c.LeaderOf(shard)
	other := c.N((l + 1) % 3).Node
	c.Stop(l)
	if got := c.LeaderOf(shard); got == l || got < 0 {
		t.Fatalf("leader after graceful close = node %d", got+1)
	}
	v, err := add(ctx, other, id, 1)
	if err != nil || v != 42 {
		t.Fatalf("add after handoff = %d, %v", v, err)
	}
	if activeOn(t, other, warren.CounterKind)+activeOn(t, c.N((l+2)%3).Node, warren.CounterKind) != 1 {
		t.Fatal("grain not active exactly once after the handoff")
	}
}
