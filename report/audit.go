package report

import (
	"fmt"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// auditMarkdown renders a reliability audit the way an SRE writes its
// summary by hand: title, date, operator, duration and status; one line per
// priority; the issues found with their fix; inventory, performance, health
// and disaster-recovery sections; actions by horizon; artifacts; success
// criteria; next steps; and, as an appendix, the generic step report.
func auditMarkdown(p runs.Progress, opts Options) string {
	a := newAudit(p)
	groups := a.findingGroups()
	var b strings.Builder
	writeAuditHeader(&b, a, groups)
	writeExecutiveSummary(&b, a, groups)
	writeCriticalIssues(&b, groups)
	writeInventory(&b, a)
	writePerformance(&b, a)
	writeHealth(&b, a)
	writeDRStatus(&b, a.dr())
	writeRecommendedActions(&b, a, groups)
	writeArtifactsCreated(&b, p.Steps, opts.Artifacts)
	writeSuccessCriteria(&b, a)
	writeNextSteps(&b, a, groups)
	writeAppendix(&b, p, opts)
	return maskSecrets(b.String(), p.Inputs)
}

// AuditName is the estate an audit is about: the `estate` or `name`
// input, else the runbook title without "reliability audit" ("HotDash").
func AuditName(p runs.Progress) string {
	for _, key := range []string{"estate", "name"} {
		for _, in := range p.Inputs {
			if in.Name == key && !in.Secret && oneLine(in.Value) != "" {
				return oneLine(in.Value)
			}
		}
	}
	title := oneLine(p.Title)
	for _, suffix := range []string{"reliability audit", "audit"} {
		if len(title) >= len(suffix) && strings.EqualFold(title[len(title)-len(suffix):], suffix) {
			return strings.TrimRight(title[:len(title)-len(suffix)], " -–—:")
		}
	}
	return title
}

// auditTitle is "<Name> Reliability Audit Summary".
func auditTitle(p runs.Progress) string {
	return strings.TrimSpace(AuditName(p) + " Reliability Audit Summary")
}

func writeAuditHeader(b *strings.Builder, a *audit, groups []findingGroup) {
	p := a.p
	fmt.Fprintf(b, "# %s\n\n", text(auditTitle(p)))
	date := "—"
	if !p.StartedAt.IsZero() {
		date = p.StartedAt.UTC().Format("2006-01-02") + " (started " + p.StartedAt.UTC().Format("15:04:05") + " UTC)"
	}
	dur := "— (still running)"
	if !p.StartedAt.IsZero() && !p.EndedAt.IsZero() {
		dur = duration(p.EndedAt.Sub(p.StartedAt))
	}
	status := runIcon(p.Status) + " " + runLabel(p.Status)
	if n := len(a.priorities); n > 0 {
		status += " — " + plural(n, "priority", "priorities") + " checked"
	}
	if c := findingCounts(groups); c != "" {
		status += "; " + c
	}
	mode := "dry run: risky actions were not applied"
	if p.Apply {
		mode = "apply: risky actions ran after approval"
	}
	fmt.Fprintf(b, "- **Date:** %s\n- **Operator:** %s\n- **Duration:** %s\n- **Status:** %s\n- **Mode:** %s\n",
		date, text(orDefault(p.Operator, "not recorded")), dur, status, mode)
	run := "workflow " + orDefault(code(p.WorkflowID), "—") + ", runbook " + orDefault(code(p.RunbookID), "—")
	if p.Hash != "" {
		run += " (SHA-256 " + code(p.Hash) + ")"
	}
	b.WriteString("- **Run:** " + run + "\n\n")
	if p.Error != "" {
		fmt.Fprintf(b, "> **Error:** %s\n\n", text(p.Error))
	}
}

// findingCounts is "8 findings (1 high, 3 medium, 3 low, 1 info)", or "no findings".
func findingCounts(groups []findingGroup) string {
	counts := severityCounts(groups)
	total := 0
	var parts []string
	for i, n := range counts {
		total += n
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(severities[i].label)))
		}
	}
	if total == 0 {
		return "no findings"
	}
	return plural(total, "finding", "findings") + " (" + strings.Join(parts, ", ") + ")"
}

func writeExecutiveSummary(b *strings.Builder, a *audit, groups []findingGroup) {
	b.WriteString("## Executive Summary\n\n")
	if len(a.priorities) == 0 {
		b.WriteString("No priorities found in this run.\n\n")
	}
	for i, pr := range a.priorities {
		line := fmt.Sprintf("%d. %s **%s:** %s", i+1, a.priorityMark(pr), text(pr.title), text(a.headline(pr)))
		if d := a.dr(); pr.kind == kindDR && !(d.backupTested && d.restoreTest) {
			if cmd, _ := command(d.hint); cmd != "" {
				line += " (fix: " + code(cmd) + ")"
			}
		}
		b.WriteString(line + "\n")
	}
	if len(a.priorities) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "%s.\n\n", capitalize(findingCounts(groups)))
}

// writeArtifactsCreated lists the artifacts (the generic report's table
// under the summary's heading), or says there are none.
func writeArtifactsCreated(b *strings.Builder, steps []runs.StepProgress, extra []runs.Artifact) {
	var arts strings.Builder
	writeArtifacts(&arts, steps, extra)
	s, ok := strings.CutPrefix(arts.String(), "## Artifacts\n")
	if !ok {
		b.WriteString("## Artifacts Created\n\nNone.\n\n")
		return
	}
	b.WriteString("## Artifacts Created\n" + s)
}

// writeAppendix appends the generic report's inputs, step table and step
// details, one heading level down.
func writeAppendix(b *strings.Builder, p runs.Progress, opts Options) {
	var g strings.Builder
	writeInputs(&g, p.Inputs)
	writeStepTable(&g, p)
	writeStepDetails(&g, p, opts)
	if g.Len() == 0 {
		return
	}
	b.WriteString("## Appendix: steps\n\n")
	b.WriteString(demote(g.String()))
}

// demote moves every ATX heading one level down, leaving fenced code alone.
func demote(md string) string {
	var b strings.Builder
	fence := ""
	for line := range strings.Lines(md) {
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		switch {
		case fence != "":
			if indent < 4 && strings.HasPrefix(trimmed, fence) && strings.Trim(strings.TrimSpace(trimmed), fence[:1]) == "" {
				fence = ""
			}
		case indent < 4 && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			n := len(trimmed) - len(strings.TrimLeft(trimmed, trimmed[:1]))
			fence = trimmed[:n]
		case indent < 4 && strings.HasPrefix(trimmed, "#") && strings.HasPrefix(strings.TrimLeft(trimmed, "#"), " ") &&
			len(trimmed)-len(strings.TrimLeft(trimmed, "#")) < 6:
			line = "#" + trimmed
		}
		b.WriteString(line)
	}
	return b.String()
}
