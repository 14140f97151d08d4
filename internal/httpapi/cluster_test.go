package httpapi

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/observability"
)

// dashBackend is a fake node with every optional capability. Set its
// fields before serving; setStatus changes the status while serving.
type dashBackend struct {
	fakeBackend
	ring     *observability.Ring
	grains   map[string]int
	grainErr error
	sessions []Session

	mu sync.Mutex // guards fakeBackend's status and statusErr
}

func (b *dashBackend) Status(context.Context) (warren.ClusterStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status, b.statusErr
}

func (b *dashBackend) setStatus(st warren.ClusterStatus, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status, b.statusErr = st, err
}

func (b *dashBackend) Traces() *observability.Ring { return b.ring }

func (b *dashBackend) ActiveGrains(context.Context) (map[string]int, error) {
	return b.grains, b.grainErr
}

func (b *dashBackend) Sessions() []Session { return slices.Clone(b.sessions) }

var (
	_ TraceSource   = (*dashBackend)(nil)
	_ GrainSource   = (*dashBackend)(nil)
	_ SessionSource = (*dashBackend)(nil)
)

// fakeCluster is n members, each a handler over a dashBackend behind a real
// listener, all seeing the same members; member i has node id i+1.
type fakeCluster struct {
	backends []*dashBackend
	servers  []*httptest.Server
	tels     []*observability.Telemetry
	scoped   atomic.Int32 // requests that reached a member with a scope
}

func newFakeCluster(t *testing.T, n int) *fakeCluster {
	t.Helper()
	fc := &fakeCluster{}
	var members []warren.MemberStatus
	for i := range n {
		id := uint64(i + 1)
		tel, err := observability.NewTelemetry(observability.TelemetryOptions{InstanceID: strconv.FormatUint(id, 10)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tel.Shutdown(context.Background()) })
		b := &dashBackend{ring: tel.Traces(), grains: map[string]int{}}
		opts := DefaultOptions()
		opts.PeerTimeout = 2 * time.Second
		h := NewHandler(b, nil, opts, nil)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("scope") != "" && r.Header.Get("User-Agent") == peerUserAgent {
				fc.scoped.Add(1)
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		fc.backends = append(fc.backends, b)
		fc.servers = append(fc.servers, srv)
		fc.tels = append(fc.tels, tel)
		members = append(members, warren.MemberStatus{
			NodeID: id, Name: "node-" + strconv.Itoa(int(id)), State: "alive",
			GossipAddr: "127.0.0.1:1", HTTPAddr: srv.Listener.Addr().String(), InPlacement: true,
		})
	}
	for i, b := range fc.backends {
		b.status = warren.ClusterStatus{NodeID: uint64(i + 1), Members: slices.Clone(members)}
	}
	return fc
}

// addMember adds a member that every node lists but that has no server of
// its own.
func (fc *fakeCluster) addMember(m warren.MemberStatus) {
	for _, b := range fc.backends {
		b.status.Members = append(b.status.Members, m)
	}
}

func (fc *fakeCluster) get(t *testing.T, i int, path string, v any) int {
	t.Helper()
	resp, err := fc.servers[i].Client().Get(fc.servers[i].URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// crossNodeTrace records a trace whose root span ends on member 0 and whose
// child, continued from the root's propagated context, ends on member 1.
func crossNodeTrace(t *testing.T, fc *fakeCluster) (id, rootSpan string) {
	t.Helper()
	ctx, root := fc.tels[0].Tracer("test").Start(context.Background(), "PUT /api/zk/node", trace.WithSpanKind(trace.SpanKindServer))
	carried := observability.Inject(ctx)
	_, child := fc.tels[1].Tracer("test").Start(observability.Extract(context.Background(), carried), "grain receive",
		trace.WithSpanKind(trace.SpanKindConsumer))
	child.End()
	root.End()
	return root.SpanContext().TraceID().String(), root.SpanContext().SpanID().String()
}

func TestClusterTraces(t *testing.T) {
	fc := newFakeCluster(t, 3)
	fc.addMember(warren.MemberStatus{NodeID: 4, Name: "node-4", State: "alive", HTTPAddr: closedAddr(t)})
	fc.addMember(warren.MemberStatus{NodeID: 5, Name: "node-5", State: "dead", HTTPAddr: closedAddr(t)})
	fc.addMember(warren.MemberStatus{NodeID: 6, Name: "node-6", State: "left"})
	fc.addMember(warren.MemberStatus{NodeID: 7, Name: "node-7", State: "alive"})
	id, rootSpan := crossNodeTrace(t, fc)
	// A trace of member 2 alone.
	_, lone := fc.tels[2].Tracer("test").Start(context.Background(), "lonely")
	lone.End()

	// Without scope, member 1 answers with its own root span only.
	var local []observability.TraceSummary
	if code := fc.get(t, 0, "/api/traces", &local); code != 200 || len(local) != 1 || local[0].Spans != 1 {
		t.Fatalf("node scope: %d %+v", code, local)
	}

	var ct ClusterTraces
	if code := fc.get(t, 1, "/api/traces?scope=cluster", &ct); code != 200 {
		t.Fatalf("GET /api/traces?scope=cluster: %d", code)
	}
	if len(ct.Traces) != 2 || ct.Traces[0].Root != "lonely" {
		t.Fatalf("traces = %+v", ct.Traces)
	}
	got := ct.Traces[1]
	if got.TraceID != id || got.Spans != 2 || got.Partial || got.Root != "PUT /api/zk/node" ||
		!slices.Equal(got.Nodes, []string{"1", "2"}) {
		t.Fatalf("merged summary = %+v", got)
	}
	if !slices.Equal(ct.Nodes, []uint64{1, 2, 3}) {
		t.Errorf("answered nodes = %v", ct.Nodes)
	}
	unreach := map[uint64]string{}
	for _, u := range ct.Unreachable {
		unreach[u.NodeID] = u.Error
	}
	if len(unreach) != 3 || unreach[4] == "" || !strings.Contains(unreach[5], "dead") || !strings.Contains(unreach[7], "no HTTP") {
		t.Errorf("unreachable = %+v", ct.Unreachable)
	}

	var tr ClusterTrace
	if code := fc.get(t, 2, "/api/traces/"+strings.ToUpper(id)+"?scope=cluster", &tr); code != 200 {
		t.Fatalf("GET /api/traces/{id}?scope=cluster: %d", code)
	}
	if tr.TraceID != id || len(tr.Spans) != 2 || len(tr.Unreachable) != 3 {
		t.Fatalf("cluster trace = %+v", tr)
	}
	if s := tr.Spans[0]; s.NodeID != 1 || s.SpanID != rootSpan || s.Resource["service.instance.id"] != "1" {
		t.Errorf("first span = %+v", s)
	}
	if s := tr.Spans[1]; s.NodeID != 2 || s.ParentSpanID != rootSpan || !s.RemoteParent {
		t.Errorf("second span = %+v", s)
	}
	// The node tag is a field of each span in the JSON.
	resp, err := http.Get(fc.servers[0].URL + "/api/traces/" + id + "?scope=cluster")
	if err != nil {
		t.Fatal(err)
	}
	raw := body(t, resp)
	for _, key := range []string{`"node_id":1,"trace_id":"` + id, `"node_id":2,`, `"unreachable":[`, `"nodes":[1,2,3]`} {
		if !strings.Contains(raw, key) {
			t.Errorf("cluster trace JSON lacks %s: %s", key, raw)
		}
	}

	const unknown = "0af7651916cd43dd8448eb211c80319c"
	if code := fc.get(t, 0, "/api/traces/"+unknown+"?scope=cluster", nil); code != 404 {
		t.Errorf("unknown trace in cluster scope: %d", code)
	}
	if code := fc.get(t, 0, "/api/traces?scope=galaxy", nil); code != 400 {
		t.Errorf("bad scope: %d", code)
	}
	if n := fc.scoped.Load(); n != 0 {
		t.Errorf("%d fan-out requests carried a scope", n)
	}
}

// TestClusterTracesWithoutLocalRing: the answering node keeps no traces,
// its members do.
func TestClusterTracesWithoutLocalRing(t *testing.T) {
	fc := newFakeCluster(t, 2)
	id, _ := crossNodeTrace(t, fc)
	fc.backends[0].ring = nil
	var ct ClusterTraces
	if code := fc.get(t, 0, "/api/traces?scope=cluster", &ct); code != 200 || len(ct.Traces) != 1 ||
		ct.Traces[0].TraceID != id || !ct.Traces[0].Partial || ct.Traces[0].Root != "grain receive" {
		t.Fatalf("%d %+v", code, ct)
	}
	if code := fc.get(t, 0, "/api/traces", nil); code != 404 {
		t.Errorf("node scope without ring: %d", code)
	}
}

func TestClusterStatusFailure(t *testing.T) {
	h := NewHandler(&dashBackend{fakeBackend: fakeBackend{statusErr: ErrUnavailable}}, nil, DefaultOptions(), nil)
	for _, target := range []string{"/api/traces?scope=cluster", "/api/traces/0af7651916cd43dd8448eb211c80319c?scope=cluster",
		"/api/sessions?scope=cluster", "/api/node", "/api/overview"} {
		if resp := serve(t, h, "GET", target, ""); resp.StatusCode != 503 {
			t.Errorf("GET %s: %d, want 503", target, resp.StatusCode)
		}
	}
}

func TestMergeTraceSummaries(t *testing.T) {
	at := func(ms int) time.Time {
		return time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	}
	const a, b = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b700f067aa0ba902b7"
	tests := []struct {
		name  string
		lists [][]observability.TraceSummary
		limit int
		want  []observability.TraceSummary
	}{
		{name: "nothing", want: []observability.TraceSummary{}},
		{
			name: "one node passes through",
			lists: [][]observability.TraceSummary{{
				{TraceID: a, Root: "r", Start: at(0), Duration: 5 * time.Millisecond, Spans: 2, Services: []string{"warren"}, Nodes: []string{"1"}},
			}},
			want: []observability.TraceSummary{
				{TraceID: a, Root: "r", Start: at(0), Duration: 5 * time.Millisecond, Spans: 2, Services: []string{"warren"}, Nodes: []string{"1"}},
			},
		},
		{
			name: "root held elsewhere: earliest start, latest end, summed spans",
			lists: [][]observability.TraceSummary{
				{{TraceID: a, Root: "child", Partial: true, Start: at(2), Duration: 10 * time.Millisecond, Spans: 3, Nodes: []string{"10"}, Error: true}},
				{{TraceID: strings.ToUpper(a), Root: "root", Start: at(0), Duration: 4 * time.Millisecond, Spans: 1, Nodes: []string{"9"}}},
			},
			want: []observability.TraceSummary{
				{TraceID: a, Root: "root", Start: at(0), Duration: 12 * time.Millisecond, Spans: 4, Services: []string{}, Nodes: []string{"9", "10"}, Error: true},
			},
		},
		{
			name: "no root anywhere: the earliest partial root",
			lists: [][]observability.TraceSummary{
				{{TraceID: a, Root: "late", Partial: true, Start: at(5), Duration: time.Millisecond, Spans: 1}},
				{{TraceID: a, Root: "early", Partial: true, Start: at(1), Duration: time.Millisecond, Spans: 1}},
			},
			want: []observability.TraceSummary{
				{TraceID: a, Root: "early", Partial: true, Start: at(1), Duration: 5 * time.Millisecond, Spans: 2, Services: []string{}, Nodes: []string{}},
			},
		},
		{
			name: "newest first, limited",
			lists: [][]observability.TraceSummary{
				{{TraceID: a, Root: "old", Start: at(0), Spans: 1}},
				{{TraceID: b, Root: "new", Start: at(9), Spans: 1}},
			},
			limit: 1,
			want:  []observability.TraceSummary{{TraceID: b, Root: "new", Start: at(9), Spans: 1, Services: []string{}, Nodes: []string{}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := json.Marshal(MergeTraceSummaries(tt.lists, tt.limit))
			want, _ := json.Marshal(tt.want)
			if string(got) != string(want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestShardViews(t *testing.T) {
	status := []warren.ShardStatus{
		{ShardID: 0, Leader: 1, Term: 2, Replicas: []uint64{1, 2, 3}, Desired: []uint64{1, 2, 3}, Local: true, Applied: 100},
		{ShardID: 1, Replicas: []uint64{2, 3}, Desired: []uint64{2, 3}},
		{ShardID: 2, Replicas: []uint64{3}, Desired: []uint64{3}},
	}
	reports := []NodeReport{
		{NodeID: 1, Shards: []warren.ShardStatus{status[0]}},
		{NodeID: 2, Shards: []warren.ShardStatus{
			{ShardID: 0, Leader: 1, Term: 2, Replicas: []uint64{1, 2, 3}, Local: true, Applied: 97},
			// A newer term than node 3 saw, and node 4 still running a
			// replica that was removed.
			{ShardID: 1, Leader: 2, Term: 5, Replicas: []uint64{2, 3}, Local: true, Applied: 40},
		}},
		{NodeID: 3, Shards: []warren.ShardStatus{
			{ShardID: 1, Leader: 3, Term: 4, Replicas: []uint64{2, 3}, Local: true, Applied: 41},
		}},
		{NodeID: 4, Shards: []warren.ShardStatus{
			{ShardID: 1, Term: 3, Replicas: []uint64{2, 3, 4}, Local: true, Applied: 12},
		}},
		{NodeID: 5, Shards: []warren.ShardStatus{
			{ShardID: 0, Leader: 1, Term: 2, Replicas: []uint64{1, 2, 3}, NonVoting: []uint64{5}, Local: true, LocalRole: "non-voting", Applied: 100},
		}},
	}
	got := ShardViews(status, reports)
	want := []ShardView{
		{ShardID: 0, Leader: 1, Term: 2, Desired: []uint64{1, 2, 3}, Replicas: []ReplicaView{
			{NodeID: 1, Applied: 100, Reported: true},
			{NodeID: 2, Applied: 97, Lag: 3, Reported: true},
			{NodeID: 3}, // did not report
			{NodeID: 5, Applied: 100, Reported: true, NonVoting: true},
		}},
		{ShardID: 1, Leader: 2, Term: 5, Desired: []uint64{2, 3}, Replicas: []ReplicaView{
			{NodeID: 2, Applied: 40, Lag: 1, Reported: true},
			{NodeID: 3, Applied: 41, Reported: true},
			{NodeID: 4, Applied: 12, Lag: 29, Reported: true},
		}},
		{ShardID: 2, Desired: []uint64{3}, Replicas: []ReplicaView{{NodeID: 3}}},
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("got  %s\nwant %s", g, w)
	}
}

func TestPeersOf(t *testing.T) {
	st := warren.ClusterStatus{NodeID: 2, Members: []warren.MemberStatus{
		{NodeID: 3, State: "suspect", HTTPAddr: "10.0.0.3:8080"},
		{NodeID: 1, State: "alive", HTTPAddr: ":8080", GossipAddr: "10.0.0.1:7946"},
		{NodeID: 2, State: "alive", HTTPAddr: "10.0.0.2:8080"},
		{NodeID: 4, State: "alive", HTTPAddr: "0.0.0.0:8081", GossipAddr: "[::]:7946"},
		{NodeID: 5, State: "dead", HTTPAddr: "10.0.0.5:8080"},
		{NodeID: 6, State: "left", HTTPAddr: "10.0.0.6:8080"},
		{NodeID: 7, State: "alive"},
	}}
	ask, skipped := peersOf(st)
	want := []peer{{id: 2, self: true}, {id: 1, addr: "10.0.0.1:8080"}, {id: 3, addr: "10.0.0.3:8080"}, {id: 4, addr: "127.0.0.1:8081"}}
	if !slices.Equal(ask, want) {
		t.Errorf("ask = %+v, want %+v", ask, want)
	}
	if len(skipped) != 2 || skipped[0].NodeID != 5 || skipped[1].NodeID != 7 {
		t.Errorf("skipped = %+v", skipped)
	}
}
