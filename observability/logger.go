package observability

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Log formats accepted by NewLogger.
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// NewLogger returns a logger writing to w at level and above, as logfmt-style
// text ("text") or one JSON object per line ("json").
func NewLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case LogFormatText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case LogFormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
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
