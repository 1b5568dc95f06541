package activities

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Error types of the postgres.* actions (temporal.ApplicationError.Type()).
const (
	// ErrTypePGConfig: bad parameters, or a database reference that is unset
	// or does not parse (not retryable).
	ErrTypePGConfig = "PostgresConfig"
	// ErrTypePGConnect: the server cannot be reached (retryable) or refused
	// the login (not retryable).
	ErrTypePGConnect = "PostgresConnect"
	// ErrTypePGQuery: a catalog or statistics query failed.
	ErrTypePGQuery = "PostgresQuery"
	// ErrTypePGVersionMismatch: no pg_dump/pg_restore on the worker can
	// handle this server or this archive (not retryable; the error's details
	// hold a finding that names the client to install).
	ErrTypePGVersionMismatch = "PostgresVersionMismatch"
	// ErrTypePGDump: pg_dump failed or was killed (retryable).
	ErrTypePGDump = "PostgresDumpFailed"
	// ErrTypePGBackupInvalid: the dump is empty, unreadable or does not
	// match its checksum. A backup retries; a restore does not.
	ErrTypePGBackupInvalid = "PostgresBackupInvalid"
	// ErrTypePGRestore: pg_restore failed on tables or data (retryable: a
	// retry starts over in a fresh scratch database).
	ErrTypePGRestore = "PostgresRestoreFailed"
	// ErrTypePGRefused: the action refuses its target, e.g. a restore into
	// the source database or dropping a database drillbook did not create
	// (not retryable).
	ErrTypePGRefused = "PostgresRefused"
	// ErrTypePGVerify: the restored copy differs from the backup (not
	// retryable; the details hold the per-table comparison).
	ErrTypePGVerify = "PostgresVerifyMismatch"
)

// pgParams reads an action's parameters leniently typed: after variable
// substitution a number often arrives as a string ("7"), so ints, durations
// and booleans are read from either. Every problem is collected, and unknown
// parameters are reported, in one non-retryable error by done.
type pgParams struct {
	action   string
	m        map[string]any
	known    []string
	problems []string
}

func newPGParams(action string, m map[string]any) *pgParams {
	return &pgParams{action: action, m: m}
}

// str returns a string parameter ("" when absent).
func (p *pgParams) str(name string) string {
	p.known = append(p.known, name)
	switch v := p.m[name].(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case float64, int, int64, json.Number, bool:
		return fmt.Sprint(v)
	default:
		p.problems = append(p.problems, fmt.Sprintf("%s: want a string, got %T", name, v))
		return ""
	}
}

// integer returns an int parameter, def when absent or empty, checked
// against min.
func (p *pgParams) integer(name string, def, min int) int {
	s := p.str(name)
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int(f)) {
		p.problems = append(p.problems, fmt.Sprintf("%s: want a whole number, got %q", name, s))
		return def
	}
	if int(f) < min {
		p.problems = append(p.problems, fmt.Sprintf("%s: must be at least %d, got %d", name, min, int(f)))
		return def
	}
	return int(f)
}

// duration returns a Go duration parameter ("30m"), def when absent or empty.
func (p *pgParams) duration(name string, def time.Duration) time.Duration {
	s := p.str(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		p.problems = append(p.problems, fmt.Sprintf("%s: want a positive duration such as 30m or 1h, got %q", name, s))
		return def
	}
	return d
}

// boolean returns a true/false parameter, def when absent or empty.
func (p *pgParams) boolean(name string, def bool) bool {
	s := p.str(name)
	if s == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		p.problems = append(p.problems, fmt.Sprintf("%s: want true or false, got %q", name, s))
		return def
	}
	return b
}

// done reports unknown parameters and every problem found, or nil.
func (p *pgParams) done() error {
	var unknown []string
	for k := range p.m {
		if !slices.Contains(p.known, k) {
			unknown = append(unknown, fmt.Sprintf("unknown parameter %q (known: %s)", k, strings.Join(p.known, ", ")))
		}
	}
	slices.Sort(unknown)
	problems := append(unknown, p.problems...)
	if len(problems) == 0 {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s: bad parameters: %s", p.action, strings.Join(problems, "; ")), ErrTypePGConfig, nil)
}

// pgFail is a postgres.* error of type typ whose details carry res (its
// findings and tables reach the report even though the step failed).
func pgFail(typ string, nonRetryable bool, res ActionResult, format string, args ...any) error {
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf(format, args...), typ,
		temporal.ApplicationErrorOptions{NonRetryable: nonRetryable, Details: []any{res}})
}
