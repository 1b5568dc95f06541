package activities

import (
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// errorSamples returns the blocks of the shared fixture of real pg_dump and
// pg_restore output, by the heading of their section.
func errorSamples(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../../shared/fixtures/postgres/error_samples.txt")
	if err != nil {
		t.Fatalf("fixture: %v (clone the shared repository next to this one)", err)
	}
	out := map[string][]string{}
	section := ""
	for _, part := range strings.Split(string(b), "\n## SOURCE:") {
		if section != "" {
			out[section] = append(out[section], part)
		}
		if i := strings.LastIndex(part, "######## "); i >= 0 { // the next blocks' section
			section = strings.TrimSpace(part[i:])
		}
	}
	return out
}

func TestParseDumpMismatchFixtures(t *testing.T) {
	samples := errorSamples(t)
	var blocks []string
	for k, v := range samples {
		if strings.Contains(k, "server newer than client") {
			blocks = v
		}
	}
	if len(blocks) < 6 {
		t.Fatalf("found %d mismatch samples", len(blocks))
	}
	for _, b := range blocks {
		if strings.Contains(b, "pg_log_error") { // quoted source code, not output
			continue
		}
		server, client, ok := parseDumpMismatch(b)
		if !ok {
			if strings.Contains(b, "aborting because of server version mismatch") {
				t.Errorf("not recognised:\n%s", b)
			}
			continue
		}
		if server == "" && !strings.Contains(b, "`server version") {
			t.Errorf("no versions read from:\n%s", b)
		}
		if server != "" && (!strings.ContainsAny(server[:1], "0123456789") || !strings.ContainsAny(client[:1], "0123456789")) {
			t.Errorf("versions %q %q from:\n%s", server, client, b)
		}
	}
	s, c, ok := parseDumpMismatch("pg_dump: error: aborting because of server version mismatch\npg_dump: detail: server version: 17.7 (Debian 17.7-3.pgdg13+1); pg_dump version: 15.14 (Debian 15.14-0+deb12u1)\n")
	if !ok || s != "17.7 (Debian 17.7-3.pgdg13+1)" || c != "15.14 (Debian 15.14-0+deb12u1)" {
		t.Errorf("got %q %q %v", s, c, ok)
	}
}

func TestClassifyRestoreOutput(t *testing.T) {
	cases := []struct {
		name               string
		out                string
		warnings, failures int
		ignored            int
	}{
		{"missing owner role (cardano)", "pg_restore: error: could not execute query: ERROR:  role \"cexplorer\" does not exist\nCommand was: ALTER DOMAIN public.addr29type OWNER TO cexplorer;\n", 1, 0, -1},
		{"ACL and summary (pgcopydb)", "pg_restore: from TOC entry 10427; 0 0 ACL TABLE. xxx xxxx\npg_restore: error: could not execute query: ERROR:  role \"xxxxxx\" does not exist\npg_restore: warning: errors ignored on restore: 122\n", 1, 0, 122},
		{"pre-12 comment on extension", "pg_restore: [archiver (db)] Error while PROCESSING TOC:\npg_restore: [archiver (db)] Error from TOC entry 2413; 0 0 COMMENT EXTENSION plpgsql\npg_restore: [archiver (db)] could not execute query: ERROR: must be owner of extension plpgsql Command was: COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';\nWARNING: errors ignored on restore: 2\n", 1, 0, 2},
		{"rds_superuser schema owner", "pg_restore: [archiver (db)] Error from TOC entry 10; 2615 17882 SCHEMA topology rds_superuser\npg_restore: [archiver (db)] could not execute query: ERROR: role \"rds_superuser\" does not exist\nCommand was: ALTER SCHEMA topology OWNER TO rds_superuser;\n", 1, 0, -1},
		{"extension not permitted", "pg_restore: from TOC entry 2; 3079 16385 EXTENSION postgis\npg_restore: error: could not execute query: ERROR:  permission denied to create extension \"postgis\"\nHINT:  Must be superuser to create this extension.\nCommand was: CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA extensions;\n", 1, 0, -1},
		{"extension not installed", "pg_restore: from TOC entry 3; 3079 16386 EXTENSION pg_graphql\npg_restore: error: could not execute query: ERROR:  could not open extension control file \"/usr/share/postgresql/15/extension/pg_graphql.control\": No such file or directory\n", 1, 0, -1},
		{"policy to a missing role", "pg_restore: from TOC entry 3500; 3256 17001 POLICY public todos Users can read todos postgres\npg_restore: error: could not execute query: ERROR:  role \"authenticated\" does not exist\n", 1, 0, -1},
		{"table data fails", "pg_restore: from TOC entry 3350; 0 16400 TABLE DATA public orders app\npg_restore: error: COPY failed for table \"orders\": ERROR:  duplicate key value violates unique constraint \"orders_pkey\"\npg_restore: warning: errors ignored on restore: 1\n", 0, 1, 1},
		{"table needs a missing type", "pg_restore: from TOC entry 220; 1259 16410 TABLE public items app\npg_restore: error: could not execute query: ERROR:  type \"extensions.vector\" does not exist\nCommand was: CREATE TABLE public.items (embedding extensions.vector(3));\n", 0, 1, -1},
		{"schema already exists", "pg_restore: from TOC entry 6; 2615 2200 SCHEMA public postgres\npg_restore: error: could not execute query: ERROR:  schema \"public\" already exists\n", 1, 0, -1},
		{"worker died", "pg_restore: error: a worker process died unexpectedly\n", 0, 1, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := classifyRestoreOutput(c.out)
			if len(got.Warnings) != c.warnings || len(got.Failures) != c.failures || got.Ignored != c.ignored {
				t.Errorf("warnings %+v\nfailures %+v\nignored %d", got.Warnings, got.Failures, got.Ignored)
			}
		})
	}
	rl := classifyRestoreOutput(cases[0].out + cases[5].out + cases[6].out)
	if s := warningSummary(rl.Warnings); s != "roles missing: authenticated, cexplorer; extensions not installed: pg_graphql" {
		t.Errorf("summary %q", s)
	}
	if rl.Warnings[0].Command != "ALTER DOMAIN public.addr29type OWNER TO cexplorer;" || rl.Warnings[2].Kind != "POLICY" {
		t.Errorf("parsed %+v", rl.Warnings)
	}
}

// TestRestoreFixtures: every per-object error in the shared samples (owner
// roles, ACLs, extensions, a CREATE DATABASE the drill never issues) is a
// warning; every "unsupported version" header is recognised.
func TestRestoreFixtures(t *testing.T) {
	for section, blocks := range errorSamples(t) {
		for _, b := range blocks {
			if strings.Contains(b, "pg_log_warning") || strings.Contains(b, "warn_or_exit_horribly") {
				continue
			}
			switch {
			case strings.Contains(section, "3. pg_restore"):
				if rl := classifyRestoreOutput(b); len(rl.Failures) != 0 || len(rl.Warnings) == 0 {
					t.Errorf("warnings %d failures %+v in:\n%s", len(rl.Warnings), rl.Failures, b)
				}
			case strings.Contains(section, "2. pg_restore"):
				if !restoreUnsupportedRE.MatchString(b) {
					t.Errorf("not recognised as a newer archive:\n%s", b)
				}
			}
		}
	}
}

func TestParsePGToolVersion(t *testing.T) {
	for in, want := range map[string]int{
		"pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n": 1500,
		"pg_dump (PostgreSQL) 17.0\n":                           1700,
		"pg_restore (PostgreSQL) 9.6.24\n":                      906,
		"pg_dump (PostgreSQL) 18beta1\n":                        1800,
	} {
		_, num, ok := parsePGToolVersion(in)
		if !ok || pgMajorOf(num) != want {
			t.Errorf("%q: %d %v, want major %d", in, num, ok, want)
		}
	}
	if _, _, ok := parsePGToolVersion("bash: pg_dump: command not found"); ok {
		t.Error("garbage parsed")
	}
	clients := []pgClient{{Dump: "/path/pg_dump", Major: 1400}, {Dump: "/a/17", Major: 1700}, {Dump: "/a/16", Major: 1600}, {Dump: "/a/15", Major: 1500}}
	for server, want := range map[int]string{1500: "/a/15", 1550: "/a/16", 1400: "/path/pg_dump", 906: "/path/pg_dump", 1600: "/a/16"} {
		if c, ok := choosePGClient(clients, server); !ok || c.Dump != want {
			t.Errorf("server %d: %v %v, want %s", server, c.Dump, ok, want)
		}
	}
	if _, ok := choosePGClient(clients, 1800); ok {
		t.Error("a client was chosen for a newer server")
	}
	if pgMajorString(906) != "9.6" || pgMajorString(1700) != "17" {
		t.Error("pgMajorString")
	}
}

func TestScratchName(t *testing.T) {
	now := time.Date(2026, 12, 3, 13, 4, 5, 0, time.UTC)
	for src, prefix := range map[string]string{
		"app":                   "drill_app_20261203130405_",
		`Shop "Nord"-Bütik`:     "drill_shop__nord__bütik_20261203130405_",
		"---":                   "drill_db_20261203130405_",
		strings.Repeat("ü", 60): "drill_" + strings.Repeat("ü", 18) + "_20261203130405_",
	} {
		got := scratchName(src, now, "wf/step/1")
		if !strings.HasPrefix(got, prefix) || len(got) > 63 || !utf8.ValidString(got) || !isScratchName(got) {
			t.Errorf("scratchName(%q) = %q (%d bytes), want prefix %q", src, got, len(got), prefix)
		}
	}
	if scratchName("app", now, "a") == scratchName("app", now, "b") {
		t.Error("salt ignored")
	}
}

func TestConninfo(t *testing.T) {
	for dsn, want := range map[string]map[string]string{
		"postgres://u:p@h:5432/db?sslmode=require&sslrootcert=/etc/ca.pem": {"sslmode": "require", "sslrootcert": "/etc/ca.pem"},
		`host=h dbname='my db' password='it\'s x' sslmode=verify-full`:     {"host": "h", "dbname": "my db", "password": "it's x", "sslmode": "verify-full"},
	} {
		got := conninfoSettings(dsn)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q (all %v)", dsn, k, got[k], v, got)
			}
		}
	}
	if got := dbnameArg(`it's a \ name`); got != `--dbname=dbname='it\'s a \\ name'` {
		t.Errorf("dbnameArg: %s", got)
	}
}

func TestPGParams(t *testing.T) {
	p := newPGParams("postgres.x", map[string]any{"jobs": "4", "keep": 2.0, "budget": "1h", "flag": "true", "bad": "x", "typo": 1})
	if p.integer("jobs", 1, 1) != 4 || p.integer("keep", 1, 1) != 2 || p.duration("budget", 0) != time.Hour || !p.boolean("flag", false) {
		t.Error("values")
	}
	p.integer("bad", 1, 1)
	err := p.done()
	if err == nil || !strings.Contains(err.Error(), `unknown parameter "typo"`) || !strings.Contains(err.Error(), `bad: want a whole number`) {
		t.Errorf("done: %v", err)
	}
}
