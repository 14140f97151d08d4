package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren/observability"
)

// traceBackend is a fakeBackend with the TraceSource capability.
type traceBackend struct {
	*fakeBackend
	ring *observability.Ring
}

func (b traceBackend) Traces() *observability.Ring { return b.ring }

var _ TraceSource = traceBackend{}

func TestTraceRoutes(t *testing.T) {
	tel, err := observability.NewTelemetry(observability.TelemetryOptions{InstanceID: "3"})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	tr := tel.Tracer("test")
	var ids []string
	for _, name := range []string{"first", "second", "third"} {
		ctx, root := tr.Start(context.Background(), name)
		_, child := tr.Start(ctx, name+" child", trace.WithSpanKind(trace.SpanKindClient))
		child.End()
		root.End()
		ids = append(ids, root.SpanContext().TraceID().String())
	}
	h := NewHandler(traceBackend{&fakeBackend{}, tel.Traces()}, nil, DefaultOptions(), nil)

	resp := serve(t, h, http.MethodGet, "/api/traces", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/traces: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var sums []observability.TraceSummary
	if err := json.NewDecoder(resp.Body).Decode(&sums); err != nil {
		t.Fatal(err)
	}
	if len(sums) != 3 || sums[0].TraceID != ids[2] || sums[0].Root != "third" || sums[0].Spans != 2 || sums[0].Nodes[0] != "3" {
		t.Fatalf("summaries = %+v", sums)
	}

	resp = serve(t, h, http.MethodGet, "/api/traces?limit=2", "")
	if err := json.NewDecoder(resp.Body).Decode(&sums); err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || sums[1].TraceID != ids[1] {
		t.Fatalf("limit=2 summaries = %+v", sums)
	}

	// Field names are part of the API (docs/observability.md).
	raw := body(t, serve(t, h, http.MethodGet, "/api/traces?limit=1", ""))
	for _, key := range []string{`"trace_id":`, `"root":"third"`, `"partial":false`, `"start":`, `"duration_ns":`, `"spans":2`, `"services":["warren"]`, `"nodes":["3"]`, `"error":false`} {
		if !strings.Contains(raw, key) {
			t.Errorf("summary JSON %s lacks %s", raw, key)
		}
	}

	resp = serve(t, h, http.MethodGet, "/api/traces/"+strings.ToUpper(ids[0]), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/traces/{id}: %d", resp.StatusCode)
	}
	var spans []observability.SpanData
	if err := json.NewDecoder(resp.Body).Decode(&spans); err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 || spans[0].Name != "first" || spans[1].ParentSpanID != spans[0].SpanID || spans[1].Kind != "client" || spans[1].Resource["service.instance.id"] != "3" {
		t.Fatalf("spans = %+v", spans)
	}
	raw = body(t, serve(t, h, http.MethodGet, "/api/traces/"+ids[0], ""))
	for _, key := range []string{`"span_id":`, `"parent_span_id":`, `"kind":"client"`, `"end":`, `"status":{"code":"unset"}`, `"resource":{`, `"scope":"test"`} {
		if !strings.Contains(raw, key) {
			t.Errorf("span JSON %s lacks %s", raw, key)
		}
	}
}

func TestTraceRouteErrors(t *testing.T) {
	ring := observability.NewRing(8)
	withRing := NewHandler(traceBackend{&fakeBackend{}, ring}, nil, DefaultOptions(), nil)
	nilRing := NewHandler(traceBackend{&fakeBackend{}, nil}, nil, DefaultOptions(), nil)
	without := NewHandler(&fakeBackend{}, nil, DefaultOptions(), nil)
	const unknown = "0af7651916cd43dd8448eb211c80319c"

	tests := []struct {
		name   string
		h      http.Handler
		method string
		target string
		code   int
		want   string
	}{
		{"empty ring", withRing, http.MethodGet, "/api/traces", 200, "[]"},
		{"unknown trace", withRing, http.MethodGet, "/api/traces/" + unknown, 404, "not held by this node"},
		{"short id", withRing, http.MethodGet, "/api/traces/abc", 400, "32 hex digits"},
		{"non-hex id", withRing, http.MethodGet, "/api/traces/" + strings.Repeat("g", 32), 400, "32 hex digits"},
		{"zero id", withRing, http.MethodGet, "/api/traces/" + strings.Repeat("0", 32), 400, "32 hex digits"},
		{"limit zero", withRing, http.MethodGet, "/api/traces?limit=0", 400, "limit"},
		{"limit word", withRing, http.MethodGet, "/api/traces?limit=all", 400, "limit"},
		{"limit huge", withRing, http.MethodGet, "/api/traces?limit=10001", 400, "limit"},
		{"no capability list", without, http.MethodGet, "/api/traces", 404, "keeps no traces"},
		{"no capability trace", without, http.MethodGet, "/api/traces/" + unknown, 404, "keeps no traces"},
		{"nil ring", nilRing, http.MethodGet, "/api/traces", 404, "keeps no traces"},
		{"post", withRing, http.MethodPost, "/api/traces", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := serve(t, tt.h, tt.method, tt.target, "")
			b := body(t, resp)
			if resp.StatusCode != tt.code || !strings.Contains(b, tt.want) {
				t.Fatalf("%s %s = %d %q, want %d with %q", tt.method, tt.target, resp.StatusCode, b, tt.code, tt.want)
			}
			if tt.code != 405 && resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			if tt.code >= 400 && tt.code != 405 {
				var e errorBody
				if err := json.Unmarshal([]byte(b), &e); err != nil || e.Error == "" {
					t.Fatalf("error body %q is not {\"error\": ...}", b)
				}
			}
		})
	}
}
