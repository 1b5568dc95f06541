package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Comparison methods of a table (pgTableStat.Method).
const (
	methodFull   = "full"   // checksum of every row
	methodSample = "sample" // checksum of the first and last pgSampleRows rows by primary key
	methodCount  = "count"  // row count only (a large table without a primary key)
)

// pgSampleRows is how many rows each end of a large table's primary key
// order contributes to its sample checksum.
const pgSampleRows = 1000

// DefaultSampleThreshold: tables with more rows than this are compared by sample.
const DefaultSampleThreshold = 100000

// pgManifest describes a backup: what the database held in the snapshot the
// dump was taken from. It is written beside the dump (<name>.manifest.json)
// and is what a restore is verified against.
type pgManifest struct {
	Version    int       `json:"version"`
	Database   string    `json:"database"`
	Server     string    `json:"server_version"`
	Client     string    `json:"pg_dump_version"`
	SnapshotAt time.Time `json:"snapshot_at"` // the snapshot's transaction start: the backup's point in time
	// Consistent is true when the counts below come from the dump's own
	// snapshot (pg_dump --snapshot), so they match the dump exactly.
	Consistent      bool          `json:"consistent"`
	StartedAt       time.Time     `json:"started_at"`
	FinishedAt      time.Time     `json:"finished_at"`
	Dump            string        `json:"dump"` // file name
	Bytes           int64         `json:"bytes"`
	SHA256          string        `json:"sha256"`
	SampleThreshold int64         `json:"sample_threshold"`
	Tables          []pgTableStat `json:"tables"`
	// Newest is the newest timestamp at or before SnapshotAt in any
	// timestamp column: the data's age for RPO.
	Newest *time.Time `json:"newest_timestamp,omitempty"`
}

// pgTableStat is one table's figures.
type pgTableStat struct {
	Schema           string     `json:"schema"`
	Name             string     `json:"name"`
	Rows             int64      `json:"rows"`
	Method           string     `json:"method"`
	Checksum         string     `json:"checksum,omitempty"`
	PrimaryKey       []string   `json:"primary_key,omitempty"`
	TimestampColumns []string   `json:"timestamp_columns,omitempty"`
	Newest           *time.Time `json:"newest,omitempty"`
	estimate         float64    // planner's row estimate (-1 unknown)
	bytes            int64
}

// qualified is "schema"."name", quoted.
func (t pgTableStat) qualified() string { return pgx.Identifier{t.Schema, t.Name}.Sanitize() }

// display is schema.name as people read it.
func (t pgTableStat) display() string { return t.Schema + "." + t.Name }

// pgListTables lists the user tables of the connected database with their
// primary key and timestamp columns (extension members, catalogs and
// temporary tables left out), in schema and name order.
func pgListTables(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]pgTableStat, error) {
	rows, err := q.Query(ctx, `
SELECT n.nspname, c.relname, c.reltuples::float8, pg_relation_size(c.oid),
  coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
    WHERE i.indrelid = c.oid AND i.indisprimary), '{}'),
  coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      AND a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype)), '{}')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	var out []pgTableStat
	for rows.Next() {
		var t pgTableStat
		if err := rows.Scan(&t.Schema, &t.Name, &t.estimate, &t.bytes, &t.PrimaryKey, &t.TimestampColumns); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// pgRowHash is the per-row hash summed into a checksum: 64 bits of the md5
// of the row's text form. Sums are order-independent, so no sort is needed.
const pgRowHash = `('x' || substr(md5(_dr::text), 1, 16))::bit(64)::bigint`

// pgScan counts t's rows in one pass, with the newest timestamp per column
// (at or before asOf) and, when full, the checksum of every row.
func pgScan(ctx context.Context, conn *pgx.Conn, t *pgTableStat, asOf time.Time, full bool) error {
	cols := []string{"count(*)"}
	for _, c := range t.TimestampColumns {
		id := pgx.Identifier{c}.Sanitize()
		cols = append(cols, fmt.Sprintf("(max(_dr.%s) FILTER (WHERE _dr.%s <= $1::timestamptz))::timestamptz", id, id))
	}
	if full {
		cols = append(cols, "coalesce(sum("+pgRowHash+"), 0)::text")
	}
	sql := fmt.Sprintf("SELECT %s FROM ONLY %s AS _dr", strings.Join(cols, ", "), t.qualified())
	dest := []any{&t.Rows}
	stamps := make([]pgtype.Timestamptz, len(t.TimestampColumns))
	for i := range stamps {
		dest = append(dest, &stamps[i])
	}
	var sum string
	if full {
		dest = append(dest, &sum)
	}
	var args []any
	if len(t.TimestampColumns) > 0 {
		args = append(args, asOf.UTC())
	}
	if err := conn.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		return fmt.Errorf("scan %s: %w", t.display(), err)
	}
	t.Newest = nil
	for _, s := range stamps {
		if s.Valid && s.InfinityModifier == pgtype.Finite && (t.Newest == nil || s.Time.After(*t.Newest)) {
			ts := s.Time.UTC()
			t.Newest = &ts
		}
	}
	if full {
		t.Method, t.Checksum = methodFull, fmt.Sprintf("%d:%s", t.Rows, sum)
	}
	return nil
}

// pgSample checksums the first and last pgSampleRows rows of t in primary
// key order (an index scan each, whatever the table's size).
func pgSample(ctx context.Context, conn *pgx.Conn, t *pgTableStat) error {
	var keys []string
	for _, k := range t.PrimaryKey {
		keys = append(keys, "_dr."+pgx.Identifier{k}.Sanitize())
	}
	var parts []string
	for _, dir := range []string{"ASC", "DESC"} {
		order := strings.Join(keys, " "+dir+", ") + " " + dir
		sql := fmt.Sprintf("SELECT count(*), coalesce(sum(h), 0)::text FROM (SELECT %s AS h FROM ONLY %s AS _dr ORDER BY %s LIMIT %d) s",
			pgRowHash, t.qualified(), order, pgSampleRows)
		var n int64
		var sum string
		if err := conn.QueryRow(ctx, sql).Scan(&n, &sum); err != nil {
			return fmt.Errorf("sample %s: %w", t.display(), err)
		}
		parts = append(parts, fmt.Sprintf("%d:%s", n, sum))
	}
	t.Method, t.Checksum = methodSample, strings.Join(parts, "/")
	return nil
}

// pgCollect fills in the figures of tables (listed by pgListTables) as of
// asOf: one scan each for the count and newest timestamps, with the
// checksum in the same scan for tables expected to be small; large tables
// get a sample checksum when they have a primary key, a count otherwise.
// progress, if set, is told each table as it is done.
func pgCollect(ctx context.Context, conn *pgx.Conn, tables []pgTableStat, asOf time.Time, threshold int64, progress func(i int)) error {
	for i := range tables {
		t := &tables[i]
		small := (t.estimate >= 0 && t.estimate <= float64(threshold)*1.2) || (t.estimate < 0 && t.bytes <= 64<<20)
		if err := pgScan(ctx, conn, t, asOf, small); err != nil {
			return err
		}
		if err := pgFinishMethod(ctx, conn, t, asOf, threshold); err != nil {
			return err
		}
		if progress != nil {
			progress(i)
		}
	}
	return nil
}

// pgFinishMethod settles the method of a scanned table whose checksum was
// not taken in the scan: full for a small table after all, a sample for a
// large one with a primary key, the count otherwise.
func pgFinishMethod(ctx context.Context, conn *pgx.Conn, t *pgTableStat, asOf time.Time, threshold int64) error {
	switch {
	case t.Method == methodFull:
		return nil
	case t.Rows <= threshold:
		return pgScan(ctx, conn, t, asOf, true)
	case len(t.PrimaryKey) > 0:
		return pgSample(ctx, conn, t)
	}
	t.Method, t.Checksum = methodCount, ""
	return nil
}

// newestOf is the newest timestamp over tables.
func newestOf(tables []pgTableStat) *time.Time {
	var newest *time.Time
	for _, t := range tables {
		if t.Newest != nil && (newest == nil || t.Newest.After(*newest)) {
			newest = t.Newest
		}
	}
	return newest
}

// readManifest reads a backup's manifest.
func readManifest(path string) (*pgManifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m pgManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	return &m, nil
}
