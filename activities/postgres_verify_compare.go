package activities

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// tableComparison is one table of the backup against its restored copy.
type tableComparison struct {
	ref pgTableStat
	got *pgTableStat // nil: missing from the copy
	why string       // empty when they match
}

// comparison is the whole database's.
type comparison struct {
	tables     []tableComparison
	extra      []string // tables in the copy the backup does not list
	mismatched int
	newest     *time.Time // newest timestamp in the restored data
}

// verifyTableRows bounds the per-table rows a result carries in history.
const verifyTableRows = 100

// compareTables computes the restored copy's figures the way the manifest
// took them (same method, same timestamp cut-off) and compares.
// at, if set, is told each table before it is compared.
func compareTables(ctx context.Context, conn *pgx.Conn, m *pgManifest, restored []pgTableStat, at func(i int, table string)) (comparison, error) {
	var c comparison
	byName := map[[2]string]pgTableStat{}
	for _, t := range restored {
		byName[[2]string{t.Schema, t.Name}] = t
	}
	var got []pgTableStat
	for i, ref := range m.Tables {
		if at != nil {
			at(i, ref.display())
		}
		key := [2]string{ref.Schema, ref.Name}
		t, ok := byName[key]
		delete(byName, key)
		if !ok {
			c.tables = append(c.tables, tableComparison{ref: ref, why: "missing from the restored copy"})
			c.mismatched++
			continue
		}
		t.TimestampColumns, t.PrimaryKey = ref.TimestampColumns, ref.PrimaryKey
		if err := pgScan(ctx, conn, &t, m.SnapshotAt, ref.Method == methodFull); err != nil {
			return c, err
		}
		switch ref.Method {
		case methodSample:
			if err := pgSample(ctx, conn, &t); err != nil {
				return c, err
			}
		case methodCount:
			t.Method = methodCount
		}
		tc := tableComparison{ref: ref, got: &t, why: differences(ref, t)}
		if tc.why != "" {
			c.mismatched++
		}
		c.tables = append(c.tables, tc)
		got = append(got, t)
	}
	for k := range byName {
		c.extra = append(c.extra, k[0]+"."+k[1])
	}
	sort.Strings(c.extra)
	c.newest = newestOf(got)
	return c, nil
}

// differences says how a restored table differs from the backup's figures.
func differences(ref, got pgTableStat) string {
	var d []string
	if ref.Rows != got.Rows {
		d = append(d, fmt.Sprintf("%d rows in the backup, %d restored", ref.Rows, got.Rows))
	}
	if ref.Method != methodCount && ref.Checksum != got.Checksum && ref.Rows == got.Rows {
		d = append(d, "row checksums differ")
	}
	if (ref.Newest == nil) != (got.Newest == nil) || (ref.Newest != nil && !ref.Newest.Equal(*got.Newest)) {
		d = append(d, fmt.Sprintf("newest timestamp %s in the backup, %s restored", orNone(formatTime(ref.Newest)), orNone(formatTime(got.Newest))))
	}
	return strings.Join(d, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// methodText names a comparison method for the report.
func methodText(m string) string {
	switch m {
	case methodFull:
		return "count + checksum of every row"
	case methodSample:
		return fmt.Sprintf("count + checksum of first/last %d rows by key", pgSampleRows)
	}
	return "count (no primary key)"
}

// verifyResult turns a comparison and the objectives into the step's
// tables, findings and outputs.
func verifyResult(m *pgManifest, c comparison, o objectives) ActionResult {
	res := ActionResult{}
	basis := "backup manifest (the dump's snapshot)"
	if !m.Consistent {
		basis = "live source (no manifest from the dump's snapshot: differences may be changes made since)"
	}
	vt := Table{Title: "Verification: backup vs restored copy", Columns: []string{"table", "rows in backup", "rows restored", "compared by", "result"}}
	var rows int64
	for _, tc := range c.tables {
		rows += tc.ref.Rows
		if len(vt.Rows) >= verifyTableRows {
			continue
		}
		restored, result := "missing", "❌ "+tc.why
		if tc.got != nil {
			restored = strconv.FormatInt(tc.got.Rows, 10)
			if tc.why == "" {
				result = "✅ match"
			}
		}
		vt.Rows = append(vt.Rows, []string{tc.ref.display(), strconv.FormatInt(tc.ref.Rows, 10), restored, methodText(tc.ref.Method), result})
	}
	if len(c.tables) > verifyTableRows {
		vt.Rows = append(vt.Rows, []string{fmt.Sprintf("… %d more tables", len(c.tables)-verifyTableRows), "", "", "", fmt.Sprintf("%d mismatched in all", c.mismatched)})
	}
	rto, rtoKnown := o.rto()
	rpo, rpoBasis := o.rpo()
	status := func(ok bool) string {
		if ok {
			return "✅ within budget"
		}
		return "❌ over budget"
	}
	ot := Table{Title: "Recovery objectives", Columns: []string{"objective", "measured", "budget", "status", "basis"}}
	rtoOK := !rtoKnown || rto <= o.rtoBudget
	if rtoKnown {
		ot.Rows = append(ot.Rows, []string{"RTO (restore start to verified)", durationText(rto), durationText(o.rtoBudget), status(rtoOK), "restore started " + o.restoreStart.Format(time.RFC3339)})
	} else {
		ot.Rows = append(ot.Rows, []string{"RTO (restore start to verified)", "unknown", durationText(o.rtoBudget), "—", "no restore start: the scratch database has no drillbook marker"})
	}
	rpoOK := rpo <= o.rpoBudget
	ot.Rows = append(ot.Rows, []string{"RPO (data loss if restored now)", durationText(rpo), durationText(o.rpoBudget), status(rpoOK), rpoBasis})
	res.Tables = []Table{vt, ot}

	if c.mismatched > 0 {
		sev := SeverityCritical
		if !m.Consistent {
			sev = SeverityMedium
		}
		res.Findings = append(res.Findings, Finding{Severity: sev, Category: "dr", Subject: m.Database,
			Title:      fmt.Sprintf("Restored copy of %s differs from the backup in %d of %d table(s)", m.Database, c.mismatched, len(c.tables)),
			Impact:     "a recovery from this backup would not bring back the same data",
			Resolution: "read the verification table and the restore step's log; re-run the drill (drillbook drill --wait) after fixing the cause",
			Evidence:   "compared with the " + basis})
	}
	if !rtoOK {
		res.Findings = append(res.Findings, Finding{Severity: SeverityHigh, Category: "dr", Subject: m.Database,
			Title:      fmt.Sprintf("RTO %s is over the %s budget", durationText(rto), durationText(o.rtoBudget)),
			Impact:     "restoring this database after an incident takes longer than the business accepts",
			Resolution: "raise pg_restore's jobs, restore onto a faster server, or agree a new rto_budget",
			Evidence:   fmt.Sprintf("restore started %s, verified %s", o.restoreStart.Format(time.RFC3339), o.verified.Format(time.RFC3339))})
	}
	if !rpoOK {
		res.Findings = append(res.Findings, Finding{Severity: SeverityHigh, Category: "dr", Subject: m.Database,
			Title:      fmt.Sprintf("RPO %s is over the %s budget", durationText(rpo), durationText(o.rpoBudget)),
			Impact:     "restoring the newest backup now would lose more data than the business accepts",
			Resolution: "back up more often: drillbook schedule create backups --runbook backup --every 1h",
			Evidence:   rpoBasis})
	}
	rtoS := ""
	if rtoKnown {
		rtoS = fmt.Sprintf("%.1f", rto.Seconds())
	}
	res.Outputs = map[string]string{
		"match": strconv.FormatBool(c.mismatched == 0), "tables": strconv.Itoa(len(c.tables)), "mismatched": strconv.Itoa(c.mismatched),
		"rto_s": rtoS, "rpo_s": fmt.Sprintf("%.1f", rpo.Seconds()), "rto": durationText(rto), "rpo": durationText(rpo),
		"rto_budget": o.rtoBudget.String(), "rpo_budget": o.rpoBudget.String(),
		"rto_ok": strconv.FormatBool(rtoOK), "rpo_ok": strconv.FormatBool(rpoOK),
		"newest": formatTime(c.newest), "verified_at": o.verified.Format(time.RFC3339),
	}
	if !rtoKnown {
		res.Outputs["rto"] = "unknown"
	}
	verdict := "all match"
	if c.mismatched > 0 {
		verdict = fmt.Sprintf("%d differ", c.mismatched)
	}
	res.Summary = fmt.Sprintf("%d table(s), %d row(s) compared with the %s: %s; RTO %s (budget %s), RPO %s (budget %s)",
		len(c.tables), rows, basis, verdict, res.Outputs["rto"], durationText(o.rtoBudget), durationText(rpo), durationText(o.rpoBudget))
	if len(c.extra) > 0 {
		res.Summary += fmt.Sprintf("; %d table(s) only in the copy: %s", len(c.extra), strings.Join(c.extra[:min(5, len(c.extra))], ", "))
	}
	return res
}
