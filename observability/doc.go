// Package observability sets up a node's telemetry: the OpenTelemetry meter
// provider whose instruments are exported in the Prometheus text format, the
// Prometheus registry that other collectors (Go runtime, process, and later
// dragonboat and memberlist) join, the OpenTelemetry tracer provider with its
// in-memory span Ring (the dashboard's trace view) and optional OTLP or
// stdout exporter, W3C trace-context propagation for Warren's messages
// (Inject, Extract), and the structured logger, which stamps records with
// the current trace and span ids.
//
// A Telemetry is created once per process (or per node in tests), handed to
// the node through its Config, and shut down after the node has closed. All
// of its methods are safe for concurrent use. Nothing here is global: the
// registry is not prometheus.DefaultRegisterer, and neither the meter
// provider nor the tracer provider is installed with otel.SetMeterProvider or
// otel.SetTracerProvider, so two nodes in one test process keep separate
// metrics and spans. The propagator is the one fixed, stateless exception,
// shared by every Telemetry.
//
// This package is the bottom layer: it must not import any other package of
// this module.
package observability
