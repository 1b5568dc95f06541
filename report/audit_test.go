package report

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark/ast"
	gmtext "github.com/yuin/goldmark/text"

	"github.com/hotdash/drillbook/runs"
)

func TestReportAuditMarkdownGolden(t *testing.T) {
	for name, p := range map[string]runs.Progress{"audit-summary": auditSucceeded(), "audit-degraded": auditDegraded()} {
		t.Run(name, func(t *testing.T) {
			got := Markdown(p, Options{})
			for range 5 { // outputs are maps: no iteration order may leak
				if again := Markdown(p, Options{}); again != got {
					t.Fatal("two renderings of the same run differ")
				}
			}
			golden(t, name+".golden.md", got)
		})
	}
}

// TestAuditSummaryContent checks what issue 8 asks the demo's report to show.
func TestReportAuditSummaryContent(t *testing.T) {
	md := Markdown(auditSucceeded(), Options{})
	for _, want := range []string{
		"# HotDash Reliability Audit Summary\n",
		"- **Date:** 2026-12-03", "- **Operator:** alice\n", "- **Duration:** 4m12s\n", "- **Status:** ✅ Succeeded",
		"1. ⚠️ **Fly inventory:** 4 apps, 6 machines (4 started), 1 machine OOM-killed, 1 unused app ($23.28/year)\n",
		"2. ✅ **Synthetic monitoring:** staging 521 ms average, 35% under the 800 ms target (P95 612 ms); chatwoot-api 298 ms average",
		"3. ⚠️ **Health endpoints:** Chatwoot 4.6.0: data ok, queue ok; Staging has no health endpoint (/hc and /rails/health answer 404)\n",
		"4. ✅ **Disaster recovery:** backup + restore tested, RTO 42 s (target 30 min), RPO 1 min (target 24 h)\n",
		// the OOM-killed worker and its fix, the unused app with its cost, the policy breach
		"```sh\nfly machine update 6e82d4e7b11d28 --memory 2048 -a hotdash-chatwoot\n```\n",
		"```sh\nfly apps destroy time-purple-wildflower-3973 --yes\n```\n", "Estimated $23.28/year",
		`Fly Postgres app hotdash-staging-db breaks the policy "no Fly Postgres apps; Supabase only"`,
		"| hotdash-chatwoot | worker | 512 MB | started | OOM-killed 1× (last 2026-11-29 20:08 UTC) |\n",
		"| `staging` | 50 | 0 | 521 ms | 35% under | 612 ms | 800 ms | ✅ PASS (p95) |\n",
		"| Chatwoot `https://hotdash-chatwoot.fly.dev/api` | 200 | 4.6.0 | data ok, queue ok | ✅ healthy |\n",
		"| Backup (pg_dump) | ✅ tested |", "| Restore (scratch database, verified) | ✅ tested |", "| Production backup | ✅ tested |",
		"- **RTO:** 42 s (restore start to verified data): ✅ within the 30 min target\n",
		"- **RPO:** 1 min (age of the newest restored data): ✅ within the 24 h target\n",
		"### Immediate (critical and high)\n\n- [ ] **hotdash-chatwoot worker machine",
		"- [x] **Fly inventory:**", "- [ ] **Health endpoints:**", "3 of 4 met.",
		"| `monitoring/synthetic-check-20261203T130000.012Z.json` | 47.6 KiB |",
		"## Appendix: steps\n\n### Inputs\n", "\n### Steps\n", "\n#### 1. Fly inventory (`inventory`)\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	degraded := Markdown(auditDegraded(), Options{})
	for _, want := range []string{
		"- **Operator:** not recorded\n",
		"4. ❌ **Disaster recovery:** not tested: dr-preflight failed: postgres.preflight: No pg_dump on the worker can dump PostgreSQL 16.4 (fix: `sudo apt-get install -y postgresql-client-16`)\n",
		"| Backup (pg_dump) | ❌ not tested |", "**RTO and RPO:** not measured: dr-preflight failed",
		"To make the drill possible:\n\n```sh\nsudo apt-get install -y postgresql-client-16",
		"staging 702 ms average, 12% under the 800 ms target (P95 912 ms), fails its budget",
		// critical before high in the Immediate horizon
		"### Immediate (critical and high)\n\n- [ ] **No pg_dump on the worker can dump PostgreSQL 16.4** (Disaster recovery, issue 8)",
	} {
		if !strings.Contains(degraded, want) {
			t.Errorf("degraded report lacks %q", want)
		}
	}
	if strings.Contains(md, "(fix:") {
		t.Error("a tested drill shows an install hint")
	}
}

// TestAuditSectionOrder parses the report back: the sections come in the
// order of a hand-written audit summary, the appendix last.
func TestReportAuditSectionOrder(t *testing.T) {
	src := []byte(Markdown(auditSucceeded(), Options{}))
	var h2 []string
	_ = ast.Walk(md.Parser().Parse(gmtext.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level <= 2 {
			h2 = append(h2, string(h.Lines().Value(src)))
		}
		return ast.WalkContinue, nil
	})
	want := []string{"HotDash Reliability Audit Summary", "Executive Summary", "Critical Issues Found", "Infrastructure Inventory",
		"Performance Baseline", "Health Endpoints", "Disaster Recovery Status", "Recommended Actions", "Artifacts Created",
		"Success Criteria Met", "Next Steps", "Appendix: steps"}
	if !slices.Equal(h2, want) {
		t.Errorf("sections:\n got %q\nwant %q", h2, want)
	}
}

func TestReportAuditPriorities(t *testing.T) {
	titles := func(p runs.Progress) []string {
		var out []string
		for _, pr := range newAudit(p).priorities {
			out = append(out, pr.title+"/"+pr.kind)
		}
		return out
	}
	p := auditSucceeded()
	if got, want := titles(p), []string{"Fly inventory/fly", "Synthetic monitoring/latency", "Health endpoints/health", "Disaster recovery/dr"}; !slices.Equal(got, want) {
		t.Errorf("priorities = %q, want %q", got, want)
	}
	// Renamed and reordered sections: the priorities follow the runbook, not step ids.
	for i := range p.Steps {
		if s := p.Steps[i].Section; len(s) == 3 {
			p.Steps[i].Section = []string{"Estate", "Checks", map[string]string{"Fly inventory": "Machines", "Synthetic monitoring": "Latency",
				"Health endpoints": "Health", "Disaster recovery": "Backups"}[s[2]]}
		}
		p.Steps[i].ID = "s" + p.Steps[i].ID
	}
	slices.Reverse(p.Steps)
	if got, want := titles(p), []string{"Backups/dr", "Health/health", "Latency/latency", "Machines/fly"}; !slices.Equal(got, want) {
		t.Errorf("renamed priorities = %q, want %q", got, want)
	}
	// Without sections, the steps' actions name the priorities.
	if got, want := titles(auditFailed()), []string{"Fly inventory/fly", "Synthetic monitoring/latency", "Health endpoints/health"}; !slices.Equal(got, want) {
		t.Errorf("priorities without sections = %q, want %q", got, want)
	}
	a := newAudit(auditSucceeded())
	var other []string
	for _, i := range a.other {
		other = append(other, a.p.Steps[i].ID)
	}
	if want := []string{"scale-oom-machine", "destroy-unused-app", "report"}; !slices.Equal(other, want) {
		t.Errorf("steps outside the priorities = %q, want %q", other, want)
	}
}

func TestReportAuditTitleAndName(t *testing.T) {
	p := auditSucceeded()
	if got := Title(p); got != "HotDash Reliability Audit Summary" {
		t.Errorf("Title = %q", got)
	}
	p.Inputs = append(p.Inputs, runs.InputValue{Name: "estate", Value: "Acme"})
	if got := Title(p); got != "Acme Reliability Audit Summary" {
		t.Errorf("Title with an estate input = %q", got)
	}
	if got := Title(runs.Progress{RunbookID: AuditRunbookID}); got != "Reliability Audit Summary" {
		t.Errorf("Title without a name = %q", got)
	}
	if got := Title(drillSucceeded()); got != "Backup and restore drill" {
		t.Errorf("a drill's title changed: %q", got)
	}
}

func TestReportAuditMasksSecrets(t *testing.T) {
	p := auditDegraded()
	p.Inputs = append(p.Inputs, runs.InputValue{Name: "token", Value: "tok-leaked-123456", Secret: true})
	p.Steps[0].Result.Findings[0].Evidence = "token tok-leaked-123456 in the environment"
	if got := Markdown(p, Options{}); strings.Contains(got, "tok-leaked-123456") {
		t.Error("a secret input value reached the audit summary")
	}
}

func TestReportDemote(t *testing.T) {
	in := "## A\n\n```sh\n# a comment\n```\n\n#### B\n\n````text\n```\n## not a heading\n````\n###### six\n#hashtag\n    ## indented code\n"
	want := "### A\n\n```sh\n# a comment\n```\n\n##### B\n\n````text\n```\n## not a heading\n````\n###### six\n#hashtag\n    ## indented code\n"
	if got := demote(in); got != want {
		t.Errorf("demote:\n got %q\nwant %q", got, want)
	}
}

func TestReportAuditFormatting(t *testing.T) {
	durations := map[string]string{"350ms": "350 ms", "4.2s": "4.2 s", "42s": "42 s", "4m12s": "4 min 12 s", "30m": "30 min",
		"1h": "1 h", "24h": "24 h", "2h5m": "2 h 5 min", "12m30s": "13 min"}
	for in, want := range durations {
		d, _ := time.ParseDuration(in)
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", in, got, want)
		}
	}
	if got := againstBudget(521, 800); got != "35% under" {
		t.Errorf("againstBudget(521, 800) = %q", got)
	}
	if got := againstBudget(912, 800); got != "14% over" {
		t.Errorf("againstBudget(912, 800) = %q", got)
	}
	for in, want := range map[string]float64{"412 ms": 412, "1.20 s": 1200, "9.87 ms": 9.87} {
		if got, ok := parseMS(in); !ok || got != want {
			t.Errorf("parseMS(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := parseMS("n/a"); ok {
		t.Error("parseMS(n/a) is a number")
	}
	cmds := map[string]string{
		"fly proxy 1:2 -a db  # then more":      "fly proxy 1:2 -a db",
		"echo 'a # b' | tee x":                  "echo 'a # b' | tee x",
		"one\ntwo":                              "one",
		strings.Repeat("x", 121):                "",
		"fly apps destroy old-landing --yes":    "fly apps destroy old-landing --yes",
		"curl -w 'dns %{time_namelookup}s' url": "curl -w 'dns %{time_namelookup}s' url",
	}
	for in, want := range cmds {
		if got, _ := command(in); got != want {
			t.Errorf("command(%q) = %q, want %q", in, got, want)
		}
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands = %q", got)
	}
}
