package testcluster

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenhq/warren"
)

// Options tune a test cluster.
type Options struct {
	// Shards per cluster. Default 8.
	Shards int
	// Replicas per shard. Default 3.
	Replicas int
	// RTTMillis of Raft. Default 20 (elections after 200-400 ms).
	RTTMillis int
	// Configure, if set, adjusts each node's configuration before it starts.
	Configure func(*warren.Config)
	// GrainIdleTimeout passivates idle grains. Default: the node default.
	GrainIdleTimeout time.Duration
	// LogLevel of the nodes' logs, written to t.Log. Default Warn, or the
	// level named by $WARREN_TEST_LOG (debug, info, warn, error).
	LogLevel slog.Level
}

func (o *Options) defaults() {
	if o.Shards == 0 {
		o.Shards = 8
	}
	if o.Replicas == 0 {
		o.Replicas = 3
	}
	if o.RTTMillis == 0 {
		o.RTTMillis = 20
	}
	if o.LogLevel == 0 {
		o.LogLevel = slog.LevelWarn
		if v := os.Getenv("WARREN_TEST_LOG"); v != "" {
			_ = o.LogLevel.UnmarshalText([]byte(v))
		}
	}
}

// Cluster is a set of in-process nodes.
type Cluster struct {
	t    testing.TB
	opts Options
	dir  string

	mu        sync.Mutex
	nodes     []*Node
	logClosed atomic.Bool
}

// Node is one member of a Cluster. Node is nil while it is down.
type Node struct {
	Index int
	Cfg   warren.Config
	*warren.Node
}

// New starts n nodes: node 1 forms the cluster, the others join it. It
// waits until every node is ready. The cluster is closed when the test ends.
func New(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	opts.defaults()
	c := &Cluster{t: t, opts: opts, dir: t.TempDir()}
	t.Cleanup(c.Close)
	for i := 0; i < n; i++ {
		c.Add()
	}
	c.WaitReady(30 * time.Second)
	return c
}

// Add starts one more node that joins the cluster through node 1's gossip
// address (or forms the cluster, if it is the first) and returns it.
func (c *Cluster) Add() *Node {
	c.t.Helper()
	c.mu.Lock()
	idx := len(c.nodes)
	cfg := warren.DefaultConfig()
	cfg.NodeID = uint64(idx + 1)
	cfg.DataDir = filepath.Join(c.dir, fmt.Sprintf("node%d", idx+1))
	cfg.GossipAddr = FreePort(c.t)
	cfg.RaftAddr = FreePort(c.t)
	cfg.ActorAddr = FreePort(c.t)
	cfg.ZKAddr, cfg.KafkaAddr, cfg.HTTPAddr = "", "", ""
	cfg.Shards, cfg.Replicas, cfg.RTTMillis = c.opts.Shards, c.opts.Replicas, c.opts.RTTMillis
	if c.opts.GrainIdleTimeout > 0 {
		cfg.GrainIdleTimeout = c.opts.GrainIdleTimeout
	}
	if c.opts.Configure != nil {
		c.opts.Configure(&cfg)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(tWriter{t: c.t, prefix: fmt.Sprintf("node%d ", idx+1), closed: &c.logClosed},
		&slog.HandlerOptions{Level: c.opts.LogLevel}))
	if idx > 0 {
		cfg.Join = []string{c.nodes[0].Cfg.GossipAddr}
	}
	nd := &Node{Index: idx, Cfg: cfg}
	c.nodes = append(c.nodes, nd)
	c.mu.Unlock()
	c.Start(idx)
	return nd
}

// Start starts node i (which must be down) on its data directory.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	nd := c.nodes[i]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := warren.Start(ctx, nd.Cfg)
	if err != nil {
		c.t.Fatalf("start node %d: %v", i+1, err)
	}
	nd.Node = n
}

// Kill stops node i abruptly, as a crash would.
func (c *Cluster) Kill(i int) {
	nd := c.nodes[i]
	if nd.Node != nil {
		nd.Node.Kill()
		nd.Node = nil
	}
}

// Stop closes node i gracefully.
func (c *Cluster) Stop(i int) {
	nd := c.nodes[i]
	if nd.Node != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := nd.Node.Close(ctx); err != nil {
			c.t.Logf("close node %d: %v", i+1, err)
		}
		nd.Node = nil
	}
}

// Restart kills node i if it runs and starts it again on the same data.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Kill(i)
	c.Start(i)
}

// N returns node i (0-based).
func (c *Cluster) N(i int) *Node { return c.nodes[i] }

// Len returns the number of nodes, up or down.
func (c *Cluster) Len() int { return len(c.nodes) }

// Up returns the nodes that are running.
func (c *Cluster) Up() []*Node {
	var out []*Node
	for _, n := range c.nodes {
		if n.Node != nil {
			out = append(out, n)
		}
	}
	return out
}

// WaitReady waits until every running node reports Ready.
func (c *Cluster) WaitReady(d time.Duration) {
	c.t.Helper()
	var last error
	WaitFor(c.t, d, "cluster ready", func() bool {
		for _, n := range c.Up() {
			if last = n.Ready(context.Background()); last != nil {
				last = fmt.Errorf("node %d: %w", n.Index+1, last)
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprint(last) })
}

// WaitBalanced waits until every shard is led by its preferred replica
// (the first of its desired replicas), the state the controller converges
// to once placement has settled. Benchmarks wait for it so that leadership
// does not move while they measure.
func (c *Cluster) WaitBalanced(d time.Duration) {
	c.t.Helper()
	var last string
	WaitFor(c.t, d, "leadership balanced", func() bool {
		up := c.Up()
		if len(up) == 0 {
			return false
		}
		st, err := up[0].Status(context.Background())
		if err != nil {
			last = err.Error()
			return false
		}
		for _, s := range st.Shards {
			pref := s.Preferred
			if pref == 0 {
				continue
			}
			if l := c.LeaderOf(s.ShardID); l < 0 || uint64(l+1) != pref && c.isUp(pref) {
				last = fmt.Sprintf("shard %d led by node %d, prefers %d", s.ShardID, l+1, pref)
				return false
			}
		}
		return true
	}, func() string { return last })
}

func (c *Cluster) isUp(id uint64) bool {
	for _, n := range c.Up() {
		if n.Cfg.NodeID == id {
			return true
		}
	}
	return false
}

// LeaderOf returns the index of the running node that leads shard, or -1.
func (c *Cluster) LeaderOf(shard uint64) int {
	for _, n := range c.Up() {
		st, err := n.Status(context.Background())
		if err != nil {
			continue
		}
		for _, s := range st.Shards {
			if s.ShardID == shard && s.Local && s.Leader != 0 {
				return int(s.Leader) - 1
			}
		}
	}
	return -1
}

// Close kills every node.
func (c *Cluster) Close() {
	for i := range c.nodes {
		c.Kill(i)
	}
	c.logClosed.Store(true)
}

// WaitFor polls cond every 10 ms until it holds or d passes, then fails the
// test naming what it waited for; detail, if given, explains the last miss.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("timed out after %v waiting for %s", d, what)
			for _, f := range detail {
				msg += ": " + f()
			}
			t.Fatal(msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FreePort returns a loopback host:port that was free a moment ago, for
// both TCP and UDP (gossip uses both). Ports are drawn at random from
// 20000-32767, below Linux's ephemeral range, so the kernel does not hand
// the same port to some other socket (another test's client connection)
// between this check and the node's bind.
func FreePort(t testing.TB) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		port := 20000 + rand.IntN(12768)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		return addr
	}
	t.Fatal("no free port")
	return ""
}

type tWriter struct {
	t      testing.TB
	prefix string
	closed *atomic.Bool
}

func (w tWriter) Write(p []byte) (int, error) {
	if !w.closed.Load() {
		w.t.Log(w.prefix + strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
