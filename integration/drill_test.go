package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/pgcluster"
	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// drillCluster starts a throwaway cluster with a seeded database "shop":
// customers, orders with an index and timestamps, rows events seconds old.
// extraRows adds that many rows of incompressible text to a table "blobs".
func drillCluster(t *testing.T, extraRows int) *pgcluster.Cluster {
	t.Helper()
	c := pgclustertest.Start(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE DATABASE shop`); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.DSNFor("shop"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range []string{
		`CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
		`CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(10,2), placed_at timestamptz)`,
		`CREATE INDEX orders_placed_at ON orders (placed_at)`,
		`CREATE TABLE blobs (id bigint PRIMARY KEY, body text)`,
		`INSERT INTO customers (name, created_at) SELECT 'customer ' || i, now() - (i || ' days')::interval FROM generate_series(1, 200) i`,
		`INSERT INTO orders (customer_id, total, placed_at) SELECT 1 + i % 200, i * 0.5, now() - (i || ' seconds')::interval FROM generate_series(1, 5000) i`,
		`INSERT INTO blobs SELECT i, md5(i::text) || md5((i * 7)::text) || md5((i * 13)::text) FROM generate_series(1, $1::int) i`,
		`ANALYZE`,
	} {
		var args []any
		if strings.Contains(s, "$1") {
			args = append(args, extraRows)
		}
		if _, err := conn.Exec(ctx, s, args...); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return c
}

// startDrill starts RestoreDrill with in.
func (h *harness) startDrill(id string, in workflows.RestoreDrillInput) client.WorkflowRun {
	h.t.Helper()
	run, err := h.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue, WorkflowExecutionTimeout: 5 * time.Minute,
	}, workflows.RestoreDrillWorkflow, in)
	if err != nil {
		h.t.Fatal(err)
	}
	return run
}

// scratchLeft lists the drill_ databases of a cluster.
func scratchLeft(t *testing.T, c *pgcluster.Cluster) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(context.Background(), `SELECT datname FROM pg_database WHERE datname LIKE 'drill\_%' ORDER BY 1`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestRestoreDrill: the whole drill through RestoreDrill on a seeded
// database. The report shows the backup's size and sha256, the restore's
// duration, the per-table verification and RTO and RPO against their
// budgets; the scratch database is gone afterwards; the DSN and its
// password appear nowhere, not even in the command lines of pg_dump and
// pg_restore while they run (sampled from /proc).
func TestRestoreDrill(t *testing.T) {
	c := drillCluster(t, 60000)
	h := newHarness(t, map[string]string{"DRILL_DB": c.DSNFor("shop")})
	sampler := startCmdlineSampler(t, c.Password())

	run := h.startDrill("drill-e2e", workflows.RestoreDrillInput{Source: "env:DRILL_DB", RTOBudget: "20m", RPOBudget: "1h", Operator: "alice"})
	var res workflows.RunRunbookResult
	if err := run.Get(context.Background(), &res); err != nil {
		t.Fatalf("drill: %v\n%s", err, h.logs.String())
	}
	seen := sampler.stop()
	p := h.progress("drill-e2e")
	for _, id := range []string{"preflight", "backup", "restore", "verify", "spot-check", "drop-scratch"} {
		if s := stepByID(t, p, id); s.Status != runs.StatusSucceeded {
			t.Errorf("step %s: %s %s", id, s.Status, s.Error)
		}
	}
	backup, restore, verify := stepByID(t, p, "backup").Result, stepByID(t, p, "restore").Result, stepByID(t, p, "verify").Result
	if verify.Outputs["match"] != "true" || verify.Outputs["tables"] != "3" || verify.Outputs["rto_ok"] != "true" || verify.Outputs["rpo_ok"] != "true" {
		t.Errorf("verify outputs %v", verify.Outputs)
	}
	if left := scratchLeft(t, c); len(left) != 0 {
		t.Errorf("scratch databases left: %v", left)
	}

	md, err := os.ReadFile(filepath.Join(h.artifacts, filepath.FromSlash(res.Report.Markdown.Path)))
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	report := string(md)
	for _, want := range []string{
		backup.Outputs["sha256"], backup.Outputs["size"], backup.Outputs["path"],
		"| `duration_s` | " + restore.Outputs["duration_s"] + " |",
		"#### Verification: backup vs restored copy", "| public.blobs | 60000 | 60000 | count + checksum of every row | ✅ match |",
		"| public.orders | 5000 | 5000 | count + checksum of every row | ✅ match |",
		"#### Recovery objectives", "| RTO (restore start to verified) |", "| 20m00s | ✅ within budget |",
		"| RPO (data loss if restored now) |", "| 1h00m | ✅ within budget |",
		"dropped scratch database(s): " + restore.Outputs["scratch"],
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}

	if seen.dump == 0 || seen.restore == 0 {
		t.Errorf("sampler saw %d pg_dump and %d pg_restore processes: the process-list check would be hollow", seen.dump, seen.restore)
	}
	for _, leak := range seen.leaks {
		t.Errorf("secret in a process's %s", leak)
	}
	places := map[string]string{"workflow history": readable(h.history("drill-e2e")), "worker logs": h.logs.String()}
	_ = filepath.WalkDir(h.artifacts, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, ".dump") {
			b, _ := os.ReadFile(path)
			places[path] = string(b)
		}
		return nil
	})
	for name, content := range places {
		for _, secret := range []string{c.DSNFor("shop"), c.Password()} {
			if strings.Contains(content, secret) {
				t.Errorf("the secret leaked into %s", name)
			}
		}
	}
	saveHistory(t, "restore-drill", h.history("drill-e2e"))
	if t.Failed() || os.Getenv("DRILLBOOK_SHOW_REPORT") == "1" {
		t.Log(report)
	}
}

// TestRestoreDrillVersionMismatch: with only an older pg_dump on the
// worker (a fake on PATH ahead of the real one), the drill stops at
// preflight with the finding that names the client to install; nothing
// else runs.
func TestRestoreDrillVersionMismatch(t *testing.T) {
	c := drillCluster(t, 10)
	fake := t.TempDir()
	script := "#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.9 (Ubuntu 14.9-1.pgdg22.04+1)'\n"
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if err := os.WriteFile(filepath.Join(fake, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, map[string]string{"DRILL_DB": c.DSNFor("shop"),
		"PATH": fake + ":" + c.BinDir() + ":" + os.Getenv("PATH"), activities.PGClientDirsEnv: t.TempDir()})
	run := h.startDrill("drill-mismatch", workflows.RestoreDrillInput{Source: "env:DRILL_DB"})
	var res workflows.RunRunbookResult
	err := run.Get(context.Background(), &res)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrRunbookFailed || appErr.Details(&res) != nil {
		t.Fatalf("drill: %v, want %s with the result", err, workflows.ErrRunbookFailed)
	}
	p := h.progress("drill-mismatch")
	pre := stepByID(t, p, "preflight")
	if pre.Status != runs.StatusFailed || pre.Attempts != 1 || pre.Result == nil || len(pre.Result.Findings) != 1 {
		t.Fatalf("preflight: %s after %d attempt(s), result %+v", pre.Status, pre.Attempts, pre.Result)
	}
	f := pre.Result.Findings[0]
	if f.Severity != runs.SeverityCritical || !strings.Contains(f.Title, "pg_dump 14.9 cannot dump PostgreSQL 15") ||
		!strings.Contains(f.Resolution, "postgresql-client-15") {
		t.Errorf("finding %+v", f)
	}
	for _, id := range []string{"backup", "restore", "verify", "spot-check"} {
		if s := stepByID(t, p, id); s.Status != runs.StatusNotRun || s.Attempts != 0 {
			t.Errorf("step %s: %s, %d attempt(s)", id, s.Status, s.Attempts)
		}
	}
	if s := stepByID(t, p, "drop-scratch"); s.Status != runs.StatusSkipped || s.Attempts != 0 {
		t.Errorf("drop-scratch: %s, %d attempt(s)", s.Status, s.Attempts)
	}
	if res.Findings["critical"] != 1 {
		t.Errorf("result findings %v", res.Findings)
	}
	if dumps, _ := filepath.Glob(filepath.Join(h.artifacts, "backups", "*", "*")); len(dumps) != 0 {
		t.Errorf("backup files: %v", dumps)
	}
	md, _ := os.ReadFile(filepath.Join(h.artifacts, filepath.FromSlash(res.Report.Markdown.Path)))
	if !strings.Contains(string(md), f.Title) {
		t.Errorf("the report lacks the finding %q", f.Title)
	}
}
