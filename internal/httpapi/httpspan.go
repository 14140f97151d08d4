package httpapi

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/warrenhq/warren/observability"
)

// traceHeaders are the request headers that carry W3C trace context and
// baggage.
var traceHeaders = []string{"traceparent", "tracestate", "baggage"}

// traced wraps a route's handler in an OpenTelemetry server span named
// "<method> <route>" (as the HTTP semantic conventions name them, e.g.
// "PUT /api/zk/node"). A W3C traceparent header from the client makes the
// span its child; the handler runs with the span in its request context,
// so the spans of the calls it makes join the same trace. Without a
// tracer the handler is returned as it is.
//
// With a meter it also records the request's duration in the HTTP
// conventions' http.server.request.duration histogram.
func (h *handler) traced(next http.HandlerFunc) http.HandlerFunc {
	if h.tracer == nil && h.reqDur == nil {
		return next
	}
	tracer := h.tracer
	if tracer == nil {
		tracer = tracenoop.NewTracerProvider().Tracer("")
	}
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		carrier := map[string]string{}
		for _, k := range traceHeaders {
			if v := r.Header.Get(k); v != "" {
				carrier[k] = v
			}
		}
		ctx := observability.Extract(r.Context(), carrier)
		route := r.Pattern
		if _, path, ok := strings.Cut(route, " "); ok {
			route = path // ServeMux patterns start with their method
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		attrs := []attribute.KeyValue{
			semconv.HTTPRequestMethodKey.String(r.Method),
			semconv.URLPath(r.URL.Path),
			semconv.URLScheme(scheme),
			semconv.HTTPRoute(route),
		}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			attrs = append(attrs, semconv.ClientAddress(host))
		}
		if ua := r.UserAgent(); ua != "" {
			attrs = append(attrs, semconv.UserAgentOriginal(ua))
		}
		ctx, span := tracer.Start(ctx, r.Method+" "+route,
			trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()

		sw := &statusWriter{ResponseWriter: w}
		next(sw, r.WithContext(ctx))
		code := sw.code
		if code == 0 {
			code = http.StatusOK // the handler wrote nothing
		}
		span.SetAttributes(semconv.HTTPResponseStatusCode(code))
		if h.reqDur != nil {
			h.reqDur.Record(context.Background(), time.Since(start).Seconds(), metric.WithAttributes(
				semconv.HTTPRequestMethodKey.String(r.Method),
				semconv.HTTPRoute(route),
				semconv.HTTPResponseStatusCode(code)))
		}
		if code >= 500 {
			// Server spans mark only 5xx as errors: a 4xx is the client's.
			span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(code)))
			span.SetStatus(codes.Error, http.StatusText(code))
		}
	}
}

// statusWriter remembers the status code a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes streaming through, for handlers that stream.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newRequestDuration creates the http.server.request.duration histogram of
// the HTTP semantic conventions (seconds, their recommended buckets).
func newRequestDuration(m metric.Meter) metric.Float64Histogram {
	hist, err := m.Float64Histogram("http.server.request.duration",
		metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP API requests, by method, route and status code"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	if err != nil {
		return nil
	}
	return hist
}
