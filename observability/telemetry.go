package observability

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// DefaultServiceName is the service.name resource attribute used when
// TelemetryOptions.ServiceName is empty.
const DefaultServiceName = "warren"

// TelemetryOptions configures NewTelemetry. The zero value is valid.
type TelemetryOptions struct {
	// ServiceName is the OpenTelemetry service.name resource attribute,
	// exported in Prometheus' target_info. Default: DefaultServiceName.
	ServiceName string
	// ServiceVersion is the service.version resource attribute. Empty: omitted.
	ServiceVersion string
	// InstanceID is the service.instance.id resource attribute, typically the
	// node id. Empty: omitted.
	InstanceID string
	// Logger receives errors met while serving /metrics. Default: discarded.
	Logger *slog.Logger
	// Tracing configures sampling, the span exporter and the span ring.
	Tracing TracingOptions
}

// Telemetry owns one process's (or one test node's) metrics and tracing
// pipelines: an OpenTelemetry MeterProvider read by a Prometheus exporter
// that is registered, together with the Go runtime and process collectors,
// on a private prometheus.Registry; and an OpenTelemetry TracerProvider
// whose finished spans go to an in-memory Ring and, optionally, to an OTLP
// or stdout exporter.
type Telemetry struct {
	registry       *prometheus.Registry
	provider       *sdkmetric.MeterProvider
	handler        http.Handler
	tracerProvider *sdktrace.TracerProvider
	ring           *Ring

	// dragonboat and memberlist are set once the libraries' own metrics
	// are registered (ExportDragonboatMetrics, ExportMemberlistMetrics).
	dragonboat atomic.Bool
	memberlist atomic.Bool
}

// NewTelemetry builds the metrics and tracing pipelines. Call Shutdown when
// done.
func NewTelemetry(opts TelemetryOptions) (*Telemetry, error) {
	if err := opts.Tracing.validate(); err != nil {
		return nil, err
	}
	name := opts.ServiceName
	if name == "" {
		name = DefaultServiceName
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", name)}
	if opts.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", opts.ServiceVersion))
	}
	if opts.InstanceID != "" {
		attrs = append(attrs, attribute.String("service.instance.id", opts.InstanceID))
	}

	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("observability: register Go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("observability: register process collector: %w", err)
	}
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("observability: prometheus exporter: %w", err)
	}
	res := resource.NewSchemaless(attrs...)
	provider := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(exporter),
		sdkmetric.WithResource(res),
	)
	tracerProvider, ring, err := newTracerProvider(opts.Tracing, res)
	if err != nil {
		_ = provider.Shutdown(context.Background())
		return nil, err
	}

	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:          promLogger{logger},
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          reg,
		EnableOpenMetrics: true,
	})
	return &Telemetry{
		registry:       reg,
		provider:       provider,
		handler:        handler,
		tracerProvider: tracerProvider,
		ring:           ring,
	}, nil
}

// Meter returns the named meter (by convention the instrumenting package's
// import path) from the Telemetry's provider.
func (t *Telemetry) Meter(name string) metric.Meter {
	return t.provider.Meter(name)
}

// MeterProvider returns the provider behind Meter, for libraries that take a
// metric.MeterProvider option.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.provider }

// Registry returns the private Prometheus registry that MetricsHandler
// serves. Collectors of libraries that speak Prometheus natively register
// here.
func (t *Telemetry) Registry() *prometheus.Registry { return t.registry }

// MetricsHandler serves every metric of the registry in the Prometheus text
// (or OpenMetrics, when negotiated) exposition format.
func (t *Telemetry) MetricsHandler() http.Handler { return t.handler }

// Shutdown flushes and stops the tracer provider (sending spans still
// batched to the exporter, within ctx) and the meter provider. Instruments
// and tracers created from them become no-ops; the Ring keeps the spans it
// holds. Calling Shutdown more than once returns nil.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if err := t.tracerProvider.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("observability: shut down tracer provider: %w", err))
	}
	if err := t.provider.Shutdown(ctx); err != nil && !errors.Is(err, sdkmetric.ErrReaderShutdown) {
		errs = append(errs, fmt.Errorf("observability: shut down meter provider: %w", err))
	}
	return errors.Join(errs...)
}

// promLogger adapts slog to promhttp.Logger.
type promLogger struct{ l *slog.Logger }

func (p promLogger) Println(v ...any) {
	p.l.Error("serving metrics", "err", fmt.Sprint(v...))
}
