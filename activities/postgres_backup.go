package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultBackupKeep is how many backups of a database postgres.backup keeps.
const DefaultBackupKeep = 7

// DefaultBackupCompress is pg_dump's --compress level: gzip level 1 dumps
// about twice as fast as pg_dump's default (6) for a few percent more bytes,
// which shortens both the backup window and the drill.
const DefaultBackupCompress = 1

// PostgresBackup (`postgres.backup`) dumps a database with pg_dump in custom
// format to backups/<date>/<db>-<hhmmss>.dump under the artifacts directory.
//
// pg_dump gets its arguments as a list (no shell) and the password through a
// 0600 passfile, and dumps from a snapshot the activity exported: in that
// same snapshot the activity counts every table's rows, takes checksums and
// the newest timestamps, so the manifest (<db>-<hhmmss>.manifest.json)
// describes exactly what the dump holds. The dump is written under a
// temporary name and renamed only once pg_dump exited 0, the file is not
// empty and `pg_restore --list` reads it; then <name>.dump.sha256 is written
// and all but the newest `keep` backups of the database are removed. A
// failed or killed pg_dump leaves no file behind (a crash leaves a temporary
// file that the retry removes); the error is retryable, except a server
// version mismatch.
//
// Parameters: database, keep (7), compress (pg_dump -Z level, 0-9, default 1),
// sample_threshold (100000). Outputs: path (relative to the artifacts
// directory), bytes, size, sha256, duration_s, manifest, tables, rows,
// newest, snapshot_at, database, client.
func (a *Activities) PostgresBackup(ctx context.Context, req ActionRequest) (res ActionResult, err error) {
	p := newPGParams("postgres.backup", req.Params)
	ref := p.str("database")
	keep := p.integer("keep", DefaultBackupKeep, 1)
	compress := p.integer("compress", DefaultBackupCompress, 0)
	threshold := int64(p.integer("sample_threshold", DefaultSampleThreshold, 0))
	if compress > 9 {
		p.problems = append(p.problems, fmt.Sprintf("compress: want 0 to 9, got %d", compress))
	}
	if err := p.done(); err != nil {
		return ActionResult{}, err
	}
	started := time.Now().UTC()
	t, err := a.pgTarget(req, ref)
	if err != nil {
		return ActionResult{}, err
	}
	srv, err := serverInfo(ctx, t, "")
	if err != nil {
		return ActionResult{}, err
	}
	clients := a.pgClients(ctx)
	client, ok := choosePGClient(clients, srv.Major)
	if !ok {
		f := mismatchFinding(srv.Database, srv.Version, srv.Major, clients)
		res := ActionResult{Findings: []Finding{f}}
		return res, pgFail(ErrTypePGVersionMismatch, true, res, "postgres.backup: %s", f.Title)
	}
	log, err := a.openStepLog(ctx, req, t.red)
	if err != nil {
		return ActionResult{}, err
	}
	defer func() { res.Artifacts = append(res.Artifacts, a.closeStepLog(log)...) }()

	dest, err := a.backupPaths(req, srv.Database, started)
	if err != nil {
		return res, err
	}
	defer os.Remove(dest.partial) // a no-op after the rename
	log.printf("backup of %s (server %s) with %s to %s", srv.Database, srv.Version, client.Dump, dest.rel)

	m, run, err := a.dumpInSnapshot(ctx, t, log, client, srv.Database, dest.partial, compress, threshold)
	res.OutputTail = log.tail.String()
	if err != nil {
		return res, err
	}
	if srv2, c2, mismatch := parseDumpMismatch(run.Output); mismatch {
		f := mismatchFinding(srv.Database, srv2, srv.Major, []pgClient{{Dump: client.Dump, Version: c2, From: client.From}})
		res.Findings = append(res.Findings, f)
		return res, pgFail(ErrTypePGVersionMismatch, true, res, "postgres.backup: %s", f.Title)
	}
	if run.Code != 0 {
		return res, pgFail(ErrTypePGDump, false, res, "postgres.backup: pg_dump exited with code %d: %s", run.Code, lastLine(run.Output, 300))
	}
	if err := a.checkDump(ctx, log, client, t, dest.partial); err != nil {
		res.OutputTail = log.tail.String()
		return res, pgFail(ErrTypePGBackupInvalid, false, res, "postgres.backup: %v", err)
	}
	return a.finishBackup(ctx, req, log, res, dest, m, client, started, keep)
}

// dumpInSnapshot exports a snapshot, runs pg_dump on it and, meanwhile,
// collects the tables' figures in the same snapshot.
func (a *Activities) dumpInSnapshot(ctx context.Context, t *pgTarget, log *pgStepLog, client pgClient, db, file string,
	compress int, threshold int64) (*pgManifest, pgToolRun, error) {
	m := &pgManifest{Version: 1, Database: db, Client: client.Version, SampleThreshold: threshold, StartedAt: time.Now().UTC()}
	conn, err := t.connect(ctx, "")
	if err != nil {
		return nil, pgToolRun{}, err
	}
	defer pgClose(conn)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, pgToolRun{}, t.queryError(ctx, "begin snapshot", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var snapshot string
	if err := tx.QueryRow(ctx, `SELECT clock_timestamp(), current_setting('server_version')`).Scan(&m.SnapshotAt, &m.Server); err != nil {
		return nil, pgToolRun{}, t.queryError(ctx, "start snapshot", err)
	}
	m.SnapshotAt = m.SnapshotAt.UTC()
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		// A server that cannot export snapshots: pg_dump takes its own and
		// the figures describe a moment close to it, not the same one.
		log.printf("snapshot not exported (%v): the manifest's figures are taken beside the dump", t.red.String(err.Error()))
		_ = tx.Rollback(ctx)
		if tx, err = conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}); err != nil {
			return nil, pgToolRun{}, t.queryError(ctx, "begin snapshot", err)
		}
		snapshot = ""
	}
	m.Consistent = snapshot != ""
	tables, err := pgListTables(ctx, tx)
	if err != nil {
		return nil, pgToolRun{}, t.queryError(ctx, "list tables", err)
	}

	env, removeEnv, err := a.toolEnv(t)
	if err != nil {
		return nil, pgToolRun{}, err
	}
	defer removeEnv()
	args := []string{"--format=custom", "--no-password", "--file=" + file}
	if snapshot != "" {
		args = append(args, "--snapshot="+snapshot)
	}
	args = append(args, "--compress="+strconv.Itoa(compress))
	args = append(args, dbnameArg(db))
	dumpCtx, cancelDump := context.WithCancel(ctx)
	defer cancelDump()
	type outcome struct {
		run pgToolRun
		err error
	}
	done := make(chan outcome, 1)
	log.progress.watchFile(file)
	defer log.progress.watchFile("")
	go func() {
		run, err := a.runPGTool(dumpCtx, log, client.Dump, args, env, nil)
		done <- outcome{run, err}
	}()
	statsErr := pgCollect(ctx, conn, tables, m.SnapshotAt, threshold, nil)
	if statsErr != nil {
		cancelDump()
	}
	out := <-done
	if statsErr != nil {
		return nil, out.run, t.queryError(ctx, "table figures", statsErr)
	}
	if out.err != nil {
		return nil, out.run, fmt.Errorf("postgres.backup: pg_dump: %w", out.err)
	}
	m.Tables, m.Newest = tables, newestOf(tables)
	log.printf("%d table(s) counted in the dump's snapshot (%s)", len(tables), m.SnapshotAt.Format(time.RFC3339))
	return m, out.run, nil
}

// checkDump makes sure file is a readable, non-empty archive.
func (a *Activities) checkDump(ctx context.Context, log *pgStepLog, client pgClient, t *pgTarget, file string) error {
	fi, err := os.Stat(file)
	switch {
	case err != nil:
		return fmt.Errorf("dump file: %w", err)
	case fi.Size() == 0:
		return fmt.Errorf("the dump is empty (0 bytes): pg_dump reported success without writing data")
	}
	run, err := a.listArchive(ctx, log, client, t, file)
	if err != nil {
		return err
	}
	if run.Code != 0 {
		return fmt.Errorf("the dump is not readable: pg_restore --list exited with code %d: %s", run.Code, lastLine(run.Output, 300))
	}
	return nil
}

// listArchive runs `pg_restore --list file`, which reads the archive's
// header and table of contents. Only the outcome is logged, not the list.
func (a *Activities) listArchive(ctx context.Context, log *pgStepLog, client pgClient, t *pgTarget, file string) (pgToolRun, error) {
	env, removeEnv, err := a.toolEnv(t)
	if err != nil {
		return pgToolRun{}, err
	}
	defer removeEnv()
	log.printf("$ pg_restore --list %s", quoteArgs([]string{file})[0])
	log.progress.set("pg_restore --list")
	out := newTailBuffer(8 << 10)
	var entries int
	counted := writerFunc(func(p []byte) (int, error) {
		for _, c := range p {
			if c == '\n' {
				entries++
			}
		}
		return out.Write(p)
	})
	cmd := exec.Command(client.Restore, "--list", file)
	cmd.Env = env
	code, err := runGroup(ctx, cmd, counted, log.progress.setPID)
	output := log.red.String(out.String())
	if code != 0 {
		log.printf("%s", output)
	}
	log.printf("=== pg_restore --list exit %d, %d line(s) ===", code, entries)
	return pgToolRun{Code: code, Output: output}, err
}

// marshalManifest renders m for its file.
func marshalManifest(m *pgManifest) []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}
