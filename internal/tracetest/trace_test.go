package tracetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/httpapi"
	"github.com/warrenhq/warren/internal/testcluster"
	"github.com/warrenhq/warren/observability"
	"github.com/warrenhq/warren/protocol/zk"
)

// backend serves one node's /api routes the way cmd/warren does.
type backend struct{ n *warren.Node }

func (b backend) Status(ctx context.Context) (warren.ClusterStatus, error) { return b.n.Status(ctx) }
func (b backend) Ready(context.Context) error                              { return nil }
func (b backend) Coord() (httpapi.ZK, error)                               { return b.n.Coord(), nil }
func (b backend) Traces() *observability.Ring                              { return b.n.Telemetry().Traces() }

// TestZooKeeperSetDataIsOneTraceAcrossTheCluster: one setData from a real
// ZooKeeper client, sent to a node that does not lead the namespace's
// shard, yields one trace whose spans cover the front end, the Raft
// proposal (made through the client's node's own replica, which forwards
// it to the leader), the apply on each of the three replicas, and the
// watch notification back to the client; the spans are read through every
// node's /api/traces.
func TestZooKeeperSetDataIsOneTraceAcrossTheCluster(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	c.WaitBalanced(60 * time.Second)

	const path = "/traced/x"
	shard := c.N(0).NamespaceShard(path)
	leader := c.LeaderOf(shard)
	if leader < 0 {
		t.Fatalf("shard %d has no leader", shard)
	}
	via := (leader + 1) % 3 // the client's node does not lead the shard

	apis := make([]string, c.Len())
	for i := range apis {
		srv := httptest.NewServer(httpapi.NewHandler(backend{c.N(i).Node}, nil, httpapi.DefaultOptions(), nil))
		t.Cleanup(srv.Close)
		apis[i] = srv.URL
	}
	s := zk.NewServer(c.N(via).Node, zk.DefaultConfig(), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})

	conn, _, err := gozk.Connect([]string{ln.Addr().String()}, 10*time.Second, gozk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	for _, p := range []string{"/traced", path} {
		if _, err := conn.Create(p, []byte("v0"), 0, gozk.WorldACL(gozk.PermAll)); err != nil && !errors.Is(err, gozk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	_, _, watch, err := conn.GetW(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Set(path, []byte("v1"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-watch:
		if ev.Type != gozk.EventNodeDataChanged {
			t.Fatalf("watch event %v", ev.Type)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event")
	}

	// The trace's root is the front end's span on the client's node.
	var traceID string
	waitFor(t, "the setData trace on the client's node", func() bool {
		for _, tr := range getJSON[[]observability.TraceSummary](t, apis[via]+"/api/traces?limit=1000") {
			if tr.Root == "zk setData" {
				traceID = tr.TraceID
				return true
			}
		}
		return false
	})

	// The followers apply after the leader answers: poll until every
	// replica's apply span has arrived.
	var spans []observability.SpanData
	var applied map[string]bool
	waitFor(t, "apply spans from all three replicas", func() bool {
		spans = spans[:0]
		for _, api := range apis {
			spans = append(spans, getTrace(t, api, traceID)...)
		}
		applied = map[string]bool{}
		for _, sp := range spans {
			if strings.HasPrefix(sp.Name, "apply shard-") {
				applied[sp.Resource["service.instance.id"]] = true
			}
		}
		return len(applied) == 3
	})

	byName := map[string][]observability.SpanData{}
	nodes := map[string]bool{}
	ids := map[string]observability.SpanData{}
	for _, sp := range spans {
		if sp.TraceID != traceID {
			t.Errorf("span %q has trace %s, want %s", sp.Name, sp.TraceID, traceID)
		}
		byName[sp.Name] = append(byName[sp.Name], sp)
		nodes[sp.Resource["service.instance.id"]] = true
		ids[sp.SpanID] = sp
	}
	dest := fmt.Sprintf("shard-%d", shard)
	for name, want := range map[string]int{
		"zk setData":      1,
		"coord setData":   1,
		"propose " + dest: 1,
		"apply " + dest:   3,
		"send watch":      1,
	} {
		if got := len(byName[name]); got != want {
			t.Errorf("%d spans named %q, want %d (have %v)", got, name, want, names(spans))
		}
	}
	if len(nodes) < 2 {
		t.Errorf("spans on nodes %v, want at least 2", nodes)
	}
	// The spans form one tree under the front end's span: every parent is
	// in the trace, and the applies continue the proposal.
	for _, sp := range spans {
		if sp.ParentSpanID == "" {
			if sp.Name != "zk setData" {
				t.Errorf("root span %q, want the front end's", sp.Name)
			}
			continue
		}
		if _, ok := ids[sp.ParentSpanID]; !ok {
			t.Errorf("span %q has parent %s, which is not in the trace", sp.Name, sp.ParentSpanID)
		}
	}
	if p := byName["propose "+dest]; len(p) == 1 {
		if p[0].Resource["service.instance.id"] != fmt.Sprint(via+1) {
			t.Errorf("proposal on node %s, want the client's node %d", p[0].Resource["service.instance.id"], via+1)
		}
		for _, a := range byName["apply "+dest] {
			if a.ParentSpanID != p[0].SpanID {
				t.Errorf("apply on node %s has parent %s, want the proposal %s", a.Resource["service.instance.id"], a.ParentSpanID, p[0].SpanID)
			}
			if len(a.Links) != 1 || a.Links[0].SpanID != p[0].SpanID {
				t.Errorf("apply on node %s links %v, want the proposal", a.Resource["service.instance.id"], a.Links)
			}
			if a.Attributes["warren.zxid"] == "" || a.Attributes["warren.shard"] != fmt.Sprint(shard) {
				t.Errorf("apply attributes %v", a.Attributes)
			}
		}
	}
	if w := byName["send watch"]; len(w) == 1 {
		if w[0].Attributes["messaging.destination.name"] != path || w[0].Resource["service.instance.id"] != fmt.Sprint(via+1) {
			t.Errorf("watch span %+v", w[0])
		}
	}
}

func names(spans []observability.SpanData) []string {
	var out []string
	for _, sp := range spans {
		out = append(out, sp.Name+"@"+sp.Resource["service.instance.id"])
	}
	sort.Strings(out)
	return out
}

func getTrace(t *testing.T, api, id string) []observability.SpanData {
	resp, err := http.Get(api + "/api/traces/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var spans []observability.SpanData
	if err := json.NewDecoder(resp.Body).Decode(&spans); err != nil {
		t.Fatal(err)
	}
	return spans
}

func getJSON[T any](t *testing.T, url string) T {
	t.Helper()
	var v T
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
