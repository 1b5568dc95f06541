package report

import (
	"fmt"
	"net/url"
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

// latencyHeadline: "521 ms average, 35% under the 800 ms target (P95 612 ms)";
// with several targets the average of every sample and the worst P95.
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
	var sum, n, worst, budget float64
	var over, worstName string
	overCount, sameBudget := 0, true
	for i, t := range targets {
		var samples float64
		fmt.Sscan(t.samples, &samples)
		if t.hasAvg && samples > 0 {
			sum, n = sum+t.avgMS*samples, n+samples
		}
		if t.hasP95 && t.p95MS >= worst {
			worst, worstName = t.p95MS, t.name
		}
		if i == 0 {
			budget = t.budgetMS
		}
		sameBudget = sameBudget && t.budgetMS == budget
		if !t.pass {
			overCount++
			over = t.name
		}
	}
	if n == 0 {
		return fmt.Sprintf("no successful request to %s", plural(len(targets), "target", "targets"))
	}
	avg := sum / n
	h := msText(avg) + " average"
	if sameBudget && budget > 0 {
		if cmp := againstBudget(avg, budget); cmp == "on budget" {
			h += ", on the " + msText(budget) + " target"
		} else {
			h += ", " + cmp + " the " + msText(budget) + " target"
		}
	}
	switch {
	case worstName != "" && len(targets) == 1:
		h += " (P95 " + msText(worst) + ")"
	case worstName != "":
		h = fmt.Sprintf("%d targets, %s (P95 up to %s, %s)", len(targets), h, msText(worst), worstName)
	}
	switch {
	case overCount == 1 && len(targets) > 1:
		h += "; " + over + " fails its budget"
	case overCount > 1:
		h += fmt.Sprintf("; %d targets fail their budget", overCount)
	case overCount == 1:
		h += "; over budget"
	}
	return h
}

// healthName is what the summary calls a health step: its id without
// "-health" ("chatwoot-health" -> Chatwoot), else its URL's host.
func healthName(s runs.StepProgress) string {
	name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s.ID, "-health"), "_health"), "health")
	if name == "" {
		if u, err := url.Parse(healthURL(s)); err == nil && u.Host != "" {
			name = u.Host
		} else {
			name = s.ID
		}
	}
	return capitalize(name)
}

// healthURL is the URL a health step checked, from its table's title.
func healthURL(s runs.StepProgress) string {
	if s.Result != nil {
		for _, t := range s.Result.Tables {
			if u, ok := strings.CutPrefix(t.Title, "Health: "); ok {
				return u
			}
		}
	}
	return ""
}

// healthChecks are a health step's body expectations: "queue ok, data ok"
// (the field without "_services", then the value found).
func healthChecks(s runs.StepProgress) []string {
	var out []string
	if s.Result == nil {
		return nil
	}
	for _, t := range s.Result.Tables {
		if !strings.HasPrefix(t.Title, "Health: ") {
			continue
		}
		for _, r := range t.Rows {
			if len(r) >= 3 && r[0] != "(status)" && r[2] != "" {
				out = append(out, strings.TrimSuffix(r[0], "_services")+" "+orDefault(r[1], "missing"))
			}
		}
	}
	return out
}

// healthHeadline: "Chatwoot 4.6.0: queue ok, data ok; Staging has no health
// endpoint (/hc and /rails/health answer 404)". Steps of one name are told together.
func healthHeadline(steps []runs.StepProgress) string {
	var names []string
	missing, said := map[string][]string{}, map[string][]string{}
	for _, s := range steps {
		if s.Action != "http.health" {
			continue
		}
		name := healthName(s)
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		status := output(s, "status")
		switch {
		case s.Status != runs.StatusSucceeded || s.Result == nil:
			said[name] = append(said[name], name+": check "+whyNot(s))
		case status == "404":
			path := "/"
			if u, err := url.Parse(healthURL(s)); err == nil && u.Path != "" {
				path = u.Path
			}
			missing[name] = append(missing[name], path)
		default:
			head := name
			if v := output(s, "version"); v != "" {
				head += " " + v
			}
			checks := healthChecks(s)
			switch {
			case len(checks) > 0:
				said[name] = append(said[name], head+": "+strings.Join(checks, ", "))
			case output(s, "pass") == "true":
				said[name] = append(said[name], head+" ok ("+status+")")
			default:
				said[name] = append(said[name], head+" answers "+status)
			}
		}
	}
	var parts []string
	for _, name := range names {
		parts = append(parts, said[name]...)
		if paths := missing[name]; len(paths) > 0 {
			verb := "answers"
			if len(paths) > 1 {
				verb = "answer"
			}
			parts = append(parts, fmt.Sprintf("%s has no health endpoint (%s %s 404)", name, joinAnd(paths), verb))
		}
	}
	return orDefault(strings.Join(parts, "; "), "no health checks")
}
