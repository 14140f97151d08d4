package cluster

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// newMemberlistLogger returns a *log.Logger for memberlist whose lines go to
// logger. memberlist prefixes its lines with a level in brackets ("[DEBUG]",
// "[INFO]", "[WARN]", "[ERR]"/"[ERROR]"); that prefix picks the slog level,
// and lines without one are logged at Info.
func newMemberlistLogger(logger *slog.Logger) *log.Logger {
	return log.New(logWriter{logger: logger}, "", 0)
}

// logWriter adapts memberlist's line-oriented log output to slog. log.Logger
// calls Write once per line and serialises the calls.
type logWriter struct {
	logger *slog.Logger
}

var logPrefixes = []struct {
	prefix string
	level  slog.Level
}{
	{"[DEBUG]", slog.LevelDebug},
	{"[INFO]", slog.LevelInfo},
	{"[WARN]", slog.LevelWarn},
	{"[ERR]", slog.LevelError},
	{"[ERROR]", slog.LevelError},
}

func (w logWriter) Write(p []byte) (int, error) {
	level, msg := parseLogLine(p)
	ctx := context.Background()
	if w.logger.Enabled(ctx, level) {
		w.logger.Log(ctx, level, msg)
	}
	return len(p), nil
}

// parseLogLine splits one memberlist log line into its slog level and the
// message without the level prefix, the "memberlist: " tag and the newline.
func parseLogLine(p []byte) (slog.Level, string) {
	line := bytes.TrimRight(p, "\r\n")
	level := slog.LevelInfo
	for _, lp := range logPrefixes {
		if rest, ok := bytes.CutPrefix(line, []byte(lp.prefix)); ok {
			level, line = lp.level, bytes.TrimLeft(rest, " ")
			break
		}
	}
	line, _ = bytes.CutPrefix(line, []byte("memberlist: "))
	return level, string(line)
}
