package activities

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestPostgresPreflightVersions: a pg_dump on PATH that is older than the
// server is no use: with nothing else installed preflight (and backup)
// stop with a critical finding naming the client to install; with a
// matching client in the versioned directories, that one is chosen and the
// old one on PATH is a low finding.
func TestPostgresPreflightVersions(t *testing.T) {
	e := newPGTestEnv(t)
	ref := e.createDB("app")
	ctx := context.Background()
	major := pgMajorString(e.c.Major() * 100)
	old := fakeClients(t, "14.9 (Ubuntu 14.9-1.pgdg22.04+1)", `echo "pg_dump: error: server version: 15; pg_dump version: 14.9" >&2; exit 1`)
	e.env["PATH"] = old + ":" + e.c.BinDir() + ":" + os.Getenv("PATH")

	t.Run("no usable client", func(t *testing.T) {
		e.env[PGClientDirsEnv] = t.TempDir()
		defer delete(e.env, PGClientDirsEnv)
		for _, step := range []string{"preflight", "backup"} {
			var err error
			if step == "preflight" {
				_, err = e.a.PostgresPreflight(ctx, pgReq(step, map[string]any{"database": ref}))
			} else {
				_, err = e.a.PostgresBackup(ctx, pgReq(step, map[string]any{"database": ref}))
			}
			if errType(err) != ErrTypePGVersionMismatch {
				t.Fatalf("%s: %v, want %s", step, err, ErrTypePGVersionMismatch)
			}
			d := errDetails(t, err)
			var f *Finding
			for i := range d.Findings {
				if d.Findings[i].Severity == SeverityCritical {
					f = &d.Findings[i]
				}
			}
			if f == nil || !strings.Contains(f.Title, "pg_dump 14.9") || !strings.Contains(f.Title, "client "+major+" or newer") ||
				!strings.Contains(f.Resolution, "postgresql-client-"+major) {
				t.Errorf("%s finding: %+v", step, d.Findings)
			}
		}
		if files, _ := os.ReadDir(e.a.ArtifactsDir); len(files) > 1 {
			t.Errorf("artifacts written after a mismatch: %v", files)
		}
	})

	t.Run("matching client installed", func(t *testing.T) {
		e.env[PGClientDirsEnv] = e.c.BinDir()
		defer delete(e.env, PGClientDirsEnv)
		res, err := e.a.PostgresPreflight(ctx, pgReq("preflight", map[string]any{"database": ref}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Outputs["client_path"] != e.c.BinDir()+"/pg_dump" || res.Outputs["mismatch"] != "false" {
			t.Errorf("outputs %v", res.Outputs)
		}
		if len(res.Findings) != 1 || res.Findings[0].Severity != SeverityLow || !strings.Contains(res.Findings[0].Title, "on PATH (14.9") {
			t.Errorf("findings %+v", res.Findings)
		}
	})
}
