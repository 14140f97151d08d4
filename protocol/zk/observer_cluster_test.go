package zk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

// serveZK starts a ZooKeeper server on node and returns its address; it is
// closed when the test ends.
func serveZK(t *testing.T, node *warren.Node) string {
	t.Helper()
	var closed atomic.Bool
	t.Cleanup(func() { closed.Store(true) })
	logs := &logSink{t: t}
	t.Cleanup(func() {
		if p := logs.panicked(); len(p) > 0 {
			t.Errorf("server on node %d panicked: %v", node.ID(), p)
		}
	})
	_, addr := startServer(t, node, DefaultConfig(), slog.New(teeHandler{logs, t, &closed}))
	return addr
}

// startServer starts a ZooKeeper server on node on a free loopback port
// and returns it and its address. It is closed, and must have served
// until then, when the test ends.
func startServer(t *testing.T, node *warren.Node, cfg Config, logger *slog.Logger) (*Server, string) {
	t.Helper()
	s := NewServer(node, cfg, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close server on node %d: %v", node.ID(), err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("server on node %d: Serve returned %v", node.ID(), err)
		}
	})
	return s, ln.Addr().String()
}

// TestWatchesThroughNonVotingNode: a go-zookeeper client connected to a
// node that holds no voting replica of a namespace (a fourth node, with
// three replicas per shard) gets its watches, fed by the node's
// non-voting replica.
func TestWatchesThroughNonVotingNode(t *testing.T) {
	c := testcluster.New(t, 4, testcluster.Options{})
	x := c.N(3)
	var ns string
	var shard uint64
	testcluster.WaitFor(t, 90*time.Second, "node 4 to hold a non-voting replica", func() bool {
		st, err := x.Status(context.Background())
		if err != nil {
			return false
		}
		for i := 0; i < 1000; i++ {
			ns = fmt.Sprintf("/zobs%d", i)
			shard = x.NamespaceShard(ns)
			if s := st.Shards[shard]; s.LocalRole == "non-voting" && s.Leader != 0 && !slices.Contains(s.Replicas, x.ID()) {
				return true
			}
		}
		return false
	})
	var other *testcluster.Node
	testcluster.WaitFor(t, 30*time.Second, "a voter of the namespace's shard", func() bool {
		for _, n := range c.Up() {
			st, err := n.Status(context.Background())
			if err == nil && n != x && slices.Contains(st.Shards[shard].Replicas, n.ID()) {
				other = n
				return true
			}
		}
		return false
	})
	t.Logf("namespace %s (shard %d): client on node %d, changes through node %d", ns, shard, x.ID(), other.ID())

	w := connect(t, []string{serveZK(t, x.Node)}, 10*time.Second)
	ch := connect(t, []string{serveZK(t, other.Node)}, 10*time.Second)
	_, err := ch.Create(ns, []byte("0"), 0, open)
	must(t, err)
	_, err = w.Sync(ns)
	must(t, err)

	data, _, dw, err := w.GetW(ns)
	if err != nil || string(data) != "0" {
		t.Fatalf("GetW through node %d: %q %v", x.ID(), data, err)
	}
	_, _, cw, err := w.ChildrenW(ns)
	must(t, err)
	ok, _, ew, err := w.ExistsW(ns + "/kid")
	if err != nil || ok {
		t.Fatalf("ExistsW: %v %v", ok, err)
	}
	_, err = ch.Set(ns, []byte("1"), -1)
	must(t, err)
	if ev := nextEvent(t, dw, "data watch"); ev.Type != zk.EventNodeDataChanged || ev.Path != ns {
		t.Fatalf("data watch: %+v", ev)
	}
	if data, _, err := w.Get(ns); err != nil || string(data) != "1" {
		t.Fatalf("after the event node %d serves %q %v", x.ID(), data, err)
	}
	_, err = ch.Create(ns+"/kid", nil, 0, open)
	must(t, err)
	if ev := nextEvent(t, ew, "exists watch"); ev.Type != zk.EventNodeCreated || ev.Path != ns+"/kid" {
		t.Fatalf("exists watch: %+v", ev)
	}
	if ev := nextEvent(t, cw, "child watch"); ev.Type != zk.EventNodeChildrenChanged || ev.Path != ns {
		t.Fatalf("child watch: %+v", ev)
	}
}
