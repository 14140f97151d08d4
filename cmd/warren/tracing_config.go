package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/warrenhq/warren/observability"
)

// maxTraceRingSize bounds --trace-ring-size: the ring is allocated whole.
const maxTraceRingSize = 1_000_000

// Tracing options. Their YAML keys are the option names with underscores
// (trace_sample_ratio...), their environment variables WARREN_TRACE_....
var (
	traceSampleRatioOpt = option{
		name: "trace-sample-ratio", typ: "ratio",
		usage: "fraction of new traces recorded, 0 to 1; a request that comes with a trace context follows its caller's decision (unset: from OTEL_TRACES_SAMPLER)",
		set: func(s *settings, vals []string) error {
			r, err := strconv.ParseFloat(strings.TrimSpace(vals[0]), 64)
			if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
				return fmt.Errorf("%q is not a number from 0 to 1", vals[0])
			}
			s.Tracing.SampleRatio, s.Tracing.IgnoreParent = traceRatio(r), false
			return nil
		},
		get: func(s *settings) string {
			switch r := s.Tracing.SampleRatio; {
			case r < 0:
				return "0"
			case r == 0:
				return "1"
			default:
				return strconv.FormatFloat(r, 'g', -1, 64)
			}
		},
	}
	traceExporterOpt = option{
		name: "trace-exporter", typ: "exporter",
		usage: "where finished spans go besides the in-memory ring: none, otlp-grpc, otlp-http or stdout; OTLP is configured by the OTEL_EXPORTER_OTLP_* variables (unset: from OTEL_TRACES_EXPORTER)",
		set: func(s *settings, vals []string) error {
			switch v := vals[0]; v {
			case observability.TraceExporterNone, observability.TraceExporterOTLPGRPC,
				observability.TraceExporterOTLPHTTP, observability.TraceExporterStdout:
				s.Tracing.Exporter = v
				return nil
			}
			return fmt.Errorf("%q is not none, otlp-grpc, otlp-http or stdout", vals[0])
		},
		get: func(s *settings) string {
			if s.Tracing.Exporter == "" {
				return observability.TraceExporterNone
			}
			return s.Tracing.Exporter
		},
	}
	traceMaxPerSecondOpt = option{
		name: "trace-max-per-second", typ: "rate",
		usage: "most new traces each node records per second, after the sample ratio (a token bucket with one second's burst), so tracing costs a bounded amount under load; 0: no cap",
		set: func(s *settings, vals []string) error {
			r, err := strconv.ParseFloat(strings.TrimSpace(vals[0]), 64)
			if err != nil || math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
				return fmt.Errorf("%q is not a number >= 0", vals[0])
			}
			s.Tracing.MaxPerSecond = r
			return nil
		},
		get: func(s *settings) string { return strconv.FormatFloat(s.Tracing.MaxPerSecond, 'g', -1, 64) },
	}
	traceRingSizeOpt = option{
		name: "trace-ring-size", typ: "int",
		usage: "finished spans each node keeps in memory for the dashboard and /api/traces",
		set: func(s *settings, vals []string) error {
			n, err := strconv.Atoi(strings.TrimSpace(vals[0]))
			if err != nil || n < 1 || n > maxTraceRingSize {
				return fmt.Errorf("%q is not an integer from 1 to %d", vals[0], maxTraceRingSize)
			}
			s.Tracing.RingSize = n
			return nil
		},
		get: func(s *settings) string {
			if s.Tracing.RingSize == 0 {
				return strconv.Itoa(observability.DefaultRingSize)
			}
			return strconv.Itoa(s.Tracing.RingSize)
		},
	}
)

// defaultTraceMaxPerSecond is the default cap on new traces per node and
// second: every request of a developer or a test is traced, and a node
// under sustained load spends a bounded share of its CPU on tracing.
const defaultTraceMaxPerSecond = 100

// defaultTracing is what `warren server` and `warren dev` trace with when
// nothing is configured: every new trace sampled up to
// defaultTraceMaxPerSecond, spans kept in the ring only.
func defaultTracing() observability.TracingOptions {
	return observability.TracingOptions{
		SampleRatio:  1,
		MaxPerSecond: defaultTraceMaxPerSecond,
		Exporter:     observability.TraceExporterNone,
		RingSize:     observability.DefaultRingSize,
	}
}

// traceRatio turns a ratio from 0 to 1 into TracingOptions.SampleRatio,
// where 0 means the default and a negative ratio samples nothing.
func traceRatio(r float64) float64 {
	if r == 0 {
		return -1
	}
	return r
}

// The standard OpenTelemetry variables Warren reads when its own setting is
// not given.
const (
	envTracesSampler      = "OTEL_TRACES_SAMPLER"
	envTracesSamplerArg   = "OTEL_TRACES_SAMPLER_ARG"
	envTracesExporter     = "OTEL_TRACES_EXPORTER"
	envOTLPProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envOTLPTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
)

// otelTracing fills the tracing settings that no flag, WARREN_* variable or
// file line gave from OTEL_TRACES_SAMPLER (and _ARG) and
// OTEL_TRACES_EXPORTER. As the OpenTelemetry specification asks, values it
// does not support are ignored with a warning (in s.Warnings) rather than
// refused.
func (l *loader) otelTracing(s *settings, lookupEnv func(string) (string, bool)) {
	env := func(k string) string {
		v, _ := lookupEnv(k)
		return strings.ToLower(strings.TrimSpace(v))
	}
	if _, given := l.origin[traceSampleRatioOpt.yamlKey()]; !given {
		if v := env(envTracesSampler); v != "" {
			_, capped := l.origin[traceMaxPerSecondOpt.yamlKey()]
			s.Warnings = append(s.Warnings, applySampler(&s.Tracing, v, env(envTracesSamplerArg), capped)...)
		}
	}
	if _, given := l.origin[traceExporterOpt.yamlKey()]; !given {
		if v := env(envTracesExporter); v != "" {
			protocol := env(envOTLPTracesProtocol)
			if protocol == "" {
				protocol = env(envOTLPProtocol)
			}
			s.Warnings = append(s.Warnings, applyExporter(&s.Tracing, v, protocol)...)
		}
	}
}

// applySampler sets the sampling of t from an OTEL_TRACES_SAMPLER value and
// its argument, both lower case; it returns warnings for what it ignored.
// OpenTelemetry's samplers have no cap, so a supported one also lifts
// Warren's default cap on new traces per second, unless keepCap (the cap
// was set explicitly).
func applySampler(t *observability.TracingOptions, sampler, arg string, keepCap bool) []string {
	if !keepCap && slices.Contains([]string{"always_on", "always_off", "traceidratio",
		"parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"}, sampler) {
		t.MaxPerSecond = 0
	}
	ratio := func() (float64, []string) {
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
			return 1, []string{fmt.Sprintf("%s=%q is not a number from 0 to 1; sampling every trace", envTracesSamplerArg, arg)}
		}
		return r, nil
	}
	var warnings []string
	switch sampler {
	case "always_on":
		t.SampleRatio, t.IgnoreParent = 1, true
	case "always_off":
		t.SampleRatio, t.IgnoreParent = -1, true
	case "traceidratio":
		var r float64
		r, warnings = ratio()
		t.SampleRatio, t.IgnoreParent = traceRatio(r), true
	case "parentbased_always_on":
		t.SampleRatio, t.IgnoreParent = 1, false
	case "parentbased_always_off":
		t.SampleRatio, t.IgnoreParent = -1, false
	case "parentbased_traceidratio":
		var r float64
		r, warnings = ratio()
		t.SampleRatio, t.IgnoreParent = traceRatio(r), false
	default:
		warnings = append(warnings, fmt.Sprintf("%s=%q is not supported (always_on, always_off, traceidratio, "+
			"parentbased_always_on, parentbased_always_off or parentbased_traceidratio); ignored", envTracesSampler, sampler))
	}
	return warnings
}

// applyExporter sets t.Exporter from an OTEL_TRACES_EXPORTER value (a
// comma-separated list, lower case) and the OTLP protocol; it returns
// warnings for what it ignored. Warren exports to one place: the first
// supported entry wins.
func applyExporter(t *observability.TracingOptions, list, protocol string) []string {
	var warnings []string
	chosen := ""
	for _, v := range splitList(list) {
		switch v {
		case "none", "console", "logging", "otlp":
		default:
			warnings = append(warnings, fmt.Sprintf("%s: exporter %q is not supported (otlp, console or none); ignored", envTracesExporter, v))
			continue
		}
		if chosen != "" {
			warnings = append(warnings, fmt.Sprintf("%s: Warren sends spans to one exporter; %q ignored, using %q", envTracesExporter, v, chosen))
			continue
		}
		chosen = v
		switch v {
		case "none":
			t.Exporter = observability.TraceExporterNone
		case "console", "logging":
			t.Exporter = observability.TraceExporterStdout
		case "otlp":
			switch protocol {
			case "", "grpc":
				t.Exporter = observability.TraceExporterOTLPGRPC
			case "http/protobuf":
				t.Exporter = observability.TraceExporterOTLPHTTP
			case "http/json":
				t.Exporter = observability.TraceExporterOTLPHTTP
				warnings = append(warnings, fmt.Sprintf("OTLP protocol %q is not supported; sending http/protobuf", protocol))
			default:
				t.Exporter = observability.TraceExporterOTLPGRPC
				warnings = append(warnings, fmt.Sprintf("OTLP protocol %q is not grpc, http/protobuf or http/json; sending grpc", protocol))
			}
		}
	}
	return warnings
}
