package report

import (
	"fmt"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// writeInventory writes the Fly inventory: a line of totals and the
// "Fly apps" table (App, Type, Memory, Status, Notes) of each inventory step.
func writeInventory(b *strings.Builder, a *audit) {
	b.WriteString("## Infrastructure Inventory\n\n")
	steps := a.byAction("fly.inventory")
	if len(steps) == 0 {
		b.WriteString("_This run has no Fly inventory step._\n\n")
	}
	for _, s := range steps {
		if s.Result == nil || s.Status != runs.StatusSucceeded {
			fmt.Fprintf(b, "_Not inventoried: %s %s._\n\n", code(s.ID), text(strings.TrimSuffix(whyNot(s), ".")))
			if s.Result == nil {
				continue
			}
		}
		line := fmt.Sprintf("%s, %s (%d started)", plural(count(s, "apps"), "app", "apps"),
			plural(count(s, "machines"), "machine", "machines"), count(s, "machines_started"))
		if output(s, "apps") == "" {
			line = text(strings.TrimSuffix(orDefault(firstLine(s.Result.Summary), "Inventoried"), "."))
		}
		if org := output(s, "org"); org != "" {
			line = "Organization " + code(org) + ": " + line
		}
		if art := output(s, "artifact"); art != "" {
			line += ". Full inventory: " + code(art)
		}
		b.WriteString(line + ".\n\n")
		for _, t := range s.Result.Tables {
			if t.Title == "Fly apps" {
				t.Title = ""
			}
			writeTable(b, t)
		}
	}
}

// writePerformance writes the synthetic checks: per target the average,
// how far under (or over) the budget it is, the P95 and the verdict.
func writePerformance(b *strings.Builder, a *audit) {
	b.WriteString("## Performance Baseline\n\n")
	steps := a.byAction("http.probe")
	targets := probeTargets(steps)
	for _, s := range steps {
		if s.Status != runs.StatusSucceeded {
			fmt.Fprintf(b, "_%s %s._\n\n", code(s.ID), text(strings.TrimSuffix(whyNot(s), ".")))
		}
	}
	if len(targets) == 0 {
		if len(steps) == 0 {
			b.WriteString("_This run has no synthetic checks._\n\n")
		}
		return
	}
	b.WriteString("| Target | Samples | Errors | Average | Against budget | P95 | Budget | Verdict |\n")
	b.WriteString("|---|---:|---:|---:|---|---:|---:|---|\n")
	for _, t := range targets {
		cmp := "—"
		if t.hasAvg {
			cmp = againstBudget(t.avgMS, t.budgetMS)
		}
		verdict := IconSucceeded + " " + text(t.verdict)
		if !t.pass {
			verdict = IconFailed + " " + text(t.verdict)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cellCode(t.name), text(t.samples), text(t.errors),
			text(t.avg), cmp, text(t.p95), text(t.budget), verdict)
	}
	b.WriteString("\n")
	for _, s := range steps {
		if s.Result == nil {
			continue
		}
		var facts []string
		if pct := output(s, "percentile"); pct != "" {
			facts = append(facts, "Budgets are judged on "+text(pct)+" (nearest-rank percentiles, failed requests counted apart)")
		}
		if path := output(s, "samples_path"); path != "" {
			facts = append(facts, "every sample is in "+code(path))
		}
		if len(facts) > 0 {
			b.WriteString(strings.Join(facts, "; ") + ".\n\n")
		}
		for _, t := range s.Result.Tables {
			if t.Title != "Synthetic latency" {
				writeTable(b, t)
			}
		}
	}
}
