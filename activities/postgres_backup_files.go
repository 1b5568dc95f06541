package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// backupDest is where one backup goes.
type backupDest struct {
	slug    string // the database's name made safe for a file name
	final   string // backups/<date>/<slug>-<hhmmss>.dump, absolute
	partial string // where pg_dump writes until the dump is checked
	rel     string // final, relative to the artifacts directory
}

// backupPaths picks the file names of a backup of db started at now. The
// temporary file's name depends only on the run and step, so a retry after
// a crash removes what the crashed attempt left.
func (a *Activities) backupPaths(req ActionRequest, db string, now time.Time) (backupDest, error) {
	root, err := a.artifactsRoot()
	if err != nil {
		return backupDest{}, err
	}
	dir := filepath.Join(root, "backups", now.Format("2006-01-02"))
	tmpDir := filepath.Join(root, "backups", ".partial")
	for _, d := range []string{dir, tmpDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return backupDest{}, fmt.Errorf("create backups directory: %w", err)
		}
	}
	d := backupDest{slug: artifactName(db)}
	base := d.slug + "-" + now.Format("150405")
	for i := 2; ; i++ {
		if _, err := os.Lstat(filepath.Join(dir, base+".dump")); os.IsNotExist(err) {
			break
		}
		base = fmt.Sprintf("%s-%s-%d", d.slug, now.Format("150405"), i)
	}
	d.final = filepath.Join(dir, base+".dump")
	d.partial = filepath.Join(tmpDir, artifactName(req.WorkflowID+"."+req.StepID)+".dump")
	if err := os.Remove(d.partial); err == nil {
		a.shellLogger().Info("removed the partial dump of an interrupted attempt", "step", req.StepID, "file", d.partial)
	}
	d.rel, _ = filepath.Rel(root, d.final)
	d.rel = filepath.ToSlash(d.rel)
	return d, nil
}

// manifestPath is the manifest beside a dump: x.dump -> x.manifest.json.
func manifestPath(dump string) string {
	return strings.TrimSuffix(dump, ".dump") + ".manifest.json"
}

// finishBackup hashes the checked dump, writes its .sha256 and manifest,
// moves it to its final name, prunes old backups and builds the result.
func (a *Activities) finishBackup(ctx context.Context, req ActionRequest, log *pgStepLog, res ActionResult, d backupDest,
	m *pgManifest, client pgClient, started time.Time, keep int) (ActionResult, error) {
	log.progress.set("sha256, manifest, prune")
	n, sum, err := hashFile(d.partial)
	if err != nil {
		return res, fmt.Errorf("postgres.backup: %w", err)
	}
	m.Dump, m.Bytes, m.SHA256, m.FinishedAt = filepath.Base(d.final), n, sum, time.Now().UTC()
	if err := writeFileAtomic(d.final+".sha256", []byte(sum+"  "+filepath.Base(d.final)+"\n"), 0o644); err != nil {
		return res, fmt.Errorf("postgres.backup: %w", err)
	}
	if err := writeFileAtomic(manifestPath(d.final), marshalManifest(m), 0o644); err != nil {
		return res, fmt.Errorf("postgres.backup: %w", err)
	}
	if err := os.Rename(d.partial, d.final); err != nil {
		return res, fmt.Errorf("postgres.backup: move the dump into place: %w", err)
	}
	removed := a.pruneBackups(filepath.Dir(filepath.Dir(d.final)), d.slug, keep)
	log.printf("backup %s: %s, sha256 %s; %d older backup(s) removed (keep %d)", d.rel, formatBytes(n), sum, len(removed), keep)

	elapsed := time.Since(started)
	var rows int64
	table := Table{Title: "Tables in the backup", Columns: []string{"table", "rows", "compared by", "newest timestamp"}}
	for i, t := range m.Tables {
		rows += t.Rows
		if i < 50 {
			table.Rows = append(table.Rows, []string{t.display(), strconv.FormatInt(t.Rows, 10), t.Method, formatTime(t.Newest)})
		}
	}
	if len(m.Tables) > 50 {
		table.Rows = append(table.Rows, []string{fmt.Sprintf("… %d more in the manifest", len(m.Tables)-50), "", "", ""})
	}
	res.Tables = append(res.Tables, table)
	res.Artifacts = append(res.Artifacts, Artifact{Path: d.rel, Bytes: n, SHA256: sum})
	for _, p := range []string{d.final + ".sha256", manifestPath(d.final)} {
		if art, err := a.fileArtifact(p); err == nil {
			res.Artifacts = append(res.Artifacts, art)
		}
	}
	manifestRel := strings.TrimSuffix(d.rel, ".dump") + ".manifest.json"
	res.Outputs = map[string]string{
		"path": d.rel, "bytes": strconv.FormatInt(n, 10), "size": formatBytes(n), "sha256": sum,
		"duration_s": fmt.Sprintf("%.1f", elapsed.Seconds()), "manifest": manifestRel,
		"tables": strconv.Itoa(len(m.Tables)), "rows": strconv.FormatInt(rows, 10), "newest": formatTime(m.Newest),
		"snapshot_at": m.SnapshotAt.Format(time.RFC3339), "database": m.Database, "client": client.Version,
	}
	res.Summary = fmt.Sprintf("%s dump of %s (%d tables, %d rows) in %s with pg_dump %s; sha256 %s",
		formatBytes(n), m.Database, len(m.Tables), rows, elapsed.Round(100*time.Millisecond), client.Version, sum)
	res.OutputTail = log.tail.String()
	return res, nil
}

// backupNameRE matches a backup's files: <slug>-<hhmmss>[-N].dump and its
// .sha256 and .manifest.json.
func backupNameRE(slug string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(slug) + `-(\d{6}(?:-\d+)?)\.(dump|dump\.sha256|manifest\.json)$`)
}

// pruneBackups keeps the newest keep backups of slug under backupsDir (one
// directory per date) and removes the others with their side files. It
// returns the dumps removed.
func (a *Activities) pruneBackups(backupsDir, slug string, keep int) []string {
	re := backupNameRE(slug)
	groups := map[string][]string{} // <date>/<slug>-<time> -> files
	dates, _ := os.ReadDir(backupsDir)
	for _, dd := range dates {
		if !dd.IsDir() || strings.HasPrefix(dd.Name(), ".") {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(backupsDir, dd.Name()))
		for _, f := range files {
			if m := re.FindStringSubmatch(f.Name()); m != nil {
				key := dd.Name() + "/" + m[1]
				groups[key] = append(groups[key], filepath.Join(backupsDir, dd.Name(), f.Name()))
			}
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return backupOrder(keys[i]) > backupOrder(keys[j]) })
	var removed []string
	for _, k := range keys[min(keep, len(keys)):] {
		for _, f := range groups[k] {
			if os.Remove(f) == nil && strings.HasSuffix(f, ".dump") {
				removed = append(removed, f)
			}
		}
		_ = os.Remove(filepath.Dir(groups[k][0])) // only when empty
	}
	return removed
}

// backupOrder makes "2025-01-02/150405-2" sort after "2025-01-02/150405".
func backupOrder(key string) string {
	date, rest, _ := strings.Cut(key, "/")
	tm, n, _ := strings.Cut(rest, "-")
	if n == "" {
		n = "1"
	}
	num, _ := strconv.Atoi(n)
	return fmt.Sprintf("%s/%s/%06d", date, tm, num)
}

// hashFile returns the size and SHA-256 of a file.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", fmt.Errorf("hash %s: %w", filepath.Base(path), err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("hash %s: %w", filepath.Base(path), err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// formatTime renders an optional time for tables and outputs.
func formatTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// newestBackup finds the newest backup of db in the artifacts directory:
// its dump (relative path) and the moment it captured (its manifest's
// snapshot time). ok is false when there is none.
func (a *Activities) newestBackup(db string) (rel string, at time.Time, ok bool) {
	root, err := a.artifactsRoot()
	if err != nil {
		return "", time.Time{}, false
	}
	slug := artifactName(db)
	re := backupNameRE(slug)
	best := ""
	manifests, _ := filepath.Glob(filepath.Join(root, "backups", "*", slug+"-*.manifest.json"))
	for _, m := range manifests {
		g := re.FindStringSubmatch(filepath.Base(m))
		if g == nil {
			continue
		}
		key := backupOrder(filepath.Base(filepath.Dir(m)) + "/" + g[1])
		if _, err := os.Stat(strings.TrimSuffix(m, ".manifest.json") + ".dump"); err == nil && key > best {
			if man, err := readManifest(m); err == nil {
				best, at, ok = key, man.SnapshotAt, true
				rel, _ = filepath.Rel(root, strings.TrimSuffix(m, ".manifest.json")+".dump")
			}
		}
	}
	return filepath.ToSlash(rel), at, ok
}
