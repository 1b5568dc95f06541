package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// ScratchPrefix starts the name of every scratch database; a restore never
// writes into a database whose name lacks it.
const ScratchPrefix = "drill_"

// scratchMarkerPrefix starts the comment (COMMENT ON DATABASE) that marks a
// database as created by drillbook; the rest is a scratchMarker as JSON.
const scratchMarkerPrefix = "drillbook scratch database, dropped by postgres.drop_scratch: "

// scratchMarker says who created a scratch database and from what.
type scratchMarker struct {
	WorkflowID string    `json:"workflow_id"`
	Step       string    `json:"step"`
	Attempt    int       `json:"attempt"`
	Source     string    `json:"source_database"`
	Backup     string    `json:"backup"`     // the dump, relative to the artifacts directory when inside it
	CreatedAt  time.Time `json:"created_at"` // the restore's start: RTO counts from here
}

// scratchName is drill_<db>_<yyyymmddhhmmss>_<4 hex>: the source's name in
// lower case with anything but letters and digits as '_', cut so that the
// whole stays within PostgreSQL's 63 bytes. salt makes names of concurrent
// restores differ.
func scratchName(sourceDB string, now time.Time, salt string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + now.String()))
	suffix := "_" + now.UTC().Format("20060102150405") + "_" + hex.EncodeToString(sum[:2])
	var b strings.Builder
	budget := 63 - len(ScratchPrefix) - len(suffix)
	for _, r := range strings.ToLower(sourceDB) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > budget {
			break
		}
		b.WriteRune(r)
	}
	slug := strings.Trim(b.String(), "_")
	if slug == "" {
		slug = "db"
	}
	return ScratchPrefix + slug + suffix
}

// isScratchName reports whether name may be a scratch database.
func isScratchName(name string) bool {
	return strings.HasPrefix(name, ScratchPrefix) && len(name) > len(ScratchPrefix)
}

// scratchDB is a database on the server with its drillbook marker, if any.
type scratchDB struct {
	Name   string
	Marker *scratchMarker // nil: not created by drillbook
}

// listDatabases returns the server's databases with their markers.
func listDatabases(ctx context.Context, conn *pgx.Conn) ([]scratchDB, error) {
	rows, err := conn.Query(ctx, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
FROM pg_database ORDER BY datname`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scratchDB
	for rows.Next() {
		var name, comment string
		if err := rows.Scan(&name, &comment); err != nil {
			return nil, err
		}
		out = append(out, scratchDB{Name: name, Marker: parseMarker(comment)})
	}
	return out, rows.Err()
}

// parseMarker reads a scratch marker comment; nil when it is not one.
func parseMarker(comment string) *scratchMarker {
	js, ok := strings.CutPrefix(comment, scratchMarkerPrefix)
	if !ok {
		return nil
	}
	var m scratchMarker
	if json.Unmarshal([]byte(js), &m) != nil || m.WorkflowID == "" {
		return nil
	}
	return &m
}

// findDatabase returns the database named name, or ok=false.
func findDatabase(ctx context.Context, conn *pgx.Conn, name string) (scratchDB, bool, error) {
	dbs, err := listDatabases(ctx, conn)
	if err != nil {
		return scratchDB{}, false, err
	}
	for _, d := range dbs {
		if d.Name == name {
			return d, true, nil
		}
	}
	return scratchDB{}, false, nil
}

// dbLocale is how a database encodes and sorts text.
type dbLocale struct{ Encoding, Collate, Ctype string }

// createScratch creates database name from template0 with the source's
// encoding and locale (falling back to the server's when it lacks them),
// then marks it as drillbook's.
func createScratch(ctx context.Context, conn *pgx.Conn, name string, loc dbLocale, m scratchMarker) error {
	all := []any{name, loc.Encoding, loc.Collate, loc.Ctype}
	attempts := []struct {
		q    string
		args int
	}{
		{`SELECT format('CREATE DATABASE %I TEMPLATE template0 ENCODING %L LC_COLLATE %L LC_CTYPE %L', $1::text, $2::text, $3::text, $4::text)`, 4},
		{`SELECT format('CREATE DATABASE %I TEMPLATE template0 ENCODING %L', $1::text, $2::text)`, 2},
		{`SELECT format('CREATE DATABASE %I', $1::text)`, 1},
	}
	var err error
	for _, at := range attempts {
		var stmt string
		if err = conn.QueryRow(ctx, at.q, all[:at.args]...).Scan(&stmt); err != nil {
			return err
		}
		if _, err = conn.Exec(ctx, stmt); err == nil {
			break
		}
		if ctx.Err() != nil || strings.Contains(err.Error(), "already exists") {
			return err
		}
	}
	if err != nil {
		return err
	}
	js, _ := json.Marshal(m)
	var stmt string
	if err := conn.QueryRow(ctx, `SELECT format('COMMENT ON DATABASE %I IS %L', $1::text, $2::text)`,
		name, scratchMarkerPrefix+string(js)).Scan(&stmt); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		_ = dropDatabase(context.WithoutCancel(ctx), conn, name)
		return fmt.Errorf("mark scratch database: %w", err)
	}
	return nil
}

// dropDatabase drops name, ending its sessions first.
func dropDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	var num int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&num); err != nil {
		return err
	}
	q := `SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text)`
	if num < 130000 {
		if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
			return err
		}
		q = `SELECT format('DROP DATABASE IF EXISTS %I', $1::text)`
	}
	var stmt string
	if err := conn.QueryRow(ctx, q, name).Scan(&stmt); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, stmt)
	return err
}
