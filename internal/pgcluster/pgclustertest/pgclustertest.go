// Package pgclustertest starts throwaway PostgreSQL clusters for tests.
//
// It never skips silently: when the machine has no PostgreSQL server binaries
// the test fails with the install hint, unless DRILLBOOK_SKIP_PG=1 is set, in
// which case the test is skipped with a message that says so.
package pgclustertest

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/pgcluster"
)

// SkipEnv is the environment variable that turns a missing PostgreSQL
// installation from a test failure into a skip.
const SkipEnv = "DRILLBOOK_SKIP_PG"

// Start starts a cluster for the test with default options and stops it (and
// removes its directory) when the test and its subtests have finished.
func Start(t testing.TB) *pgcluster.Cluster {
	t.Helper()
	return StartWith(t, pgcluster.Options{})
}

// StartWith is Start with options. A nil opts.Logger logs to the test log.
func StartWith(t testing.TB, opts pgcluster.Options) *pgcluster.Cluster {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := pgcluster.Start(ctx, opts)
	if err != nil {
		missing := errors.Is(err, pgcluster.ErrNoBinaries) || errors.Is(err, pgcluster.ErrNoPostgresUser)
		if missing && os.Getenv(SkipEnv) == "1" {
			t.Skipf("skipped because %s=1 and this machine cannot run PostgreSQL: %v", SkipEnv, err)
		}
		if missing {
			t.Fatalf("start postgres cluster: %v (set %s=1 to skip tests that need PostgreSQL)", err, SkipEnv)
		}
		t.Fatalf("start postgres cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop postgres cluster: %v", err)
		}
	})
	return c
}

// testWriter sends slog output to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
