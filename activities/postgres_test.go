package activities

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// drillCycle runs preflight, backup, restore, verify and drop_scratch on
// the database ref points at and checks each step's essentials.
func drillCycle(t *testing.T, e *pgTestEnv, ref, db string) (backup, restore, verify ActionResult) {
	t.Helper()
	ctx := context.Background()
	pre, err := e.a.PostgresPreflight(ctx, pgReq("preflight", map[string]any{"database": ref}))
	if err != nil {
		t.Fatalf("preflight: %v", err)
	}
	if pre.Outputs["database"] != db || pre.Outputs["mismatch"] != "false" || pre.Outputs["client"] == "" {
		t.Fatalf("preflight outputs: %v", pre.Outputs)
	}

	backup, err = e.a.PostgresBackup(ctx, pgReq("backup", map[string]any{"database": ref, "keep": "3", "sample_threshold": 100}))
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	dump := filepath.Join(e.a.ArtifactsDir, filepath.FromSlash(backup.Outputs["path"]))
	n, sum, err := hashFile(dump)
	if err != nil || n == 0 || sum != backup.Outputs["sha256"] {
		t.Fatalf("dump %s: %d bytes, sha256 %s, outputs %v, err %v", dump, n, sum, backup.Outputs, err)
	}
	if side, err := os.ReadFile(dump + ".sha256"); err != nil || !strings.HasPrefix(string(side), sum+"  ") {
		t.Fatalf(".sha256 = %q, %v", side, err)
	}
	if _, err := readManifest(manifestPath(dump)); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(backup.Artifacts) < 4 || len(backup.Tables) != 1 {
		t.Errorf("backup artifacts %v tables %d", backup.Artifacts, len(backup.Tables))
	}

	restore, err = e.a.PostgresRestore(ctx, pgReq("restore", map[string]any{"database": ref, "backup": backup.Outputs["path"], "jobs": 2}))
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, errDetails(t, err).OutputTail)
	}
	scratch := restore.Outputs["scratch"]
	if !strings.HasPrefix(scratch, ScratchPrefix) || !slices.Contains(e.databases(), scratch) {
		t.Fatalf("scratch %q not among %v", scratch, e.databases())
	}

	verify, err = e.a.PostgresVerify(ctx, pgReq("verify", map[string]any{"database": ref, "scratch": scratch,
		"rto_budget": "30m", "rpo_budget": "1h"}))
	if err != nil {
		t.Fatalf("verify: %v\n%+v", err, errDetails(t, err).Tables)
	}
	if verify.Outputs["match"] != "true" || verify.Outputs["rto_ok"] != "true" || verify.Outputs["rpo_ok"] != "true" {
		t.Errorf("verify outputs: %v\n%+v", verify.Outputs, verify.Tables)
	}

	drop, err := e.a.PostgresDropScratch(ctx, pgReq("drop-scratch", map[string]any{"database": ref, "scratch": scratch}))
	if err != nil {
		t.Fatalf("drop_scratch: %v", err)
	}
	if drop.Outputs["count"] != "1" || slices.Contains(e.databases(), scratch) {
		t.Errorf("scratch still there after drop: %v %v", drop.Outputs, e.databases())
	}
	return backup, restore, verify
}

// TestPostgresDrillActivities: the whole drill on a seeded database, with
// every comparison method: full checksums, samples by primary key, counts.
func TestPostgresDrillActivities(t *testing.T) {
	e := newPGTestEnv(t)
	ref := e.createDB("shop")
	seedShop(e, "shop")
	backup, _, verify := drillCycle(t, e, ref, "shop")
	pre, err := e.a.PostgresPreflight(context.Background(), pgReq("preflight", map[string]any{"database": ref}))
	if err != nil || pre.Outputs["last_backup"] != backup.Outputs["path"] || pre.Outputs["last_backup_at"] != backup.Outputs["snapshot_at"] {
		t.Errorf("newest backup in preflight: %v (backup %v), %v", pre.Outputs, backup.Outputs, err)
	}

	if backup.Outputs["tables"] != "4" || backup.Outputs["rows"] != "1053" {
		t.Errorf("backup outputs: %v", backup.Outputs)
	}
	methods := map[string]string{}
	for _, r := range backup.Tables[0].Rows {
		methods[r[0]] = r[2]
	}
	want := map[string]string{"public.customers": methodFull, "public.orders": methodSample, "public.events": methodCount, "public.settings": methodFull}
	for k, v := range want {
		if methods[k] != v {
			t.Errorf("table %s compared by %q, want %q (all: %v)", k, methods[k], v, methods)
		}
	}
	// The future event does not count for RPO; the newest past one is seconds old.
	newest, err := time.Parse(time.RFC3339, verify.Outputs["newest"])
	if err != nil || time.Since(newest) > time.Minute || time.Since(newest) < 0 {
		t.Errorf("newest = %q (%v)", verify.Outputs["newest"], err)
	}
	if len(verify.Tables) != 2 || len(verify.Tables[0].Rows) != 4 || len(verify.Tables[1].Rows) != 2 {
		t.Errorf("verify tables: %+v", verify.Tables)
	}
	for _, r := range verify.Tables[0].Rows {
		if r[4] != "✅ match" {
			t.Errorf("table %s: %s", r[0], r[4])
		}
	}
}

// TestPostgresOddNames: database, schema, table and column names with
// spaces, quotes, hyphens and non-ASCII letters back up, restore and
// verify; the scratch name keeps the letters.
func TestPostgresOddNames(t *testing.T) {
	e := newPGTestEnv(t)
	db := `Shop "Nord"-Bütik ü's`
	ref := e.createDB(db)
	e.exec(db,
		`CREATE SCHEMA "Sales-2024"`,
		`CREATE TABLE "Sales-2024"."Order Items ""ü""" (id int PRIMARY KEY, "Placed At" timestamptz, "naïve-col" text)`,
		`INSERT INTO "Sales-2024"."Order Items ""ü""" SELECT i, now() - (i || ' min')::interval, 'wert ' || i FROM generate_series(1, 20) i`,
	)
	_, restore, verify := drillCycle(t, e, ref, db)
	if !strings.HasPrefix(restore.Outputs["scratch"], "drill_shop__nord__bütik_ü_s_") {
		t.Errorf("scratch name %q", restore.Outputs["scratch"])
	}
	if verify.Outputs["tables"] != "1" || verify.Outputs["match"] != "true" {
		t.Errorf("verify: %v", verify.Outputs)
	}
}

// TestPostgresBackupKeepsNewest: keep=2 leaves the two newest backups.
func TestPostgresBackupKeepsNewest(t *testing.T) {
	e := newPGTestEnv(t)
	ref := e.createDB("tiny")
	e.exec("tiny", `CREATE TABLE t (id int PRIMARY KEY)`, `INSERT INTO t VALUES (1)`)
	var paths []string
	for range 3 {
		res, err := e.a.PostgresBackup(context.Background(), pgReq("backup", map[string]any{"database": ref, "keep": 2}))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, res.Outputs["path"])
	}
	dumps, _ := filepath.Glob(filepath.Join(e.a.ArtifactsDir, "backups", "*", "tiny-*"))
	if len(dumps) != 6 { // 2 × (.dump, .dump.sha256, .manifest.json)
		t.Fatalf("files left: %v", dumps)
	}
	if _, err := os.Stat(filepath.Join(e.a.ArtifactsDir, paths[0])); !os.IsNotExist(err) {
		t.Errorf("oldest backup %s still there", paths[0])
	}
	for _, p := range paths[1:] {
		if _, err := os.Stat(filepath.Join(e.a.ArtifactsDir, p)); err != nil {
			t.Errorf("newest backup %s: %v", p, err)
		}
	}
}
