package activities

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPostgresBadDumpIsFailedBackup: a pg_dump that exits 0 but writes
// nothing, or writes garbage, is a failed backup (no file kept), and such a
// file is never restored.
func TestPostgresBadDumpIsFailedBackup(t *testing.T) {
	e := newPGTestEnv(t)
	ref := e.createDB("app")
	e.exec("app", `CREATE TABLE t (id int PRIMARY KEY)`, `INSERT INTO t VALUES (1)`)
	ctx := context.Background()
	// The fake writes to the --file=... argument.
	writeTo := `for a in "$@"; do case "$a" in --file=*) f="${a#--file=}";; esac; done; `
	for name, body := range map[string]string{
		"empty":   writeTo + `: > "$f"; exit 0`,
		"garbage": writeTo + `echo 'this is not a custom-format archive' > "$f"; exit 0`,
	} {
		t.Run(name, func(t *testing.T) {
			e.env["PATH"] = fakeClients(t, "15.18", body) + ":" + os.Getenv("PATH")
			e.env[PGClientDirsEnv] = t.TempDir()
			defer delete(e.env, "PATH")
			defer delete(e.env, PGClientDirsEnv)
			_, err := e.a.PostgresBackup(ctx, pgReq("backup", map[string]any{"database": ref}))
			if errType(err) != ErrTypePGBackupInvalid {
				t.Fatalf("backup of a %s dump: %v (type %q), want %s", name, err, errType(err), ErrTypePGBackupInvalid)
			}
			files, _ := filepath.Glob(filepath.Join(e.a.ArtifactsDir, "backups", "*", "*"))
			partials, _ := filepath.Glob(filepath.Join(e.a.ArtifactsDir, "backups", ".partial", "*"))
			if len(files)+len(partials) != 0 {
				t.Errorf("files left behind: %v %v", files, partials)
			}
		})
	}
	for name, content := range map[string]string{"empty": "", "garbage": "PGDMP but not really\n"} {
		t.Run("restore "+name, func(t *testing.T) {
			path := filepath.Join(e.a.ArtifactsDir, "backups", name+".dump")
			_ = os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := e.a.PostgresRestore(ctx, pgReq("restore", map[string]any{"database": ref, "backup": "backups/" + name + ".dump"}))
			if errType(err) != ErrTypePGBackupInvalid {
				t.Fatalf("restore of a %s dump: %v (type %q)", name, err, errType(err))
			}
			if s := e.scratchDatabases(); len(s) != 0 {
				t.Errorf("scratch databases created: %v", s)
			}
		})
	}
}

// TestPostgresRestoreRefuses: the source database, a name without drill_,
// and an existing database drillbook did not create are refused.
func TestPostgresRestoreRefuses(t *testing.T) {
	e := newPGTestEnv(t)
	ref := e.createDB("drill_lookalike") // a source whose own name looks like a scratch name
	e.exec("drill_lookalike", `CREATE TABLE t (id int PRIMARY KEY)`, `INSERT INTO t VALUES (1)`)
	e.createDB("drill_someone_elses")
	ctx := context.Background()
	b, err := e.a.PostgresBackup(ctx, pgReq("backup", map[string]any{"database": ref}))
	if err != nil {
		t.Fatal(err)
	}
	for scratch, want := range map[string]string{
		"drill_lookalike":     "it is the source database",
		"production":          "starts with \"drill_\"",
		"drill_someone_elses": "already exists (not created by drillbook)",
	} {
		_, err := e.a.PostgresRestore(ctx, pgReq("restore", map[string]any{"database": ref, "backup": b.Outputs["path"], "scratch": scratch}))
		if errType(err) != ErrTypePGRefused || !strings.Contains(err.Error(), want) {
			t.Errorf("restore into %s: %v, want refused: %s", scratch, err, want)
		}
	}
	var n int
	e.exec("drill_lookalike", `DO $$ BEGIN IF (SELECT count(*) FROM t) <> 1 THEN RAISE 'source changed'; END IF; END $$`)
	_ = n
	if got := e.scratchDatabases(); !slices.Equal(got, []string{"drill_lookalike", "drill_someone_elses"}) {
		t.Errorf("databases now: %v", got)
	}
}

// TestPostgresDropScratchRefuses: drop_scratch drops only databases with
// drillbook's marker; an unmarked one, even named drill_, is refused.
func TestPostgresDropScratchRefuses(t *testing.T) {
	e := newPGTestEnv(t)
	ref := e.createDB("app")
	e.createDB("drill_made_by_hand")
	ctx := context.Background()
	for _, name := range []string{"drill_made_by_hand", "app", "postgres"} {
		_, err := e.a.PostgresDropScratch(ctx, pgReq("drop-scratch", map[string]any{"database": ref, "scratch": name}))
		if errType(err) != ErrTypePGRefused {
			t.Errorf("drop %s: %v, want refused", name, err)
		}
	}
	if !slices.Contains(e.databases(), "drill_made_by_hand") {
		t.Fatal("drill_made_by_hand was dropped")
	}
	res, err := e.a.PostgresDropScratch(ctx, pgReq("drop-scratch", map[string]any{"database": ref, "scratch": "drill_gone_already"}))
	if err != nil || !strings.Contains(res.Summary, "already gone") {
		t.Errorf("drop of a missing scratch database: %v %v", res, err)
	}
}

// TestPostgresRestoreStartsFresh: a scratch database left by an earlier
// attempt of the same step (a crash mid-restore) is dropped, and the
// retry restores into a new one; with scratch empty, drop_scratch drops
// what the run created.
func TestPostgresRestoreStartsFresh(t *testing.T) {
	e := newPGTestEnv(t)
	ref := e.createDB("app")
	e.exec("app", `CREATE TABLE t (id int PRIMARY KEY)`, `INSERT INTO t SELECT generate_series(1, 10)`)
	ctx := context.Background()
	b, err := e.a.PostgresBackup(ctx, pgReq("backup", map[string]any{"database": ref}))
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.a.PostgresRestore(ctx, pgReq("restore", map[string]any{"database": ref, "backup": b.Outputs["path"]}))
	if err != nil {
		t.Fatal(err)
	}
	half := first.Outputs["scratch"]
	e.exec(half, `DELETE FROM t WHERE id > 5`) // as if the crash cut the restore short
	req := pgReq("restore", map[string]any{"database": ref, "backup": b.Outputs["path"]})
	req.Attempt = 2
	second, err := e.a.PostgresRestore(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	fresh := second.Outputs["scratch"]
	if got := e.scratchDatabases(); !slices.Equal(got, []string{fresh}) || fresh == half {
		t.Fatalf("scratch databases after the retry: %v (first %s, retry %s)", got, half, fresh)
	}
	if _, err := e.a.PostgresVerify(ctx, pgReq("verify", map[string]any{"database": ref, "scratch": fresh})); err != nil {
		t.Fatalf("verify the fresh copy: %v", err)
	}
	res, err := e.a.PostgresDropScratch(ctx, pgReq("drop-scratch", map[string]any{"database": ref, "scratch": ""}))
	if err != nil || res.Outputs["dropped"] != fresh || len(e.scratchDatabases()) != 0 {
		t.Errorf("drop by run: %v %v; left %v", res.Outputs, err, e.scratchDatabases())
	}
}

// TestPostgresVerifyDetectsDifferences: a restored copy that lost a row or
// had a value changed fails verification, with the table in the details.
func TestPostgresVerifyDetectsDifferences(t *testing.T) {
	e := newPGTestEnv(t)
	ref := e.createDB("shop")
	seedShop(e, "shop")
	ctx := context.Background()
	b, err := e.a.PostgresBackup(ctx, pgReq("backup", map[string]any{"database": ref, "sample_threshold": 100}))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.a.PostgresRestore(ctx, pgReq("restore", map[string]any{"database": ref, "backup": b.Outputs["path"]}))
	if err != nil {
		t.Fatal(err)
	}
	scratch := r.Outputs["scratch"]
	e.exec(scratch, `UPDATE customers SET name = 'changed' WHERE id = 7`, `DELETE FROM events WHERE at < now() - interval '100 seconds'`,
		`UPDATE orders SET total = 0 WHERE id = (SELECT max(id) FROM orders)`)
	_, err = e.a.PostgresVerify(ctx, pgReq("verify", map[string]any{"database": ref, "scratch": scratch}))
	if errType(err) != ErrTypePGVerify {
		t.Fatalf("verify: %v, want %s", err, ErrTypePGVerify)
	}
	d := errDetails(t, err)
	if d.Outputs["mismatched"] != "3" || len(d.Findings) == 0 || d.Findings[0].Severity != SeverityCritical {
		t.Errorf("details: %v %+v", d.Outputs, d.Findings)
	}
	var bad []string
	for _, row := range d.Tables[0].Rows {
		if strings.HasPrefix(row[4], "❌") {
			bad = append(bad, row[0]+": "+row[4])
		}
	}
	if len(bad) != 3 {
		t.Errorf("mismatches: %v", bad)
	}
}
