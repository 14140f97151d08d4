package warren_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

func add(ctx context.Context, n *warren.Node, id string, delta int64) (int64, error) {
	out, err := n.Grain(warren.CounterKind, id).Request(ctx, "add", warren.Int64(delta))
	if err != nil {
		return 0, err
	}
	return warren.ParseInt64(out)
}

func get(t *testing.T, n *warren.Node, id string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := n.Grain(warren.CounterKind, id).Request(ctx, "get", nil)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	v, err := warren.ParseInt64(out)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWriteThroughOneNodeReadThroughAnother(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("visits-%d", i)
		if v, err := add(ctx, c.N(0).Node, id, int64(i+1)); err != nil || v != int64(i+1) {
			t.Fatalf("add %s through node 1: %d, %v", id, v, err)
		}
		if got := get(t, c.N(2).Node, id); got != int64(i+1) {
			t.Fatalf("%s read through node 3 = %d, want %d", id, got, i+1)
		}
	}
	// The register's compare-and-set goes through the same path.
	reg := c.N(1).Grain(warren.RegisterKind, "config")
	if _, err := reg.Request(ctx, "set", []byte("a")); err != nil {
		t.Fatal(err)
	}
	_, err := reg.Request(ctx, "cas", append(warren.Int64(7), 'b'))
	var ge *warren.GrainError
	if !errors.As(err, &ge) {
		t.Fatalf("cas with a wrong version: err = %v, want a GrainError", err)
	}
	out, err := c.N(2).Grain(warren.RegisterKind, "config").Request(ctx, "get", nil)
	if err != nil || string(out[8:]) != "a" {
		t.Fatalf("register get = %q, %v", out, err)
	}
	// Unknown kinds and methods fail clearly.
	if _, err := c.N(0).Grain("nope", "x").Request(ctx, "get", nil); !errors.Is(err, warren.ErrUnknownKind) {
		t.Fatalf("unknown kind: err = %v", err)
	}
	if _, err := c.N(0).Grain(warren.CounterKind, "x").Request(ctx, "frobnicate", nil); !errors.Is(err, warren.ErrBadRequest) {
		t.Fatalf("unknown method: err = %v", err)
	}
}

// TestLeaderKillResumesWithinTwoSeconds kills the node leading a counter's
// shard while a writer keeps adding through a surviving node: writes resume
// within 2 s, no acknowledged add is lost, and the killed node catches up
// after its restart.
func TestLeaderKillResumesWithinTwoSeconds(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	const id = "failover"
	shard := c.N(0).Grain(warren.CounterKind, id).Shard()
	ctx := context.Background()
	if _, err := add(ctx, c.N(0).Node, id, 1); err != nil {
		t.Fatal(err)
	}
	leader := c.LeaderOf(shard)
	if leader < 0 {
		t.Fatal("no leader for the counter's shard")
	}
	writer := c.N((leader + 1) % 3).Node

	var acked, attempted atomic.Int64
	acked.Store(1)
	attempted.Store(1)
	var killedAt, firstAfterKill atomic.Int64 // unix nanos
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				attempted.Add(1)
				started := time.Now().UnixNano()
				rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := add(rctx, writer, id, 1)
				cancel()
				if err == nil {
					acked.Add(1)
					if k := killedAt.Load(); k != 0 && started > k {
						firstAfterKill.CompareAndSwap(0, time.Now().UnixNano())
					}
				}
			}
		}()
	}
	testcluster.WaitFor(t, 10*time.Second, "writes flowing", func() bool { return acked.Load() > 50 })
	before := acked.Load()
	c.Kill(leader)
	killedAt.Store(time.Now().UnixNano())
	testcluster.WaitFor(t, 10*time.Second, "a write acknowledged after the kill", func() bool {
		return firstAfterKill.Load() != 0
	})
	if resumed := time.Duration(firstAfterKill.Load() - killedAt.Load()); resumed > 2*time.Second {
		t.Errorf("writes resumed %v after the leader was killed, want <= 2s", resumed)
	} else {
		t.Logf("writes resumed %v after the leader was killed", resumed)
	}
	testcluster.WaitFor(t, 10*time.Second, "steady writes after failover", func() bool {
		return acked.Load() > before+50
	})
	close(stop)
	wg.Wait()

	c.Start(leader)
	c.WaitReady(30 * time.Second)
	got := get(t, writer, id)
	if got < acked.Load() || got > attempted.Load() {
		t.Fatalf("counter = %d; acknowledged %d, attempted %d", got, acked.Load(), attempted.Load())
	}
	restarted := c.N(leader).Node
	testcluster.WaitFor(t, 15*time.Second, "restarted node catches up", func() bool {
		return get(t, restarted, id) == got
	})
}

func TestClusterGrowsAndPlacesReplicas(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := add(ctx, c.N(0).Node, "before-growth", 5); err != nil {
		t.Fatal(err)
	}
	c.Add()
	c.Add()
	allShardsOn := func(n *warren.Node, want int) (bool, string) {
		st, err := n.Status(context.Background())
		if err != nil {
			return false, err.Error()
		}
		for _, s := range st.Shards {
			if s.Leader == 0 || len(s.Replicas) != want || !slices.Equal(s.Replicas, s.Desired) {
				return false, fmt.Sprintf("shard %d: leader %d replicas %v desired %v", s.ShardID, s.Leader, s.Replicas, s.Desired)
			}
		}
		return true, ""
	}
	var why string
	testcluster.WaitFor(t, 60*time.Second, "every shard on 3 replicas", func() bool {
		ok, w := allShardsOn(c.N(0).Node, 3)
		why = w
		return ok
	}, func() string { return why })
	if got := get(t, c.N(2).Node, "before-growth"); got != 5 {
		t.Fatalf("value written before growth reads %d on node 3", got)
	}

	// A fourth node joins by gossip and receives replicas; every shard
	// keeps exactly 3.
	c.Add()
	testcluster.WaitFor(t, 60*time.Second, "node 4 hosts replicas, all shards at 3", func() bool {
		st, err := c.N(3).Status(context.Background())
		if err != nil {
			return false
		}
		hosted := 0
		for _, s := range st.Shards {
			if s.Local && s.Leader != 0 {
				hosted++
			}
		}
		ok, w := true, ""
		for _, n := range c.Up() {
			st, _ := n.Status(context.Background())
			for _, s := range st.Shards {
				if s.Local && (len(s.Replicas) != 3 || !slices.Equal(s.Replicas, s.Desired)) {
					ok, w = false, fmt.Sprintf("node %d shard %d: replicas %v desired %v", n.Index+1, s.ShardID, s.Replicas, s.Desired)
				}
			}
		}
		why = fmt.Sprintf("node 4 hosts %d; %s", hosted, w)
		return hosted > 0 && ok
	}, func() string { return why })
	if got := get(t, c.N(3).Node, "before-growth"); got != 5 {
		t.Fatalf("value reads %d through node 4", got)
	}
}
