package recipes_test

import (
	"errors"
	"testing"
	"time"

	"github.com/warrenhq/warren/internal/testcluster"
	"github.com/warrenhq/warren/recipes"
)

// TestElection: candidates on two nodes, an observer on the third; resign
// and proclaim hand over leadership, and the observer sees each leader.
func TestElection(t *testing.T) {
	c, ctx := newCluster(t)
	const path = "/elect/app"
	watcher := recipes.NewElection(session(t, ctx, c, 2), path)
	if _, err := watcher.Leader(ctx); !errors.Is(err, recipes.ErrNoLeader) {
		t.Fatalf("Leader before any candidate: %v, want ErrNoLeader", err)
	}
	seen := watcher.Observe(ctx)

	a := recipes.NewElection(session(t, ctx, c, 0), path)
	if err := a.Campaign(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if v := recv(t, seen, 10*time.Second, "first leader"); v != "a" {
		t.Fatalf("observed %q, want a", v)
	}
	if err := a.Campaign(ctx, "again"); !errors.Is(err, recipes.ErrHeld) {
		t.Fatalf("second Campaign: %v, want ErrHeld", err)
	}

	b := recipes.NewElection(session(t, ctx, c, 1), path)
	won := make(chan error, 1)
	go func() { won <- b.Campaign(ctx, "b") }()
	testcluster.WaitFor(t, 10*time.Second, "b standing", func() bool { return len(children(t, ctx, c, 2, path)) == 2 })
	pending(t, won, "b's Campaign while a leads")
	if err := b.Resign(ctx); !errors.Is(err, recipes.ErrNotHeld) {
		t.Fatalf("Resign by a follower: %v, want ErrNotHeld", err)
	}

	if err := a.Proclaim(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	if v := recv(t, seen, 10*time.Second, "proclaimed value"); v != "a2" {
		t.Fatalf("observed %q, want a2", v)
	}
	if err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, won, 10*time.Second, "b's Campaign after a resigned"); err != nil {
		t.Fatal(err)
	}
	if v := recv(t, seen, 10*time.Second, "leader after a resigned"); v != "b" {
		t.Fatalf("observed %q, want b", v)
	}
	if v, err := watcher.Leader(ctx); err != nil || v != "b" {
		t.Fatalf("Leader = %q %v, want b", v, err)
	}
}

// TestElectionFailover: the leader's node dies; the candidate on another
// node takes over once the leader's session expires, and an observer on
// the third node sees it.
func TestElectionFailover(t *testing.T) {
	c, ctx := newCluster(t)
	const path = "/failover/election"
	const leaderNode, followerNode, observerNode = 0, 1, 2
	ls := session(t, ctx, c, leaderNode)
	if err := recipes.NewElection(ls, path).Campaign(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	observer := recipes.NewElection(session(t, ctx, c, observerNode), path)
	seen := observer.Observe(ctx)
	if v := recv(t, seen, 10*time.Second, "first leader"); v != "first" {
		t.Fatalf("observed %q, want first", v)
	}
	won := make(chan error, 1)
	go func() { won <- recipes.NewElection(session(t, ctx, c, followerNode), path).Campaign(ctx, "second") }()
	testcluster.WaitFor(t, 10*time.Second, "follower standing", func() bool {
		return len(children(t, ctx, c, observerNode, path)) == 2
	})

	tracker := c.LeaderOf(c.N(leaderNode).SessionShard(ls.ID()))
	killed := time.Now()
	c.Kill(leaderNode)
	v := recv(t, seen, sessionTimeout+10*time.Second, "leader after the old leader's node died")
	took := time.Since(killed)
	t.Logf("election failover: observer saw %q %v after the kill (session timeout %v; old leader's session tracked by node %d)",
		v, took, sessionTimeout, tracker+1)
	if v != "second" {
		t.Fatalf("observed %q, want second", v)
	}
	if took > sessionTimeout+time.Second {
		t.Errorf("new leader observed %v after the kill, want within %v", took, sessionTimeout+time.Second)
	}
	if err := recv(t, won, 5*time.Second, "follower's Campaign"); err != nil {
		t.Fatal(err)
	}
	if v, err := observer.Leader(ctx); err != nil || v != "second" {
		t.Fatalf("Leader = %q %v, want second", v, err)
	}
}
