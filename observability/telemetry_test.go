package observability

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d, body %q", rec.Code, rec.Body.String())
	}
	body, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestCounterAppearsInMetricsHandler(t *testing.T) {
	tel, err := NewTelemetry(TelemetryOptions{InstanceID: "7"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})

	c, err := tel.Meter("github.com/warrenhq/warren/observability/test").Int64Counter(
		"warren.test.requests", metric.WithDescription("Requests seen by the test."))
	if err != nil {
		t.Fatal(err)
	}
	c.Add(context.Background(), 3, metric.WithAttributes(attribute.String("kind", "zk")))
	c.Add(context.Background(), 2, metric.WithAttributes(attribute.String("kind", "zk")))

	body := scrape(t, tel.MetricsHandler())
	for _, want := range []string{
		`warren_test_requests_total{kind="zk"`,
		"# HELP warren_test_requests_total Requests seen by the test.",
		"go_goroutines ",
		`service_instance_id="7"`,
		`service_name="warren"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics output lacks %q", want)
		}
	}
	if got := grepLines(body, `warren_test_requests_total{kind="zk"`); !strings.HasSuffix(got, "} 5") {
		t.Errorf("counter sample = %q, want value 5", got)
	}
}

func TestTelemetriesAreIndependent(t *testing.T) {
	a, err := NewTelemetry(TelemetryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewTelemetry(TelemetryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer a.Shutdown(ctx)
	defer b.Shutdown(ctx)

	c, err := a.Meter("a").Int64Counter("only.in.a")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, 1)
	if body := scrape(t, b.MetricsHandler()); strings.Contains(body, "only_in_a") {
		t.Fatal("a counter of one Telemetry leaked into another's registry")
	}
	if body := scrape(t, a.MetricsHandler()); !strings.Contains(body, "only_in_a_total") {
		t.Fatal("counter missing from its own registry")
	}
}

func TestShutdownTwice(t *testing.T) {
	tel, err := NewTelemetry(TelemetryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		format  string
		want    string
		wantErr bool
	}{
		{format: "text", want: "level=WARN msg=hello n=1"},
		{format: "json", want: `"level":"WARN","msg":"hello","n":1`},
		{format: "yaml", wantErr: true},
		{format: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := NewLogger(&buf, tt.format, slog.LevelWarn)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l.Info("dropped")
			l.Warn("hello", "n", 1)
			if out := buf.String(); strings.Contains(out, "dropped") || !strings.Contains(out, tt.want) {
				t.Fatalf("output %q: want %q and no info line", out, tt.want)
			}
		})
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{in: "debug", want: slog.LevelDebug},
		{in: "INFO", want: slog.LevelInfo},
		{in: "warn", want: slog.LevelWarn},
		{in: "error", want: slog.LevelError},
		{in: "info+2", want: slog.LevelInfo + 2},
		{in: "loud", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
