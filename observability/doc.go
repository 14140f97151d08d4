// Package observability sets up a node's telemetry: the OpenTelemetry meter
// provider whose instruments are exported in the Prometheus text format, the
// Prometheus registry that other collectors (Go runtime, process, and later
// dragonboat and memberlist) join, and the structured logger.
//
// A Telemetry is created once per process (or per node in tests), handed to
// the node through its Config, and shut down after the node has closed. All
// of its methods are safe for concurrent use. Nothing here is global: the
// registry is not prometheus.DefaultRegisterer and the meter provider is not
// installed with otel.SetMeterProvider, so two nodes in one test process keep
// separate metrics.
//
// This package is the bottom layer: it must not import any other package of
// this module.
package observability
