package observability

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// TestMetricsPassPromlint records one instrument of each kind Warren uses
// and checks the scrape the way `promtool check metrics` does, and that it
// parses as the Prometheus text format.
func TestMetricsPassPromlint(t *testing.T) {
	tel, err := NewTelemetry(TelemetryOptions{InstanceID: "1", ServiceVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	ctx := context.Background()
	m := tel.Meter("github.com/warrenhq/warren/observability/test")

	counter, err := m.Int64Counter("warren.test.operations",
		metric.WithDescription("Operations done, by outcome."))
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(ctx, 3, metric.WithAttributes(attribute.String("outcome", "ok")))
	latency, err := m.Float64Histogram("warren.test.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Time an operation takes."))
	if err != nil {
		t.Fatal(err)
	}
	latency.Record(ctx, 0.004)
	sizes, err := m.Int64Histogram("warren.test.batch.size",
		metric.WithDescription("Items per batch."))
	if err != nil {
		t.Fatal(err)
	}
	sizes.Record(ctx, 12)
	gauge, err := m.Int64ObservableGauge("warren.test.members",
		metric.WithDescription("Members, by state."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(gauge, 3, metric.WithAttributes(attribute.String("state", "alive")))
		return nil
	}, gauge); err != nil {
		t.Fatal(err)
	}

	body := scrape(t, tel.MetricsHandler())

	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}

	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse as Prometheus text: %v", err)
	}
	for _, name := range []string{
		"warren_test_operations_total",
		"warren_test_operation_duration_seconds",
		"warren_test_batch_size",
		"warren_test_members",
		"go_goroutines",
		"process_cpu_seconds_total",
		"target_info",
	} {
		if families[name] == nil {
			t.Errorf("no metric family %s", name)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}
