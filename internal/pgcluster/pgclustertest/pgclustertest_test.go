package pgclustertest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/hotdash/drillbook/internal/pgcluster"
	"github.com/jackc/pgx/v5"
)

func TestStart(t *testing.T) {
	c := Start(t)
	conn, err := pgx.Connect(t.Context(), c.DSN())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(t.Context())
	var one int
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
}

// fakeTB records how StartWith ends a test instead of ending this one.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper()                  {}
func (f *fakeTB) Log(...any)               {}
func (f *fakeTB) Cleanup(func())           {}
func (f *fakeTB) Context() context.Context { return context.Background() }
func (f *fakeTB) Fatalf(format string, a ...any) {
	f.fatal = fmt.Sprintf(format, a...)
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, a ...any) { f.skip = fmt.Sprintf(format, a...); runtime.Goexit() }

func TestMissingBinaries(t *testing.T) {
	tests := []struct {
		name      string
		skipEnv   string
		wantFatal bool
	}{
		{"fails loudly by default", "", true},
		{"fails when the variable is not exactly 1", "yes", true},
		{"skips with a reason when asked to", "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(SkipEnv, tt.skipEnv)
			f := &fakeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				StartWith(f, pgcluster.Options{BinDir: t.TempDir()}) // no binaries there
				t.Error("StartWith returned without failing or skipping")
			}()
			<-done
			got := f.skip
			if tt.wantFatal {
				got = f.fatal
				if f.skip != "" {
					t.Errorf("skipped (%q), want a failure", f.skip)
				}
			} else if f.fatal != "" {
				t.Errorf("failed (%q), want a skip", f.fatal)
			}
			for _, want := range []string{"apt-get install postgresql", SkipEnv} {
				if !strings.Contains(got, want) {
					t.Errorf("message %q does not mention %q", got, want)
				}
			}
		})
	}
}
