package activities

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/internal/pgcluster"
	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
)

// pgTestEnv is one throwaway cluster and Activities whose environment maps
// env:NAME references to its databases (other variables come from the
// process, PATH included).
type pgTestEnv struct {
	t   *testing.T
	c   *pgcluster.Cluster
	a   *Activities
	env map[string]string
}

func newPGTestEnv(t *testing.T) *pgTestEnv {
	t.Helper()
	c := pgclustertest.Start(t)
	e := &pgTestEnv{t: t, c: c, env: map[string]string{}}
	e.a = New(Options{ArtifactsDir: t.TempDir(), Env: func(k string) string {
		if v, ok := e.env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}})
	return e
}

// exec runs statements in database db.
func (e *pgTestEnv) exec(db string, stmts ...string) {
	e.t.Helper()
	conn, err := pgx.Connect(context.Background(), dsnFor(e.c, db))
	if err != nil {
		e.t.Fatalf("connect %s: %v", db, err)
	}
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(context.Background(), s); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

// createDB creates database name (any characters) and returns the env
// reference that points at it.
func (e *pgTestEnv) createDB(name string) string {
	e.t.Helper()
	e.exec("postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	ref := fmt.Sprintf("PG_TEST_%d", len(e.env))
	e.env[ref] = dsnFor(e.c, name)
	return "env:" + ref
}

// dsnFor is a DSN for any database name, spaces and quotes included.
func dsnFor(c *pgcluster.Cluster, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(pgcluster.Superuser, c.Password()),
		Host: fmt.Sprintf("127.0.0.1:%d", c.Port()), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// databases lists the cluster's databases.
func (e *pgTestEnv) databases() []string {
	e.t.Helper()
	conn, err := pgx.Connect(context.Background(), e.c.DSN())
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(context.Background(), "SELECT datname FROM pg_database ORDER BY 1")
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.t.Fatal(err)
	}
	return names
}

// scratchDatabases lists the databases whose name starts with drill_.
func (e *pgTestEnv) scratchDatabases() []string {
	var out []string
	for _, d := range e.databases() {
		if strings.HasPrefix(d, ScratchPrefix) {
			out = append(out, d)
		}
	}
	return out
}

func pgReq(step string, params map[string]any) ActionRequest {
	return ActionRequest{WorkflowID: "wf-pg-test", StepID: step, Params: params, Attempt: 1}
}

// seedShop creates a small shop: tables with and without primary keys,
// timestamps with and without time zone, more rows than the test's
// sample threshold in two of them.
func seedShop(e *pgTestEnv, db string) {
	e.t.Helper()
	e.exec(db,
		`CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL)`,
		`CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(10,2), placed_at timestamp)`,
		`CREATE TABLE events (payload jsonb, at timestamptz)`,
		`CREATE TABLE settings (key text PRIMARY KEY, value text)`,
		`CREATE INDEX ON orders (placed_at)`,
		`INSERT INTO customers (name, created_at) SELECT 'customer ' || i, now() - (i || ' hours')::interval FROM generate_series(1, 50) i`,
		`INSERT INTO orders (customer_id, total, placed_at) SELECT 1 + i % 50, i * 1.25, (now() AT TIME ZONE 'UTC') - (i || ' minutes')::interval - interval '10 minutes' FROM generate_series(1, 600) i`,
		`INSERT INTO events SELECT jsonb_build_object('n', i), now() - (i || ' seconds')::interval FROM generate_series(1, 400) i`,
		`INSERT INTO events VALUES ('{"future": true}', now() + interval '10 days')`,
		`INSERT INTO settings VALUES ('plan', 'pro'), ('theme', NULL)`,
		`ANALYZE`,
	)
}

// fakeClients makes a directory with a pg_dump script (body after the
// version answer) and the real pg_restore, for a worker PATH.
func fakeClients(t *testing.T, version, body string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) " + version + "'; exit 0; fi\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "pg_dump"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	binDir, _, err := pgcluster.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(binDir, "pg_restore"), filepath.Join(dir, "pg_restore")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// errType is the application error type of err, or "".
func errType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

// errDetails is the ActionResult an error carries, if any.
func errDetails(t *testing.T, err error) ActionResult {
	t.Helper()
	var appErr *temporal.ApplicationError
	var res ActionResult
	if errors.As(err, &appErr) && appErr.HasDetails() {
		if err := appErr.Details(&res); err != nil {
			t.Fatalf("details: %v", err)
		}
	}
	return res
}

// plainAdmin connects to a DSN as is.
func plainAdmin(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// stepLog is the whole log a step wrote (to show when it failed).
func (e *pgTestEnv) stepLog(step string) string {
	b, _ := os.ReadFile(filepath.Join(e.a.ArtifactsDir, "wf-pg-test", step+".log"))
	return string(b)
}
