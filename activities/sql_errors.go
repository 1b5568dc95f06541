package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"
)

// sqlFinalClasses are the SQLSTATE classes of errors that a retry cannot
// fix: the statement, the data or the permissions are wrong.
var sqlFinalClasses = map[string]bool{
	"0A": true, // feature not supported
	"21": true, // cardinality violation
	"22": true, // data exception
	"23": true, // integrity constraint violation
	"25": true, // invalid transaction state, incl. 25006 read-only transaction
	"26": true, // invalid SQL statement name
	"28": true, // invalid authorization (bad password)
	"2B": true, // dependent privilege descriptors still exist
	"2D": true, // invalid transaction termination
	"34": true, // invalid cursor name
	"3D": true, // invalid catalog name (no such database)
	"3F": true, // invalid schema name
	"42": true, // syntax error or access rule violation, incl. 42501 permission denied
	"44": true, // WITH CHECK OPTION violation
	"P0": true, // PL/pgSQL raise_exception, assert_failure
}

// sqlRetryable reports whether a server error may go away on retry.
func sqlRetryable(pgErr *pgconn.PgError) bool {
	return len(pgErr.Code) < 2 || !sqlFinalClasses[pgErr.Code[:2]]
}

// sqlConnectError classifies a failure to connect. The message is pgx's,
// redacted: it names host and user, never the password.
func sqlConnectError(ctx context.Context, step string, err error, red *redactor) error {
	if ctx.Err() != nil {
		return fmt.Errorf("sql step %s: connect: %w", step, ctx.Err())
	}
	msg := fmt.Sprintf("sql step %s: %s", step, red.String(err.Error()))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !sqlRetryable(pgErr) {
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeSQLConnect, nil)
	}
	return temporal.NewApplicationError(msg, ErrTypeSQLConnect)
}

// sqlStatementError classifies a failed statement by SQLSTATE; with the
// body, it says at which line and column the server pointed. details, if
// any, travel in the error (a failed activity returns no result).
func sqlStatementError(ctx context.Context, step, what string, err error, red *redactor, body string, details ...any) error {
	if ctx.Err() != nil {
		return fmt.Errorf("sql step %s: %s: %w", step, what, ctx.Err())
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("sql step %s: %s: %s", step, what, red.String(err.Error())),
			ErrTypeSQL, temporal.ApplicationErrorOptions{Details: details})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sql step %s: %s (SQLSTATE %s)", step, pgErr.Message, pgErr.Code)
	if line, col := sqlPosition(body, int(pgErr.Position)); line > 0 {
		fmt.Fprintf(&b, " at line %d, column %d", line, col)
	}
	if pgErr.Detail != "" {
		fmt.Fprintf(&b, "; detail: %s", pgErr.Detail)
	}
	if pgErr.Hint != "" {
		fmt.Fprintf(&b, "; hint: %s", pgErr.Hint)
	}
	return temporal.NewApplicationErrorWithOptions(red.String(b.String()), ErrTypeSQL,
		temporal.ApplicationErrorOptions{NonRetryable: !sqlRetryable(pgErr), Details: details})
}

// sqlPosition turns the server's 1-based character position in body into
// a 1-based line and column; 0, 0 when unknown.
func sqlPosition(body string, pos int) (line, col int) {
	if pos <= 0 || body == "" {
		return 0, 0
	}
	runes := []rune(body)
	if pos > len(runes) {
		return 0, 0
	}
	line, col = 1, 1
	for _, r := range runes[:pos-1] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
