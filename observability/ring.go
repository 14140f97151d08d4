package observability

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// DefaultRingSize is the number of finished spans a Ring keeps when
// TracingOptions.RingSize is zero.
const DefaultRingSize = 2048

// Resource attribute keys the Ring reads to name a trace's services and
// nodes.
const (
	serviceNameKey     = "service.name"
	serviceInstanceKey = "service.instance.id"
)

// Ring is an in-memory span exporter that keeps the last N finished spans,
// dropping the oldest first, and answers the dashboard's trace queries. Its
// memory is bounded by N times the SDK's per-span limits (128 attributes,
// events and links each by default).
//
// Every Telemetry feeds its Ring directly from the tracer provider, before
// any batching, so a span is visible as soon as it ends. A Ring is also an
// sdktrace.SpanExporter and can be handed to any span processor. All methods
// are safe for concurrent use; Recent and Trace copy what they return.
type Ring struct {
	stopped atomic.Bool

	mu struct {
		sync.Mutex
		// spans is a circular buffer of len(spans) == cap; next is the slot
		// written next and, once full, also the oldest span.
		spans []sdktrace.ReadOnlySpan
		next  int
		full  bool
	}
}

var _ sdktrace.SpanExporter = (*Ring)(nil)

// NewRing returns a Ring holding up to size spans; size <= 0 means
// DefaultRingSize.
func NewRing(size int) *Ring {
	if size <= 0 {
		size = DefaultRingSize
	}
	r := &Ring{}
	r.mu.spans = make([]sdktrace.ReadOnlySpan, size)
	return r
}

// ExportSpans stores spans, evicting the oldest ones beyond the ring's size.
// After Shutdown it stores nothing and returns nil.
func (r *Ring) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	if r.stopped.Load() {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range spans {
		r.addLocked(s)
	}
	return nil
}

// Shutdown stops the ring from storing further spans. Spans already stored
// stay readable, so the dashboard can still show them while a node stops.
func (r *Ring) Shutdown(context.Context) error {
	r.stopped.Store(true)
	return nil
}

// Len returns the number of spans held.
func (r *Ring) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.full {
		return len(r.mu.spans)
	}
	return r.mu.next
}

func (r *Ring) add(s sdktrace.ReadOnlySpan) {
	if r.stopped.Load() {
		return
	}
	r.mu.Lock()
	r.addLocked(s)
	r.mu.Unlock()
}

// REQUIRES: r.mu
func (r *Ring) addLocked(s sdktrace.ReadOnlySpan) {
	r.mu.spans[r.mu.next] = s
	r.mu.next++
	if r.mu.next == len(r.mu.spans) {
		r.mu.next = 0
		r.mu.full = true
	}
}

// snapshot returns the held spans, oldest first.
func (r *Ring) snapshot() []sdktrace.ReadOnlySpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.mu.full {
		return slices.Clone(r.mu.spans[:r.mu.next])
	}
	out := make([]sdktrace.ReadOnlySpan, 0, len(r.mu.spans))
	out = append(out, r.mu.spans[r.mu.next:]...)
	return append(out, r.mu.spans[:r.mu.next]...)
}

// TraceSummary describes one trace as far as a ring knows it: the spans of
// the trace that ended on this node and are still held.
type TraceSummary struct {
	// TraceID is the W3C trace id, 32 lowercase hex digits.
	TraceID string `json:"trace_id"`
	// Root names the trace's root span: the span without a parent or, when
	// that is not held (Partial), the earliest span whose parent is not held.
	Root string `json:"root"`
	// Partial is true when the trace's root span is not among the held
	// spans: it ran on another node, has not ended yet, or was evicted.
	Partial bool `json:"partial"`
	// Start is the earliest start of the held spans.
	Start time.Time `json:"start"`
	// Duration runs from Start to the latest end of the held spans.
	Duration time.Duration `json:"duration_ns"`
	// Spans counts the held spans.
	Spans int `json:"spans"`
	// Services lists the spans' service.name resource attributes, sorted.
	Services []string `json:"services"`
	// Nodes lists the spans' service.instance.id resource attributes (node
	// ids), sorted.
	Nodes []string `json:"nodes"`
	// Error is true when any held span has status error.
	Error bool `json:"error"`
}

// Recent summarizes the held traces, newest (latest Start) first, at most
// limit of them; limit <= 0 means all.
func (r *Ring) Recent(limit int) []TraceSummary {
	spans := r.snapshot()
	groups := map[trace.TraceID][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		id := s.SpanContext().TraceID()
		groups[id] = append(groups[id], s)
	}
	out := make([]TraceSummary, 0, len(groups))
	for id, g := range groups {
		out = append(out, summarize(id, g))
	}
	slices.SortFunc(out, func(a, b TraceSummary) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(a.TraceID, b.TraceID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func summarize(id trace.TraceID, spans []sdktrace.ReadOnlySpan) TraceSummary {
	held := make(map[trace.SpanID]bool, len(spans))
	for _, s := range spans {
		held[s.SpanContext().SpanID()] = true
	}
	sum := TraceSummary{TraceID: id.String(), Spans: len(spans), Partial: true}
	var end time.Time
	var root sdktrace.ReadOnlySpan
	services, nodes := map[string]bool{}, map[string]bool{}
	for _, s := range spans {
		if sum.Start.IsZero() || s.StartTime().Before(sum.Start) {
			sum.Start = s.StartTime()
		}
		if s.EndTime().After(end) {
			end = s.EndTime()
		}
		if s.Status().Code == codes.Error {
			sum.Error = true
		}
		for _, kv := range s.Resource().Attributes() {
			switch kv.Key {
			case serviceNameKey:
				services[kv.Value.Emit()] = true
			case serviceInstanceKey:
				nodes[kv.Value.Emit()] = true
			}
		}
		switch parent := s.Parent(); {
		case !parent.IsValid():
			if sum.Partial || s.StartTime().Before(root.StartTime()) {
				root, sum.Partial = s, false
			}
		case sum.Partial && !held[parent.SpanID()]:
			if root == nil || s.StartTime().Before(root.StartTime()) {
				root = s
			}
		}
	}
	if root != nil {
		sum.Root = root.Name()
	}
	sum.Start = sum.Start.UTC()
	sum.Duration = end.Sub(sum.Start)
	sum.Services = sortedKeys(services)
	sum.Nodes = sortedKeys(nodes)
	return sum
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// SpanData is one finished span as the dashboard shows it.
type SpanData struct {
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
	// ParentSpanID is empty for a root span.
	ParentSpanID string `json:"parent_span_id,omitempty"`
	// RemoteParent is true when the parent span ran in another process (its
	// context arrived in a message or request).
	RemoteParent bool   `json:"remote_parent,omitempty"`
	Name         string `json:"name"`
	// Kind is internal, server, client, producer or consumer.
	Kind     string        `json:"kind"`
	Start    time.Time     `json:"start"`
	End      time.Time     `json:"end"`
	Duration time.Duration `json:"duration_ns"`
	// Attributes are the span's attributes, each value in its string form
	// (slices as JSON-like lists).
	Attributes map[string]string `json:"attributes,omitempty"`
	Status     SpanStatus        `json:"status"`
	Events     []SpanEvent       `json:"events,omitempty"`
	Links      []SpanLink        `json:"links,omitempty"`
	// Resource holds the producing process's resource attributes:
	// service.name, service.instance.id (the node id), service.version.
	Resource map[string]string `json:"resource,omitempty"`
	// Scope is the instrumentation scope (tracer) name.
	Scope string `json:"scope,omitempty"`
}

// SpanStatus is a span's status.
type SpanStatus struct {
	// Code is unset, ok or error.
	Code        string `json:"code"`
	Description string `json:"description,omitempty"`
}

// SpanEvent is an event recorded on a span, such as an exception.
type SpanEvent struct {
	Name       string            `json:"name"`
	Time       time.Time         `json:"time"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// SpanLink points from a span to another span, possibly of another trace.
type SpanLink struct {
	TraceID    string            `json:"trace_id"`
	SpanID     string            `json:"span_id"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Trace returns the held spans of the trace with the given hex id, earliest
// start first, or nil when the id is malformed or no span of it is held.
func (r *Ring) Trace(id string) []SpanData {
	tid, err := trace.TraceIDFromHex(strings.ToLower(id))
	if err != nil {
		return nil
	}
	var out []SpanData
	for _, s := range r.snapshot() {
		if s.SpanContext().TraceID() == tid {
			out = append(out, spanData(s))
		}
	}
	slices.SortStableFunc(out, func(a, b SpanData) int { return a.Start.Compare(b.Start) })
	return out
}

func spanData(s sdktrace.ReadOnlySpan) SpanData {
	sc := s.SpanContext()
	d := SpanData{
		TraceID:    sc.TraceID().String(),
		SpanID:     sc.SpanID().String(),
		Name:       s.Name(),
		Kind:       s.SpanKind().String(),
		Start:      s.StartTime().UTC(),
		End:        s.EndTime().UTC(),
		Duration:   s.EndTime().Sub(s.StartTime()),
		Attributes: attrMap(s.Attributes()),
		Status:     SpanStatus{Code: strings.ToLower(s.Status().Code.String()), Description: s.Status().Description},
		Resource:   attrMap(s.Resource().Attributes()),
		Scope:      s.InstrumentationScope().Name,
	}
	if p := s.Parent(); p.IsValid() {
		d.ParentSpanID = p.SpanID().String()
		d.RemoteParent = p.IsRemote()
	}
	for _, e := range s.Events() {
		d.Events = append(d.Events, SpanEvent{Name: e.Name, Time: e.Time.UTC(), Attributes: attrMap(e.Attributes)})
	}
	for _, l := range s.Links() {
		d.Links = append(d.Links, SpanLink{
			TraceID:    l.SpanContext.TraceID().String(),
			SpanID:     l.SpanContext.SpanID().String(),
			Attributes: attrMap(l.Attributes),
		})
	}
	return d
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// ringProcessor feeds a Ring from a tracer provider synchronously, without
// the per-span slice and lock of sdktrace.SimpleSpanProcessor.
type ringProcessor struct{ r *Ring }

var _ sdktrace.SpanProcessor = ringProcessor{}

func (p ringProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (p ringProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanContext().IsSampled() {
		p.r.add(s)
	}
}

func (p ringProcessor) Shutdown(ctx context.Context) error { return p.r.Shutdown(ctx) }

func (p ringProcessor) ForceFlush(context.Context) error { return nil }
