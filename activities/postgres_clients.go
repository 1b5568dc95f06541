package activities

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PGClientDirsEnv names the worker's environment variable that lists (like
// PATH, colon-separated, glob patterns allowed) where pg_dump and pg_restore
// are looked for after the first pg_dump on PATH. Unset: DefaultPGClientDirs.
const PGClientDirsEnv = "DRILLBOOK_PG_CLIENT_DIRS"

// DefaultPGClientDirs are the usual homes of versioned PostgreSQL clients:
// Debian/Ubuntu, RHEL (PGDG), Homebrew, Postgres.app.
var DefaultPGClientDirs = []string{
	"/usr/lib/postgresql/*/bin",
	"/usr/pgsql-*/bin",
	"/opt/homebrew/opt/postgresql@*/bin",
	"/usr/local/opt/postgresql@*/bin",
	"/Applications/Postgres.app/Contents/Versions/*/bin",
}

// pgClient is one installation of pg_dump and pg_restore.
type pgClient struct {
	Dump    string // path of pg_dump
	Restore string // path of pg_restore beside it
	Version string // e.g. "15.18"
	Major   int    // pgMajor of Version
	From    string // "PATH" or the directory pattern that found it
}

// pgMajor orders major versions: 15 -> 1500, 9.6 -> 906.
func pgMajorOf(num int) int {
	if num >= 100000 {
		return num / 10000 * 100
	}
	return num / 100
}

// pgMajorString renders a pgMajor: 1500 -> "15", 906 -> "9.6".
func pgMajorString(m int) string {
	if m >= 1000 {
		return strconv.Itoa(m / 100)
	}
	return fmt.Sprintf("%d.%d", m/100, m%100)
}

var pgVersionRE = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?`)

// parsePGToolVersion reads `pg_dump --version` output, e.g.
// "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", as a version
// number like server_version_num (150018).
func parsePGToolVersion(out string) (version string, num int, ok bool) {
	m := pgVersionRE.FindStringSubmatch(out)
	if m == nil {
		return "", 0, false
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	c, _ := strconv.Atoi(m[3])
	if a >= 10 {
		return strings.TrimSuffix(m[1]+"."+m[2], "."), a*10000 + b, true
	}
	return strings.TrimSuffix(strings.TrimSuffix(m[1]+"."+m[2]+"."+m[3], "."), "."), a*10000 + b*100 + c, true
}

// pgClients finds the pg_dump installations on the worker: the first on
// its PATH (what an operator's shell would run), then one per directory of
// PGClientDirsEnv or DefaultPGClientDirs. Each is asked for its version;
// one that does not answer is left out.
func (a *Activities) pgClients(ctx context.Context) []pgClient {
	type cand struct{ dir, from string }
	var cands []cand
	var wrapper []cand
	for _, dir := range filepath.SplitList(a.getenv("PATH")) {
		if dir == "" || !isExecutableFile(filepath.Join(dir, "pg_dump")) {
			continue
		}
		// Debian's /usr/bin/pg_dump is pg_wrapper, which picks a version per
		// call: the versioned directories say what will run, so they go first.
		if real, _ := filepath.EvalSymlinks(filepath.Join(dir, "pg_dump")); filepath.Base(real) == "pg_wrapper" {
			wrapper = append(wrapper, cand{dir, "PATH (pg_wrapper)"})
		} else {
			cands = append(cands, cand{dir, "PATH"})
		}
		break
	}
	patterns := DefaultPGClientDirs
	if v := a.getenv(PGClientDirsEnv); v != "" {
		patterns = filepath.SplitList(v)
	}
	for _, pat := range patterns {
		dirs, _ := filepath.Glob(pat)
		slices.Sort(dirs)
		for _, d := range dirs {
			cands = append(cands, cand{d, pat})
		}
	}
	cands = append(cands, wrapper...)
	var out []pgClient
	seen := map[string]bool{}
	for _, c := range cands {
		dump := filepath.Join(c.dir, "pg_dump")
		restore := filepath.Join(c.dir, "pg_restore")
		real, err := filepath.EvalSymlinks(dump)
		if err != nil || seen[real] || !isExecutableFile(dump) || !isExecutableFile(restore) {
			continue
		}
		seen[real] = true
		vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cmd := exec.CommandContext(vctx, dump, "--version")
		cmd.Env = []string{"PATH=" + a.getenv("PATH"), "LC_ALL=C"}
		b, err := cmd.Output()
		cancel()
		version, num, ok := parsePGToolVersion(string(b))
		if err != nil || !ok {
			continue
		}
		out = append(out, pgClient{Dump: dump, Restore: restore, Version: version, Major: pgMajorOf(num), From: c.from})
	}
	return out
}

// choosePGClient picks the client for a server of major version server: the
// same major (the first found, so PATH wins), else the oldest newer one
// (pg_dump dumps servers up to its own major version, not beyond).
func choosePGClient(clients []pgClient, server int) (pgClient, bool) {
	best, found := pgClient{}, false
	for _, c := range clients {
		switch {
		case c.Major == server:
			return c, true
		case c.Major > server && (!found || c.Major < best.Major):
			best, found = c, true
		}
	}
	return best, found
}

// mismatchFinding says which client a server needs when none fits.
func mismatchFinding(db, serverVersion string, server int, clients []pgClient) Finding {
	need := pgMajorString(server)
	var have []string
	for _, c := range clients {
		have = append(have, fmt.Sprintf("pg_dump %s (%s, from %s)", c.Version, c.Dump, c.From))
	}
	evidence := "no pg_dump found on the worker's PATH or in " + strings.Join(DefaultPGClientDirs, ", ")
	if len(have) > 0 {
		evidence = "clients found: " + strings.Join(have, "; ")
	}
	title := fmt.Sprintf("No pg_dump on the worker can dump PostgreSQL %s", serverVersion)
	if len(clients) > 0 {
		title = fmt.Sprintf("pg_dump %s cannot dump PostgreSQL %s: client %s or newer is needed", newestClient(clients), serverVersion, need)
	}
	return Finding{
		Severity: SeverityCritical, Category: "dr", Subject: db, Title: title,
		Impact: "pg_dump aborts with \"server version mismatch\": no backup of this database can be taken, so none can be restored",
		Resolution: fmt.Sprintf("sudo apt-get install -y postgresql-client-%s   # Debian/Ubuntu with the PGDG repository; "+
			"RHEL: dnf install postgresql%s; macOS: brew install postgresql@%s. drillbook then finds it under /usr/lib/postgresql/%s/bin (or set %s)",
			need, need, need, need, PGClientDirsEnv),
		Evidence: evidence,
	}
}

func newestClient(clients []pgClient) string {
	best := clients[0]
	for _, c := range clients[1:] {
		if c.Major > best.Major {
			best = c
		}
	}
	return best.Version
}

// pgDumpMismatchRE matches pg_dump's report of a server newer than itself,
// in the formats of PostgreSQL 10 to 18 ("server version: 17.0; pg_dump
// version: 16.4").
var pgDumpMismatchRE = regexp.MustCompile(`server version: ([^;\n]+); pg_dump version: ([^\n]+)`)

// parseDumpMismatch reports whether pg_dump output says it refused a newer
// server, with the two versions as printed.
func parseDumpMismatch(out string) (server, client string, ok bool) {
	if !strings.Contains(out, "aborting because of server version mismatch") {
		return "", "", false
	}
	if m := pgDumpMismatchRE.FindStringSubmatch(out); m != nil {
		return strings.TrimSpace(m[1]), strings.TrimSpace(m[2]), true
	}
	return "", "", true
}

func isExecutableFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
