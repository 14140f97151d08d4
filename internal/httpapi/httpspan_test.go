package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/observability"
)

// spyZK is a memZK that remembers the span context its calls ran in.
type spyZK struct {
	*memZK
	mu  sync.Mutex
	got []trace.SpanContext
}

func (z *spyZK) record(ctx context.Context) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.got = append(z.got, trace.SpanContextFromContext(ctx))
}

func (z *spyZK) Set(ctx context.Context, path string, data []byte, version int32) (warren.Stat, error) {
	z.record(ctx)
	return z.memZK.Set(ctx, path, data, version)
}

func (z *spyZK) Get(ctx context.Context, path string) ([]byte, warren.Stat, error) {
	z.record(ctx)
	return z.memZK.Get(ctx, path)
}

func TestZKServerSpans(t *testing.T) {
	tel, err := observability.NewTelemetry(observability.TelemetryOptions{InstanceID: "2"})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	zk := &spyZK{memZK: seededZK(t)}
	b := &traceBackend{&fakeBackend{zk: zk}, tel.Traces()}
	opts := DefaultOptions()
	opts.Tracer = tel.Tracer("github.com/warrenhq/warren/internal/httpapi")
	h := NewHandler(b, nil, opts, nil)

	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		parent  = "00f067aa0ba902b7"
	)
	req := httptest.NewRequest(http.MethodPut, "/api/zk/node", strings.NewReader(`{"path": "/app", "data": "eA=="}`))
	req.Header.Set("traceparent", "00-"+traceID+"-"+parent+"-01")
	req.Header.Set("User-Agent", "spy/1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}

	spans := tel.Traces().Trace(traceID)
	if len(spans) != 1 {
		t.Fatalf("spans of the client's trace: %+v", spans)
	}
	s := spans[0]
	if s.Name != "PUT /api/zk/node" || s.Kind != "server" || s.ParentSpanID != parent || !s.RemoteParent || s.Status.Code != "unset" {
		t.Errorf("span = %+v", s)
	}
	want := map[string]string{
		"http.request.method":       "PUT",
		"url.path":                  "/api/zk/node",
		"url.scheme":                "http",
		"http.route":                "/api/zk/node",
		"http.response.status_code": "200",
		"client.address":            "192.0.2.1", // httptest's RemoteAddr
		"user_agent.original":       "spy/1",
	}
	for k, v := range want {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, s.Attributes[k], v)
		}
	}
	// The SDK call ran inside the server span.
	zk.mu.Lock()
	got := zk.got
	zk.mu.Unlock()
	if len(got) != 1 || got[0].TraceID().String() != traceID || got[0].SpanID().String() != s.SpanID {
		t.Errorf("Set ran in span context %+v, want trace %s span %s", got, traceID, s.SpanID)
	}

	// Without a traceparent a request starts its own trace; a 4xx is the
	// client's error, a 5xx the server's.
	serve(t, h, http.MethodGet, "/api/zk/node?path=/missing", "")
	zk.memZK.err = ErrUnavailable
	serve(t, h, http.MethodGet, "/api/zk/node?path=/app", "")
	var codes []string
	for _, sum := range tel.Traces().Recent(0) {
		if sum.TraceID == traceID {
			continue
		}
		for _, sp := range tel.Traces().Trace(sum.TraceID) {
			if sp.ParentSpanID != "" || sp.Name != "GET /api/zk/node" {
				t.Errorf("new trace's span = %+v", sp)
			}
			codes = append(codes, sp.Attributes["http.response.status_code"]+"/"+sp.Status.Code+"/"+sp.Attributes["error.type"])
		}
	}
	if !sameSet(codes, []string{"404/unset/", "503/error/503"}) {
		t.Errorf("status/span status/error.type = %v", codes)
	}

	// Routes other than /api/zk, and the watch stream, are not traced.
	before := tel.Traces().Len()
	serve(t, h, http.MethodGet, "/api/traces", "")
	serve(t, h, http.MethodGet, "/api/cluster", "")
	if n := tel.Traces().Len(); n != before {
		t.Errorf("%d spans from non-znode routes", n-before)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestNoTracerNoSpans(t *testing.T) {
	tel, err := observability.NewTelemetry(observability.TelemetryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	h := NewHandler(&traceBackend{&fakeBackend{zk: seededZK(t)}, tel.Traces()}, nil, DefaultOptions(), nil)
	serve(t, h, http.MethodGet, "/api/zk/node?path=/app", "")
	if n := tel.Traces().Len(); n != 0 {
		t.Fatalf("%d spans without a tracer", n)
	}
}

// TestZKRequestDurationMetric: each /api/zk request is counted in
// http.server.request.duration under its method, route and status code,
// on the node's /metrics.
func TestZKRequestDurationMetric(t *testing.T) {
	tel, err := observability.NewTelemetry(observability.TelemetryOptions{InstanceID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	opts := DefaultOptions()
	opts.Meter = tel.Meter("github.com/warrenhq/warren/internal/httpapi")
	h := NewHandler(&fakeBackend{zk: seededZK(t)}, tel.MetricsHandler(), opts, nil)

	serve(t, h, http.MethodGet, "/api/zk/node?path=/app", "")
	serve(t, h, http.MethodGet, "/api/zk/node?path=/app", "")
	serve(t, h, http.MethodGet, "/api/zk/node?path=/missing", "")

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/api/zk/node"`,
		`http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="404",http_route="/api/zk/node"`,
	} {
		i := strings.Index(body, want)
		if i < 0 {
			t.Fatalf("/metrics lacks %s\n%s", want, body)
		}
		line := body[i:]
		line = line[:strings.IndexByte(line, '\n')]
		n := line[strings.LastIndexByte(line, ' ')+1:]
		if (strings.Contains(want, `"200"`) && n != "2") || (strings.Contains(want, `"404"`) && n != "1") {
			t.Errorf("%s: count %s", line, n)
		}
	}
}
