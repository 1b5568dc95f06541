package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
	"github.com/hotdash/drillbook/runs"
)

// sqlTestEnv runs sql steps against one throwaway cluster; the DSN is given
// to steps as env:TEST_PG_URL, as runbooks do.
type sqlTestEnv struct {
	a        *Activities
	dsn      string
	password string
	env      map[string]string
}

func newSQLTestEnv(t *testing.T) *sqlTestEnv {
	t.Helper()
	c := pgclustertest.Start(t)
	e := &sqlTestEnv{dsn: c.DSN(), password: c.Password(), env: map[string]string{"TEST_PG_URL": c.DSN()}}
	e.a = &Activities{ArtifactsDir: t.TempDir(), Env: func(k string) string { return e.env[k] }}
	return e
}

func (e *sqlTestEnv) run(t *testing.T, body string, write bool) (runs.ActionResult, error) {
	t.Helper()
	return e.a.RunSQL(t.Context(), runs.ActionRequest{WorkflowID: "wf", StepID: "q", Kind: "sql",
		Body: body, Database: "env:TEST_PG_URL", Write: write})
}

// mustNotLeak fails when err mentions the DSN or a password.
func (e *sqlTestEnv) mustNotLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append(secrets, e.dsn, e.password) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error leaks %q: %v", s, err)
		}
	}
}

func wantAppError(t *testing.T, err error, typ string, nonRetryable bool, contains ...string) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("err = %v, want an application error of type %s", err, typ)
	}
	t.Logf("%s error: %s", appErr.Type(), appErr.Message())
	if appErr.Type() != typ || appErr.NonRetryable() != nonRetryable {
		t.Errorf("err = %v: want type %s, non-retryable %v", err, typ, nonRetryable)
	}
	for _, c := range contains {
		if !strings.Contains(appErr.Message(), c) {
			t.Errorf("message %q lacks %q", appErr.Message(), c)
		}
	}
	return appErr
}

func TestRunSQL(t *testing.T) {
	e := newSQLTestEnv(t)

	t.Run("write commits", func(t *testing.T) {
		res, err := e.run(t, "CREATE TABLE items (id int PRIMARY KEY, name text, note text);\n"+
			"INSERT INTO items SELECT g, 'item ' || g, CASE WHEN g % 2 = 0 THEN NULL ELSE 'odd' END FROM generate_series(1, 120) g;", true)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outputs["rows"] != "120" || len(res.Tables) != 0 || !strings.Contains(res.OutputTail, "CREATE TABLE\nINSERT 0 120\n") {
			t.Errorf("result = %+v", res)
		}
		res, err = e.run(t, "SELECT count(*) AS count, max(id) AS max_id FROM items", false)
		if err != nil || res.Outputs["count"] != "120" || res.Outputs["max_id"] != "120" || res.Outputs["rows"] != "1" {
			t.Fatalf("after commit: %+v, %v", res.Outputs, err)
		}
	})

	t.Run("read-only blocks writes", func(t *testing.T) {
		for _, body := range []string{
			"INSERT INTO items VALUES (1000, 'x', NULL)",
			"SELECT 1;\nCOMMIT;\nINSERT INTO items VALUES (1000, 'x', NULL)",
			"CREATE TABLE sneaky (id int)",
		} {
			_, err := e.run(t, body, false)
			wantAppError(t, err, ErrTypeSQL, true, "read-only transaction", "SQLSTATE 25006")
		}
		res, err := e.run(t, "SELECT count(*) FROM items WHERE id = 1000", false)
		if err != nil || res.Outputs["count"] != "0" {
			t.Errorf("a read-only step wrote: %+v, %v", res.Outputs, err)
		}
	})

	t.Run("last statement's table, bounded", func(t *testing.T) {
		cols := make([]string, 25)
		for i := range cols {
			cols[i] = fmt.Sprintf("g + %d AS c%02d", i, i)
		}
		res, err := e.run(t, "SELECT 1;\nSELECT repeat('x', 500) AS long, NULL AS nothing, "+strings.Join(cols, ", ")+
			" FROM generate_series(1, 100) g", false)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Tables) != 1 {
			t.Fatalf("tables = %+v", res.Tables)
		}
		tb := res.Tables[0]
		if tb.Title != "q" || len(tb.Columns) != SQLMaxColumns || tb.Columns[0] != "long" || len(tb.Rows) != SQLMaxRows {
			t.Errorf("table %q: %d columns %v, %d rows", tb.Title, len(tb.Columns), tb.Columns, len(tb.Rows))
		}
		for _, row := range tb.Rows {
			if len(row) != SQLMaxColumns {
				t.Fatalf("row of %d cells", len(row))
			}
		}
		if cell := tb.Rows[0][0]; len([]rune(cell)) != SQLMaxCell || !strings.HasSuffix(cell, "…") {
			t.Errorf("long cell not cut to %d characters: %d", SQLMaxCell, len([]rune(cell)))
		}
		if tb.Rows[0][1] != "NULL" || tb.Rows[49][2] != "50" {
			t.Errorf("cells: %q %q", tb.Rows[0][1], tb.Rows[49][2])
		}
		if res.Outputs["rows"] != "100" || len(res.Outputs) != 1 {
			t.Errorf("outputs = %v, want rows=100 only", res.Outputs)
		}
		if !strings.Contains(res.Summary, "table shows 50 of 100 rows, 20 of 27 columns") || res.OutputTail != "SELECT 1\nSELECT 100\n" {
			t.Errorf("summary %q, tail %q", res.Summary, res.OutputTail)
		}
	})

	t.Run("single row outputs", func(t *testing.T) {
		res, err := e.run(t, "SELECT 42 AS answer, NULL::text AS missing, 'a' AS dup, 'b' AS dup, 1 AS \"not a key\", 7 AS rows", false)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"answer": "42", "missing": "", "dup": "a", "rows": "7"}
		if fmt.Sprint(res.Outputs) != fmt.Sprint(want) {
			t.Errorf("outputs = %v, want %v", res.Outputs, want)
		}
	})

	t.Run("notices in the tail", func(t *testing.T) {
		res, err := e.run(t, "DO $$ BEGIN RAISE NOTICE 'checked % rows', 3; END $$;", false)
		if err != nil || res.OutputTail != "NOTICE:  checked 3 rows\nDO\n" {
			t.Errorf("tail = %q, %v", res.OutputTail, err)
		}
	})

	t.Run("syntax error", func(t *testing.T) {
		_, err := e.run(t, "SELECT 1;\nSELECT *\n  FORM items", false)
		wantAppError(t, err, ErrTypeSQL, true, "SQLSTATE 42601", "at line 3, column 3")
	})

	t.Run("permission denied", func(t *testing.T) {
		if _, err := e.run(t, "CREATE ROLE reader LOGIN PASSWORD 'reader-pass-1234'", true); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(e.dsn)
		u.User = url.UserPassword("reader", "reader-pass-1234")
		e.env["READER_URL"] = u.String()
		_, err := e.a.RunSQL(t.Context(), runs.ActionRequest{StepID: "q", Body: "SELECT * FROM items", Database: "env:READER_URL"})
		wantAppError(t, err, ErrTypeSQL, true, "permission denied", "SQLSTATE 42501")
		e.mustNotLeak(t, err, "reader-pass-1234", u.String())
	})

	t.Run("retryable server error", func(t *testing.T) {
		_, err := e.run(t, "SELECT pg_terminate_backend(pg_backend_pid())", false)
		wantAppError(t, err, ErrTypeSQL, false)
		e.mustNotLeak(t, err)
	})

	t.Run("heartbeats", func(t *testing.T) {
		defer func(d time.Duration) { DefaultHeartbeatInterval = d }(DefaultHeartbeatInterval)
		DefaultHeartbeatInterval = 50 * time.Millisecond
		var ts testsuite.WorkflowTestSuite
		env := ts.NewTestActivityEnvironment()
		var mu sync.Mutex
		var beats []SQLHeartbeat
		env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
			var hb SQLHeartbeat
			if details.HasValues() && details.Get(&hb) == nil {
				mu.Lock()
				beats = append(beats, hb)
				mu.Unlock()
			}
		})
		env.RegisterActivityWithOptions(e.a.RunSQL, activity.RegisterOptions{Name: "RunSQL"})
		_, err := env.ExecuteActivity("RunSQL", runs.ActionRequest{StepID: "q", Body: "SELECT pg_sleep(0.5)", Database: "env:TEST_PG_URL"})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(beats) == 0 || beats[len(beats)-1].Step != "q" {
			t.Errorf("heartbeats = %+v", beats)
		}
	})

	t.Run("timeout cancels the query", func(t *testing.T) {
		// Long enough to connect on a loaded machine, far shorter than the query.
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := e.a.RunSQL(ctx, runs.ActionRequest{StepID: "q", Body: "SELECT pg_sleep(30)", Database: "env:TEST_PG_URL"})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
			t.Errorf("err = %v after %s, want a prompt context.DeadlineExceeded", err, time.Since(start))
		}
		e.mustNotLeak(t, err)
		// The server ends the cancelled query promptly; allow it a moment.
		var res runs.ActionResult
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			res, err = e.run(t, "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3' || '0)%' AND state = 'active' AND pid <> pg_backend_pid()", false)
			if (err == nil && res.Outputs["n"] == "0") || time.Now().After(deadline) {
				break
			}
		}
		if err != nil || res.Outputs["n"] != "0" {
			t.Errorf("the query still runs on the server: %v, %v", res.Outputs, err)
		}
	})

	t.Run("dbname parameter", func(t *testing.T) {
		res, err := e.a.RunSQL(t.Context(), runs.ActionRequest{StepID: "q", Body: "SELECT current_database() AS db",
			Database: "env:TEST_PG_URL", Params: map[string]any{"dbname": "template1"}})
		if err != nil || res.Outputs["db"] != "template1" {
			t.Errorf("outputs %v, %v", res.Outputs, err)
		}
	})
}

func TestRunSQLConnectionErrors(t *testing.T) {
	e := newSQLTestEnv(t)
	u, _ := url.Parse(e.dsn)

	wrongPW := *u
	wrongPW.User = url.UserPassword("postgres", "wrong-pass-98765")
	e.env["WRONG_PW"] = wrongPW.String()
	_, err := e.a.RunSQL(t.Context(), runs.ActionRequest{StepID: "q", Body: "SELECT 1", Database: "env:WRONG_PW"})
	wantAppError(t, err, ErrTypeSQLConnect, true, "password authentication failed")
	e.mustNotLeak(t, err, "wrong-pass-98765", wrongPW.String())

	noDB := *u
	noDB.Path = "/nosuchdb"
	e.env["NO_DB"] = noDB.String()
	_, err = e.a.RunSQL(t.Context(), runs.ActionRequest{StepID: "q", Body: "SELECT 1", Database: "env:NO_DB"})
	wantAppError(t, err, ErrTypeSQLConnect, true, "nosuchdb")
	e.mustNotLeak(t, err)

	l, err := net.Listen("tcp", "127.0.0.1:0") // a port nobody serves once closed
	if err != nil {
		t.Fatal(err)
	}
	refused := *u
	refused.Host = l.Addr().String()
	l.Close()
	e.env["REFUSED"] = refused.String()
	_, err = e.a.RunSQL(t.Context(), runs.ActionRequest{StepID: "q", Body: "SELECT 1", Database: "env:REFUSED"})
	wantAppError(t, err, ErrTypeSQLConnect, false, "connect")
	e.mustNotLeak(t, err)

	for name, db := range map[string]string{
		"unset":    "env:NOT_SET_ANYWHERE",
		"empty":    "",
		"bad url":  "env:BAD_URL",
		"bad port": "env:BAD_PORT",
	} {
		e.env["BAD_URL"] = "postgres://postgres:" + e.password + "@127.0.0.1:5432/db?sslmode=bogus"
		e.env["BAD_PORT"] = "postgres://postgres:" + e.password + "@127.0.0.1:notaport/db"
		_, err := e.a.RunSQL(t.Context(), runs.ActionRequest{StepID: "q", Body: "SELECT 1", Database: db})
		wantAppError(t, err, ErrTypeSQLConfig, true)
		e.mustNotLeak(t, err, e.env["BAD_URL"], e.env["BAD_PORT"])
		if name != "empty" && !strings.Contains(err.Error(), db) {
			t.Errorf("%s: error %q does not name %s", name, err, db)
		}
	}
}

func TestSQLPosition(t *testing.T) {
	tests := []struct {
		body      string
		pos       int
		line, col int
	}{
		{"SELECT x", 8, 1, 8},
		{"SELECT 1;\nSELECT\n  FORM", 20, 3, 3},
		{"é\nx", 3, 2, 1},
		{"abc", 0, 0, 0},
		{"abc", 9, 0, 0},
	}
	for _, tt := range tests {
		if line, col := sqlPosition(tt.body, tt.pos); line != tt.line || col != tt.col {
			t.Errorf("sqlPosition(%q, %d) = %d:%d, want %d:%d", tt.body, tt.pos, line, col, tt.line, tt.col)
		}
	}
}
