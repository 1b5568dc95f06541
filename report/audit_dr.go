package report

import (
	"fmt"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// drState is what the disaster-recovery priority tested: the drill's
// steps by action and, when something was not tested, why and the command
// that would let it run.
type drState struct {
	steps                     []runs.StepProgress
	backup, restore, verify   *runs.StepProgress
	backupTested, restoreTest bool
	reason, hint              string
}

// dr reads the disaster-recovery priorities' steps.
func (a *audit) dr() drState {
	var d drState
	for _, pr := range a.priorities {
		if pr.kind == kindDR {
			d.steps = append(d.steps, a.stepsOf(pr)...)
		}
	}
	for i := range d.steps {
		s := &d.steps[i]
		switch {
		case s.Action == "postgres.backup" && d.backup == nil:
			d.backup = s
		case s.Action == "postgres.restore" && d.restore == nil:
			d.restore = s
		case s.Action == "postgres.verify" && d.verify == nil:
			d.verify = s
		}
	}
	d.backupTested = d.backup != nil && d.backup.Status == runs.StatusSucceeded
	d.restoreTest = d.restore != nil && d.restore.Status == runs.StatusSucceeded &&
		(d.verify == nil || d.verify.Status == runs.StatusSucceeded && output(*d.verify, "match") != "false")
	if d.backupTested && d.restoreTest {
		return d
	}
	for _, s := range d.steps { // the first failure explains the rest
		if !s.Cleanup && s.Status == runs.StatusFailed {
			d.reason = s.ID + " " + whyNot(s)
			break
		}
	}
	for _, s := range d.steps {
		if d.reason == "" && !s.Cleanup && s.Status != runs.StatusSucceeded {
			d.reason = s.ID + " " + whyNot(s)
		}
	}
	best := len(severities)
	for _, s := range d.steps {
		if s.Result == nil {
			continue
		}
		for _, f := range s.Result.Findings {
			if r := strings.TrimSpace(f.Resolution); r != "" && severityRank(f.Severity) < best {
				best, d.hint = severityRank(f.Severity), r
			}
		}
	}
	return d
}

// objectives: "RTO 42 s (target 30 min), RPO 1 min (target 24 h)".
func (d drState) objectives() string {
	if d.verify == nil || d.verify.Status != runs.StatusSucceeded {
		return "RTO and RPO not measured"
	}
	v := *d.verify
	rto := "RTO unknown"
	if t, ok := outputDuration(v, "rto_s", ""); ok {
		rto = "RTO " + humanDuration(t)
	}
	if b, ok := outputDuration(v, "", "rto_budget"); ok {
		rto += " (target " + humanDuration(b) + ")"
	}
	rpo := "RPO unknown"
	if t, ok := outputDuration(v, "rpo_s", "rpo"); ok {
		rpo = "RPO " + humanDuration(t)
	}
	if b, ok := outputDuration(v, "", "rpo_budget"); ok {
		rpo += " (target " + humanDuration(b) + ")"
	}
	return rto + ", " + rpo
}

// headline: "backup + restore tested, RTO 42 s (target 30 min), RPO 1 min (target 24 h)".
func (d drState) headline() string {
	switch {
	case len(d.steps) == 0:
		return "no disaster-recovery steps"
	case d.backupTested && d.restoreTest:
		return "backup + restore tested, " + d.objectives()
	case d.backupTested:
		return "backup tested; restore not tested: " + d.reason
	}
	return "not tested: " + d.reason
}

// met reports whether the drill restored the backup within both targets.
func (d drState) met() bool {
	return d.backupTested && d.restoreTest && d.verify != nil &&
		output(*d.verify, "rto_ok") == "true" && output(*d.verify, "rpo_ok") == "true"
}

func writeDRStatus(b *strings.Builder, d drState) {
	b.WriteString("## Disaster Recovery Status\n\n")
	if len(d.steps) == 0 {
		b.WriteString("_This run has no disaster-recovery steps._\n\n")
		return
	}
	tested := func(ok bool) string {
		if ok {
			return IconSucceeded + " tested"
		}
		return IconFailed + " not tested"
	}
	why := func(s *runs.StepProgress) string {
		if s == nil {
			return "no such step in this run"
		}
		return text(s.ID + " " + whyNot(*s))
	}
	b.WriteString("| Check | Status | Details |\n|---|---|---|\n")
	backup := why(d.backup)
	if d.backupTested {
		s := *d.backup
		backup = fmt.Sprintf("%s, %s, %s, %s rows, in %s s", cellCode(output(s, "path")), text(output(s, "size")),
			plural(count(s, "tables"), "table", "tables"), thousands(int64(count(s, "rows"))), text(output(s, "duration_s")))
	}
	fmt.Fprintf(b, "| Backup (pg_dump) | %s | %s |\n", tested(d.backupTested), backup)
	restore := why(d.restore)
	switch {
	case d.restoreTest && d.verify != nil:
		restore = fmt.Sprintf("into the scratch database %s in %s s; %s compared, %s", cellCode(output(*d.restore, "scratch")),
			text(output(*d.restore, "duration_s")), plural(count(*d.verify, "tables"), "table", "tables"), matchText(*d.verify))
	case d.restoreTest:
		restore = fmt.Sprintf("into the scratch database %s in %s s; not verified", cellCode(output(*d.restore, "scratch")), text(output(*d.restore, "duration_s")))
	case d.restore != nil && d.restore.Status == runs.StatusSucceeded && d.verify != nil:
		restore = "restored, but " + why(d.verify)
	}
	fmt.Fprintf(b, "| Restore (scratch database, verified) | %s | %s |\n", tested(d.restoreTest), restore)
	prod := text(orDefault(d.reason, "the drill did not run end to end"))
	if d.backupTested && d.restoreTest {
		prod = "the drill backed up, restored and verified " + cellCode(orDefault(output(*d.backup, "database"), "the audited database")) + " itself"
		if d.verify != nil && output(*d.verify, "newest") != "" {
			prod += "; newest row " + text(output(*d.verify, "newest"))
		}
	}
	fmt.Fprintf(b, "| Production backup | %s | %s |\n\n", tested(d.backupTested && d.restoreTest), prod)

	if !d.backupTested || !d.restoreTest || d.verify == nil {
		fmt.Fprintf(b, "**RTO and RPO:** not measured: %s.\n\n", text(strings.TrimSuffix(orDefault(d.reason, "the restore was not verified"), ".")))
		if d.hint != "" {
			b.WriteString("To make the drill possible:\n\n" + fenced(d.hint, "sh") + "\n")
		}
		return
	}
	v := *d.verify
	objective := func(name, secs, key, budget, ok, basis string) {
		measured := "unknown"
		if t, found := outputDuration(v, secs, key); found {
			measured = humanDuration(t)
		}
		target := "no target"
		if t, found := outputDuration(v, "", budget); found {
			target = "the " + humanDuration(t) + " target"
		}
		icon := IconFailed + " over"
		if output(v, ok) == "true" {
			icon = IconSucceeded + " within"
		}
		fmt.Fprintf(b, "- **%s:** %s (%s): %s %s\n", name, measured, basis, icon, target)
	}
	objective("RTO", "rto_s", "", "rto_budget", "rto_ok", "restore start to verified data")
	objective("RPO", "rpo_s", "rpo", "rpo_budget", "rpo_ok", "age of the newest restored data")
	b.WriteString("\n")
}

// matchText says how the verification went: "all match", "2 differ".
func matchText(v runs.StepProgress) string {
	if n := count(v, "mismatched"); n > 0 {
		return fmt.Sprintf("%d differ", n)
	}
	return "all match"
}
