package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/warrenhq/warren"
)

// fakeBackend answers with fixed values.
type fakeBackend struct {
	status    warren.ClusterStatus
	statusErr error
	readyErr  error
	zk        ZK // nil: Coord answers ErrUnavailable
}

func (f *fakeBackend) Status(context.Context) (warren.ClusterStatus, error) {
	return f.status, f.statusErr
}

func (f *fakeBackend) Ready(context.Context) error { return f.readyErr }

func (f *fakeBackend) Coord() (ZK, error) {
	if f.zk == nil {
		return nil, fmt.Errorf("no coordination client (%w)", ErrUnavailable)
	}
	return f.zk, nil
}

var sampleStatus = warren.ClusterStatus{
	NodeID:         1,
	PlacementEpoch: 4,
	Members: []warren.MemberStatus{
		{NodeID: 1, Name: "node-1", State: "alive", GossipAddr: "127.0.0.1:7946", RaftAddr: "127.0.0.1:7950", ActorAddr: "127.0.0.1:7960", InPlacement: true},
		{NodeID: 2, Name: "node-2", State: "suspect", GossipAddr: "127.0.0.1:7947", RaftAddr: "127.0.0.1:7951", ActorAddr: "127.0.0.1:7961"},
	},
	Shards: []warren.ShardStatus{
		{ShardID: 0, Leader: 1, Term: 3, Replicas: []uint64{1, 2}, Desired: []uint64{1, 2}, Local: true},
		{ShardID: 1, Replicas: []uint64{2}, Desired: []uint64{1, 2}},
	},
}

func serve(t *testing.T, h http.Handler, method, target, remote string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if remote != "" {
		req.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoutes(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "warren_up 1\n")
	})
	const local, remote = "127.0.0.1:50000", "203.0.113.9:50000"
	tests := []struct {
		name       string
		backend    *fakeBackend
		opts       Options
		method     string
		target     string
		remoteAddr string
		wantCode   int
		wantBody   string // substring
		wantType   string // Content-Type prefix
	}{
		{name: "healthz", method: "GET", target: "/healthz", wantCode: 200, wantBody: "ok", wantType: "text/plain"},
		{name: "healthz while not ready", backend: &fakeBackend{readyErr: errors.New("no leader")}, method: "GET", target: "/healthz", wantCode: 200, wantBody: "ok"},
		{name: "healthz HEAD", method: "HEAD", target: "/healthz", wantCode: 200},
		{name: "healthz POST", method: "POST", target: "/healthz", wantCode: 405},
		{name: "ready", method: "GET", target: "/readyz", wantCode: 200, wantBody: "ready"},
		{name: "not ready", backend: &fakeBackend{readyErr: errors.New("shard 3 has no leader")}, method: "GET", target: "/readyz", wantCode: 503, wantBody: "shard 3 has no leader"},
		{name: "readyz DELETE", method: "DELETE", target: "/readyz", wantCode: 405},
		{name: "metrics", method: "GET", target: "/metrics", wantCode: 200, wantBody: "warren_up 1"},
		{name: "metrics PUT", method: "PUT", target: "/metrics", wantCode: 405},
		{name: "cluster", method: "GET", target: "/api/cluster", wantCode: 200, wantBody: `"placement_epoch":4`, wantType: "application/json"},
		{name: "cluster fails", backend: &fakeBackend{statusErr: errors.New("gossip not started")}, method: "GET", target: "/api/cluster", wantCode: 500, wantBody: `{"error":"gossip not started"}`, wantType: "application/json"},
		{name: "cluster POST", method: "POST", target: "/api/cluster", wantCode: 405},
		{name: "dashboard", method: "GET", target: "/", wantCode: 200, wantBody: "/api/cluster", wantType: "text/html"},
		{name: "dashboard POST", method: "POST", target: "/", wantCode: 405},
		{name: "unknown path", method: "GET", target: "/nope", wantCode: 404},
		{name: "pprof index from loopback", opts: DefaultOptions(), method: "GET", target: "/debug/pprof/", remoteAddr: local, wantCode: 200, wantBody: "goroutine"},
		{name: "pprof profile from ipv6 loopback", opts: DefaultOptions(), method: "GET", target: "/debug/pprof/goroutine?debug=1", remoteAddr: "[::1]:50000", wantCode: 200, wantBody: "goroutine profile"},
		{name: "pprof cmdline from loopback", opts: DefaultOptions(), method: "GET", target: "/debug/pprof/cmdline", remoteAddr: local, wantCode: 200},
		{name: "pprof symbol POST from loopback", opts: DefaultOptions(), method: "POST", target: "/debug/pprof/symbol", remoteAddr: local, wantCode: 200},
		{name: "pprof index from remote", opts: DefaultOptions(), method: "GET", target: "/debug/pprof/", remoteAddr: remote, wantCode: 403},
		{name: "pprof heap from remote", opts: DefaultOptions(), method: "GET", target: "/debug/pprof/heap", remoteAddr: remote, wantCode: 403},
		{name: "pprof cmdline from remote", opts: DefaultOptions(), method: "GET", target: "/debug/pprof/cmdline", remoteAddr: remote, wantCode: 403},
		{name: "pprof from remote allowed", opts: Options{PprofLoopbackOnly: false}, method: "GET", target: "/debug/pprof/", remoteAddr: remote, wantCode: 200},
		{name: "pprof POST index", opts: DefaultOptions(), method: "POST", target: "/debug/pprof/", remoteAddr: local, wantCode: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.backend
			if b == nil {
				b = &fakeBackend{status: sampleStatus}
			}
			h := NewHandler(b, metrics, tt.opts, nil)
			resp := serve(t, h, tt.method, tt.target, tt.remoteAddr)
			got := body(t, resp)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, tt.wantCode, got)
			}
			if !strings.Contains(got, tt.wantBody) {
				t.Errorf("body %q lacks %q", got, tt.wantBody)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want prefix %q", ct, tt.wantType)
			}
			if resp.StatusCode == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

func TestClusterJSONRoundTrips(t *testing.T) {
	h := NewHandler(&fakeBackend{status: sampleStatus}, nil, DefaultOptions(), nil)
	resp := serve(t, h, "GET", "/api/cluster", "")
	var got warren.ClusterStatus
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(sampleStatus)
	gotJSON, _ := json.Marshal(got)
	if string(want) != string(gotJSON) {
		t.Fatalf("got %s\nwant %s", gotJSON, want)
	}
}

func TestNoMetricsHandler(t *testing.T) {
	h := NewHandler(&fakeBackend{}, nil, DefaultOptions(), nil)
	if resp := serve(t, h, "GET", "/metrics", ""); resp.StatusCode != 404 {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
}

// TestOverRealServer checks the handler behind a real listener, where
// RemoteAddr is set by net/http rather than by the test.
func TestOverRealServer(t *testing.T) {
	srv := httptest.NewServer(NewHandler(&fakeBackend{status: sampleStatus}, nil, DefaultOptions(), nil))
	defer srv.Close()
	for _, path := range []string{"/healthz", "/readyz", "/api/cluster", "/", "/debug/pprof/"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
	}
}
