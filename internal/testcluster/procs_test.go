//go:build linux

package testcluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/warrenhq/warren"
)

var procsOpts = Options{Shards: 8, Replicas: 3, RTTMillis: 20}

func newTestProcs(t *testing.T) *Procs {
	t.Helper()
	if testing.Short() {
		t.Skip("starts warren server processes")
	}
	return NewProcs(t, 3, procsOpts)
}

// settled returns nil if st shows exactly the nodes of live as alive
// members, and every shard led by one of them on exactly replicas replicas,
// the ones placement wants.
func settled(st warren.ClusterStatus, live []uint64, replicas int) error {
	var alive []uint64
	for _, m := range st.Members {
		if m.State == "alive" {
			alive = append(alive, m.NodeID)
		}
	}
	if !slices.Equal(alive, live) {
		return fmt.Errorf("node %d sees alive members %v, want %v", st.NodeID, alive, live)
	}
	if len(st.Shards) != procsOpts.Shards {
		return fmt.Errorf("node %d shows %d shards, want %d", st.NodeID, len(st.Shards), procsOpts.Shards)
	}
	for _, s := range st.Shards {
		switch {
		case !slices.Contains(live, s.Leader):
			return fmt.Errorf("node %d: shard %d led by %d", st.NodeID, s.ShardID, s.Leader)
		case len(s.Replicas) != replicas || !slices.Equal(s.Replicas, s.Desired):
			return fmt.Errorf("node %d: shard %d on %v, desired %v", st.NodeID, s.ShardID, s.Replicas, s.Desired)
		}
	}
	return nil
}

// waitSettled waits until every node of live sees a settled cluster of live.
func waitSettled(t *testing.T, p *Procs, live []int, d time.Duration) {
	t.Helper()
	var ids []uint64
	for _, i := range live {
		ids = append(ids, p.NodeID(i))
	}
	var why error
	WaitFor(t, d, fmt.Sprintf("nodes %v to agree on a settled cluster", ids), func() bool {
		for _, i := range live {
			st, err := p.Status(i)
			if err != nil {
				why = err
				return false
			}
			if why = settled(st, ids, procsOpts.Replicas); why != nil {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprint(why) })
}

func TestProcsFormCluster(t *testing.T) {
	p := newTestProcs(t)
	waitSettled(t, p, []int{0, 1, 2}, 20*time.Second)
	for i := 0; i < p.Len(); i++ {
		st, err := p.Status(i)
		if err != nil {
			t.Fatal(err)
		}
		if st.NodeID != p.NodeID(i) {
			t.Errorf("node %d: /api/cluster says node_id %d", i+1, st.NodeID)
		}
		for _, m := range st.Members {
			if want := p.HTTPAddr(int(m.NodeID) - 1); m.HTTPAddr != want || !m.InPlacement {
				t.Errorf("node %d sees member %d with http_addr %q (want %q), in_placement %v",
					i+1, m.NodeID, m.HTTPAddr, want, m.InPlacement)
			}
		}
	}
}

// TestProcsPauseMetaLeader freezes the node leading the meta shard with
// SIGSTOP: the two others elect leaders for every shard it led, and once it
// resumes it takes its replicas back.
func TestProcsPauseMetaLeader(t *testing.T) {
	p := newTestProcs(t)
	waitSettled(t, p, []int{0, 1, 2}, 20*time.Second)
	leader := p.LeaderOf(0)
	if leader < 0 {
		t.Fatal("no leader for the meta shard")
	}
	paused := p.NodeID(leader)
	var live []int
	for i := 0; i < p.Len(); i++ {
		if i != leader {
			live = append(live, i)
		}
	}

	p.Pause(leader)
	pausedAt := time.Now()
	var why string
	WaitFor(t, 10*time.Second, "the live nodes to lead every shard", func() bool {
		for _, i := range live {
			st, err := p.Status(i)
			if err != nil {
				why = err.Error()
				return false
			}
			for _, s := range st.Shards {
				if s.Leader == 0 || s.Leader == paused {
					why = fmt.Sprintf("node %d: shard %d led by %d", i+1, s.ShardID, s.Leader)
					return false
				}
			}
		}
		return true
	}, func() string { return why })
	t.Logf("every shard led by a live node %v after pausing node %d", time.Since(pausedAt).Round(time.Millisecond), paused)
	p.WaitReady(10 * time.Second) // the live ones stay ready
	// Stay paused until gossip declares the node dead, so that resuming
	// takes it through memberlist's way back from the dead.
	WaitFor(t, 20*time.Second, fmt.Sprintf("the live nodes to see node %d dead", paused), func() bool {
		for _, i := range live {
			st, err := p.Status(i)
			if err != nil {
				why = err.Error()
				return false
			}
			for _, m := range st.Members {
				if m.NodeID == paused && m.State != "dead" {
					why = fmt.Sprintf("node %d sees it %s", i+1, m.State)
					return false
				}
			}
		}
		return true
	}, func() string { return why })
	t.Logf("node %d seen dead %v after the pause", paused, time.Since(pausedAt).Round(time.Millisecond))

	p.Resume(leader)
	p.WaitReady(30 * time.Second)
	waitSettled(t, p, []int{0, 1, 2}, 30*time.Second)
}

// TestProcsKillAndRestart kills node 1, which formed the cluster and runs
// without --join, with SIGKILL and restarts it on its data: it finds its
// peers again, becomes ready, and sees the cluster as they do.
func TestProcsKillAndRestart(t *testing.T) {
	p := newTestProcs(t)
	waitSettled(t, p, []int{0, 1, 2}, 20*time.Second)
	before, err := p.Status(1)
	if err != nil {
		t.Fatal(err)
	}

	p.Kill(0)
	p.WaitReady(10 * time.Second) // the survivors stay ready
	p.Start(0)
	p.WaitReady(30 * time.Second)
	waitSettled(t, p, []int{0, 1, 2}, 30*time.Second)

	var why error
	WaitFor(t, 20*time.Second, "node 1's view to match its peers'", func() bool {
		restarted, err := p.Status(0)
		if err != nil {
			why = err
			return false
		}
		for _, i := range []int{1, 2} {
			peer, err := p.Status(i)
			if err != nil {
				why = err
				return false
			}
			if why = sameView(restarted, peer); why != nil {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprint(why) })
	after, _ := p.Status(0)
	t.Logf("placement epoch %d before the kill, %d after the restart", before.PlacementEpoch, after.PlacementEpoch)
}

// sameView returns nil if a and b, seen by two nodes, agree on the
// placement epoch, the members and every shard's leader, term and replicas.
func sameView(a, b warren.ClusterStatus) error {
	if a.PlacementEpoch != b.PlacementEpoch {
		return fmt.Errorf("placement epoch %d on node %d, %d on node %d", a.PlacementEpoch, a.NodeID, b.PlacementEpoch, b.NodeID)
	}
	if !slices.Equal(a.Members, b.Members) {
		return fmt.Errorf("members on node %d: %+v; on node %d: %+v", a.NodeID, a.Members, b.NodeID, b.Members)
	}
	if len(a.Shards) != len(b.Shards) {
		return fmt.Errorf("%d shards on node %d, %d on node %d", len(a.Shards), a.NodeID, len(b.Shards), b.NodeID)
	}
	for k, sa := range a.Shards {
		sb := b.Shards[k]
		if sa.ShardID != sb.ShardID || sa.Leader != sb.Leader || sa.Term != sb.Term ||
			!slices.Equal(sa.Replicas, sb.Replicas) || !slices.Equal(sa.Desired, sb.Desired) {
			return fmt.Errorf("node %d shows %+v, node %d shows %+v", a.NodeID, sa, b.NodeID, sb)
		}
	}
	return nil
}

// TestProcsStopAndStart stops a node gracefully with SIGTERM: it exits
// cleanly, the others stay ready, and it rejoins when started again.
func TestProcsStopAndStart(t *testing.T) {
	p := newTestProcs(t)
	waitSettled(t, p, []int{0, 1, 2}, 20*time.Second)
	if err := p.Stop(2); err != nil {
		t.Errorf("node 3 exited with %v after SIGTERM, want a clean exit", err)
	}
	p.WaitReady(10 * time.Second)
	p.Start(2)
	p.WaitReady(30 * time.Second)
	waitSettled(t, p, []int{0, 1, 2}, 30*time.Second)
}
