package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/testbin"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// demoGolden is the masked report of `drillbook demo`.
const demoGolden = "testdata/demo-report.golden.md"

// TestDemoReportGolden runs the built `drillbook demo` (issue 8's first
// command) and compares its report, with what changes from run to run
// masked, with the reviewed golden file; it also checks the facts the
// first user's hand-written audit found, directly.
func TestDemoReportGolden(t *testing.T) {
	bin := testbin.Drillbook(t)
	dir := t.TempDir()
	artifacts := filepath.Join(dir, "artifacts")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "demo", "--artifacts", artifacts, "--state-dir", filepath.Join(dir, "state"))
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	total := time.Since(start)
	if err != nil {
		t.Fatalf("drillbook demo: %v\n%s", err, out)
	}
	fmt.Printf("demo_total_s: %.1f\n", total.Seconds())
	t.Logf("demo_total_s: %.1f", total.Seconds())

	reports, err := filepath.Glob(filepath.Join(artifacts, "reports", "*", "report.md"))
	if err != nil || len(reports) != 1 {
		t.Fatalf("want one report.md, got %v (%v); demo output:\n%s", reports, err, out)
	}
	if !strings.Contains(string(out), reports[0]) {
		t.Errorf("the demo did not print the report path %s:\n%s", reports[0], out)
	}
	if _, err := os.Stat(strings.TrimSuffix(reports[0], ".md") + ".html"); err != nil {
		t.Errorf("no report.html: %v", err)
	}
	report := readFile(reports[0])
	checkDemoFacts(t, report)

	masked := maskReport(report, artifacts)
	if *update {
		if err := os.WriteFile(demoGolden, []byte(masked), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(demoGolden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if masked != string(want) {
		t.Errorf("the masked demo report differs from %s (run with -update after reviewing):\n%s",
			demoGolden, lineDiff(string(want), masked))
	}
}

// checkDemoFacts asserts issue 8's list of what the demo's report must show.
func checkDemoFacts(t *testing.T, report string) {
	t.Helper()
	for _, want := range []string{
		"# HotDash Reliability Audit Summary",
		"**Status:** ✅ Succeeded",
		// The Chatwoot worker at 512 MB, OOM-killed, and the command to 2048 MB.
		"| hotdash-chatwoot | worker | 512 MB | started | OOM-killed 1×",
		"hotdash-chatwoot worker machine 6e82d4e7b11d28 was OOM-killed 1 time(s) with 512 MB",
		"```sh\nfly machine update 6e82d4e7b11d28 --memory 2048 -a hotdash-chatwoot\n```",
		// The suspended app, its destroy command and its yearly cost.
		"Unused app time-purple-wildflower-3973 (suspended)",
		"```sh\nfly apps destroy time-purple-wildflower-3973 --yes\n```",
		"Estimated $23.28/year",
		// The Fly Postgres app against the Supabase-only rule.
		`Fly Postgres app hotdash-staging-db breaks the policy "no Fly Postgres apps; Supabase only"`,
		// Staging's health endpoints answer 404.
		"Staging has no health endpoint (/hc and /rails/health answer 404)",
		"no health endpoint at /hc (404)",
		"no health endpoint at /rails/health (404)",
		// Chatwoot 4.6.0 with queue and data services ok.
		"Chatwoot 4.6.0: data ok, queue ok",
		"| 200 | 4.6.0 | data ok, queue ok | ✅ healthy |",
		// Backup and restore tested, RTO measured, RPO status.
		"| Backup (pg_dump) | ✅ tested |",
		"| Restore (scratch database, verified) | ✅ tested |",
		"4 tables compared, all match",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the demo report lacks %q", want)
		}
	}
	// The synthetic average under the 800 ms budget, with P95.
	m := regexp.MustCompile(`staging (\d+(?:\.\d+)?) ms average, \d+% under the 800 ms target \(P95 (\d+(?:\.\d+)?) ms\)`).FindStringSubmatch(report)
	if m == nil {
		t.Error("no staging average and P95 against the 800 ms budget in the executive summary")
	} else if avg := parseFloat(m[1]); avg <= 0 || avg >= 800 {
		t.Errorf("staging average %s ms, want under the 800 ms budget", m[1])
	}
	for _, re := range []string{
		`(?m)^- \*\*RTO:\*\* \d+(\.\d+)? (s|ms|min) \(restore start to verified data\): ✅ within the 30 min target$`,
		`(?m)^- \*\*RPO:\*\* \d+(\.\d+)? (s|ms|min) \(age of the newest restored data\): ✅ within the 1 h target$`,
		`✅ \*\*Disaster recovery:\*\* backup \+ restore tested, RTO \d`,
	} {
		if !regexp.MustCompile(re).MatchString(report) {
			t.Errorf("the demo report does not match %s", re)
		}
	}
}

func parseFloat(s string) float64 {
	var f float64
	_, _ = fmt.Sscanf(s, "%g", &f)
	return f
}

// reportMasks replace, in order, what differs between two demo runs.
var reportMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{64}`), "<sha256>"},
	{regexp.MustCompile(`--snapshot=[0-9A-F-]+`), "--snapshot=<snapshot>"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:<port>"},
	{regexp.MustCompile(`<date>T\d\d:\d\d:\d\d(\.\d+)?Z`), "<time>"}, // the seed's fixed times stay
	{regexp.MustCompile(`\d{8}T\d{6}(\.\d+)?Z?`), "<ts>"},
	{regexp.MustCompile(`drill_chatwoot_\d{14}_[0-9a-f]+`), "drill_chatwoot_<ts>"},
	{regexp.MustCompile(`chatwoot-\d{6}\.`), "chatwoot-<hhmmss>."},
	{regexp.MustCompile(`\d\d:\d\d:\d\d`), "<hh:mm:ss>"},
	{regexp.MustCompile(`\d+ days before this audit`), "<n> days before this audit"},
	{regexp.MustCompile(`(?m)^(- \*\*Operator:\*\*) .*$`), "$1 <operator>"},
	// Byte counts and sizes that depend on the seeded data and the dump.
	{regexp.MustCompile("(\\| `(bytes|size_bytes)` \\|) \\d+ \\|"), "$1 <n> |"},
	{regexp.MustCompile(`\b\d+(\.\d+)? ?(B|KiB|MiB|GiB)\b`), "<size>"},
	// Latencies and durations in their table rows without units.
	{regexp.MustCompile("(\\| `[\\w.-]*(_ms|_s)` \\|) [\\d.]+ \\|"), "$1 <n> |"},
	{regexp.MustCompile("(\\| `(rto|rpo)` \\|) [^|]+ \\|"), "$1 <duration> |"},
	{regexp.MustCompile(`(?m)^\| (staging|chatwoot-api) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|$`), "| $1 | <timings> |"},
	{regexp.MustCompile(`\b\d+%`), "<pct>%"},
	// Every duration and latency except the budget itself.
	{regexp.MustCompile(`\b\d+(\.\d+)?(ms| ms| s|s|µs| µs|m\d+(\.\d+)?s)\b`), "<dur>"},
}

// restoreOutputRE is the output block of the dr-restore step.
var restoreOutputRE = regexp.MustCompile("(?s)Output:\n\n```text\nsha256 of [^\n]*\n.*?\n```\n")

// budgetRE finds the 800 ms budget where the report states it as such.
var budgetRE = regexp.MustCompile(`the 800 ms (?:budget|target)|\| 800 ms \||\| 800ms \|`)

// maskReport masks timings, ids, ports, paths, hashes, dates and sizes.
func maskReport(report, artifacts string) string {
	s := strings.ReplaceAll(report, artifacts, "<artifacts>")
	today := time.Now().UTC()
	for _, d := range []time.Time{today, today.AddDate(0, 0, -1), today.AddDate(0, 0, -2)} {
		s = strings.ReplaceAll(s, d.Format("2006-01-02"), "<date>")
	}
	// The latency budget keeps its value where it is the budget (a measured
	// duration that happens to be 800 ms is masked like any other).
	s = budgetRE.ReplaceAllStringFunc(s, func(m string) string {
		return strings.NewReplacer("800 ms", "\x00budget\x00", "800ms", "\x00budgetms\x00").Replace(m)
	})
	for _, m := range reportMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	// pg_restore -j 2 interleaves its jobs' verbose lines: of the restore
	// step's output keep drillbook's own lines only.
	s = restoreOutputRE.ReplaceAllStringFunc(s, func(block string) string {
		var keep []string
		for _, line := range strings.Split(block, "\n") {
			for _, prefix := range []string{"Output:", "```", "sha256 of ", "$ ", "scratch database ", "=== ", ""} {
				if strings.HasPrefix(line, prefix) && (prefix != "" || line == "") {
					keep = append(keep, line)
					break
				}
			}
		}
		return strings.Join(keep, "\n")
	})
	return strings.NewReplacer("\x00budget\x00", "800 ms", "\x00budgetms\x00", "800ms").Replace(s)
}

// lineDiff lists the lines that differ, with their numbers.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := max(len(w), len(g))
	shown := 0
	for i := 0; i < n && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
