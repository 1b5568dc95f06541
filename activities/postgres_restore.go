package activities

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultRestoreJobs is pg_restore's --jobs when the step sets none.
const DefaultRestoreJobs = 2

// PostgresRestore (`postgres.restore`) restores a backup into a new scratch
// database drill_<db>_<time>_<hex> (on the source's server, or on target)
// with `pg_restore --no-owner --no-privileges --no-subscriptions -j jobs`.
//
// It refuses (non-retryable ErrTypePGRefused) a scratch name without the
// drill_ prefix, the source database itself (same server identity and
// name) and an existing database it did not create. Before restoring it
// checks the dump: not empty, its .sha256 matches, `pg_restore --list`
// reads it. Every attempt starts in a fresh scratch database: the ones
// earlier attempts of this step created (marked with a COMMENT ON DATABASE)
// are dropped first, and a failed attempt drops its own.
//
// pg_restore's messages are classified: missing roles, extensions that
// cannot be installed, grants, comments and policies are warnings (a low
// finding); errors on tables, data, indexes or constraints fail the step.
//
// Parameters: database (the source), backup (the dump, relative to the
// artifacts directory or absolute), jobs (2), target (another server to
// restore onto, env:NAME), scratch (an explicit drill_ name). Outputs:
// scratch, started_at, duration_s, warnings, errors_ignored, backup, jobs.
func (a *Activities) PostgresRestore(ctx context.Context, req ActionRequest) (res ActionResult, err error) {
	started := time.Now().UTC() // RTO counts from here: fetching and checking the backup is part of a recovery
	p := newPGParams("postgres.restore", req.Params)
	ref, backup, targetRef, explicit := p.str("database"), p.str("backup"), p.str("target"), p.str("scratch")
	jobs := p.integer("jobs", DefaultRestoreJobs, 1)
	if backup == "" {
		p.problems = append(p.problems, "backup: required (usually ${steps.backup.outputs.path})")
	}
	if err := p.done(); err != nil {
		return ActionResult{}, err
	}
	src, dst, err := a.pgSourceAndTarget(req, ref, targetRef)
	if err != nil {
		return ActionResult{}, err
	}
	dump, backupRel, err := a.backupFile(backup)
	if err != nil {
		return ActionResult{}, err
	}
	srcInfo, err := serverInfo(ctx, src, "")
	if err != nil {
		return ActionResult{}, err
	}
	dstInfo, same := srcInfo, true
	if targetRef != "" {
		if dstInfo, err = serverInfo(ctx, dst, ""); err != nil {
			return ActionResult{}, err
		}
		same = serverIdentity(ctx, src) == serverIdentity(ctx, dst)
	}
	clients := a.pgClients(ctx)
	client, ok := choosePGClient(clients, dstInfo.Major)
	if !ok {
		f := mismatchFinding(dstInfo.Database, dstInfo.Version, dstInfo.Major, clients)
		res := ActionResult{Findings: []Finding{f}}
		return res, pgFail(ErrTypePGVersionMismatch, true, res, "postgres.restore: %s", f.Title)
	}
	log, err := a.openStepLog(ctx, req, dst.red)
	if err != nil {
		return ActionResult{}, err
	}
	defer func() { res.Artifacts = append(res.Artifacts, a.closeStepLog(log)...) }()
	if err := a.checkBackupFile(ctx, log, client, dst, dump, &res); err != nil {
		res.OutputTail = log.tail.String()
		return res, err
	}

	conn, err := dst.connect(ctx, "")
	if err != nil {
		return res, err
	}
	defer pgClose(conn)
	log.progress.set("create the scratch database")
	if err := freshStart(ctx, conn, req, log); err != nil {
		return res, dst.queryError(ctx, "drop the scratch databases of earlier attempts", err)
	}
	name := explicit
	if name == "" {
		name = scratchName(srcInfo.Database, started, fmt.Sprintf("%s/%s/%d", req.WorkflowID, req.StepID, attemptOf(ctx, req)))
	}
	if err := refuseTarget(ctx, conn, name, srcInfo.Database, same); err != nil {
		return res, err
	}
	marker := scratchMarker{WorkflowID: req.WorkflowID, Step: req.StepID, Attempt: attemptOf(ctx, req),
		Source: srcInfo.Database, Backup: backupRel, CreatedAt: started}
	if err := createScratch(ctx, conn, name, srcInfo.Locale, marker); err != nil {
		what := "create scratch database"
		if strings.Contains(err.Error(), "42501") {
			what += fmt.Sprintf(" (the role %s needs CREATEDB: ALTER ROLE %s CREATEDB; or restore onto another server with target)",
				dst.cfg.User, quoteIdent(dst.cfg.User))
		}
		return res, dst.queryError(ctx, what, err)
	}
	log.printf("scratch database %s created; restoring %s with %d job(s)", name, backupRel, jobs)

	env, removeEnv, err := a.toolEnv(dst)
	if err != nil {
		return res, err
	}
	defer removeEnv()
	// --verbose: pg_restore names the TOC entry of an error only then.
	args := []string{"--verbose", "--no-owner", "--no-privileges", "--no-subscriptions", "--no-password",
		"--jobs=" + strconv.Itoa(jobs), dbnameArg(name), dump}
	classifier := newRestoreClassifier()
	log.chatter = restoreChatter
	run, runErr := a.runPGTool(ctx, log, client.Restore, args, env, classifier)
	elapsed := time.Since(started)
	rl := classifier.result()
	res.OutputTail = log.tail.String()
	res.Tables = restoreTables(rl)
	dropOwn := func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := dropDatabase(dctx, conn, name); err != nil {
			log.printf("could not drop the failed attempt's scratch database %s: %v", name, dst.red.String(err.Error()))
		}
	}
	if runErr != nil {
		dropOwn()
		return res, fmt.Errorf("postgres.restore: pg_restore: %w", runErr)
	}
	// pg_restore's own count ("errors ignored on restore") counts errors of
	// its parallel phase twice: the messages, classified, decide. A failure
	// with no message to classify is a failure.
	if len(rl.Failures) > 0 || (run.Code != 0 && len(rl.Warnings) == 0) {
		dropOwn()
		f := restoreFailureFinding(dstInfo.Database, rl, run)
		res.Findings = append(res.Findings, f)
		return res, pgFail(ErrTypePGRestore, restoreFinal(rl), res, "postgres.restore: %s", f.Title)
	}
	if len(rl.Warnings) > 0 {
		res.Findings = append(res.Findings, Finding{Severity: SeverityLow, Category: "dr", Subject: srcInfo.Database,
			Title:  fmt.Sprintf("Restore of %s completed with %d warning(s): %s", srcInfo.Database, len(rl.Warnings), warningSummary(rl.Warnings)),
			Impact: "the tables and data are restored; objects tied to roles or extensions the target lacks (policies, grants, extension objects) are not",
			Resolution: "create the missing roles on the restore server first (e.g. CREATE ROLE authenticated NOLOGIN;) " +
				"or accept the warnings for a data drill; see the step log for each statement",
			Evidence: fmt.Sprintf("%d statement(s) failed and were skipped; pg_restore: errors ignored on restore: %d", len(rl.Warnings), max(rl.Ignored, 0))})
	}
	res.Outputs = map[string]string{
		"scratch": name, "started_at": started.Format(time.RFC3339Nano), "duration_s": fmt.Sprintf("%.1f", elapsed.Seconds()),
		"warnings": strconv.Itoa(len(rl.Warnings)), "errors_ignored": strconv.Itoa(max(rl.Ignored, 0)),
		"backup": backupRel, "jobs": strconv.Itoa(jobs),
	}
	res.Summary = fmt.Sprintf("restored %s into scratch database %s in %s (pg_restore %s, %d job(s), %d warning(s))",
		backupRel, name, elapsed.Round(100*time.Millisecond), client.Version, jobs, len(rl.Warnings))
	return res, nil
}

// pgSourceAndTarget resolves the source and, when set, the restore server;
// the target's redactor knows both secrets.
func (a *Activities) pgSourceAndTarget(req ActionRequest, ref, targetRef string) (src, dst *pgTarget, err error) {
	if src, err = a.pgTarget(req, ref); err != nil {
		return nil, nil, err
	}
	if targetRef == "" {
		return src, src, nil
	}
	if dst, err = a.pgTarget(req, targetRef); err != nil {
		return nil, nil, err
	}
	for _, s := range src.red.secrets {
		dst.red = dst.red.with(string(s))
	}
	src.red = dst.red
	return src, dst, nil
}

// backupFile resolves a backup parameter: relative to the artifacts
// directory, or absolute. rel is how it is shown.
func (a *Activities) backupFile(backup string) (abs, rel string, err error) {
	root, err := a.artifactsRoot()
	if err != nil {
		return "", "", err
	}
	abs = filepath.Clean(backup)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, abs)
	}
	if r, err := filepath.Rel(root, abs); err == nil && !strings.HasPrefix(r, "..") {
		return abs, filepath.ToSlash(r), nil
	}
	return abs, abs, nil
}

// checkBackupFile refuses to restore a dump that is missing, empty, differs
// from its .sha256 or that pg_restore cannot read (not retryable).
func (a *Activities) checkBackupFile(ctx context.Context, log *pgStepLog, client pgClient, t *pgTarget, dump string, res *ActionResult) error {
	invalid := func(format string, args ...any) error {
		return pgFail(ErrTypePGBackupInvalid, true, *res, "postgres.restore: "+format, args...)
	}
	fi, err := os.Stat(dump)
	switch {
	case err != nil:
		return invalid("backup %s: %v", filepath.Base(dump), err)
	case fi.Size() == 0:
		return invalid("backup %s is empty (0 bytes): not restorable", filepath.Base(dump))
	}
	log.progress.set("check the backup's sha256")
	if want, err := os.ReadFile(dump + ".sha256"); err == nil {
		_, sum, err := hashFile(dump)
		if err != nil {
			return invalid("%v", err)
		}
		if f := strings.Fields(string(want)); len(f) == 0 || f[0] != sum {
			return invalid("backup %s does not match its .sha256 (damaged or changed since the backup)", filepath.Base(dump))
		}
		log.printf("sha256 of %s matches its .sha256: %s", filepath.Base(dump), sum)
	}
	run, err := a.listArchive(ctx, log, client, t, dump)
	if err != nil {
		return fmt.Errorf("postgres.restore: %w", err)
	}
	if m := restoreUnsupportedRE.FindStringSubmatch(run.Output); m != nil {
		res.Findings = append(res.Findings, Finding{Severity: SeverityCritical, Category: "dr",
			Title:      fmt.Sprintf("pg_restore %s cannot read this archive (format %s): it was written by a newer pg_dump", client.Version, m[1]),
			Impact:     "the backup cannot be restored with the tools on this worker",
			Resolution: "install the PostgreSQL client of the pg_dump that wrote it (see the backup's manifest: pg_dump_version)"})
		return pgFail(ErrTypePGVersionMismatch, true, *res, "postgres.restore: %s", res.Findings[len(res.Findings)-1].Title)
	}
	if run.Code != 0 {
		return invalid("backup %s is not a readable archive: %s", filepath.Base(dump), lastLine(run.Output, 300))
	}
	return nil
}

// freshStart drops the scratch databases that earlier attempts of this step
// created, so that no attempt ever continues a half-restored copy.
func freshStart(ctx context.Context, conn *pgx.Conn, req ActionRequest, log *pgStepLog) error {
	dbs, err := listDatabases(ctx, conn)
	if err != nil {
		return err
	}
	for _, d := range dbs {
		if d.Marker != nil && d.Marker.WorkflowID == req.WorkflowID && d.Marker.Step == req.StepID {
			log.printf("dropping %s, left by attempt %d of this step", d.Name, d.Marker.Attempt)
			if err := dropDatabase(ctx, conn, d.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// refuseTarget refuses a scratch name that is not one, that is the source,
// or that names a database that already exists.
func refuseTarget(ctx context.Context, conn *pgx.Conn, name, source string, sameServer bool) error {
	refuse := func(format string, args ...any) error {
		return pgFail(ErrTypePGRefused, true, ActionResult{}, "postgres.restore refuses "+format, args...)
	}
	if sameServer && name == source {
		return refuse("to restore into %q: it is the source database", name)
	}
	if !isScratchName(name) {
		return refuse("scratch database %q: a scratch database's name starts with %q", name, ScratchPrefix)
	}
	d, exists, err := findDatabase(ctx, conn, name)
	if err != nil {
		return err
	}
	if exists {
		who := "not created by drillbook"
		if d.Marker != nil {
			who = fmt.Sprintf("created by run %s, step %s", d.Marker.WorkflowID, d.Marker.Step)
		}
		return refuse("scratch database %q: it already exists (%s)", name, who)
	}
	return nil
}

// serverIdentity tells servers apart: the cluster's system identifier when
// readable, else host and port.
func serverIdentity(ctx context.Context, t *pgTarget) string {
	conn, err := t.connect(ctx, "")
	if err != nil {
		return t.cfg.Host + ":" + strconv.Itoa(int(t.cfg.Port))
	}
	defer pgClose(conn)
	var id string
	if conn.QueryRow(ctx, `SELECT system_identifier::text FROM pg_control_system()`).Scan(&id) == nil {
		return id
	}
	return t.cfg.Host + ":" + strconv.Itoa(int(t.cfg.Port))
}
