package observability

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func newTestTelemetry(t *testing.T, opts TelemetryOptions) *Telemetry {
	t.Helper()
	tel, err := NewTelemetry(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return tel
}

func TestRingRecordsTrace(t *testing.T) {
	tel := newTestTelemetry(t, TelemetryOptions{InstanceID: "7"})
	tr := tel.Tracer("github.com/warrenhq/warren/observability/test")

	ctx, root := tr.Start(context.Background(), "zk create", trace.WithSpanKind(trace.SpanKindServer))
	_, child := tr.Start(ctx, "counter send", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "warren"), attribute.Int("shard", 3)))
	child.AddEvent("retry", trace.WithAttributes(attribute.Int("attempt", 2)))
	child.SetStatus(codes.Error, "boom")
	child.End()
	root.End()

	sums := tel.Traces().Recent(0)
	if len(sums) != 1 {
		t.Fatalf("Recent = %+v, want one trace", sums)
	}
	s := sums[0]
	id := root.SpanContext().TraceID().String()
	if s.TraceID != id || s.Root != "zk create" || s.Partial || s.Spans != 2 || !s.Error ||
		!slices.Equal(s.Nodes, []string{"7"}) || !slices.Equal(s.Services, []string{"warren"}) || s.Duration <= 0 {
		t.Fatalf("summary = %+v", s)
	}

	spans := tel.Traces().Trace(strings.ToUpper(id))
	if len(spans) != 2 {
		t.Fatalf("Trace = %+v, want 2 spans", spans)
	}
	r, c := spans[0], spans[1]
	if r.Name != "zk create" || r.ParentSpanID != "" || r.Kind != "server" || r.Status.Code != "unset" {
		t.Errorf("root span = %+v", r)
	}
	if c.Name != "counter send" || c.ParentSpanID != r.SpanID || c.RemoteParent || c.Kind != "producer" {
		t.Errorf("child span = %+v", c)
	}
	if c.Attributes["messaging.system"] != "warren" || c.Attributes["shard"] != "3" {
		t.Errorf("child attributes = %v", c.Attributes)
	}
	if c.Status != (SpanStatus{Code: "error", Description: "boom"}) {
		t.Errorf("child status = %+v", c.Status)
	}
	if len(c.Events) != 1 || c.Events[0].Name != "retry" || c.Events[0].Attributes["attempt"] != "2" {
		t.Errorf("child events = %+v", c.Events)
	}
	if c.Resource["service.instance.id"] != "7" || c.Resource["service.name"] != "warren" {
		t.Errorf("child resource = %v", c.Resource)
	}
	if c.Scope != "github.com/warrenhq/warren/observability/test" || c.TraceID != id || c.End.Before(c.Start) {
		t.Errorf("child span = %+v", c)
	}
	if _, err := json.Marshal(spans); err != nil {
		t.Fatal(err)
	}

	for _, bad := range []string{"", "xyz", id[:30], strings.Repeat("0", 32)} {
		if got := tel.Traces().Trace(bad); got != nil {
			t.Errorf("Trace(%q) = %v, want nil", bad, got)
		}
	}
}

func TestRingEvictsOldest(t *testing.T) {
	ring := NewRing(3)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(ring))
	defer tp.Shutdown(context.Background())
	tr := tp.Tracer("test")

	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ids []string
	for i := range 5 {
		_, s := tr.Start(context.Background(), "op", trace.WithTimestamp(base.Add(time.Duration(i)*time.Second)))
		s.End(trace.WithTimestamp(base.Add(time.Duration(i)*time.Second + time.Millisecond)))
		ids = append(ids, s.SpanContext().TraceID().String())
	}
	if ring.Len() != 3 {
		t.Fatalf("Len = %d, want 3", ring.Len())
	}
	var got []string
	for _, s := range ring.Recent(0) {
		got = append(got, s.TraceID)
	}
	if want := []string{ids[4], ids[3], ids[2]}; !slices.Equal(got, want) {
		t.Fatalf("Recent ids = %v, want newest first %v", got, want)
	}
	if sums := ring.Recent(2); len(sums) != 2 || sums[0].TraceID != ids[4] {
		t.Fatalf("Recent(2) = %+v", sums)
	}
	if ring.Trace(ids[0]) != nil || len(ring.Trace(ids[4])) != 1 {
		t.Fatal("evicted trace still held, or newest missing")
	}
	if s := ring.Recent(1)[0]; !s.Start.Equal(base.Add(4*time.Second)) || s.Duration != time.Millisecond {
		t.Fatalf("summary times = %v + %v", s.Start, s.Duration)
	}

	if err := ring.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := ring.ExportSpans(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if ring.Len() != 3 {
		t.Fatal("Shutdown dropped held spans")
	}
}

func TestRingConcurrentUse(t *testing.T) {
	tel := newTestTelemetry(t, TelemetryOptions{Tracing: TracingOptions{RingSize: 64}})
	tr := tel.Tracer("test")
	var writers, readers sync.WaitGroup
	done := make(chan struct{})
	var reads atomic.Int64
	for range 2 {
		readers.Go(func() {
			for {
				for _, s := range tel.Traces().Recent(10) {
					tel.Traces().Trace(s.TraceID)
				}
				reads.Add(1)
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	for range 4 {
		writers.Go(func() {
			for range 300 {
				ctx, s := tr.Start(context.Background(), "parent")
				_, c := tr.Start(ctx, "child")
				c.End()
				s.End()
			}
		})
	}
	writers.Wait()
	close(done)
	readers.Wait()
	if n := tel.Traces().Len(); n != 64 {
		t.Fatalf("Len = %d, want 64", n)
	}
	if reads.Load() == 0 {
		t.Fatal("readers never ran")
	}
	for _, s := range tel.Traces().Recent(0) {
		if s.Spans > 2 {
			t.Fatalf("trace %s has %d spans, want at most 2", s.TraceID, s.Spans)
		}
	}
}

func TestInjectExtractAcrossNodes(t *testing.T) {
	a := newTestTelemetry(t, TelemetryOptions{InstanceID: "1"})
	b := newTestTelemetry(t, TelemetryOptions{InstanceID: "2"})

	if m := Inject(context.Background()); m != nil {
		t.Fatalf("Inject of an empty context = %v, want nil", m)
	}
	if ctx := context.Background(); Extract(ctx, nil) != ctx {
		t.Fatal("Extract of no carrier changed the context")
	}

	member, err := baggage.NewMember("tenant", "acme")
	if err != nil {
		t.Fatal(err)
	}
	bag, err := baggage.New(member)
	if err != nil {
		t.Fatal(err)
	}
	ctx, send := a.Tracer("sender").Start(baggage.ContextWithBaggage(context.Background(), bag), "grain send")
	carrier := Inject(ctx)
	if !strings.HasPrefix(carrier["traceparent"], "00-"+send.SpanContext().TraceID().String()) || carrier["baggage"] != "tenant=acme" {
		t.Fatalf("carrier = %v", carrier)
	}

	rctx := Extract(context.Background(), carrier)
	if baggage.FromContext(rctx).Member("tenant").Value() != "acme" {
		t.Fatal("baggage lost")
	}
	_, recv := b.Tracer("receiver").Start(rctx, "grain receive", trace.WithSpanKind(trace.SpanKindConsumer))
	recv.End()
	send.End()

	id := send.SpanContext().TraceID().String()
	spans := b.Traces().Trace(id)
	if len(spans) != 1 || spans[0].ParentSpanID != send.SpanContext().SpanID().String() || !spans[0].RemoteParent {
		t.Fatalf("receiver spans = %+v", spans)
	}
	if s := b.Traces().Recent(0); len(s) != 1 || !s[0].Partial || s[0].Root != "grain receive" || !slices.Equal(s[0].Nodes, []string{"2"}) {
		t.Fatalf("receiver summary = %+v", s)
	}
	if s := a.Traces().Recent(0); len(s) != 1 || s[0].Partial || s[0].TraceID != id {
		t.Fatalf("sender summary = %+v", s)
	}
}

func TestSampling(t *testing.T) {
	never := newTestTelemetry(t, TelemetryOptions{Tracing: TracingOptions{SampleRatio: -1}})
	_, s := never.Tracer("t").Start(context.Background(), "new trace")
	s.End()
	if s.SpanContext().IsSampled() || never.Traces().Len() != 0 {
		t.Fatal("a negative ratio sampled a new trace")
	}

	// A caller's sampled decision is followed whatever the ratio.
	always := newTestTelemetry(t, TelemetryOptions{})
	ctx, parent := always.Tracer("t").Start(context.Background(), "caller")
	if !parent.SpanContext().IsSampled() {
		t.Fatal("the default ratio did not sample")
	}
	_, child := never.Tracer("t").Start(Extract(context.Background(), Inject(ctx)), "callee")
	child.End()
	parent.End()
	if !child.SpanContext().IsSampled() || never.Traces().Len() != 1 {
		t.Fatal("a sampled parent's decision was not followed")
	}
}

func TestSamplingIgnoringParent(t *testing.T) {
	caller := newTestTelemetry(t, TelemetryOptions{})
	ctx, parent := caller.Tracer("t").Start(context.Background(), "caller")
	defer parent.End()
	remote := Extract(context.Background(), Inject(ctx))

	off := newTestTelemetry(t, TelemetryOptions{Tracing: TracingOptions{SampleRatio: -1, IgnoreParent: true}})
	_, child := off.Tracer("t").Start(remote, "callee")
	child.End()
	if child.SpanContext().IsSampled() || off.Traces().Len() != 0 {
		t.Fatal("always_off followed a sampled parent")
	}

	unsampled := newTestTelemetry(t, TelemetryOptions{Tracing: TracingOptions{SampleRatio: -1}})
	uctx, uparent := unsampled.Tracer("t").Start(context.Background(), "unsampled caller")
	uparent.End()
	on := newTestTelemetry(t, TelemetryOptions{Tracing: TracingOptions{SampleRatio: 1, IgnoreParent: true}})
	_, child = on.Tracer("t").Start(Extract(context.Background(), Inject(uctx)), "callee")
	child.End()
	if !child.SpanContext().IsSampled() || on.Traces().Len() != 1 {
		t.Fatal("always_on followed an unsampled parent")
	}
}

func TestRateLimitedSampling(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	s := newRateLimited(sdktrace.AlwaysSample(), 10, clock)
	sampled := func(n int) int {
		got := 0
		for range n {
			r := s.ShouldSample(sdktrace.SamplingParameters{ParentContext: context.Background(), Name: "x"})
			if r.Decision == sdktrace.RecordAndSample {
				got++
			}
		}
		return got
	}
	if got := sampled(50); got != 10 {
		t.Fatalf("a burst of 50 new traces: %d sampled, want the burst of 10", got)
	}
	now = now.Add(500 * time.Millisecond)
	if got := sampled(50); got != 5 {
		t.Fatalf("after half a second: %d sampled, want 5", got)
	}
	now = now.Add(time.Hour)
	if got := sampled(50); got != 10 {
		t.Fatalf("after an idle hour: %d sampled, want no more than the burst of 10", got)
	}
	// What the inner sampler drops costs no token.
	never := newRateLimited(sdktrace.NeverSample(), 10, clock)
	if r := never.ShouldSample(sdktrace.SamplingParameters{ParentContext: context.Background()}); r.Decision != sdktrace.Drop {
		t.Fatal("the cap recorded a trace its ratio dropped")
	}

	// Through the options: parent-based, so a sampled caller's trace is
	// continued past the cap.
	tel := newTestTelemetry(t, TelemetryOptions{Tracing: TracingOptions{MaxPerSecond: 2}})
	rec := 0
	for range 20 {
		_, sp := tel.Tracer("t").Start(context.Background(), "new trace")
		if sp.SpanContext().IsSampled() {
			rec++
		}
		sp.End()
	}
	if rec < 2 || rec > 4 { // 2 per second; the loop may straddle a refill
		t.Fatalf("20 new traces at once with a cap of 2/s: %d recorded", rec)
	}
	caller := newTestTelemetry(t, TelemetryOptions{})
	ctx, parent := caller.Tracer("t").Start(context.Background(), "caller")
	defer parent.End()
	_, child := tel.Tracer("t").Start(Extract(context.Background(), Inject(ctx)), "callee")
	child.End()
	if !child.SpanContext().IsSampled() {
		t.Fatal("the cap dropped a span whose caller's trace is sampled")
	}
}

func TestTracingOptionsRejected(t *testing.T) {
	_, err := NewTelemetry(TelemetryOptions{Tracing: TracingOptions{SampleRatio: 2, Exporter: "jaeger", RingSize: -1, MaxPerSecond: -3}})
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{"sample ratio 2", `"jaeger"`, "ring size -1", "cap -3 per second"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := NewTelemetry(TelemetryOptions{Tracing: TracingOptions{SampleRatio: math.NaN()}}); err == nil {
		t.Error("NaN ratio accepted")
	}
}

func TestStdoutExporter(t *testing.T) {
	var buf syncBuffer
	tel, err := NewTelemetry(TelemetryOptions{Tracing: TracingOptions{Exporter: TraceExporterStdout, Stdout: &buf}})
	if err != nil {
		t.Fatal(err)
	}
	_, s := tel.Tracer("t").Start(context.Background(), "written out")
	s.End()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, `"Name":"written out"`) {
		t.Fatalf("stdout exporter wrote %q", out)
	}
	if tel.Traces().Len() != 1 {
		t.Fatal("ring lost the span after Shutdown")
	}
}

func TestOTLPHTTPExporterUsesEnv(t *testing.T) {
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type")
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)

	tel, err := NewTelemetry(TelemetryOptions{Tracing: TracingOptions{Exporter: TraceExporterOTLPHTTP}})
	if err != nil {
		t.Fatal(err)
	}
	_, s := tel.Tracer("t").Start(context.Background(), "exported")
	s.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-got:
		if req != "POST /v1/traces application/x-protobuf" {
			t.Fatalf("collector got %q", req)
		}
	default:
		t.Fatal("no export reached the collector before Shutdown returned")
	}
}

func TestOTLPGRPCExporterBuilds(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	tel, err := NewTelemetry(TelemetryOptions{Tracing: TracingOptions{Exporter: TraceExporterOTLPGRPC}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTraceLogHandler(t *testing.T) {
	var buf bytes.Buffer
	l, err := NewLogger(&buf, LogFormatJSON, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	tel := newTestTelemetry(t, TelemetryOptions{})
	ctx, s := tel.Tracer("t").Start(context.Background(), "op")
	defer s.End()

	l.With("node", 1).InfoContext(ctx, "traced")
	l.InfoContext(context.Background(), "untraced")
	l.Info("no context")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log output %q", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec[LogTraceIDKey] != s.SpanContext().TraceID().String() || rec[LogSpanIDKey] != s.SpanContext().SpanID().String() || rec["node"] != 1.0 {
		t.Errorf("traced record = %v", rec)
	}
	for _, line := range lines[1:] {
		if strings.Contains(line, LogTraceIDKey) {
			t.Errorf("untraced record %s has a trace id", line)
		}
	}

	h := TraceLogHandler(slog.NewTextHandler(io.Discard, nil))
	if TraceLogHandler(h) != h {
		t.Error("TraceLogHandler wrapped its own handler again")
	}
}

// TestTraceLogHandlerLeavesRecordAlone checks that adding ids to a record
// shared with another handler does not disturb that handler's copy.
func TestTraceLogHandlerLeavesRecordAlone(t *testing.T) {
	tel := newTestTelemetry(t, TelemetryOptions{})
	ctx, s := tel.Tracer("t").Start(context.Background(), "op")
	defer s.End()
	var plain, traced bytes.Buffer
	fan := fanout{slog.NewTextHandler(&plain, nil), TraceLogHandler(slog.NewTextHandler(&traced, nil))}
	slog.New(fan).InfoContext(ctx, "m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6)
	if strings.Contains(plain.String(), "trace_id") || !strings.Contains(traced.String(), "trace_id=") {
		t.Fatalf("plain %q, traced %q", plain.String(), traced.String())
	}
}

type fanout []slog.Handler

func (f fanout) Enabled(context.Context, slog.Level) bool { return true }
func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		errs = append(errs, h.Handle(ctx, r))
	}
	return errors.Join(errs...)
}
func (f fanout) WithAttrs([]slog.Attr) slog.Handler { return f }
func (f fanout) WithGroup(string) slog.Handler      { return f }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
