package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/warrenhq/warren/observability"
)

func TestTracingSettings(t *testing.T) {
	type tracing = observability.TracingOptions
	def := defaultTracing()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		yaml     string
		want     tracing
		warnings []string // substrings, one per expected warning
	}{
		{name: "defaults", want: def},
		{
			name: "flags",
			args: []string{"--trace-sample-ratio", "0.25", "--trace-exporter", "otlp-http", "--trace-ring-size", "100"},
			want: tracing{MaxPerSecond: def.MaxPerSecond, SampleRatio: 0.25, Exporter: "otlp-http", RingSize: 100},
		},
		{
			name: "env",
			env:  map[string]string{"WARREN_TRACE_SAMPLE_RATIO": "1", "WARREN_TRACE_EXPORTER": "stdout", "WARREN_TRACE_RING_SIZE": "10"},
			want: tracing{MaxPerSecond: def.MaxPerSecond, SampleRatio: 1, Exporter: "stdout", RingSize: 10},
		},
		{
			name: "file, with a flag over it",
			args: []string{"--config", "$FILE", "--trace-exporter", "none"},
			yaml: "trace_sample_ratio: 0.5\ntrace_exporter: otlp-grpc\ntrace_ring_size: 4096\n",
			want: tracing{MaxPerSecond: def.MaxPerSecond, SampleRatio: 0.5, Exporter: "none", RingSize: 4096},
		},
		{
			name: "ratio 0 samples no new trace",
			args: []string{"--trace-sample-ratio", "0"},
			want: tracing{MaxPerSecond: def.MaxPerSecond, SampleRatio: -1, Exporter: "none", RingSize: def.RingSize},
		},
		{
			name: "OTEL sampler and exporter",
			env:  map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1", "OTEL_TRACES_EXPORTER": "otlp"},
			want: tracing{SampleRatio: 0.1, Exporter: "otlp-grpc", RingSize: def.RingSize},
		},
		{
			name: "OTEL values are case-insensitive",
			env:  map[string]string{"OTEL_TRACES_SAMPLER": " ParentBased_Always_Off ", "OTEL_TRACES_EXPORTER": "Console"},
			want: tracing{SampleRatio: -1, Exporter: "stdout", RingSize: def.RingSize},
		},
		{
			name: "OTEL always_on ignores the parent",
			env:  map[string]string{"OTEL_TRACES_SAMPLER": "always_on", "OTEL_TRACES_SAMPLER_ARG": "0.5"},
			want: tracing{SampleRatio: 1, IgnoreParent: true, Exporter: "none", RingSize: def.RingSize},
		},
		{
			name: "OTEL always_off",
			env:  map[string]string{"OTEL_TRACES_SAMPLER": "always_off"},
			want: tracing{SampleRatio: -1, IgnoreParent: true, Exporter: "none", RingSize: def.RingSize},
		},
		{
			name: "OTEL traceidratio without an argument",
			env:  map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio"},
			want: tracing{SampleRatio: 1, IgnoreParent: true, Exporter: "none", RingSize: def.RingSize},
		},
		{
			name: "OTEL traceidratio 0",
			env:  map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"},
			want: tracing{SampleRatio: -1, IgnoreParent: true, Exporter: "none", RingSize: def.RingSize},
		},
		{
			name: "OTEL parentbased_always_on",
			env:  map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_always_on"},
			want: tracing{SampleRatio: 1, Exporter: "none", RingSize: def.RingSize},
		},
		{
			name: "an explicit cap stays under an OTEL sampler",
			args: []string{"--trace-max-per-second", "25"},
			env:  map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_always_on"},
			want: tracing{SampleRatio: 1, MaxPerSecond: 25, Exporter: "none", RingSize: def.RingSize},
		},
		{
			name: "cap 0 lifts the cap",
			env:  map[string]string{"WARREN_TRACE_MAX_PER_SECOND": "0"},
			want: tracing{SampleRatio: 1, Exporter: "none", RingSize: def.RingSize},
		},
		{
			name: "OTLP over HTTP",
			env:  map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
			want: tracing{MaxPerSecond: def.MaxPerSecond, SampleRatio: 1, Exporter: "otlp-http", RingSize: def.RingSize},
		},
		{
			name: "the traces protocol wins over the general one",
			env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp",
				"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"},
			want: tracing{MaxPerSecond: def.MaxPerSecond, SampleRatio: 1, Exporter: "otlp-grpc", RingSize: def.RingSize},
		},
		{
			name: "OTEL exporter none",
			env:  map[string]string{"OTEL_TRACES_EXPORTER": "none"},
			want: def,
		},
		{
			name: "Warren settings beat OTEL ones, wherever they come from",
			args: []string{"--config", "$FILE"},
			env: map[string]string{"WARREN_TRACE_EXPORTER": "stdout",
				"OTEL_TRACES_SAMPLER": "always_off", "OTEL_TRACES_EXPORTER": "otlp"},
			yaml: "trace_sample_ratio: 0.5\n",
			want: tracing{MaxPerSecond: def.MaxPerSecond, SampleRatio: 0.5, Exporter: "stdout", RingSize: def.RingSize},
		},
		{
			name: "unsupported OTEL values are ignored with a warning",
			env: map[string]string{"OTEL_TRACES_SAMPLER": "jaeger_remote",
				"OTEL_TRACES_EXPORTER": "zipkin,console,otlp"},
			want: tracing{MaxPerSecond: def.MaxPerSecond, SampleRatio: 1, Exporter: "stdout", RingSize: def.RingSize},
			warnings: []string{
				`OTEL_TRACES_SAMPLER="jaeger_remote" is not supported`,
				`exporter "zipkin" is not supported`,
				`"otlp" ignored, using "console"`,
			},
		},
		{
			name:     "a bad OTEL ratio samples everything",
			env:      map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"},
			want:     tracing{SampleRatio: 1, Exporter: "none", RingSize: def.RingSize},
			warnings: []string{`OTEL_TRACES_SAMPLER_ARG="half" is not a number from 0 to 1`},
		},
		{
			name:     "OTLP over HTTP/JSON is sent as protobuf",
			env:      map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
			want:     tracing{SampleRatio: 1, MaxPerSecond: def.MaxPerSecond, Exporter: "otlp-http", RingSize: def.RingSize},
			warnings: []string{`OTLP protocol "http/json" is not supported`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load(t, defaultSettings(), tt.args, tt.env, tt.yaml)
			if err != nil {
				t.Fatalf("loadSettings: %v", err)
			}
			want(t, "tracing", s.Tracing, tt.want)
			if len(s.Warnings) != len(tt.warnings) {
				t.Errorf("warnings %q, want %d", s.Warnings, len(tt.warnings))
			}
			for _, w := range tt.warnings {
				if !strings.Contains(strings.Join(s.Warnings, "\n"), w) {
					t.Errorf("warnings %q lack %q", s.Warnings, w)
				}
			}
		})
	}
}

func TestTracingSettingsErrors(t *testing.T) {
	_, err := load(t, defaultSettings(),
		[]string{"--config", "$FILE", "--trace-sample-ratio", "1.5", "--trace-exporter", "jaeger"},
		map[string]string{"WARREN_TRACE_RING_SIZE": "0", "OTEL_TRACES_SAMPLER": "always_off"},
		"trace_sample_ratio: NaN\ntrace_ring_size: 2000000\ntrace_exporter: [a, b]\n")
	var ce *configError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want *configError", err, err)
	}
	wantProblems := []string{
		`warren.yaml:1: trace_sample_ratio: "NaN" is not a number from 0 to 1`,
		`warren.yaml:2: trace_ring_size: "2000000" is not an integer from 1 to 1000000`,
		`warren.yaml:3: trace_exporter: want a single value`,
		`WARREN_TRACE_RING_SIZE: "0" is not an integer from 1 to 1000000`,
		`--trace-sample-ratio: "1.5" is not a number from 0 to 1`,
		`--trace-exporter: "jaeger" is not none, otlp-grpc, otlp-http or stdout`,
	}
	msg := err.Error()
	for _, w := range wantProblems {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
	if len(ce.problems) != len(wantProblems) {
		t.Errorf("%d problems, want %d:\n%s", len(ce.problems), len(wantProblems), msg)
	}
}

func TestTracingHelpDefaults(t *testing.T) {
	s := defaultSettings()
	for _, tt := range []struct {
		opt  option
		want string
	}{
		{traceSampleRatioOpt, "1"},
		{traceMaxPerSecondOpt, "100"},
		{traceExporterOpt, "none"},
		{traceRingSizeOpt, "2048"},
	} {
		if got := tt.opt.get(&s); got != tt.want {
			t.Errorf("default of --%s shown as %q, want %q", tt.opt.name, got, tt.want)
		}
	}
	s.Tracing = observability.TracingOptions{SampleRatio: -1}
	if got := traceSampleRatioOpt.get(&s); got != "0" {
		t.Errorf("ratio -1 shown as %q, want 0", got)
	}
}
