package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// headline is a priority's figure for the Executive Summary, as plain text.
func (a *audit) headline(pr priority) string {
	steps := a.stepsOf(pr)
	switch pr.kind {
	case kindFly:
		return flyHeadline(steps)
	case kindLatency:
		return latencyHeadline(steps)
	case kindHealth:
		return healthHeadline(steps)
	case kindDR:
		return a.dr().headline()
	}
	ok := 0
	for _, s := range steps {
		if s.Status == runs.StatusSucceeded {
			ok++
		}
	}
	for _, s := range steps {
		if s.Result != nil && firstLine(s.Result.Summary) != "" {
			return shorten(firstLine(s.Result.Summary), 200)
		}
	}
	return fmt.Sprintf("%d of %s succeeded", ok, plural(len(steps), "step", "steps"))
}

// whyNot says why a step gave no result: "failed: …", "skipped: …", "not run".
func whyNot(s runs.StepProgress) string {
	switch {
	case s.Status == runs.StatusFailed:
		return "failed: " + shorten(orDefault(s.Error, "no error message"), 200)
	case s.Status == runs.StatusSkipped && oneLine(s.Note) != "":
		return "skipped: " + shorten(s.Note, 200)
	case s.Status == runs.StatusSkipped:
		return "skipped"
	case s.Status == runs.StatusNotRun && oneLine(s.Note) != "":
		return "not run: " + shorten(s.Note, 200)
	case s.Status == runs.StatusNotRun:
		return "not run"
	}
	return strings.ReplaceAll(string(s.Status), "-", " ")
}

// flyHeadline: "4 apps, 6 machines (4 started), 1 machine OOM-killed, 1 unused app ($23.28/year)".
func flyHeadline(steps []runs.StepProgress) string {
	var parts []string
	for _, s := range steps {
		if s.Action != "fly.inventory" {
			continue
		}
		if s.Status != runs.StatusSucceeded || s.Result == nil {
			parts = append(parts, "inventory "+whyNot(s))
			continue
		}
		if output(s, "apps") == "" { // not the fly.inventory outputs: its summary says it
			parts = append(parts, shorten(orDefault(firstLine(s.Result.Summary), "inventoried"), 200))
			continue
		}
		parts = append(parts, plural(count(s, "apps"), "app", "apps"),
			fmt.Sprintf("%s (%d started)", plural(count(s, "machines"), "machine", "machines"), count(s, "machines_started")))
		if n := count(s, "oom_machines"); n > 0 {
			parts = append(parts, plural(n, "machine OOM-killed", "machines OOM-killed"))
		}
		if n := count(s, "unused_apps"); n > 0 {
			unused := plural(n, "unused app", "unused apps")
			if cost := output(s, "unused_yearly_usd"); cost != "" && n == 1 {
				unused += " ($" + cost + "/year)"
			}
			parts = append(parts, unused)
		}
		if n := count(s, "failed_apps"); n > 0 {
			parts = append(parts, plural(n, "app", "apps")+" unreadable")
		}
	}
	return orDefault(strings.Join(parts, ", "), "no inventory step")
}

// probeTarget is one row of an http.probe step's "Synthetic latency" table.
type probeTarget struct {
	step, name, samples, errors, avg, p95, budget, verdict string
	avgMS, p95MS, budgetMS                                 float64
	hasAvg, hasP95, pass                                   bool
}

// probeTargets reads the targets of the probe steps from their tables.
func probeTargets(steps []runs.StepProgress) []probeTarget {
	var out []probeTarget
	for _, s := range steps {
		if s.Result == nil {
			continue
		}
		for _, t := range s.Result.Tables {
			if t.Title != "Synthetic latency" {
				continue
			}
			col := func(row []string, name string) string {
				if i := slices.Index(t.Columns, name); i >= 0 && i < len(row) {
					return row[i]
				}
				return ""
			}
			for _, r := range t.Rows {
				pt := probeTarget{step: s.ID, name: col(r, "target"), samples: col(r, "n"), errors: col(r, "errors"),
					avg: col(r, "avg"), p95: col(r, "p95"), budget: col(r, "budget"), verdict: col(r, "verdict")}
				pt.avgMS, pt.hasAvg = parseMS(pt.avg)
				pt.p95MS, pt.hasP95 = parseMS(pt.p95)
				pt.budgetMS, _ = parseMS(pt.budget)
				pt.pass = strings.HasPrefix(pt.verdict, "PASS")
				out = append(out, pt)
			}
		}
	}
	return out
}

// latencyHeadline: "521 ms average, 35% under the 800 ms target (P95 612 ms)"
// for each target (named when there are several); beyond three targets,
// the average of every sample and the worst P95.
func latencyHeadline(steps []runs.StepProgress) string {
	targets := probeTargets(steps)
	if len(targets) == 0 {
		for _, s := range steps {
			if s.Action == "http.probe" && s.Status != runs.StatusSucceeded {
				return "synthetic checks " + whyNot(s)
			}
		}
		return "no synthetic check results"
	}
	if len(targets) <= 3 {
		var parts []string
		for _, t := range targets {
			h := latencyPhrase(t.avgMS, t.hasAvg, t.budgetMS, "P95 "+t.p95, t.pass)
			if len(targets) > 1 {
				h = t.name + " " + h
			}
			parts = append(parts, h)
		}
		return strings.Join(parts, "; ")
	}
	var sum, n, worst float64
	var worstName string
	failed, budget, sameBudget := 0, targets[0].budgetMS, true
	for _, t := range targets {
		var samples float64
		fmt.Sscan(t.samples, &samples)
		if t.hasAvg && samples > 0 {
			sum, n = sum+t.avgMS*samples, n+samples
		}
		if t.hasP95 && t.p95MS >= worst {
			worst, worstName = t.p95MS, t.name
		}
		sameBudget = sameBudget && t.budgetMS == budget
		if !t.pass {
			failed++
		}
	}
	if !sameBudget {
		budget = 0
	}
	h := fmt.Sprintf("%d targets, ", len(targets))
	if worstName != "" {
		h += latencyPhrase(sum/max(n, 1), n > 0, budget, "P95 up to "+msText(worst)+", "+worstName, failed == 0)
	} else {
		h += "no successful request"
	}
	if failed > 0 {
		h += fmt.Sprintf("; %d fail their budget", failed)
	}
	return h
}

// latencyPhrase: "521 ms average, 35% under the 800 ms target (P95 612 ms)".
func latencyPhrase(avg float64, hasAvg bool, budget float64, p95 string, pass bool) string {
	if !hasAvg {
		return "no successful request"
	}
	h := msText(avg) + " average"
	if budget > 0 {
		if cmp := againstBudget(avg, budget); cmp == "on budget" {
			h += ", on the " + msText(budget) + " target"
		} else {
			h += ", " + cmp + " the " + msText(budget) + " target"
		}
	}
	h += " (" + p95 + ")"
	if !pass {
		h += ", fails its budget"
	}
	return h
}
