package activities

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Default recovery budgets of postgres.verify.
const (
	DefaultRTOBudget = 30 * time.Minute
	DefaultRPOBudget = time.Hour
)

// PostgresVerify (`postgres.verify`) compares a restored scratch database
// with the backup it came from and measures RTO and RPO.
//
// The reference is the backup's manifest (found through the scratch
// database's marker, or the backup parameter): row counts, checksums and
// newest timestamps taken in the dump's own snapshot, so the comparison is
// exact however much the source changed since. Each table is compared the
// way the manifest says: every row's checksum (tables up to the sample
// threshold), the first and last rows by primary key (larger tables), or the
// count. Without a manifest the live source is the reference.
//
// RTO is the restore's start (from the marker, or restore_started) to the
// end of verification; RPO is now minus the newest timestamp in the
// restored data (the backup's age when the data has none). Either over its
// budget is a high finding. A difference between backup and copy is a
// critical finding and fails the step (non-retryable ErrTypePGVerify).
//
// Parameters: database, scratch, target, backup, restore_started,
// rto_budget (30m), rpo_budget (1h), sample_threshold (100000). Outputs:
// match, tables, mismatched, rto_s, rpo_s, rto, rpo, rto_budget, rpo_budget,
// rto_ok, rpo_ok, newest, verified_at.
func (a *Activities) PostgresVerify(ctx context.Context, req ActionRequest) (ActionResult, error) {
	p := newPGParams("postgres.verify", req.Params)
	ref, scratch, targetRef, backup := p.str("database"), p.str("scratch"), p.str("target"), p.str("backup")
	restoreStarted := p.str("restore_started")
	rtoBudget := p.duration("rto_budget", DefaultRTOBudget)
	rpoBudget := p.duration("rpo_budget", DefaultRPOBudget)
	threshold := int64(p.integer("sample_threshold", DefaultSampleThreshold, 0))
	var started time.Time
	if restoreStarted != "" {
		var err error
		if started, err = time.Parse(time.RFC3339Nano, restoreStarted); err != nil {
			p.problems = append(p.problems, fmt.Sprintf("restore_started: want an RFC 3339 time, got %q", restoreStarted))
		}
	}
	if scratch == "" {
		p.problems = append(p.problems, "scratch: required (usually ${steps.restore.outputs.scratch})")
	}
	if err := p.done(); err != nil {
		return ActionResult{}, err
	}
	prog, stopHeartbeat := startPGHeartbeat(ctx, req.StepID)
	defer stopHeartbeat()
	src, dst, err := a.pgSourceAndTarget(req, ref, targetRef)
	if err != nil {
		return ActionResult{}, err
	}
	maint, err := dst.connect(ctx, "")
	if err != nil {
		return ActionResult{}, err
	}
	d, exists, err := findDatabase(ctx, maint, scratch)
	pgClose(maint)
	if err != nil {
		return ActionResult{}, dst.queryError(ctx, "find scratch database", err)
	}
	if !exists {
		return ActionResult{}, pgFail(ErrTypePGRefused, true, ActionResult{}, "postgres.verify: scratch database %q does not exist", scratch)
	}
	if d.Marker != nil {
		if started.IsZero() {
			started = d.Marker.CreatedAt
		}
		if backup == "" {
			backup = d.Marker.Backup
		}
	}
	prog.set("read the reference figures")
	m, err := a.verifyReference(ctx, src, backup, threshold)
	if err != nil {
		return ActionResult{}, err
	}

	conn, err := dst.connect(ctx, scratch)
	if err != nil {
		return ActionResult{}, err
	}
	defer pgClose(conn)
	restored, err := pgListTables(ctx, conn)
	if err != nil {
		return ActionResult{}, dst.queryError(ctx, "list restored tables", err)
	}
	cmp, err := compareTables(ctx, conn, m, restored, func(i int, table string) {
		prog.set(fmt.Sprintf("verify %s (%d/%d)", table, i+1, len(m.Tables)))
	})
	if err != nil {
		return ActionResult{}, dst.queryError(ctx, "verify restored tables", err)
	}
	verified := time.Now().UTC()
	obj := objectives{verified: verified, restoreStart: started, rtoBudget: rtoBudget, rpoBudget: rpoBudget,
		newest: cmp.newest, backupAt: m.SnapshotAt}
	res := verifyResult(m, cmp, obj)
	if cmp.mismatched > 0 && m.Consistent {
		return res, pgFail(ErrTypePGVerify, true, res, "postgres.verify: %d of %d table(s) differ between the backup and the restored copy",
			cmp.mismatched, len(m.Tables))
	}
	return res, nil
}

// verifyReference returns the figures to compare with: the backup's
// manifest, or (without one) the live source's, taken now.
func (a *Activities) verifyReference(ctx context.Context, src *pgTarget, backup string, threshold int64) (*pgManifest, error) {
	if backup != "" {
		dump, _, err := a.backupFile(backup)
		if err != nil {
			return nil, err
		}
		if m, err := readManifest(manifestPath(dump)); err == nil {
			return m, nil
		}
	}
	conn, err := src.connect(ctx, "")
	if err != nil {
		return nil, err
	}
	defer pgClose(conn)
	m := &pgManifest{SampleThreshold: threshold, SnapshotAt: time.Now().UTC()}
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&m.Database); err != nil {
		return nil, src.queryError(ctx, "read source", err)
	}
	tables, err := pgListTables(ctx, conn)
	if err != nil {
		return nil, src.queryError(ctx, "list source tables", err)
	}
	if err := pgCollect(ctx, conn, tables, m.SnapshotAt, threshold, nil); err != nil {
		return nil, src.queryError(ctx, "source figures", err)
	}
	m.Tables, m.Newest = tables, newestOf(tables)
	return m, nil
}

// objectives are the measured recovery times and their budgets.
type objectives struct {
	verified, restoreStart, backupAt time.Time
	newest                           *time.Time
	rtoBudget, rpoBudget             time.Duration
}

// rto is restore start to verified; ok is false when unknown.
func (o objectives) rto() (time.Duration, bool) {
	if o.restoreStart.IsZero() {
		return 0, false
	}
	return o.verified.Sub(o.restoreStart), true
}

// rpo is now minus the newest restored timestamp, or the backup's age.
func (o objectives) rpo() (d time.Duration, basis string) {
	if o.newest != nil {
		return max(o.verified.Sub(*o.newest), 0), "newest timestamp in the restored data: " + formatTime(o.newest)
	}
	return o.verified.Sub(o.backupAt), "no timestamps in the data: the backup's age (taken " + o.backupAt.Format(time.RFC3339) + ")"
}

// durationText renders a duration for people: 850ms, 12.3s, 4m05s, 2h03m.
func durationText(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
