package activities

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"
)

// pgTarget is a resolved database reference: the parsed connection settings
// (which hold the password: never log them), the libpq settings pgx does not
// keep, and the redactor for every form of the secret.
type pgTarget struct {
	ref   string // as given: env:NAME, ${env.X} or a literal (then never shown)
	cfg   *pgx.ConnConfig
	libpq map[string]string // PG* environment variables for the client tools
	red   *redactor
}

// pgSessionSettings fix the text forms of values so that row checksums
// taken on two servers, or at two times, compare equal. They are SET after
// connecting rather than sent as startup parameters, which poolers
// (PgBouncer, Supavisor) may refuse.
const pgSessionSettings = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; ` +
	`SET extra_float_digits = 1; SET bytea_output = 'hex'`

// pgLibpqKeys maps connection-string keywords that the client tools need
// (and pgx does not keep) to the libpq environment variables that set them.
var pgLibpqKeys = map[string]string{
	"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
	"sslcrl": "PGSSLCRL", "sslsni": "PGSSLSNI", "gssencmode": "PGGSSENCMODE", "channel_binding": "PGCHANNELBINDING",
	"krbsrvname": "PGKRBSRVNAME", "options": "PGOPTIONS", "target_session_attrs": "PGTARGETSESSIONATTRS", "connect_timeout": "PGCONNECT_TIMEOUT",
}

// pgTarget resolves ref (env:NAME, ${env.NAME} or a connection string)
// inside the worker. Errors never hold the value.
func (a *Activities) pgTarget(req ActionRequest, ref string) (*pgTarget, error) {
	red := newRedactor(a.requestSecrets(req)...)
	if ref == "" {
		return nil, temporal.NewNonRetryableApplicationError(
			"no database: set the step's database parameter (env:NAME or ${inputs.source})", ErrTypePGConfig, nil)
	}
	dsn, fromEnv := a.resolveRef(ref)
	what := "the connection string"
	if fromEnv {
		what = "the connection string from " + ref // a reference, safe to show
	}
	if strings.TrimSpace(dsn) == "" {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("database %s is empty or unset in the worker's environment", ref), ErrTypePGConfig, nil)
	}
	red = red.with(secretForms(dsn)...)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(
			what+" does not parse as a PostgreSQL URL or key=value string (value not shown)", ErrTypePGConfig, nil)
	}
	red = red.with(secretForms(cfg.Password)...)
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "drillbook"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = sqlConnectTimeout
	}
	t := &pgTarget{ref: ref, cfg: cfg, red: red, libpq: map[string]string{}}
	for k, v := range conninfoSettings(dsn) {
		if env, ok := pgLibpqKeys[k]; ok {
			t.libpq[env] = v
		}
	}
	for _, env := range pgLibpqKeys { // the worker's own defaults, as pgx honoured them
		if _, set := t.libpq[env]; !set && a.getenv(env) != "" {
			t.libpq[env] = a.getenv(env)
		}
	}
	return t, nil
}

// connect opens a connection to database db on the target's server ("" is
// the target's own database).
func (t *pgTarget) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	cfg := t.cfg.Copy()
	if db != "" {
		cfg.Database = db
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, t.connectError(ctx, err)
	}
	if _, err := conn.Exec(ctx, pgSessionSettings); err != nil {
		pgClose(conn)
		return nil, t.queryError(ctx, "session settings", err)
	}
	return conn, nil
}

// connectError classifies a failed connection: a refused login or an unknown
// database is final, anything else may pass.
func (t *pgTarget) connectError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("connect: %w", ctx.Err())
	}
	msg := "connect: " + t.red.String(err.Error())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !sqlRetryable(pgErr) {
		return temporal.NewNonRetryableApplicationError(msg, ErrTypePGConnect, nil)
	}
	return temporal.NewApplicationError(msg, ErrTypePGConnect)
}

// queryError wraps a failed query, redacted; permission and syntax errors
// are final.
func (t *pgTarget) queryError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	msg := what + ": " + t.red.String(err.Error())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !sqlRetryable(pgErr) {
		return temporal.NewNonRetryableApplicationError(msg, ErrTypePGQuery, nil)
	}
	return temporal.NewApplicationError(msg, ErrTypePGQuery)
}

// close closes conn with a short deadline of its own.
func pgClose(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// toolEnv is the environment of pg_dump and pg_restore: the server, port
// and user as PG* variables and the password in a 0600 passfile, never on
// the command line; messages in English for the classifiers. remove
// deletes the passfile.
func (a *Activities) toolEnv(t *pgTarget) (env []string, remove func(), err error) {
	env = []string{"PATH=" + a.getenv("PATH"), "LC_ALL=C", "LANG=C", "PGAPPNAME=drillbook", "PGTZ=UTC"}
	if h := a.getenv("HOME"); h != "" {
		env = append(env, "HOME="+h)
	}
	env = append(env, "PGHOST="+t.cfg.Host, "PGPORT="+strconv.Itoa(int(t.cfg.Port)), "PGUSER="+t.cfg.User)
	for k, v := range t.libpq {
		env = append(env, k+"="+v)
	}
	remove = func() {}
	if t.cfg.Password == "" {
		if pf := a.getenv("PGPASSFILE"); pf != "" {
			env = append(env, "PGPASSFILE="+pf)
		}
		return env, remove, nil
	}
	f, err := os.CreateTemp("", "drillbook-pgpass-*") // mode 0600
	if err != nil {
		return nil, remove, fmt.Errorf("create passfile: %w", err)
	}
	remove = func() { _ = os.Remove(f.Name()) }
	esc := strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(t.cfg.Password)
	_, werr := f.WriteString("*:*:*:*:" + esc + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		remove()
		return nil, func() {}, fmt.Errorf("write passfile: %w", werr)
	}
	return append(env, "PGPASSFILE="+f.Name()), remove, nil
}

// dbnameArg is a --dbname value that names database db and nothing else,
// whatever characters the name holds (a conninfo string, quoted).
func dbnameArg(db string) string {
	return "--dbname=dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(db) + "'"
}

// conninfoSettings returns the keyword settings of a connection string, URL
// (postgres://...?sslmode=require) or key=value form. Unparseable input
// gives what could be read.
func conninfoSettings(dsn string) map[string]string {
	out := map[string]string{}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return out
		}
		for k, v := range u.Query() {
			if len(v) > 0 {
				out[k] = v[len(v)-1]
			}
		}
		return out
	}
	s := dsn
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return out
		}
		key = strings.TrimSpace(key)
		rest = strings.TrimLeft(rest, " \t")
		var val strings.Builder
		i := 0
		if strings.HasPrefix(rest, "'") {
			for i = 1; i < len(rest) && rest[i] != '\''; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				val.WriteByte(rest[i])
			}
			i++
		} else {
			for ; i < len(rest) && !strings.ContainsRune(" \t\n\r", rune(rest[i])); i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				val.WriteByte(rest[i])
			}
		}
		out[key] = val.String()
		if i >= len(rest) {
			return out
		}
		s = rest[i:]
	}
}
