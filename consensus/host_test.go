package consensus

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/warrenhq/warren/consensus/fsm"
)

// counterMachine is a minimal fsm.Machine for exercising the host: Op is a
// key; applying it increments the key's counter and returns the new value.
type counterMachine struct{}

func (counterMachine) Apply(kv fsm.KV, zxid uint64, c fsm.Command) (fsm.Result, []fsm.Event) {
	if len(c.Op) == 0 {
		return fsm.Result{Code: fsm.CodeBadCommand}, nil
	}
	key := append([]byte("k/count/"), c.Op...)
	var n uint64
	if v, ok := kv.Get(key); ok && len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	b := binary.BigEndian.AppendUint64(nil, n)
	kv.Set(key, b)
	return fsm.Result{Data: b}, []fsm.Event{{Kind: "count", Data: c.Op}}
}

func (counterMachine) Query(r fsm.Reader, q []byte) ([]byte, error) {
	v, ok := r.Get(append([]byte("k/count/"), q...))
	if !ok {
		return binary.BigEndian.AppendUint64(nil, 0), nil
	}
	return v, nil
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type testNode struct {
	id   uint64
	dir  string
	addr string
	h    *Host
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func startHost(t testing.TB, n *testNode, snapEvery uint64) {
	t.Helper()
	h, err := NewHost(Config{
		NodeID: n.id, Dir: n.dir, RaftAddr: n.addr, RTTMillis: 20,
		Machines:        func(uint64) map[string]fsm.Machine { return map[string]fsm.Machine{"count": counterMachine{}} },
		SnapshotEntries: snapEvery,
		Logger:          testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	n.h = h
}

func waitFor(t testing.TB, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func incr(ctx context.Context, h *Host, shard uint64, key string) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := h.Propose(ctx, shard, fsm.Command{Kind: "count", Stamp: time.Now().UnixMilli(), Op: []byte(key)})
	if err != nil {
		return 0, err
	}
	if r.Code != fsm.OK || len(r.Data) != 8 {
		return 0, fmt.Errorf("code %d data %x", r.Code, r.Data)
	}
	return binary.BigEndian.Uint64(r.Data), nil
}

func readCount(t testing.TB, h *Host, shard uint64, key string, linear bool) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := h.Read(ctx, shard, fsm.EncodeQuery("count", []byte(key)), linear)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return binary.BigEndian.Uint64(v)
}

// startThree starts three hosts with one replica each of shard. Each
// host still open when the test ends is closed; a test that closes one
// itself sets its h to nil.
func startThree(t *testing.T, shard, snapEvery uint64) []*testNode {
	t.Helper()
	nodes := make([]*testNode, 3)
	initial := map[uint64]string{}
	for i := range nodes {
		nodes[i] = &testNode{id: uint64(i + 1), dir: t.TempDir(), addr: freePort(t)}
		initial[nodes[i].id] = nodes[i].addr
	}
	for _, n := range nodes {
		startHost(t, n, snapEvery)
		t.Cleanup(func() {
			if n.h != nil {
				n.h.Close()
			}
		})
		if err := n.h.StartShard(shard, initial, false); err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

func TestHostReplicatesBatchesAndRestarts(t *testing.T) {
	const shard = 1
	nodes := startThree(t, shard, 50)
	waitFor(t, 10*time.Second, "leader", func() bool { _, _, ok := nodes[0].h.Leader(shard); return ok })

	// 200 concurrent increments through every node: each value 1..200
	// returned exactly once.
	const writers = 200
	seen := make([]bool, writers+1)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v, err := incr(context.Background(), nodes[i%3].h, shard, "x")
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if v == 0 || v > writers || seen[v] {
				errs <- fmt.Errorf("value %d out of range or duplicated", v)
				return
			}
			seen[v] = true
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if got := readCount(t, n.h, shard, "x", true); got != writers {
			t.Fatalf("node %d reads %d, want %d", n.id, got, writers)
		}
	}

	// Restart node 3: its state comes back from disk, not from a replay of
	// the whole log (the applied index survives).
	before := nodes[2].h.AppliedIndex(shard)
	nodes[2].h.Close()
	startHost(t, nodes[2], 50)
	if !nodes[2].h.HasShardData(shard) {
		t.Fatal("restarted node has no data for the shard")
	}
	if err := nodes[2].h.StartShard(shard, nil, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "restarted replica catches up", func() bool {
		return nodes[2].h.AppliedIndex(shard) >= before
	})
	if _, err := incr(context.Background(), nodes[2].h, shard, "x"); err != nil {
		t.Fatal(err)
	}
	if got := readCount(t, nodes[2].h, shard, "x", true); got != writers+1 {
		t.Fatalf("after restart read %d, want %d", got, writers+1)
	}
}

func TestHostAddsReplicaThroughSnapshot(t *testing.T) {
	const shard = 7
	a := &testNode{id: 1, dir: t.TempDir(), addr: freePort(t)}
	b := &testNode{id: 2, dir: t.TempDir(), addr: freePort(t)}
	startHost(t, a, 20)
	defer a.h.Close()
	if err := a.h.StartShard(shard, map[uint64]string{1: a.addr}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "leader", func() bool { return a.h.IsLeader(shard) })
	for i := 0; i < 150; i++ {
		if _, err := incr(context.Background(), a.h, shard, fmt.Sprintf("k%d", i%10)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.h.AddReplica(ctx, shard, b.id, b.addr); err != nil {
		t.Fatal(err)
	}
	startHost(t, b, 20)
	defer b.h.Close()
	if err := b.h.StartShard(shard, nil, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "new replica applies the snapshot", func() bool {
		return b.h.AppliedIndex(shard) >= a.h.AppliedIndex(shard)
	})
	for i := 0; i < 10; i++ {
		if got := readCount(t, b.h, shard, fmt.Sprintf("k%d", i), false); got != 15 {
			t.Fatalf("k%d = %d on the new replica, want 15", i, got)
		}
	}
	// The new replica learns the membership with the leader's next
	// message, which may come after the snapshot is applied.
	waitFor(t, 10*time.Second, "the new replica sees both members", func() bool {
		ls := b.h.LocalShards()
		return len(ls) == 1 && len(ls[0].Replicas) == 2
	})
}

func TestProposeNeedsDeadline(t *testing.T) {
	n := &testNode{id: 1, dir: t.TempDir(), addr: freePort(t)}
	startHost(t, n, 0)
	defer n.h.Close()
	if err := n.h.StartShard(1, map[uint64]string{1: n.addr}, false); err != nil {
		t.Fatal(err)
	}
	_, err := n.h.Propose(context.Background(), 1, fsm.Command{Kind: "count", Op: []byte("x")})
	if err != ErrNoDeadline {
		t.Fatalf("err = %v, want ErrNoDeadline", err)
	}
	if _, err := incr(context.Background(), n.h, 2, "x"); err != ErrShardNotFound {
		t.Fatalf("unknown shard err = %v", err)
	}
}

// TestFollowerProposalOutlivesItsLeader: a follower forwards what it
// proposes to the leader. When that leader dies, a forwarded entry it never
// replicated is lost, and nothing tells the follower. The proposal must
// still end by its deadline: with the result, if the entry survived, or
// with ErrTimeout (outcome unknown), never a hang and never another error.
func TestFollowerProposalOutlivesItsLeader(t *testing.T) {
	const shard = 3
	nodes := startThree(t, shard, 0)
	var leader uint64
	waitFor(t, 10*time.Second, "leader", func() bool { l, _, ok := nodes[0].h.Leader(shard); leader = l; return ok })
	// Through a follower, while the leader is alive: the result comes back.
	follower := nodes[leader%3] // node ids are 1-3: the next node
	if _, err := incr(context.Background(), follower.h, shard, "x"); err != nil {
		t.Fatalf("proposal through a follower: %v", err)
	}

	// Kill the leader, then propose through the follower before it notices.
	nodes[leader-1].h.Close()
	nodes[leader-1].h = nil
	const deadline = 4 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	_, err := follower.h.Propose(ctx, shard, fsm.Command{Kind: "count", Stamp: time.Now().UnixMilli(), Op: []byte("x")})
	took := time.Since(start)
	if err != nil && !errors.Is(err, ErrTimeout) {
		t.Fatalf("proposal across the leader's death: %v, want a result or ErrTimeout", err)
	}
	if took > deadline+2*time.Second {
		t.Fatalf("proposal across the leader's death answered after %v (%v), past its %v deadline", took, err, deadline)
	}
	t.Logf("answered after %v: err=%v", took, err)
}
