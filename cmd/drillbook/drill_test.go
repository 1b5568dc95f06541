package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
	"github.com/hotdash/drillbook/worker"
)

func TestDrillBadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"drill", "--source", "postgres://app:secret@db/app"}, "give env:NAME"},
		{[]string{"drill", "--source", "DATABASE_URL"}, "give env:NAME"},
		{[]string{"drill", "--rto-budget", "-5m"}, "must be positive"},
		{[]string{"drill", "extra"}, "unknown command"},
	} {
		code, _, errOut := runCaptured(t, tc.args...)
		if code != exitBadUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
		if strings.Contains(errOut, "secret") {
			t.Errorf("%v: the password is echoed: %s", tc.args, errOut)
		}
	}
}

// TestDrillCommand: `drillbook drill --wait` against a real cluster exits 0
// when the drill passes and 1 when a budget is breached.
func TestDrillCommand(t *testing.T) {
	e := newClientTestEnv(t)
	c := pgclustertest.Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`CREATE TABLE notes (id serial PRIMARY KEY, body text, written_at timestamptz DEFAULT now() - interval '5 minutes')`,
		`INSERT INTO notes (body) SELECT 'note ' || i FROM generate_series(1, 100) i`} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	acts := activities.New(activities.Options{ArtifactsDir: t.TempDir(), RunbooksDir: e.runbooks, Env: func(k string) string {
		if k == "NOTES_DB" {
			return c.DSN()
		}
		return os.Getenv(k)
	}})
	w := worker.New(e.c, acts)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	code, out, errOut := e.cli(t, "drill", "--source", "env:NOTES_DB", "--wait", "--id", "drill-ok")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"Started   drill-ok (restore drill of env:NOTES_DB)", "✅ verify", "✅ drop-scratch", "✅ Run succeeded: drill-ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = e.cli(t, "drill", "--source", "env:NOTES_DB", "--rpo-budget", "1m", "--wait", "--id", "drill-rpo")
	if code != exitFailed || !strings.Contains(errOut, "1 critical or high finding(s): a budget was breached") {
		t.Fatalf("exit %d, want 1 for an RPO over budget\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
