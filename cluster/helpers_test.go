package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds or timeout passes, then fails the test
// with what.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", timeout, what)
		}
		<-tick.C
	}
}

// freeAddr returns 127.0.0.1:port with a port that was free for both TCP
// and UDP a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	for range 20 {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := tl.Addr().(*net.TCPAddr).Port
		ul, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		_ = tl.Close()
		if err != nil {
			continue
		}
		_ = ul.Close()
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	t.Fatal("no free TCP+UDP port")
	return ""
}

// testLog routes slog records to t.Log until the test's cleanup, and lets a
// test wait for a message.
type testLog struct {
	t  testing.TB
	mu sync.Mutex
	// guarded by mu:
	done    bool
	watches []logWatch
}

type logWatch struct {
	substr string
	ch     chan struct{}
}

func newTestLog(t testing.TB) *testLog {
	l := &testLog{t: t}
	t.Cleanup(func() { // registered first, so it runs after every node's Shutdown
		l.mu.Lock()
		l.done = true
		l.mu.Unlock()
	})
	return l
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done { // memberlist goroutines may outlive the test briefly
		return len(p), nil
	}
	line := strings.TrimRight(string(p), "\n")
	l.t.Log(line)
	kept := l.watches[:0]
	for _, w := range l.watches {
		if strings.Contains(line, w.substr) {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	l.watches = kept
	return len(p), nil
}

// watch returns a channel closed when a line containing substr is logged.
func (l *testLog) watch(substr string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	l.watches = append(l.watches, logWatch{substr: substr, ch: ch})
	return ch
}

func (l *testLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// testConfig returns a fast-gossip config for node id on addr.
func testConfig(log *testLog, id uint64, addr string, seeds ...string) Config {
	return Config{
		BindAddr: addr,
		Meta: NodeMeta{
			NodeID:    id,
			Name:      fmt.Sprintf("node-%d", id),
			RaftAddr:  fmt.Sprintf("127.0.0.1:%d", 17000+id),
			ActorAddr: fmt.Sprintf("127.0.0.1:%d", 18000+id),
			ZKAddr:    fmt.Sprintf("127.0.0.1:%d", 12000+id),
			KafkaAddr: fmt.Sprintf("127.0.0.1:%d", 19000+id),
			HTTPAddr:  fmt.Sprintf("127.0.0.1:%d", 18080+id),
		},
		Seeds:               seeds,
		Logger:              log.logger(),
		ProbeInterval:       200 * time.Millisecond,
		ProbeTimeout:        100 * time.Millisecond,
		SuspicionMult:       2,
		GossipInterval:      50 * time.Millisecond,
		PushPullInterval:    500 * time.Millisecond,
		TCPTimeout:          2 * time.Second,
		GossipToTheDeadTime: time.Second,
		JoinRetryInterval:   50 * time.Millisecond,
	}
}

// startNode starts a Membership that the test's cleanup shuts down.
func startNode(t testing.TB, cfg Config) *Membership {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start node %d: %v", cfg.Meta.NodeID, err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// testCluster starts n nodes (ids 1..n), each seeded with the first.
func testCluster(t testing.TB, log *testLog, n int) []*Membership {
	t.Helper()
	first := freeAddr(t)
	nodes := make([]*Membership, 0, n)
	for i := 1; i <= n; i++ {
		addr := first
		var seeds []string
		if i > 1 {
			addr, seeds = freeAddr(t), []string{first}
		}
		nodes = append(nodes, startNode(t, testConfig(log, uint64(i), addr, seeds...)))
	}
	waitAllAlive(t, nodes, n)
	return nodes
}

// waitAllAlive waits until every node sees want alive members.
func waitAllAlive(t testing.TB, nodes []*Membership, want int) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("every node sees %d alive", want), func() bool {
		for _, m := range nodes {
			if m.NumAlive() != want {
				return false
			}
		}
		return true
	})
}

// stateOf returns node id's state as m sees it (-1 if never seen).
func stateOf(m *Membership, id uint64) State {
	mem, ok := m.Member(id)
	if !ok {
		return -1
	}
	return mem.State
}
