package warren_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/consensus/placement"
	"github.com/warrenhq/warren/internal/testcluster"
)

// rolesConverged reports whether, as the nodes up see it, every data shard
// has exactly the voters placement wants, and every other node of up holds
// a non-voting replica of it; gone lists nodes that must be in neither
// role anywhere.
func rolesConverged(c *testcluster.Cluster, gone ...uint64) (bool, string) {
	up := c.Up()
	var ids []uint64
	for _, n := range up {
		ids = append(ids, n.ID())
	}
	led := map[uint64]bool{}
	for _, n := range up {
		st, err := n.Status(context.Background())
		if err != nil {
			return false, err.Error()
		}
		for _, s := range st.Shards {
			if s.ShardID == warren.MetaShard {
				continue
			}
			if !s.Local {
				return false, fmt.Sprintf("node %d holds no replica of shard %d", n.ID(), s.ShardID)
			}
			want := "non-voting"
			if slices.Contains(s.Replicas, n.ID()) {
				want = "voter"
			}
			if s.LocalRole != want {
				return false, fmt.Sprintf("node %d shard %d: role %q, voters %v", n.ID(), s.ShardID, s.LocalRole, s.Replicas)
			}
			if s.Leader != n.ID() {
				continue
			}
			led[s.ShardID] = true
			// The leader's view of the membership is the shard's.
			if !slices.Equal(s.Replicas, s.Desired) {
				return false, fmt.Sprintf("shard %d: voters %v, placement wants %v", s.ShardID, s.Replicas, s.Desired)
			}
			all := slices.Concat(s.Replicas, s.NonVoting)
			slices.Sort(all)
			if !slices.Equal(all, ids) {
				return false, fmt.Sprintf("shard %d: voters %v + non-voting %v, want %v", s.ShardID, s.Replicas, s.NonVoting, ids)
			}
			for _, g := range gone {
				if slices.Contains(all, g) {
					return false, fmt.Sprintf("shard %d still has node %d", s.ShardID, g)
				}
			}
		}
	}
	if shards := c.Up()[0].Config().Shards; len(led) != shards-1 {
		return false, fmt.Sprintf("%d of %d data shards have a leader", len(led), shards-1)
	}
	return true, ""
}

func waitRoles(t *testing.T, c *testcluster.Cluster, d time.Duration, what string, gone ...uint64) {
	t.Helper()
	var why string
	testcluster.WaitFor(t, d, what, func() bool {
		var ok bool
		ok, why = rolesConverged(c, gone...)
		return ok
	}, func() string { return why })
}

// nonVotingNamespace returns a namespace ("/name") whose shard has no
// voting replica on node n, as n's status shows it.
func nonVotingNamespace(t *testing.T, n *warren.Node) (string, uint64) {
	t.Helper()
	st, err := n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		ns := fmt.Sprintf("/obs%d", i)
		shard := n.NamespaceShard(ns)
		s := st.Shards[shard]
		if s.LocalRole == "non-voting" && !slices.Contains(s.Replicas, n.ID()) {
			return ns, shard
		}
	}
	t.Fatalf("node %d votes in every shard", n.ID())
	return "", 0
}

// TestWatchThroughNonVotingNode: in a cluster larger than Replicas, a node
// that holds no voting replica of a namespace keeps data, child and
// persistent recursive watches on it, fed by its non-voting replica, in
// zxid order and before it serves the changed data.
func TestWatchThroughNonVotingNode(t *testing.T) {
	c := testcluster.New(t, 4, testcluster.Options{})
	waitRoles(t, c, 90*time.Second, "every node a voter or non-voting member of every data shard")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	x := c.N(3) // the last to join: it votes in some shards only
	ns, shard := nonVotingNamespace(t, x.Node)
	var writer *testcluster.Node
	for _, n := range c.Up() {
		st, _ := n.Status(ctx)
		if slices.Contains(st.Shards[shard].Replicas, n.ID()) {
			writer = n
			break
		}
	}
	if writer == nil {
		t.Fatalf("no voter of shard %d", shard)
	}
	t.Logf("namespace %s (shard %d): watched through node %d, written through voter node %d", ns, shard, x.ID(), writer.ID())
	w, wr := x.Coord(), writer.Coord()
	if _, _, err := wr.Create(ctx, ns, []byte("0"), warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx, ns); err != nil {
		t.Fatal(err)
	}

	data, _, dw, err := w.GetW(ctx, ns)
	if err != nil || string(data) != "0" {
		t.Fatalf("GetW through the non-voting node = %q %v", data, err)
	}
	_, _, cw, err := w.ChildrenW(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	_, ok, ew, err := w.ExistsW(ctx, ns+"/kid")
	if err != nil || ok {
		t.Fatalf("ExistsW = %v %v", ok, err)
	}
	pw, err := w.AddWatch(ctx, ns, true)
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()

	st, err := wr.Set(ctx, ns, []byte("1"), -1)
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, dw, "data watch")
	if ev.Type != warren.EventNodeDataChanged || ev.Path != ns || ev.Zxid != st.Mzxid {
		t.Fatalf("data watch event %+v, want DataChanged %s at zxid %d", ev, ns, st.Mzxid)
	}
	// The event precedes the data: the watching node serves it now.
	if got, _, err := w.Get(ctx, ns); err != nil || string(got) != "1" {
		t.Fatalf("after the event node %d reads %q %v", x.ID(), got, err)
	}
	kid, kst, err := wr.Create(ctx, ns+"/kid", []byte("k"), warren.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, cw, "child watch"); ev.Type != warren.EventNodeChildrenChanged || ev.Path != ns || ev.Zxid != kst.Czxid {
		t.Fatalf("child watch event %+v, want ChildrenChanged %s at %d", ev, ns, kst.Czxid)
	}
	if ev := nextEvent(t, ew, "exists watch"); ev.Type != warren.EventNodeCreated || ev.Path != kid {
		t.Fatalf("exists watch event %+v", ev)
	}
	if _, err := wr.Set(ctx, kid, []byte("k2"), -1); err != nil {
		t.Fatal(err)
	}
	if err := wr.Delete(ctx, kid, -1); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ  warren.EventType
		path string
	}{
		{warren.EventNodeDataChanged, ns},
		{warren.EventNodeCreated, kid},
		{warren.EventNodeDataChanged, kid},
		{warren.EventNodeDeleted, kid},
	}
	var last int64
	for i, wnt := range want {
		ev := nextEvent(t, pw.Events(), "recursive watch")
		if ev.Type != wnt.typ || ev.Path != wnt.path || ev.Zxid <= last {
			t.Fatalf("recursive event %d = %+v, want %v %s after zxid %d", i, ev, wnt.typ, wnt.path, last)
		}
		last = ev.Zxid
	}
}

// TestControllerNonVotingConverges: a node that joins gets a non-voting
// replica of every data shard it does not vote in, and the nodes that lose
// their vote to it keep one too. A node that dies is removed from every
// role, voting and not, once placement drops it, while every shard keeps
// three voters.
func TestControllerNonVotingConverges(t *testing.T) {
	c := testcluster.New(t, 4, testcluster.Options{Configure: func(cfg *warren.Config) {
		cfg.DeadNodeTimeout = 2 * time.Second
	}})
	waitRoles(t, c, 90*time.Second, "roles with 4 nodes")
	c.Add()
	waitRoles(t, c, 90*time.Second, "roles after node 5 joined")
	// Replicas restart in their roles, under their replica ids.
	c.Restart(2)
	waitRoles(t, c, 90*time.Second, "roles after node 3 restarted")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Data written before the death survives it, read through every node.
	if _, _, err := c.N(0).Coord().Create(ctx, "/before", []byte("x"), warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dead := c.N(1)
	id := dead.ID()
	c.Kill(1)
	waitRoles(t, c, 120*time.Second, fmt.Sprintf("node %d removed everywhere", id), id)
	for _, n := range c.Up() {
		co := n.Coord()
		if err := co.Sync(ctx, "/before"); err != nil {
			t.Fatal(err)
		}
		if got, _, err := co.Get(ctx, "/before"); err != nil || string(got) != "x" {
			t.Fatalf("node %d reads %q %v", n.ID(), got, err)
		}
	}
}

// TestWatchSurvivesLosingVote: a node that loses its vote in a shard to a
// newer node keeps the watches set through it. Its voting replica is
// removed, and a non-voting one under its next replica id replaces it; the
// watches are rechecked against the new replica, so a change made while
// the replicas swapped still fires them.
func TestWatchSurvivesLosingVote(t *testing.T) {
	c := testcluster.New(t, 4, testcluster.Options{})
	waitRoles(t, c, 90*time.Second, "roles with 4 nodes")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// A namespace whose shard node x votes in now and not once node 5
	// joins, and a node y that votes in it before and after.
	var ns string
	var x, y *testcluster.Node
	for i := 0; x == nil; i++ {
		ns = fmt.Sprintf("/lose%d", i)
		shard := c.N(0).NamespaceShard(ns)
		before := placement.Replicas(shard, []uint64{1, 2, 3, 4}, 3)
		after := placement.Replicas(shard, []uint64{1, 2, 3, 4, 5}, 3)
		for _, id := range before {
			if !slices.Contains(after, id) {
				x = c.N(int(id) - 1)
			} else if y == nil {
				y = c.N(int(id) - 1)
			}
		}
	}
	shard := x.NamespaceShard(ns)
	t.Logf("namespace %s (shard %d): node %d loses its vote, changes through node %d", ns, shard, x.ID(), y.ID())
	wr, w := y.Coord(), x.Coord()
	for _, p := range []string{ns, ns + "/a"} {
		if _, _, err := wr.Create(ctx, p, nil, warren.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(ctx, ns); err != nil {
		t.Fatal(err)
	}
	_, _, dw, err := w.GetW(ctx, ns+"/a")
	if err != nil {
		t.Fatal(err)
	}
	_, _, ew, err := w.ExistsW(ctx, ns+"/b")
	if err != nil {
		t.Fatal(err)
	}
	pw, err := w.AddWatch(ctx, ns, true)
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()

	c.Add()
	// Changes while node x's replicas swap, or around it.
	if _, err := wr.Set(ctx, ns+"/a", []byte("1"), -1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := wr.Create(ctx, ns+"/b", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, dw, "data watch"); ev.Type != warren.EventNodeDataChanged || ev.Path != ns+"/a" {
		t.Fatalf("data watch event %+v", ev)
	}
	if ev := nextEvent(t, ew, "exists watch"); ev.Type != warren.EventNodeCreated || ev.Path != ns+"/b" {
		t.Fatalf("exists watch event %+v", ev)
	}
	waitRoles(t, c, 90*time.Second, "roles after node 5 joined")
	st, err := x.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Shards[shard]; s.LocalRole != "non-voting" {
		t.Fatalf("node %d in shard %d: role %q, voters %v", x.ID(), shard, s.LocalRole, s.Replicas)
	}

	// The persistent watch carries on through the new replica. What it
	// reported of the changes during the swap is whatever its replica
	// applied: events skipped with a snapshot are not replayed.
	st2, err := wr.Set(ctx, ns+"/a", []byte("2"), -1)
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev := nextEvent(t, pw.Events(), "recursive watch after the swap")
		if ev.Zxid > st2.Mzxid {
			t.Fatalf("recursive watch skipped the change at %d: %+v", st2.Mzxid, ev)
		}
		if ev.Zxid == st2.Mzxid {
			if ev.Type != warren.EventNodeDataChanged || ev.Path != ns+"/a" {
				t.Fatalf("recursive watch event %+v", ev)
			}
			break
		}
	}
}

// TestControllerWithoutObservers: with Config.Observers off, nodes hold
// only the replicas placement assigns them (joining as non-voting and then
// promoted), and a watch through a node without a replica of the namespace
// fails at once with ErrWatchNotHosted.
func TestControllerWithoutObservers(t *testing.T) {
	c := testcluster.New(t, 4, testcluster.Options{Configure: func(cfg *warren.Config) {
		cfg.Observers = false
	}})
	var why string
	testcluster.WaitFor(t, 90*time.Second, "voters as placed, no non-voting replicas", func() bool {
		for _, n := range c.Up() {
			st, err := n.Status(context.Background())
			if err != nil {
				why = err.Error()
				return false
			}
			for _, s := range st.Shards {
				if s.Local != slices.Contains(s.Desired, n.ID()) || s.Local && (s.LocalRole != "voter" || !slices.Equal(s.Replicas, s.Desired) || len(s.NonVoting) > 0) {
					why = fmt.Sprintf("node %d shard %d: local %v role %q voters %v non-voting %v desired %v", n.ID(), s.ShardID, s.Local, s.LocalRole, s.Replicas, s.NonVoting, s.Desired)
					return false
				}
			}
		}
		return true
	}, func() string { return why })
	x := c.N(3)
	st, err := x.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		ns := fmt.Sprintf("/noobs%d", i)
		if st.Shards[x.NamespaceShard(ns)].Local {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if _, _, _, err := x.Coord().ExistsW(ctx, ns); !errors.Is(err, warren.ErrWatchNotHosted) {
			t.Fatalf("ExistsW through a node without a replica: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("ExistsW took %v to fail", d)
		}
		// Plain reads still work, through the leader.
		if _, ok, err := x.Coord().Exists(ctx, ns); err != nil || ok {
			t.Fatalf("Exists: %v %v", ok, err)
		}
		return
	}
}

// TestNodeReturnsAfterPlacementDroppedIt: a node that was down long enough
// for placement to drop it (and every shard to remove its replicas)
// restarts on its old data. Its replicas no longer hear from their shards;
// it finds out from the shards' leaders, deletes them, and joins again
// under new replica ids, as a voter where placement wants it and
// non-voting elsewhere.
func TestNodeReturnsAfterPlacementDroppedIt(t *testing.T) {
	c := testcluster.New(t, 4, testcluster.Options{Configure: func(cfg *warren.Config) {
		cfg.DeadNodeTimeout = 2 * time.Second
	}})
	waitRoles(t, c, 90*time.Second, "roles with 4 nodes")
	id := c.N(3).ID()
	c.Kill(3)
	waitRoles(t, c, 120*time.Second, fmt.Sprintf("node %d removed everywhere", id), id)
	c.Start(3)
	waitRoles(t, c, 120*time.Second, fmt.Sprintf("node %d back in every shard", id))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns, _ := nonVotingNamespace(t, c.N(3).Node)
	if _, _, err := c.N(0).Coord().Create(ctx, ns, nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	w := c.N(3).Coord()
	if err := w.Sync(ctx, ns); err != nil {
		t.Fatal(err)
	}
	_, _, dw, err := w.GetW(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.N(0).Coord().Set(ctx, ns, []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, dw, "watch through the returned node"); ev.Type != warren.EventNodeDataChanged {
		t.Fatalf("event %+v", ev)
	}
}
