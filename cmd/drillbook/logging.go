package main

import (
	"io"
	"log/slog"
	"strings"
)

// newLogger builds the slog logger every long-running command uses. level is
// debug, info, warn or error.
func newLogger(w io.Writer, level string) (*slog.Logger, slog.Level, error) {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "info", "":
		l = slog.LevelInfo
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return nil, 0, usageErrorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), l, nil
}
