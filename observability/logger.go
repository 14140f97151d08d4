package observability

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Log formats accepted by NewLogger.
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// NewLogger returns a logger writing to w at level and above, as logfmt-style
// text ("text") or one JSON object per line ("json"). Records logged with a
// context that carries a span get trace_id and span_id attributes (see
// TraceLogHandler).
func NewLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case LogFormatText:
		return slog.New(TraceLogHandler(slog.NewTextHandler(w, opts))), nil
	case LogFormatJSON:
		return slog.New(TraceLogHandler(slog.NewJSONHandler(w, opts))), nil
	default:
		return nil, fmt.Errorf("observability: log format %q is not %q or %q", format, LogFormatText, LogFormatJSON)
	}
}

// ParseLevel parses a log level name: debug, info, warn or error, in any
// case, optionally with an offset such as "debug-2" or "info+1".
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return 0, fmt.Errorf("observability: log level %q is not debug, info, warn or error", s)
	}
	return l, nil
}

// Attribute keys TraceLogHandler adds.
const (
	LogTraceIDKey = "trace_id"
	LogSpanIDKey  = "span_id"
)

// TraceLogHandler wraps h so that every record logged with a context
// carrying a valid span context (slog's *Context methods, such as
// InfoContext) also gets the span's ids as trace_id and span_id attributes:
// 32 and 16 lowercase hex digits, as in W3C traceparent and /api/traces.
// Records logged without such a context pass through unchanged. Like any
// attribute, the two are nested under the logger's open groups, if any.
func TraceLogHandler(h slog.Handler) slog.Handler {
	if th, ok := h.(traceLogHandler); ok {
		return th
	}
	return traceLogHandler{h}
}

type traceLogHandler struct{ h slog.Handler }

func (t traceLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.h.Enabled(ctx, l)
}

func (t traceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		// The record may be shared with other handlers: add to a copy.
		r = r.Clone()
		r.AddAttrs(
			slog.String(LogTraceIDKey, sc.TraceID().String()),
			slog.String(LogSpanIDKey, sc.SpanID().String()),
		)
	}
	return t.h.Handle(ctx, r)
}

func (t traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{t.h.WithAttrs(attrs)}
}

func (t traceLogHandler) WithGroup(name string) slog.Handler {
	return traceLogHandler{t.h.WithGroup(name)}
}
