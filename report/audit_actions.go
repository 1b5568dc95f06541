package report

import (
	"fmt"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// writeCriticalIssues writes every finding by priority, most severe first,
// as an audit writes them: Issue, Impact and Resolution with the command.
func writeCriticalIssues(b *strings.Builder, groups []findingGroup) {
	b.WriteString("## Critical Issues Found\n\n")
	if len(groups) == 0 {
		b.WriteString("No issues found.\n\n")
		return
	}
	n := 0
	for _, g := range groups {
		fmt.Fprintf(b, "### %s\n\n", text(g.title))
		for _, f := range g.findings {
			n++
			sv := severities[severityRank(f.Severity)]
			fmt.Fprintf(b, "#### %d. %s %s\n\n", n, sv.icon, text(orDefault(f.Title, "Untitled finding")))
			label := sv.label
			if groupOther(f.Severity) && f.Severity != "" {
				label = string(f.Severity)
			}
			facts := []string{"Severity **" + text(strings.ToLower(label)) + "**"}
			if c := oneLine(f.Category); c != "" {
				facts = append(facts, "category "+text(c))
			}
			facts = append(facts, "found by "+code(f.step))
			if subj := oneLine(f.Subject); subj != "" {
				facts = append(facts, "subject "+code(subj))
			}
			b.WriteString(strings.Join(facts, " · ") + "\n\n")
			ev := strings.TrimSpace(f.Evidence)
			switch {
			case strings.Contains(ev, "\n"):
				b.WriteString("**Issue:**\n\n" + fenced(ev, "text") + "\n")
			case ev != "":
				b.WriteString("**Issue:** " + text(ev) + "\n\n")
			default:
				b.WriteString("**Issue:** " + text(orDefault(f.Title, "see above")) + "\n\n")
			}
			b.WriteString("**Impact:** " + text(orDefault(f.Impact, "not stated")) + "\n\n")
			if r := strings.TrimSpace(f.Resolution); r != "" {
				b.WriteString("**Resolution:**\n\n" + fenced(r, "sh") + "\n")
			} else {
				b.WriteString("**Resolution:** none given.\n\n")
			}
		}
	}
}

// horizons sort findings into when to act on them.
var horizons = []struct {
	title string
	upTo  int // the least severe rank in the horizon
}{
	{"Immediate (critical and high)", 1},
	{"This week (medium)", 2},
	{"Next sprint (low and info)", len(severities) - 1},
}

// writeRecommendedActions lists the findings' fixes by horizon, then the
// remediation steps this run took (or would take with apply).
func writeRecommendedActions(b *strings.Builder, a *audit, groups []findingGroup) {
	b.WriteString("## Recommended Actions\n\n")
	from := 0
	for _, h := range horizons {
		fmt.Fprintf(b, "### %s\n\n", h.title)
		var items []string
		for rank := from; rank <= h.upTo; rank++ { // most severe first
			n := 0
			for _, g := range groups {
				for _, f := range g.findings {
					n++
					if severityRank(f.Severity) != rank {
						continue
					}
					line := fmt.Sprintf("- [ ] **%s** (%s, issue %d)", text(orDefault(f.Title, "Untitled finding")), text(g.title), n)
					if cmd, more := command(f.Resolution); cmd != "" {
						line += ": " + code(cmd)
						if more {
							line += " …"
						}
					} else if more {
						line += ": see its resolution"
					}
					items = append(items, line)
				}
			}
		}
		if len(items) == 0 {
			items = append(items, "Nothing.")
		}
		b.WriteString(strings.Join(items, "\n") + "\n\n")
		from = h.upTo + 1
	}
	var lines []string
	for _, i := range a.other {
		s := a.p.Steps[i]
		if s.Kind != "action" || s.Cleanup {
			continue
		}
		icon, label := stepMark(a.p, i)
		line := fmt.Sprintf("- %s %s (%s): %s", icon, code(s.ID), code(s.Action), text(label))
		if s.Approval != nil {
			by := approver(s.Approval) // "rejected by bob" when rejected
			if s.Approval.Approved {
				by = "approved by " + by
			}
			line += ", " + by
		}
		switch {
		case s.Result != nil && firstLine(s.Result.Summary) != "":
			line += ". " + text(firstLine(s.Result.Summary))
		case s.Status == runs.StatusFailed || oneLine(s.Note) != "":
			line += ". " + text(shorten(s.Error+" "+s.Note, 300))
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("### Remediation steps in this run\n\n")
	if a.p.Apply {
		b.WriteString("Started with apply: each fix ran once an operator approved it.\n\n")
	} else {
		b.WriteString("Dry run: nothing was changed. Start the audit with apply=true to apply the approved fixes.\n\n")
	}
	b.WriteString(strings.Join(lines, "\n") + "\n\n")
}

// criterion is one line of Success Criteria Met.
type criterion struct {
	met        bool
	title, say string
}

// criteria are one per priority: what "done" means for its kind.
func (a *audit) criteria() []criterion {
	var out []criterion
	for _, pr := range a.priorities {
		steps := a.stepsOf(pr)
		all := true
		for _, s := range steps {
			all = all && s.Status == runs.StatusSucceeded
		}
		c := criterion{title: pr.title, met: all, say: "every step succeeded"}
		switch pr.kind {
		case kindFly:
			c.say = "every app and machine inventoried"
			for _, s := range steps {
				c.met = c.met && (s.Action != "fly.inventory" || count(s, "failed_apps") == 0)
			}
		case kindLatency:
			c.say = "every synthetic target within its latency budget"
			for _, s := range steps {
				c.met = c.met && (s.Action != "http.probe" || output(s, "pass") == "true")
			}
		case kindHealth:
			c.say = "every health endpoint answers as expected"
			for _, s := range steps {
				c.met = c.met && (s.Action != "http.health" || output(s, "pass") == "true")
			}
		case kindDR:
			c.say, c.met = "backup restored and verified within the RTO and RPO targets", a.dr().met()
		}
		out = append(out, c)
	}
	return out
}

func writeSuccessCriteria(b *strings.Builder, a *audit) {
	b.WriteString("## Success Criteria Met\n\n")
	crit := a.criteria()
	met := 0
	for _, c := range crit {
		box := " "
		if c.met {
			box, met = "x", met+1
		}
		fmt.Fprintf(b, "- [%s] **%s:** %s\n", box, text(c.title), c.say)
	}
	if len(crit) == 0 {
		b.WriteString("No priorities in this run.\n")
	}
	fmt.Fprintf(b, "\n%d of %d met.\n\n", met, len(crit))
}

// writeNextSteps derives what to do next from the findings, the
// remediation steps, the drill and the criteria not met.
func writeNextSteps(b *strings.Builder, a *audit, groups []findingGroup) {
	b.WriteString("## Next Steps\n\n")
	var steps []string
	counts := severityCounts(groups)
	if n := counts[0] + counts[1]; n > 0 {
		steps = append(steps, fmt.Sprintf("Fix the %s under Immediate today.", plural(n, "critical or high issue", "critical or high issues")))
	}
	var dry []string
	for _, i := range a.other {
		s := a.p.Steps[i]
		if s.Kind == "action" && !s.Cleanup && output(s, "dry_run") == "true" {
			dry = append(dry, code(s.ID))
		}
	}
	if len(dry) > 0 {
		steps = append(steps, fmt.Sprintf("Apply the approval-gated fixes: start the audit with apply (%s) and approve %s.",
			code("drillbook run "+AuditRunbookID+" --apply --wait"), joinAnd(dry)))
	}
	if d := a.dr(); len(d.steps) > 0 && !(d.backupTested && d.restoreTest) {
		line := "Make the restore drill possible"
		if cmd, _ := command(d.hint); cmd != "" {
			line += " (" + code(cmd) + ")"
		}
		steps = append(steps, line+" and run it: "+code("drillbook drill --wait")+".")
	}
	var unmet []string
	for _, c := range a.criteria() {
		if !c.met {
			unmet = append(unmet, text(c.title))
		}
	}
	if len(unmet) > 0 {
		verb := "are"
		if len(unmet) == 1 {
			verb = "is"
		}
		steps = append(steps, fmt.Sprintf("Re-run the audit after the fixes (%s) until %s %s met.",
			code("drillbook run "+AuditRunbookID+" --wait"), joinAnd(unmet), verb))
	}
	steps = append(steps, "Keep the baseline current: "+code("drillbook schedule create weekly-audit --runbook "+AuditRunbookID+" --every 168h")+".")
	for i, s := range steps {
		fmt.Fprintf(b, "%d. %s\n", i+1, s)
	}
	b.WriteString("\n")
}

// command is the command of a resolution for an inline mention: its first
// line without a trailing shell comment; "" when that is over 120 bytes
// (cutting a command could break its quoting). more is true when the
// resolution says more than cmd.
func command(resolution string) (cmd string, more bool) {
	r := strings.TrimSpace(resolution)
	cmd = firstLine(r)
	more = strings.Contains(r, "\n")
	for i := 0; i+1 < len(cmd); i++ {
		if cmd[i] == ' ' && cmd[i+1] == '#' && strings.Count(cmd[:i], "'")%2 == 0 && strings.Count(cmd[:i], `"`)%2 == 0 {
			cmd, more = strings.TrimSpace(cmd[:i]), true
			break
		}
	}
	if len(cmd) > 120 {
		return "", true
	}
	return cmd, more
}
