package observability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Trace exporters accepted by TracingOptions.Exporter. Every Telemetry also
// keeps finished spans in its Ring, whichever exporter is chosen.
const (
	// TraceExporterNone keeps spans in the Ring only. The empty string means
	// the same.
	TraceExporterNone = "none"
	// TraceExporterOTLPGRPC sends spans over OTLP/gRPC, configured by the
	// standard OTEL_EXPORTER_OTLP_* environment variables (default endpoint
	// localhost:4317).
	TraceExporterOTLPGRPC = "otlp-grpc"
	// TraceExporterOTLPHTTP sends spans over OTLP/HTTP (protobuf),
	// configured by the standard OTEL_EXPORTER_OTLP_* environment variables
	// (default endpoint localhost:4318).
	TraceExporterOTLPHTTP = "otlp-http"
	// TraceExporterStdout writes each span as one JSON object per line to
	// TracingOptions.Stdout.
	TraceExporterStdout = "stdout"
)

// TracingOptions configures a Telemetry's tracer provider. The zero value
// samples every new trace and keeps the last DefaultRingSize spans in memory
// without exporting them.
type TracingOptions struct {
	// SampleRatio is the fraction of new traces (those started without a
	// sampled parent) that are recorded, in (0, 1]. A span whose parent came
	// with a trace context follows its parent's decision. Zero means the
	// default, 1.0; a negative ratio records no new traces, only those
	// continued from sampled callers.
	SampleRatio float64
	// IgnoreParent applies SampleRatio to every trace, also to spans whose
	// parent came with a trace context (OpenTelemetry's always_on,
	// always_off and traceidratio samplers). By default a span follows its
	// parent's decision, so a trace is recorded whole or not at all.
	IgnoreParent bool
	// MaxPerSecond caps the new traces recorded per second (after
	// SampleRatio), with a burst of one second's worth, so that tracing
	// costs a node under sustained load a bounded amount whatever the
	// request rate. Zero means no cap. Traces continued from a sampled
	// caller are not capped (unless IgnoreParent), so a trace is still
	// recorded whole or not at all.
	MaxPerSecond float64
	// Exporter is where finished spans go besides the Ring: "" or "none",
	// "otlp-grpc", "otlp-http" or "stdout" (the TraceExporter constants).
	Exporter string
	// RingSize is how many finished spans the Ring keeps. Zero means
	// DefaultRingSize (2048).
	RingSize int
	// Stdout is where the stdout exporter writes. Default: os.Stdout.
	Stdout io.Writer
}

// validate reports every bad field at once.
func (o TracingOptions) validate() error {
	var errs []error
	if math.IsNaN(o.SampleRatio) || o.SampleRatio > 1 {
		errs = append(errs, fmt.Errorf("observability: trace sample ratio %v is not a number <= 1", o.SampleRatio))
	}
	switch o.Exporter {
	case "", TraceExporterNone, TraceExporterOTLPGRPC, TraceExporterOTLPHTTP, TraceExporterStdout:
	default:
		errs = append(errs, fmt.Errorf("observability: trace exporter %q is not none, %s, %s or %s",
			o.Exporter, TraceExporterOTLPGRPC, TraceExporterOTLPHTTP, TraceExporterStdout))
	}
	if math.IsNaN(o.MaxPerSecond) || o.MaxPerSecond < 0 {
		errs = append(errs, fmt.Errorf("observability: trace cap %v per second is not a number >= 0", o.MaxPerSecond))
	}
	if o.RingSize < 0 {
		errs = append(errs, fmt.Errorf("observability: trace ring size %d is negative", o.RingSize))
	}
	return errors.Join(errs...)
}

// sampler returns the ratio sampler the options describe, capped by
// MaxPerSecond, parent-based unless IgnoreParent.
func (o TracingOptions) sampler() sdktrace.Sampler {
	ratio := o.SampleRatio
	switch {
	case ratio == 0:
		ratio = 1
	case ratio < 0:
		ratio = 0
	}
	root := sdktrace.TraceIDRatioBased(ratio)
	if o.MaxPerSecond > 0 {
		root = newRateLimited(root, o.MaxPerSecond, time.Now)
	}
	if o.IgnoreParent {
		return root
	}
	return sdktrace.ParentBased(root)
}

// exporter builds the configured exporter, or nil for none. The OTLP
// exporters connect lazily, so this does not block on the collector.
func (o TracingOptions) exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	switch o.Exporter {
	case "", TraceExporterNone:
		return nil, nil
	case TraceExporterOTLPGRPC:
		return otlptracegrpc.New(ctx)
	case TraceExporterOTLPHTTP:
		return otlptracehttp.New(ctx)
	case TraceExporterStdout:
		w := o.Stdout
		if w == nil {
			w = os.Stdout
		}
		return stdouttrace.New(stdouttrace.WithWriter(w))
	}
	return nil, fmt.Errorf("observability: trace exporter %q is unknown", o.Exporter)
}

// newTracerProvider builds the tracer provider: the ring is fed
// synchronously, the exporter (if any) through a batch processor.
func newTracerProvider(o TracingOptions, res *resource.Resource) (*sdktrace.TracerProvider, *Ring, error) {
	exp, err := o.exporter(context.Background())
	if err != nil {
		return nil, nil, fmt.Errorf("observability: trace exporter %s: %w", o.Exporter, err)
	}
	ring := NewRing(o.RingSize)
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(o.sampler()),
		sdktrace.WithSpanProcessor(ringProcessor{ring}),
	}
	if exp != nil {
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	return sdktrace.NewTracerProvider(opts...), ring, nil
}

// propagator is stateless; it is shared by every Telemetry and by Inject and
// Extract.
var propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(
	propagation.TraceContext{}, propagation.Baggage{})

// TracerProvider returns the Telemetry's tracer provider, for libraries that
// take a trace.TracerProvider option. It is not installed globally.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tracerProvider }

// Tracer returns the named tracer (by convention the instrumenting package's
// import path) from the Telemetry's provider.
func (t *Telemetry) Tracer(name string) trace.Tracer { return t.tracerProvider.Tracer(name) }

// Propagator returns the W3C trace context and baggage propagator that
// Inject and Extract use, for HTTP and gRPC middleware.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return propagator }

// Traces returns the ring of this Telemetry's recently finished spans.
func (t *Telemetry) Traces() *Ring { return t.ring }

// Inject returns the trace context and baggage of ctx as the string map
// that Warren's grain requests and Raft commands carry (W3C "traceparent",
// "tracestate", "baggage" keys), or nil when ctx carries neither.
func Inject(ctx context.Context) map[string]string {
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	if len(c) == 0 {
		return nil
	}
	return c
}

// Extract returns ctx with the trace context and baggage carried in m (as
// made by Inject) attached, so spans started from it continue the sender's
// trace. A nil or empty m returns ctx unchanged. Extract does not modify m.
func Extract(ctx context.Context, m map[string]string) context.Context {
	if len(m) == 0 {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier(m))
}
