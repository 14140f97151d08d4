package zk

import (
	"context"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// instrumentation is the OpenTelemetry scope of the front end's spans and
// metrics.
const instrumentation = "github.com/warrenhq/warren/protocol/zk"

// telemetrySource is implemented by backends that have a node's telemetry.
type telemetrySource interface {
	Meter() metric.Meter
	Tracer() trace.Tracer
}

// serverMetrics are the front end's instruments.
type serverMetrics struct {
	duration metric.Float64Histogram
	reg      metric.Registration

	mu    sync.Mutex
	attrs map[opCode]metric.MeasurementOption // cached attribute sets
}

type opCode struct {
	op   jute.OpCode
	code jute.Code
}

// newServerMetrics registers the front end's instruments with meter. conns
// reports the open connections and sessions.
func newServerMetrics(meter metric.Meter, conns func() (connections, sessions int)) *serverMetrics {
	m := &serverMetrics{attrs: map[opCode]metric.MeasurementOption{}}
	var err error
	m.duration, err = meter.Float64Histogram("warren.zk.request.duration",
		metric.WithUnit("s"),
		metric.WithDescription("ZooKeeper protocol requests, by operation and result code, from decoding to the reply being queued"),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	if err != nil {
		m.duration, _ = noop.NewMeterProvider().Meter("").Float64Histogram("noop")
	}
	connGauge, err1 := meter.Int64ObservableGauge("warren.zk.connections",
		metric.WithDescription("Open ZooKeeper protocol connections on this node"))
	sessGauge, err2 := meter.Int64ObservableGauge("warren.zk.sessions.attached",
		metric.WithDescription("Sessions attached through this node's ZooKeeper protocol connections"))
	if err1 == nil && err2 == nil {
		m.reg, _ = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			c, s := conns()
			o.ObserveInt64(connGauge, int64(c))
			o.ObserveInt64(sessGauge, int64(s))
			return nil
		}, connGauge, sessGauge)
	}
	return m
}

// request records one request.
func (m *serverMetrics) request(op jute.OpCode, code jute.Code, d time.Duration) {
	key := opCode{op, code}
	m.mu.Lock()
	a, ok := m.attrs[key]
	if !ok {
		name := op.String()
		if strings.HasPrefix(name, "OpCode(") {
			name = "unknown" // any number a client sends must not become a series
		}
		a = metric.WithAttributeSet(attribute.NewSet(
			attribute.String("zk.operation", name),
			attribute.String("zk.code", codeName(code))))
		m.attrs[key] = a
	}
	m.mu.Unlock()
	m.duration.Record(context.Background(), d.Seconds(), a)
}

func (m *serverMetrics) close() {
	if m.reg != nil {
		_ = m.reg.Unregister()
	}
}

// codeName is the label of a result code: "ok" or ZooKeeper's name of it.
func codeName(c jute.Code) string {
	if c == jute.CodeOK {
		return "ok"
	}
	return c.String()
}

// telemetryOf returns the backend's tracer and meter, or no-ops.
func telemetryOf(b backend) (trace.Tracer, metric.Meter) {
	if t, ok := b.(telemetrySource); ok {
		return t.Tracer(), t.Meter()
	}
	return tracenoop.NewTracerProvider().Tracer(instrumentation), noop.NewMeterProvider().Meter(instrumentation)
}
