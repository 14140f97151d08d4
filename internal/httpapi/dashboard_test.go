package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warrenhq/warren"
)

// shardsOn returns shard statuses for a node hosting shards 0 and 1 with
// the given applied indexes; node 1 leads both.
func shardsOn(applied0, applied1 uint64) []warren.ShardStatus {
	return []warren.ShardStatus{
		{ShardID: 0, Leader: 1, Term: 3, Replicas: []uint64{1, 2}, Desired: []uint64{1, 2}, Local: true, Applied: applied0},
		{ShardID: 1, Leader: 1, Term: 3, Replicas: []uint64{1, 2}, Desired: []uint64{1, 2}, Local: true, Applied: applied1},
		{ShardID: 2, Replicas: []uint64{3}, Desired: []uint64{3}},
	}
}

func TestNodeReportAndSessions(t *testing.T) {
	fc := newFakeCluster(t, 2)
	est := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	b := fc.backends[0]
	b.status.Shards = shardsOn(10, 20)
	b.grains = map[string]int{"counter": 3, "register": 1}
	b.sessions = []Session{{NodeID: 1, ID: "0x1f", Remote: "127.0.0.1:5000", Established: est, TimeoutMillis: 10000,
		LastOp: "GETD", Watches: []SessionWatch{{Path: "/a", Kind: "data"}, {Path: "/b", Kind: "recursive"}}}}
	for i := range 60 {
		b.sessions = append(b.sessions, Session{NodeID: 1, ID: "0x" + strings.Repeat("a", i%5+1)})
	}
	fc.backends[1].sessions = []Session{{NodeID: 2, ID: "0x2"}}
	fc.backends[1].grainErr = errors.New("actor system stopping")

	var rep NodeReport
	if code := fc.get(t, 0, "/api/node", &rep); code != 200 {
		t.Fatalf("GET /api/node: %d", code)
	}
	if rep.NodeID != 1 || len(rep.Shards) != 2 || rep.Shards[1].Applied != 20 || rep.Grains["counter"] != 3 ||
		rep.SessionCount != 61 || rep.WatchCount != 2 || len(rep.Sessions) != maxReportSessions || rep.Sessions[0].ID != "0x1f" {
		t.Fatalf("report = %+v", rep)
	}
	var rep2 NodeReport
	fc.get(t, 1, "/api/node", &rep2)
	if rep2.GrainsError != "actor system stopping" || rep2.Grains == nil || rep2.Shards == nil {
		t.Fatalf("report of node 2 = %+v", rep2)
	}

	var local []Session
	if code := fc.get(t, 0, "/api/sessions", &local); code != 200 || len(local) != 61 || len(local[0].Watches) != 2 || local[1].Watches == nil {
		t.Fatalf("GET /api/sessions: %d, %d sessions", code, len(local))
	}
	var all ClusterSessions
	if code := fc.get(t, 1, "/api/sessions?scope=cluster", &all); code != 200 || len(all.Sessions) != 62 ||
		all.Sessions[0].NodeID != 1 || all.Sessions[61].NodeID != 2 || !slices.Equal(all.Nodes, []uint64{1, 2}) {
		t.Fatalf("GET /api/sessions?scope=cluster: %d %d sessions, nodes %v", code, len(all.Sessions), all.Nodes)
	}

	// Field names are part of the API (docs/http-api.md).
	resp, err := http.Get(fc.servers[0].URL + "/api/node")
	if err != nil {
		t.Fatal(err)
	}
	raw := body(t, resp)
	for _, key := range []string{`"node_id":1`, `"applied_index":20`, `"grains":{"counter":3,"register":1}`, `"session_count":61`,
		`"watch_count":2`, `"session_id":"0x1f"`, `"timeout_ms":10000`, `"watches":[{"path":"/a","kind":"data"}`} {
		if !strings.Contains(raw, key) {
			t.Errorf("/api/node JSON lacks %s", key)
		}
	}

	// Without the capabilities: empty, not missing.
	h := NewHandler(&fakeBackend{status: sampleStatus}, nil, DefaultOptions(), nil)
	if got := body(t, serve(t, h, "GET", "/api/sessions", "")); strings.TrimSpace(got) != "[]" {
		t.Errorf("sessions without SessionSource = %s", got)
	}
	if got := body(t, serve(t, h, "GET", "/api/node", "")); !strings.Contains(got, `"grains":{}`) || !strings.Contains(got, `"sessions":[]`) {
		t.Errorf("node without capabilities = %s", got)
	}
}

func TestOverview(t *testing.T) {
	fc := newFakeCluster(t, 3)
	fc.backends[0].status.Shards = shardsOn(50, 8)
	fc.backends[1].status.Shards = shardsOn(45, 8)
	fc.backends[1].grains = map[string]int{"counter": 2}
	fc.backends[2].status.Shards = shardsOn(0, 0)[2:] // hosts nothing
	fc.addMember(warren.MemberStatus{NodeID: 4, State: "alive", HTTPAddr: closedAddr(t)})
	id, _ := crossNodeTrace(t, fc)

	var ov Overview
	if code := fc.get(t, 0, "/api/overview", &ov); code != 200 {
		t.Fatalf("GET /api/overview: %d", code)
	}
	if ov.NodeID != 1 || len(ov.Cluster.Members) != 4 || len(ov.Nodes) != 3 || ov.Nodes[1].Grains["counter"] != 2 {
		t.Fatalf("overview = %+v", ov)
	}
	if len(ov.Unreachable) != 1 || ov.Unreachable[0].NodeID != 4 {
		t.Errorf("unreachable = %+v", ov.Unreachable)
	}
	if len(ov.Traces) != 1 || ov.Traces[0].TraceID != id || ov.Traces[0].Spans != 2 {
		t.Errorf("traces = %+v", ov.Traces)
	}
	if len(ov.Shards) != 3 {
		t.Fatalf("shards = %+v", ov.Shards)
	}
	s0 := ov.Shards[0]
	if s0.Leader != 1 || len(s0.Replicas) != 2 || s0.Replicas[1].Lag != 5 || s0.Replicas[0].Applied != 50 {
		t.Errorf("shard 0 = %+v", s0)
	}
}

// readEvent reads one server-sent event's data from r, skipping comments
// and the retry field.
func readEvent(t *testing.T, r *bufio.Reader) Overview {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read event: %v", err)
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ov Overview
		if err := json.Unmarshal([]byte(data), &ov); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		return ov
	}
}

func TestEvents(t *testing.T) {
	b := &dashBackend{fakeBackend: fakeBackend{status: warren.ClusterStatus{NodeID: 1, Shards: shardsOn(1, 1)}}}
	opts := DefaultOptions()
	opts.EventInterval = 20 * time.Millisecond
	h := NewHandler(b, nil, opts, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("GET /api/events: %d %s", resp.StatusCode, ct)
	}
	r := bufio.NewReader(resp.Body)
	if ov := readEvent(t, r); ov.NodeID != 1 || ov.Shards[0].Replicas[0].Applied != 1 {
		t.Fatalf("first event = %+v", ov)
	}

	// A second client gets the current snapshot at once.
	resp2, err := srv.Client().Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	if ov := readEvent(t, bufio.NewReader(resp2.Body)); ov.NodeID != 1 {
		t.Fatalf("second client's first event = %+v", ov)
	}
	resp2.Body.Close()

	// A change is streamed; an unchanged overview is not sent again, so
	// the next event is the change.
	b.setStatus(warren.ClusterStatus{NodeID: 1, Shards: shardsOn(7, 1)}, nil)
	if ov := readEvent(t, r); ov.Shards[0].Replicas[0].Applied != 7 {
		t.Fatalf("event after the change = %+v", ov)
	}
	b.setStatus(warren.ClusterStatus{}, ErrUnavailable)
	if ov := readEvent(t, r); !strings.Contains(ov.Error, "unavailable") {
		t.Fatalf("event while the node is unavailable = %+v", ov)
	}
}

func TestEventHubNeverWaitsForAClient(t *testing.T) {
	e := newEventHub(func(context.Context) []byte { return nil }, time.Hour, time.Second)
	e.mu.running = true // publish is driven by hand below, not by run
	slow, fast := &subscriber{ch: make(chan []byte, 1)}, &subscriber{ch: make(chan []byte, 1)}
	e.mu.subs[slow], e.mu.subs[fast] = struct{}{}, struct{}{}
	for _, snap := range []string{"a", "b", "b", "c"} {
		if !e.publish([]byte(snap)) {
			t.Fatal("publish stopped with subscribers")
		}
		if snap == "a" {
			if got := string(<-fast.ch); got != "a" {
				t.Fatalf("fast client got %q", got)
			}
		}
	}
	if got := string(<-fast.ch); got != "c" {
		t.Fatalf("fast client got %q, want c (b was sent once, then replaced)", got)
	}
	if got := string(<-slow.ch); got != "c" {
		t.Fatalf("slow client holds %q, want only the newest, c", got)
	}
	delete(e.mu.subs, slow)
	delete(e.mu.subs, fast)
	if e.publish([]byte("d")) || e.mu.running || e.mu.last != nil {
		t.Fatal("publish without subscribers must stop the hub and forget the snapshot")
	}
}

func TestEventHubStopsWhenClientsLeave(t *testing.T) {
	e := newEventHub(func(context.Context) []byte { return []byte("x") }, time.Millisecond, time.Second)
	s := e.subscribe()
	if got := string(<-s.ch); got != "x" {
		t.Fatalf("got %q", got)
	}
	e.unsubscribe(s)
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.mu.Lock()
		running := e.mu.running
		e.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("hub still running 5 s after its last client left")
		}
		time.Sleep(time.Millisecond)
	}
	// It starts again with the next client.
	s = e.subscribe()
	if got := string(<-s.ch); got != "x" {
		t.Fatalf("after restart got %q", got)
	}
	e.unsubscribe(s)
}

func TestStaticFiles(t *testing.T) {
	h := NewHandler(&fakeBackend{status: sampleStatus}, nil, DefaultOptions(), nil)
	for name := range staticTypes {
		if _, err := static.ReadFile("static/" + name); err != nil {
			t.Errorf("staticTypes lists %s, which is not embedded: %v", name, err)
		}
	}
	tests := []struct {
		target, wantType, wantBody string
		code                       int
	}{
		{"/", "text/html", `src="/static/app.js"`, 200},
		{"/static/app.js", "text/javascript", "EventSource", 200},
		{"/static/style.css", "text/css", "#waterfall", 200},
		{"/static/index.html", "", "", 404},
		{"/static/nope.js", "", "", 404},
	}
	for _, tt := range tests {
		resp := serve(t, h, "GET", tt.target, "")
		got := body(t, resp)
		if resp.StatusCode != tt.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) || !strings.Contains(got, tt.wantBody) {
			t.Errorf("GET %s: %d %s, want %d %s with %q", tt.target, resp.StatusCode, resp.Header.Get("Content-Type"), tt.code, tt.wantType, tt.wantBody)
		}
		if tt.code == 200 {
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("GET %s: CSP %q", tt.target, csp)
			}
		}
	}
	// The page has no inline script or style, which the CSP would block.
	page := body(t, serve(t, h, "GET", "/", ""))
	for _, bad := range []string{"<script>", "<style", " style=", " onclick=", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("index.html contains %q", bad)
		}
	}
}
