package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/devserver"
	"github.com/hotdash/drillbook/internal/pgcluster"
	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/worker"
	"github.com/hotdash/drillbook/workflows"
)

// DrillSizeEnv sets the size of BenchmarkDrill's generated database in MB
// (default 1024).
const DrillSizeEnv = "DRILLBOOK_BENCH_DRILL_MB"

// BenchmarkDrill generates a database of about DRILLBOOK_BENCH_DRILL_MB MB
// (default 1 GB: accounts, conversations and messages with timestamps and
// secondary indexes), then on the same machine in the same run:
//
//   - raw_dump_restore_s: `pg_dump -Fc` then `pg_restore` into a new
//     database, serial, as an operator would by hand;
//   - drill_total_s: the RestoreDrill workflow end to end (preflight, backup
//     with the manifest, restore with pg_restore -j 2 into a scratch
//     database, verification, RTO/RPO, drop);
//   - drill_vs_raw_ratio: the two divided (goal ≤ 1.0, never above 1.15).
func BenchmarkDrill(b *testing.B) {
	sizeMB := 1024
	if v := os.Getenv(DrillSizeEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want a size in MB", DrillSizeEnv, v)
		}
		sizeMB = n
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := pgclustertest.StartWith(b, pgcluster.Options{Logger: quiet})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	defer cancel()
	began := time.Now()
	got := generateDrillDB(ctx, b, c, sizeMB)
	b.Logf("generated %d MB in %s", got>>20, time.Since(began).Round(time.Second))

	raw := rawDumpRestore(ctx, b, c)

	srv, err := devserver.Start(ctx, devserver.Options{StateDir: b.TempDir(), NoUI: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	tc, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Logger: sdklog.NewStructuredLogger(quiet)})
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	w := worker.New(tc, activities.New(activities.Options{ArtifactsDir: b.TempDir(), Logger: quiet, Env: func(k string) string {
		if k == "BENCH_DB" {
			return c.DSNFor("bench")
		}
		return os.Getenv(k)
	}}))
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue}, workflows.RestoreDrillWorkflow,
		workflows.RestoreDrillInput{Source: "env:BENCH_DB", RTOBudget: "3h", RPOBudget: "3h"})
	if err != nil {
		b.Fatal(err)
	}
	var res workflows.RunRunbookResult
	if err := run.Get(ctx, &res); err != nil {
		b.Fatalf("drill: %v", err)
	}
	drill := time.Since(start)
	v, err := tc.QueryWorkflow(ctx, run.GetID(), "", workflows.ProgressQuery)
	if err != nil {
		b.Fatal(err)
	}
	var p runs.Progress
	if err := v.Get(&p); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("drill_db_size_mb: %d\n", got>>20)
	for _, s := range p.Steps {
		fmt.Printf("drill_step_%s_s: %.1f\n", s.ID, s.EndedAt.Sub(s.StartedAt).Seconds())
		if s.Result != nil && s.Result.Summary != "" {
			b.Logf("%s: %s", s.ID, s.Result.Summary)
		}
	}
	fmt.Printf("drill_total_s: %.1f\n", drill.Seconds())
	fmt.Printf("raw_dump_restore_s: %.1f\n", raw.Seconds())
	fmt.Printf("drill_vs_raw_ratio: %.2f\n", drill.Seconds()/raw.Seconds())
}

// generateDrillDB fills database "bench" until it holds sizeMB MB and
// returns its size in bytes.
func generateDrillDB(ctx context.Context, b *testing.B, c *pgcluster.Cluster, sizeMB int) int64 {
	b.Helper()
	admin, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE DATABASE bench`); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.DSNFor("bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) {
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, plan text, created_at timestamptz NOT NULL)`)
	exec(`CREATE TABLE conversations (id bigint PRIMARY KEY, account_id int NOT NULL REFERENCES accounts, status text, updated_at timestamptz NOT NULL)`)
	exec(`CREATE TABLE messages (id bigint PRIMARY KEY, conversation_id bigint NOT NULL, sender text, body text, sent_at timestamptz NOT NULL)`)
	exec(`INSERT INTO accounts SELECT i, 'account ' || i, (ARRAY['free','pro','team'])[1 + i % 3], now() - (i || ' hours')::interval FROM generate_series(1, 5000) i`)
	const batch = 500000 // messages per round, ~100 MB with indexes
	for round := 0; ; round++ {
		var size int64
		if err := conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
			b.Fatal(err)
		}
		if size*3/2 >= int64(sizeMB)<<20 { // the indexes add about half
			exec(`CREATE INDEX ON conversations (account_id, updated_at)`)
			exec(`CREATE INDEX ON messages (conversation_id, sent_at)`)
			exec(`CREATE INDEX ON messages (sent_at)`)
			exec(`VACUUM ANALYZE`)
			if err := conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
				b.Fatal(err)
			}
			return size
		}
		lo := int64(round) * batch
		exec(`INSERT INTO conversations SELECT i, 1 + i % 5000, (ARRAY['open','resolved','pending'])[1 + i % 3],
			now() - ((i % 100000) || ' seconds')::interval FROM generate_series($1::bigint / 10 + 1, ($1::bigint + $2) / 10) i`, lo, batch)
		exec(`INSERT INTO messages SELECT i, 1 + i / 10, CASE WHEN i % 2 = 0 THEN 'agent' ELSE 'contact' END,
			repeat(md5(i::text), 2) || ' ' || md5((i * 31)::text), now() - ((i % 1000000) || ' seconds')::interval
			FROM generate_series($1::bigint + 1, $1::bigint + $2) i`, lo, batch)
	}
}

// rawDumpRestore is what an operator does by hand: pg_dump -Fc, createdb,
// pg_restore (serial), with the cluster's own client tools.
func rawDumpRestore(ctx context.Context, b *testing.B, c *pgcluster.Cluster) time.Duration {
	b.Helper()
	file := filepath.Join(b.TempDir(), "bench.dump")
	env := append(os.Environ(), "PGPASSWORD="+c.Password(), "PGHOST=127.0.0.1", "PGPORT="+strconv.Itoa(c.Port()), "PGUSER=postgres")
	run := func(name string, args ...string) {
		cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir(), name), args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	start := time.Now()
	run("pg_dump", "-Fc", "-f", file, "bench")
	dumped := time.Since(start)
	run("createdb", "bench_raw_restore")
	run("pg_restore", "-d", "bench_raw_restore", file)
	d := time.Since(start)
	fmt.Printf("raw_dump_s: %.1f\nraw_restore_s: %.1f\n", dumped.Seconds(), (d - dumped).Seconds())
	run("dropdb", "bench_raw_restore")
	return d
}
