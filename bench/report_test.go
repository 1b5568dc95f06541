package bench

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/hotdash/drillbook/report"
	"github.com/hotdash/drillbook/runs"
)

// BenchmarkReport renders the audit report (Markdown, then the HTML page
// with its latency chart) of an estate of 2,000 machines: 500 apps of 4
// machines in 2 process groups, every row in the inventory table (the
// inventory keeps only 250 in history: this is the worst case), 500
// findings, 50 synthetic targets of 100 samples each and a restore drill.
// It prints report_2000_machines_ms (goal ≤ 1000) and the sizes.
func BenchmarkReport(b *testing.B) {
	p, chart := bigAudit(500, 4, 50, 100)
	var md, html string
	var total time.Duration
	runs := 0
	for b.Loop() {
		start := time.Now()
		md = report.Markdown(p, report.Options{})
		var err error
		if html, err = report.HTMLWithCharts(md, report.Title(p), chart); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		runs++
	}
	fmt.Printf("report_2000_machines_ms: %.0f\n", float64(total.Milliseconds())/float64(runs))
	fmt.Printf("report_2000_machines_md_kib: %d\n", len(md)>>10)
	fmt.Printf("report_2000_machines_html_kib: %d\n", len(html)>>10)
}

// bigAudit builds the progress of an audit of apps×machines machines and
// the samples chart of targets×samples requests.
func bigAudit(apps, machines, targets, samples int) (runs.Progress, report.LatencyChart) {
	t0 := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	sec := func(s string) []string { return []string{"Estate reliability audit", "Priorities", s} }
	inv := &runs.ActionResult{Outputs: map[string]string{"apps": strconv.Itoa(apps), "machines": strconv.Itoa(apps * machines),
		"machines_started": strconv.Itoa(apps * machines * 9 / 10), "oom_machines": "120", "unused_apps": "40", "failed_apps": "0"}}
	table := runs.Table{Title: "Fly apps", Columns: []string{"App", "Type", "Memory", "Status", "Notes"}}
	for i := range apps {
		app := fmt.Sprintf("app-%04d", i)
		for g, group := range []string{"app", "worker"} {
			table.Rows = append(table.Rows, []string{app, group, "512 MB ×" + strconv.Itoa(machines/2), "started",
				fmt.Sprintf("OOM-killed %d× (last 2026-11-29 20:08 UTC); checks passing", (i+g)%3)})
		}
		if len(inv.Findings) < 500 {
			inv.Findings = append(inv.Findings, runs.Finding{Severity: []runs.Severity{"high", "medium", "low", "info"}[i%4],
				Category: "fly", Subject: app, Title: app + " worker machine was OOM-killed 2 time(s) with 512 MB",
				Impact:     "work in flight was lost and the machine restarted",
				Resolution: "fly machine update 6e82d4e7b11d28 --memory 1024 -a " + app, Evidence: "oom_killed exits at 2026-11-29T20:08:45Z"})
		}
	}
	inv.Tables = []runs.Table{table}
	probe := &runs.ActionResult{Outputs: map[string]string{"pass": "true", "percentile": "p95", "budget_ms": "800"}}
	lat := runs.Table{Title: "Synthetic latency", Columns: []string{"target", "n", "errors", "avg", "p50", "p95", "p99", "max", "budget", "verdict"}}
	chart := report.LatencyChart{Source: "monitoring/synthetic-check-20261203T130000.000Z.json"}
	for i := range targets {
		name := fmt.Sprintf("target-%02d", i)
		lat.Rows = append(lat.Rows, []string{name, strconv.Itoa(samples), "0", "412 ms", "400 ms", "612 ms", "700 ms", "750 ms", "800 ms", "PASS (p95)"})
		s := report.LatencySeries{Target: name, BudgetMS: 800}
		for j := range samples {
			s.MS = append(s.MS, 400+150*math.Sin(float64(i+j)/7))
		}
		chart.Series = append(chart.Series, s)
	}
	probe.Tables = []runs.Table{lat}
	step := func(id, action, section string, res *runs.ActionResult) runs.StepProgress {
		return runs.StepProgress{ID: id, Kind: "action", Action: action, Section: sec(section), Status: runs.StatusSucceeded,
			Attempts: 1, StartedAt: t0, EndedAt: t0.Add(time.Minute), Result: res}
	}
	p := runs.Progress{WorkflowID: "bench", RunbookID: report.AuditRunbookID, Title: "Estate reliability audit",
		Status: runs.RunSucceeded, StartedAt: t0, EndedAt: t0.Add(5 * time.Minute), Operator: "bench",
		Steps: []runs.StepProgress{
			step("inventory", "fly.inventory", "Fly inventory", inv),
			step("synthetic", "http.probe", "Synthetic monitoring", probe),
			step("chatwoot-health", "http.health", "Health endpoints", &runs.ActionResult{Outputs: map[string]string{"status": "200", "pass": "true", "version": "4.6.0"}}),
			step("dr-backup", "postgres.backup", "Disaster recovery", &runs.ActionResult{Outputs: map[string]string{"path": "backups/x.dump", "tables": "12"}}),
			step("dr-restore", "postgres.restore", "Disaster recovery", &runs.ActionResult{Outputs: map[string]string{"scratch": "drill_x"}}),
			step("dr-verify", "postgres.verify", "Disaster recovery", &runs.ActionResult{Outputs: map[string]string{"match": "true",
				"rto_s": "42", "rto_budget": "30m0s", "rpo_s": "60", "rpo_budget": "24h0m0s", "rto_ok": "true", "rpo_ok": "true"}}),
		}}
	return p, chart
}
