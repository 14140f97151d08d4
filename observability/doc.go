// Package observability sets up a node's telemetry: the OpenTelemetry meter
// provider whose instruments are exported in the Prometheus text format; the
// Prometheus registry that other collectors join (Go runtime, process, and
// the bridges to dragonboat's and memberlist's own metrics, with the names
// those are served under); the OpenTelemetry tracer provider with its
// in-memory span Ring (the dashboard's trace view) and optional OTLP or
// stdout exporter; W3C trace-context propagation for Warren's messages
// (Inject, Extract); and the structured logger, which stamps records with
// the current trace and span ids.
//
// A Telemetry is created once per process (or per node in tests), handed to
// the node through its Config, and shut down after the node has closed. All
// of its methods are safe for concurrent use. Nothing here is global: the
// registry is not prometheus.DefaultRegisterer, and neither the meter
// provider nor the tracer provider is installed with otel.SetMeterProvider or
// otel.SetTracerProvider, so two nodes in one test process keep separate
// metrics and spans. The exceptions are the propagator, fixed and
// stateless, shared by every Telemetry, and the libraries' own metrics,
// which the libraries keep in process-wide state: ExportMemberlistMetrics
// installs the go-metrics global sink once per process, and
// ExportDragonboatMetrics reads VictoriaMetrics' default set (keeping only
// the node's own replicas).
//
// This package is the bottom layer: it must not import any other package of
// this module.
package observability
