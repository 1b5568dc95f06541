package activities

import (
	"fmt"
	"strconv"
	"strings"
)

// History bounds of http.probe's result: the artifact has everything.
const (
	probeMaxRows          = 250
	probeMaxOutputTargets = 50
	probeMaxFindings      = 100
)

// Result is the run as an action result: a summary line per target, the
// outputs later steps and the report use, the "Synthetic latency" and
// "Where the time goes" tables, findings and the samples artifact.
//
// Outputs: pass, budget_ms, percentile, targets, failed_targets,
// samples_path; per target (the first 50) NAME.avg_ms, NAME.p50_ms,
// NAME.p95_ms, NAME.p99_ms, NAME.max_ms, NAME.n, NAME.errors, NAME.pass;
// and with a single target the same figures without the prefix.
// A percentile that n is too small for is "n/a".
func (run *ProbeRun) Result() ActionResult {
	res := ActionResult{Outputs: map[string]string{
		"pass":       strconv.FormatBool(run.Pass()),
		"budget_ms":  msString(run.BudgetMS),
		"percentile": run.Percentile,
		"targets":    strconv.Itoa(len(run.Targets)),
	}}
	if run.Artifact.Path != "" {
		res.Artifacts = []Artifact{run.Artifact}
		res.Outputs["samples_path"] = run.Artifact.Path
	}
	latency := Table{Title: "Synthetic latency",
		Columns: []string{"target", "n", "errors", "avg", "p50", "p95", "p99", "max", "budget", "verdict"}}
	phases := Table{Title: "Where the time goes (median ms)",
		Columns: []string{"target", "DNS", "connect", "TLS", "first byte", "total (p50)"}}
	var lines, failed []string
	for i := range run.Targets {
		t := &run.Targets[i]
		lines = append(lines, t.Name+": "+t.Verdict)
		if !t.Pass {
			failed = append(failed, t.Name)
		}
		if i < probeMaxOutputTargets {
			putTargetOutputs(res.Outputs, outputKey(t.Name)+".", t)
		}
		if len(run.Targets) == 1 {
			putTargetOutputs(res.Outputs, "", t)
		}
		if i < probeMaxRows {
			verdict := "PASS"
			if !t.Pass {
				verdict = "FAIL"
			}
			latency.Rows = append(latency.Rows, []string{t.Name, strconv.Itoa(t.Stats.N), strconv.Itoa(t.Errors),
				t.Stats.Avg.String(), t.Stats.P50.String(), t.Stats.P95.String(), t.Stats.P99.String(),
				t.Stats.Max.String(), formatMS(t.BudgetMS), verdict + " (" + t.Basis + ")"})
			if t.Stats.N > 0 {
				phases.Rows = append(phases.Rows, []string{t.Name, msString(t.DNSMS), msString(t.ConnectMS),
					msString(t.TLSMS), msString(t.TTFBMS), msString(t.Stats.P50.V)})
			}
		}
		for _, f := range t.findings(run.FollowRedirects) {
			if len(res.Findings) < probeMaxFindings {
				res.Findings = append(res.Findings, f)
			}
		}
	}
	res.Outputs["failed_targets"] = strings.Join(failed, ",")
	if len(res.Outputs["failed_targets"]) > 1000 {
		res.Outputs["failed_targets"] = res.Outputs["failed_targets"][:1000] + "…"
	}
	res.Tables = []Table{latency}
	if len(phases.Rows) > 0 {
		res.Tables = append(res.Tables, phases)
	}
	head := fmt.Sprintf("%d target(s), %d sample(s) each, budget judged on %s (%s percentiles): %d passed, %d failed",
		len(run.Targets), run.Samples, run.Percentile, run.Method, len(run.Targets)-len(failed), len(failed))
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("… and %d more in the table", len(lines)-20))
	}
	res.Summary = head + "\n" + strings.Join(lines, "\n")
	return res
}

func putTargetOutputs(out map[string]string, prefix string, t *ProbeTargetResult) {
	opt := func(o optMS) string {
		if !o.OK {
			return "n/a"
		}
		return msString(o.V)
	}
	out[prefix+"avg_ms"] = opt(t.Stats.Avg)
	out[prefix+"p50_ms"] = opt(t.Stats.P50)
	out[prefix+"p95_ms"] = opt(t.Stats.P95)
	out[prefix+"p99_ms"] = opt(t.Stats.P99)
	out[prefix+"max_ms"] = opt(t.Stats.Max)
	out[prefix+"n"] = strconv.Itoa(t.Stats.N)
	out[prefix+"errors"] = strconv.Itoa(t.Errors)
	out[prefix+"pass"] = strconv.FormatBool(t.Pass)
}

// outputKey makes a target name usable in ${steps.ID.outputs.NAME.p95_ms}.
func outputKey(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, name)
}

// findings are the target's problems: over budget, failed requests,
// redirects to another host, a redirect timed instead of its destination.
func (t *ProbeTargetResult) findings(follow bool) []Finding {
	var out []Finding
	curl := fmt.Sprintf("curl -sS -o /dev/null -w 'dns %%{time_namelookup}s connect %%{time_connect}s tls %%{time_appconnect}s first byte %%{time_starttransfer}s total %%{time_total}s\\n' %s",
		shellQuoteArg(t.URL))
	total := t.Stats.N + t.Errors
	if t.Stats.N > 0 && t.Judged.V > t.BudgetMS {
		out = append(out, Finding{Severity: SeverityHigh, Category: "latency", Subject: t.Name,
			Title: fmt.Sprintf("%s %s %s is over the %s budget", t.Name, t.Basis, t.Judged, formatMS(t.BudgetMS)),
			Impact: fmt.Sprintf("%s; users wait longer than the target (p50 %s, p95 %s, p99 %s, max %s over n=%d)",
				averageAgainstBudget(t.Stats.Avg.V, t.BudgetMS), t.Stats.P50, t.Stats.P95, t.Stats.P99, t.Stats.Max, t.Stats.N),
			Resolution: curl,
			Evidence:   t.phaseEvidence(),
		})
	}
	if t.Errors > 0 {
		sev, title := SeverityMedium, fmt.Sprintf("%s: %d of %d requests failed (%s)", t.Name, t.Errors, total, t.ErrorSummary())
		switch {
		case t.Stats.N == 0:
			sev, title = SeverityCritical, fmt.Sprintf("%s is failing: all %d requests failed (%s)", t.Name, total, t.ErrorSummary())
		case t.Errors*10 >= total:
			sev = SeverityHigh
		}
		out = append(out, Finding{Severity: sev, Category: "latency", Subject: t.Name, Title: title,
			Impact:     "failed requests are counted apart from the latencies: the percentiles only describe the requests that succeeded",
			Resolution: "curl -sS -v -o /dev/null " + shellQuoteArg(t.URL), Evidence: "first error: " + t.FirstError})
	}
	if t.OffHost != "" {
		out = append(out, Finding{Severity: SeverityMedium, Category: "latency", Subject: t.Name,
			Title:      fmt.Sprintf("%s redirects to another host (%s)", t.Name, t.OffHost),
			Impact:     "the probe times (or would time) another service than the one named, and users leave the app's host",
			Resolution: "curl -sS -I " + shellQuoteArg(t.URL), Evidence: "Location: " + t.Location})
	}
	if !follow && t.Location != "" {
		out = append(out, Finding{Severity: SeverityInfo, Category: "latency", Subject: t.Name,
			Title:      fmt.Sprintf("%s answers with a redirect to %s: the latency measured is the redirect's", t.Name, t.Location),
			Resolution: "set follow_redirects: true on the probe, or probe the destination URL"})
	}
	return out
}

// phaseEvidence says where the time of a typical request goes.
func (t *ProbeTargetResult) phaseEvidence() string {
	s := fmt.Sprintf("median phases: DNS %s, connect %s, TLS %s, first byte %s, total p50 %s",
		formatMS(t.DNSMS), formatMS(t.ConnectMS), formatMS(t.TLSMS), formatMS(t.TTFBMS), t.Stats.P50)
	if t.Stats.P50.OK && t.TTFBMS > 0.8*t.Stats.P50.V {
		s += "; most of it is waiting for the first byte: the server's own time"
	}
	return s
}

// shellQuoteArg quotes s for a POSIX shell when it needs it; an env:NAME
// reference becomes "$NAME", so that the command reads the same variable.
func shellQuoteArg(s string) string {
	if name, ok := strings.CutPrefix(s, "env:"); ok {
		return `"$` + strings.TrimSpace(name) + `"`
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
