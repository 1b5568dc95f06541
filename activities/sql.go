package activities

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/runs"
)

// Error types of the sql action (temporal.ApplicationError.Type()).
const (
	// ErrTypeSQL: a statement failed. Not retryable when retrying cannot
	// help (syntax, permissions, a write in a read-only step: SQLSTATE
	// classes 0A 21 22 23 25 26 28 2B 2D 34 3D 3F 42 44 P0); retryable
	// otherwise (serialization failures, deadlocks, lock and resource
	// limits, shutdowns, statement timeouts).
	ErrTypeSQL = "SQLError"
	// ErrTypeSQLConnect: the server cannot be reached (retryable) or refused
	// the login (bad password, unknown database: not retryable).
	ErrTypeSQLConnect = "SQLConnect"
	// ErrTypeSQLConfig: no database, or a connection string that does not
	// parse (not retryable).
	ErrTypeSQLConfig = "SQLConfig"
)

// sqlConnectTimeout applies when the connection string sets none.
const sqlConnectTimeout = 15 * time.Second

// SQLHeartbeat is the heartbeat detail of a running sql step.
type SQLHeartbeat struct {
	Step      string `json:"step"`
	Rows      int64  `json:"rows"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

// RunSQL runs a sql step: req.Body on req.Database (a connection string or
// an `env:NAME` reference, resolved here in the worker; a "dbname" string
// parameter picks another database on that server), inside one transaction
// that is READ ONLY and rolled back unless req.Write, committed if it is.
// A read-only step's session also defaults to read-only transactions, so a
// COMMIT in the body does not open a way to write.
//
// The body may hold several statements (sent with the simple protocol, so
// it takes no parameters). The last statement's rows become a table titled
// with the step id: at most SQLMaxRows rows of SQLMaxColumns columns, cells
// cut to SQLMaxCell characters, NULL shown as "NULL". Outputs: "rows" (rows
// the last statement returned, all of them, or affected) and, when it
// returned exactly one row, one output per column named like it (values up
// to sqlMaxOutput bytes, NULL as ""; a column called "rows" wins). Command
// tags and server notices, as psql prints them, make the output tail.
//
// Error messages never hold the connection string or the password (nor the
// step's secrets); they may name the host and user.
func (a *Activities) RunSQL(ctx context.Context, req runs.ActionRequest) (runs.ActionResult, error) {
	started := time.Now()
	step := req.StepID
	cfg, red, err := a.sqlConfig(req)
	if err != nil {
		return runs.ActionResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("sql step %s: %s", step, red.String(err.Error())), ErrTypeSQLConfig, nil)
	}
	out := &sqlOutput{red: red, tail: newTailBuffer(TailBytes)}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { out.notice(n) }

	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return runs.ActionResult{}, sqlConnectError(ctx, step, err, red)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()

	var rows atomic.Int64
	stop := startHeartbeat(ctx, heartbeatInterval(ctx, DefaultHeartbeatInterval), func() any {
		return SQLHeartbeat{Step: step, Rows: rows.Load(), ElapsedMS: time.Since(started).Milliseconds()}
	})
	defer stop()

	mode := pgx.ReadOnly
	if req.Write {
		mode = pgx.ReadWrite
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: mode})
	if err != nil {
		return runs.ActionResult{}, sqlStatementError(ctx, step, "begin", err, red, "")
	}
	last, err := readStatements(ctx, conn.PgConn(), req.Body, out, &rows)
	if err != nil {
		rbCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tx.Rollback(rbCtx)
		// The details carry what ran before the failure (tags, notices), not
		// the rows of an earlier statement.
		res := runs.ActionResult{OutputTail: red.String(out.tail.String())}
		return res, sqlStatementError(ctx, step, "query", err, red, req.Body, res)
	}
	if req.Write {
		err = tx.Commit(ctx)
	} else {
		err = tx.Rollback(ctx)
	}
	if err != nil {
		return runs.ActionResult{}, sqlStatementError(ctx, step, "end transaction", err, red, "")
	}
	res := out.result(step, last, req.Write, time.Since(started))
	a.shellLogger().Info("sql step ended", slog.String("workflow_id", req.WorkflowID), slog.String("step", step),
		slog.Bool("write", req.Write), slog.Int("statements", out.statements), slog.Duration("elapsed", time.Since(started)))
	return res, nil
}

// sqlConfig resolves and parses the step's connection string and returns it
// with the redactor for its secrets. Its errors never hold the value.
func (a *Activities) sqlConfig(req runs.ActionRequest) (*pgx.ConnConfig, *redactor, error) {
	source := req.Database
	if source == "" {
		source, _ = req.Params["database"].(string)
	}
	red := newRedactor(a.requestSecrets(req)...)
	if strings.TrimSpace(source) == "" {
		return nil, red, fmt.Errorf("no database: set the step's database (env:NAME or ${inputs.NAME})")
	}
	dsn, fromEnv := a.resolveRef(source)
	what := "the connection string"
	if fromEnv {
		what = fmt.Sprintf("the connection string from %s", source) // source is env:NAME: safe to show
	}
	if strings.TrimSpace(dsn) == "" {
		return nil, red, fmt.Errorf("database %s is empty or unset in the worker's environment", source)
	}
	red = red.with(secretForms(dsn)...)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx masks passwords only on a best-effort basis (and url errors
		// quote the whole URL): say nothing about the value.
		return nil, red, fmt.Errorf("%s does not parse as a PostgreSQL URL or key=value string (value not shown)", what)
	}
	red = red.with(secretForms(cfg.Password)...)
	if db, ok := req.Params["dbname"].(string); ok && db != "" {
		cfg.Database = db
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "drillbook"
	}
	if !req.Write {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = sqlConnectTimeout
	}
	return cfg, red, nil
}

// requestSecrets resolves the values of req.Secrets (by upper-case name in
// req.Env) in every form worth redacting.
func (a *Activities) requestSecrets(req runs.ActionRequest) []string {
	var out []string
	for _, name := range req.Secrets {
		for key, v := range req.Env {
			if strings.EqualFold(key, name) {
				resolved, _ := a.resolveRef(v)
				out = append(out, secretForms(resolved)...)
			}
		}
	}
	return out
}
