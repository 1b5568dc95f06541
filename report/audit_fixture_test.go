package report

import (
	"time"

	"github.com/hotdash/drillbook/runs"
)

// The section paths of runbooks/reliability-audit.md.
var (
	secRoot     = "HotDash reliability audit"
	secFly      = []string{secRoot, "Priorities", "Fly inventory"}
	secSynth    = []string{secRoot, "Priorities", "Synthetic monitoring"}
	secHealth   = []string{secRoot, "Priorities", "Health endpoints"}
	secDR       = []string{secRoot, "Priorities", "Disaster recovery"}
	secRemedy   = []string{secRoot, "Remediation"}
	secReport   = []string{secRoot, "Report"}
	auditInputs = []runs.InputValue{
		{Name: "org", Value: "personal"}, {Name: "fly_token_env", Value: "FLY_API_TOKEN"},
		{Name: "worker_memory_floor", Value: "2048"}, {Name: "fly_policy", Value: "no Fly Postgres apps; Supabase only"},
		{Name: "staging_url", Value: "https://hotdash-staging.fly.dev"}, {Name: "chatwoot_url", Value: "https://hotdash-chatwoot.fly.dev"},
		{Name: "probe_samples", Value: "50"}, {Name: "latency_budget", Value: "800ms"},
		{Name: "database", Value: "***", Secret: true}, {Name: "rto_budget", Value: "30m"}, {Name: "rpo_budget", Value: "24h"},
	}
)

func sha(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = "0123456789abcdef"[(int(c)+i)%16]
	}
	return string(b)
}

// auditSucceeded is the HotDash audit as the demo runs it: the sandbox's
// five apps, both targets within budget, Chatwoot healthy, staging without
// a health route, and a backup restored and verified; remediation dry-run.
func auditSucceeded() runs.Progress {
	p := runs.Progress{
		WorkflowID: "reliability-audit-20261203-130000", RunbookID: "reliability-audit", Title: "HotDash reliability audit",
		Hash: sha(1), Status: runs.RunSucceeded, StartedAt: t0, EndedAt: at(4*time.Minute + 12*time.Second),
		Operator: "alice", Inputs: auditInputs,
	}
	p.Steps = append(p.Steps, flyInventoryStep(), probeStep(false))
	p.Steps = append(p.Steps, healthSteps()...)
	p.Steps = append(p.Steps, drSteps(true)...)
	p.Steps = append(p.Steps, remediationSteps()...)
	return p
}

// auditDegraded is the same estate on a worker without PostgreSQL client
// tools, with staging over its latency budget, started by nobody known.
func auditDegraded() runs.Progress {
	p := auditSucceeded()
	p.WorkflowID, p.Operator, p.EndedAt = "reliability-audit-degraded", "", at(95*time.Second)
	p.Steps = append([]runs.StepProgress{flyInventoryStep(), probeStep(true)}, healthSteps()...)
	p.Steps = append(append(p.Steps, drSteps(false)...), remediationSteps()...)
	return p
}

func flyInventoryStep() runs.StepProgress {
	return runs.StepProgress{ID: "inventory", Title: "Fly inventory", Kind: "action", Action: "fly.inventory", Section: secFly,
		Description: "Lists every app, process group and machine in the organization.",
		Status:      runs.StatusSucceeded, Attempts: 1, StartedAt: at(0), EndedAt: at(2400 * time.Millisecond), Findings: 4,
		Result: &runs.ActionResult{
			Summary: "Inventoried 4 apps with 6 machines (4 started, 2 stopped) in org personal: 4 findings (1 high, 1 medium, 2 low). Full inventory: fly/inventory-20261203T130000Z.json.",
			Outputs: map[string]string{"api_requests": "9", "apps": "4", "artifact": "fly/inventory-20261203T130000Z.json", "failed_apps": "0",
				"findings": "4", "machines": "6", "machines_started": "4", "oom_app": "hotdash-chatwoot", "oom_machine": "6e82d4e7b11d28",
				"oom_machines": "1", "oom_memory_mb": "512", "oom_recommended_mb": "2048", "org": "personal", "rate_limited": "0",
				"unused_app": "time-purple-wildflower-3973", "unused_apps": "1", "unused_yearly_usd": "23.28"},
			Findings: []runs.Finding{
				{Severity: runs.SeverityHigh, Category: "fly", Subject: "hotdash-chatwoot/6e82d4e7b11d28",
					Title:      "hotdash-chatwoot worker machine 6e82d4e7b11d28 was OOM-killed 1 time(s) with 512 MB",
					Impact:     "The kernel killed the process for running out of memory: work in flight (requests, background jobs) was lost and the machine restarted.",
					Resolution: "fly machine update 6e82d4e7b11d28 --memory 2048 -a hotdash-chatwoot",
					Evidence:   "oom_killed exits at 2026-11-29T20:08:45Z; the worker floor is 2048 MB"},
				{Severity: runs.SeverityMedium, Category: "fly", Subject: "hotdash-staging-db",
					Title:      `Fly Postgres app hotdash-staging-db breaks the policy "no Fly Postgres apps; Supabase only"`,
					Impact:     "Fly Postgres is not a managed database: backups, failover, upgrades and disk space are the team's job, and the policy says databases belong on Supabase.",
					Resolution: "fly proxy 15432:5432 -a hotdash-staging-db  # then pg_dump through localhost:15432, restore into Supabase, repoint the apps, and only then: fly apps destroy hotdash-staging-db --yes",
					Evidence:   "Fly Postgres image or role on machine 5683d471c10e8e"},
				{Severity: runs.SeverityLow, Category: "fly", Subject: "hotdash-staging", Title: "1 of 2 app machines of hotdash-staging are stopped",
					Impact:     "Less capacity and no redundancy: one more failure takes the process group down.",
					Resolution: "fly machine start 1781e52c4d7408 -a hotdash-staging",
					Evidence:   "1781e52c4d7408 stopped since 2026-11-28T18:22:31Z (restart policy on-failure)"},
				{Severity: runs.SeverityLow, Category: "cost", Subject: "time-purple-wildflower-3973", Title: "Unused app time-purple-wildflower-3973 (suspended)",
					Impact:     "Nobody uses it, yet it keeps its IPs, certificates, volumes and images, and stays one more thing to patch and watch. Estimated $23.28/year at the configured prices (shared-cpu-1x:256 at $1.94/month, billed as if running).",
					Resolution: "fly apps destroy time-purple-wildflower-3973 --yes",
					Evidence:   "status suspended; last machine event 2026-06-19T08:31:40Z (167 days before this audit); 91857e3b6c2d48 stopped shared-cpu-1x 256 MB"},
			},
			Tables: []runs.Table{{Title: "Fly apps", Columns: []string{"App", "Type", "Memory", "Status", "Notes"}, Rows: [][]string{
				{"hotdash-chatwoot", "app", "2 GB", "started", "checks passing"},
				{"hotdash-chatwoot", "worker", "512 MB", "started", "OOM-killed 1× (last 2026-11-29 20:08 UTC)"},
				{"hotdash-staging", "app", "2 GB ×2", "1 started, 1 stopped", "checks passing"},
				{"hotdash-staging-db", "Fly Postgres", "256 MB", "started", "breaks policy: no Fly Postgres apps; Supabase only; checks passing"},
				{"time-purple-wildflower-3973", "app", "256 MB", "stopped (app suspended)", "unused: destroy candidate (~$23.28/year)"},
			}}},
			Artifacts: []runs.Artifact{{Path: "fly/inventory-20261203T130000Z.json", Bytes: 14_212, SHA256: sha(2)}},
		}}
}

// probeStep is http.probe over staging and Chatwoot's API; slow puts
// staging over the 800 ms budget.
func probeStep(slow bool) runs.StepProgress {
	staging := []string{"staging", "50", "0", "521 ms", "498 ms", "612 ms", "688 ms", "731 ms", "800 ms", "PASS (p95)"}
	out := map[string]string{"pass": "true", "budget_ms": "800", "percentile": "p95", "targets": "2", "failed_targets": "",
		"samples_path":   "monitoring/synthetic-check-20261203T130000.012Z.json",
		"staging.avg_ms": "521", "staging.p95_ms": "612", "staging.n": "50", "staging.errors": "0", "staging.pass": "true",
		"chatwoot-api.avg_ms": "298", "chatwoot-api.p95_ms": "377", "chatwoot-api.n": "50", "chatwoot-api.errors": "0", "chatwoot-api.pass": "true"}
	summary := "2 target(s), 50 sample(s) each, budget judged on p95 (nearest-rank percentiles): 2 passed, 0 failed\n" +
		"staging: p95 612 ms within the 800 ms budget; 521 ms average, 35% under the 800 ms target\n" +
		"chatwoot-api: p95 377 ms within the 800 ms budget; 298 ms average, 63% under the 800 ms target"
	var findings []runs.Finding
	phases := []string{"staging", "1.2", "21.4", "44.8", "431", "498"}
	if slow {
		phases = []string{"staging", "1.2", "21.4", "44.8", "602", "655"}
		staging = []string{"staging", "50", "0", "702 ms", "655 ms", "912 ms", "1.04 s", "1.10 s", "800 ms", "FAIL (p95)"}
		out["pass"], out["failed_targets"], out["staging.pass"], out["staging.avg_ms"], out["staging.p95_ms"] = "false", "staging", "false", "702", "912"
		summary = "2 target(s), 50 sample(s) each, budget judged on p95 (nearest-rank percentiles): 1 passed, 1 failed"
		findings = []runs.Finding{{Severity: runs.SeverityHigh, Category: "latency", Subject: "staging",
			Title:      "staging p95 912 ms is over the 800 ms budget",
			Impact:     "702 ms average, 12% under the 800 ms target; users wait longer than the target (p50 655 ms, p95 912 ms, p99 1.04 s, max 1.10 s over n=50)",
			Resolution: "curl -sS -o /dev/null -w 'dns %{time_namelookup}s connect %{time_connect}s tls %{time_appconnect}s first byte %{time_starttransfer}s total %{time_total}s\\n' https://hotdash-staging.fly.dev/",
			Evidence:   "median phases: DNS 1.20 ms, connect 21.4 ms, TLS 44.8 ms, first byte 602 ms, total p50 655 ms; most of it is waiting for the first byte: the server's own time"}}
	}
	return runs.StepProgress{ID: "synthetic", Title: "Synthetic monitoring", Kind: "action", Action: "http.probe", Section: secSynth,
		Status: runs.StatusSucceeded, Attempts: 1, StartedAt: at(0), EndedAt: at(26 * time.Second), Findings: len(findings),
		Result: &runs.ActionResult{Summary: summary, Outputs: out, Findings: findings,
			Tables: []runs.Table{
				{Title: "Synthetic latency", Columns: []string{"target", "n", "errors", "avg", "p50", "p95", "p99", "max", "budget", "verdict"},
					Rows: [][]string{staging, {"chatwoot-api", "50", "0", "298 ms", "281 ms", "377 ms", "402 ms", "455 ms", "800 ms", "PASS (p95)"}}},
				{Title: "Where the time goes (median ms)", Columns: []string{"target", "DNS", "connect", "TLS", "first byte", "total (p50)"},
					Rows: [][]string{phases, {"chatwoot-api", "1.1", "20.9", "43.7", "214", "281"}}},
			},
			Artifacts: []runs.Artifact{{Path: "monitoring/synthetic-check-20261203T130000.012Z.json", Bytes: 48_731, SHA256: sha(3)}}}}
}

func healthSteps() []runs.StepProgress {
	notFound := func(id, path string, start time.Duration) runs.StepProgress {
		url := "https://hotdash-staging.fly.dev" + path
		return runs.StepProgress{ID: id, Title: "Health endpoints", Kind: "action", Action: "http.health", Section: secHealth,
			Status: runs.StatusSucceeded, Attempts: 1, StartedAt: at(start), EndedAt: at(start + 300*time.Millisecond), Findings: 1,
			Result: &runs.ActionResult{Summary: "FAIL " + url + ": 404 in 142 ms\nmedium: no health endpoint at " + path + " (404)",
				Outputs: map[string]string{"status": "404", "pass": "false", "latency_ms": "142"},
				Findings: []runs.Finding{{Severity: runs.SeverityMedium, Category: "health", Subject: url,
					Title:      "no health endpoint at " + path + " (404)",
					Impact:     "nothing tells Fly (or anyone) whether a release is healthy: a machine that cannot reach its database keeps taking traffic; single-page apps (React Router) answer 404 for every path they do not know",
					Resolution: "add a route at " + path + " that answers 200 only when the app's dependencies answer, then check it in fly.toml: [[http_service.checks]] method = \"GET\" path = \"" + path + "\" interval = \"15s\" timeout = \"5s\"; fly deploy",
					Evidence:   "GET " + url + " answered 404: <!doctype html><html><head><title>HotDash</title>…"}},
				Tables: []runs.Table{{Title: "Health: " + url, Columns: []string{"field", "value", "expected", "result"},
					Rows: [][]string{{"(status)", "404", "200", "FAIL"}}}}}}
	}
	return []runs.StepProgress{
		{ID: "chatwoot-health", Title: "Health endpoints", Kind: "action", Action: "http.health", Section: secHealth,
			Description: "Chatwoot's `/api` answers 200 even when Redis or Postgres is failing, so the body decides.",
			Status:      runs.StatusSucceeded, Attempts: 1, StartedAt: at(0), EndedAt: at(400 * time.Millisecond),
			Result: &runs.ActionResult{Summary: "PASS https://hotdash-chatwoot.fly.dev/api: 200 in 184 ms, version 4.6.0",
				Outputs: map[string]string{"status": "200", "pass": "true", "latency_ms": "184", "version": "4.6.0",
					"queue_services": "ok", "data_services": "ok"},
				Tables: []runs.Table{{Title: "Health: https://hotdash-chatwoot.fly.dev/api", Columns: []string{"field", "value", "expected", "result"},
					Rows: [][]string{{"(status)", "200", "200", "ok"}, {"data_services", "ok", "ok", "ok"}, {"queue_services", "ok", "ok", "ok"},
						{"timestamp", "2026-12-03 13:00:00", "", ""}, {"version", "4.6.0", "", ""}}}}}},
		notFound("staging-health", "/hc", 500*time.Millisecond),
		notFound("staging-rails-health", "/rails/health", 900*time.Millisecond),
	}
}

// drSteps is the restore drill; without tools, preflight finds no pg_dump
// and the later steps do not run.
func drSteps(tools bool) []runs.StepProgress {
	step := func(id, action string, st runs.StepStatus, from, to time.Duration, res *runs.ActionResult) runs.StepProgress {
		s := runs.StepProgress{ID: id, Title: "Disaster recovery", Kind: "action", Action: action, Section: secDR, Status: st, Result: res}
		if st == runs.StatusSucceeded || st == runs.StatusFailed {
			s.Attempts, s.StartedAt, s.EndedAt = 1, at(from), at(to)
		}
		return s
	}
	if !tools {
		preflight := step("dr-preflight", "postgres.preflight", runs.StatusFailed, 0, 600*time.Millisecond, &runs.ActionResult{
			Summary: "server 16.4, no usable pg_dump on the worker",
			Findings: []runs.Finding{{Severity: runs.SeverityCritical, Category: "dr", Subject: "hotdash",
				Title:      "No pg_dump on the worker can dump PostgreSQL 16.4",
				Impact:     `pg_dump aborts with "server version mismatch": no backup of this database can be taken, so none can be restored`,
				Resolution: "sudo apt-get install -y postgresql-client-16   # Debian/Ubuntu with the PGDG repository; RHEL: dnf install postgresql16; macOS: brew install postgresql@16. drillbook then finds it under /usr/lib/postgresql/16/bin (or set DRILLBOOK_PG_BIN_DIRS)",
				Evidence:   "no pg_dump found on the worker's PATH or in /usr/lib/postgresql/*/bin"}}})
		preflight.Error, preflight.Findings = "postgres.preflight: No pg_dump on the worker can dump PostgreSQL 16.4", 1
		backup := step("dr-backup", "postgres.backup", runs.StatusFailed, time.Second, 1300*time.Millisecond, nil)
		backup.Error = "postgres.backup: pg_dump not found: install the PostgreSQL client tools"
		skipped := func(id, action, note string) runs.StepProgress {
			s := step(id, action, runs.StatusSkipped, 0, 0, nil)
			s.Note = note
			return s
		}
		drop := skipped("dr-drop-scratch", "postgres.drop_scratch", "nothing to drop: no scratch database was created")
		drop.Cleanup = true
		return []runs.StepProgress{preflight, backup,
			skipped("dr-restore", "postgres.restore", "when: ${steps.dr-backup.outputs.path} != '' is false"),
			skipped("dr-verify", "postgres.verify", "when: ${steps.dr-restore.outputs.scratch} != '' is false"), drop}
	}
	drop := step("dr-drop-scratch", "postgres.drop_scratch", runs.StatusSucceeded, 4*time.Minute+5*time.Second, 4*time.Minute+6*time.Second,
		&runs.ActionResult{Summary: "dropped drill_hotdash_20261203t130012", Outputs: map[string]string{"dropped": "drill_hotdash_20261203t130012", "count": "1"}})
	drop.Cleanup = true
	return []runs.StepProgress{
		step("dr-preflight", "postgres.preflight", runs.StatusSucceeded, 0, 700*time.Millisecond, &runs.ActionResult{
			Summary: "server 16.4, pg_dump 16.4 (/usr/lib/postgresql/16/bin/pg_dump), database hotdash of 61.3 MiB, 2 extension(s)",
			Outputs: map[string]string{"server": "16.4", "server_major": "16", "client": "16.4", "client_path": "/usr/lib/postgresql/16/bin/pg_dump",
				"database": "hotdash", "size": "61.3 MiB", "size_bytes": "64277299", "extensions": "plpgsql,pgcrypto", "mismatch": "false"}}),
		step("dr-backup", "postgres.backup", runs.StatusSucceeded, time.Second, 9400*time.Millisecond, &runs.ActionResult{
			Summary: "pg_dump of hotdash: 48.2 MiB in 8.4s, 12 table(s), 1234567 row(s)",
			Outputs: map[string]string{"path": "backups/2026-12-03/hotdash-130001.dump", "bytes": "50541363", "size": "48.2 MiB", "sha256": sha(4),
				"duration_s": "8.4", "manifest": "backups/2026-12-03/hotdash-130001.manifest.json", "tables": "12", "rows": "1234567",
				"newest": "2026-12-03T12:59:00Z", "snapshot_at": "2026-12-03T13:00:01Z", "database": "hotdash", "client": "16.4"},
			Artifacts: []runs.Artifact{{Path: "backups/2026-12-03/hotdash-130001.dump", Bytes: 50_541_363, SHA256: sha(4)},
				{Path: "backups/2026-12-03/hotdash-130001.manifest.json", Bytes: 3_911, SHA256: sha(5)}}}),
		step("dr-restore", "postgres.restore", runs.StatusSucceeded, 10*time.Second, 41200*time.Millisecond, &runs.ActionResult{
			Summary: "restored backups/2026-12-03/hotdash-130001.dump into drill_hotdash_20261203t130012 in 31.2s (2 jobs)",
			Outputs: map[string]string{"scratch": "drill_hotdash_20261203t130012", "started_at": "2026-12-03T13:00:10Z", "duration_s": "31.2",
				"warnings": "0", "errors_ignored": "0", "backup": "backups/2026-12-03/hotdash-130001.dump", "jobs": "2"}}),
		step("dr-verify", "postgres.verify", runs.StatusSucceeded, 42*time.Second, 52*time.Second, &runs.ActionResult{
			Summary: "12 table(s), 1234567 row(s) compared with the backup's manifest: all match; RTO 42.0s (budget 30m00s), RPO 1m00s (budget 24h00m)",
			Outputs: map[string]string{"match": "true", "tables": "12", "mismatched": "0", "rto_s": "42.0", "rpo_s": "60.0", "rto": "42.0s",
				"rpo": "1m00s", "rto_budget": "30m0s", "rpo_budget": "24h0m0s", "rto_ok": "true", "rpo_ok": "true",
				"newest": "2026-12-03T12:59:00Z", "verified_at": "2026-12-03T13:00:52Z"},
			Tables: []runs.Table{{Title: "Recovery objectives", Columns: []string{"objective", "measured", "budget", "status", "basis"},
				Rows: [][]string{{"RTO (restore start to verified)", "42.0s", "30m00s", "✅ within budget", "restore started 2026-12-03T13:00:10Z"},
					{"RPO (data loss if restored now)", "1m00s", "24h00m", "✅ within budget", "newest row 2026-12-03T12:59:00Z"}}}}}),
		drop,
	}
}

func remediationSteps() []runs.StepProgress {
	approved := &runs.Approval{Approved: true, By: "alice", Reason: "dry run first", At: at(3 * time.Minute)}
	return []runs.StepProgress{
		{ID: "scale-oom-machine", Title: "Remediation", Kind: "action", Action: "fly.scale_memory", Section: secRemedy,
			Status: runs.StatusSucceeded, Attempts: 1, StartedAt: at(3*time.Minute + time.Second), EndedAt: at(3*time.Minute + 2*time.Second), Approval: approved,
			Result: &runs.ActionResult{Summary: "Dry run: would set the memory of 1 of 1 machine(s) of hotdash-chatwoot to 2 GB; nothing was changed. Run with apply=true (and approval) to change it.",
				Outputs: map[string]string{"app": "hotdash-chatwoot", "before": "512", "after": "2048", "changed": "0", "planned": "1", "dry_run": "true"}}},
		{ID: "destroy-unused-app", Title: "Remediation", Kind: "action", Action: "fly.destroy_app", Section: secRemedy,
			Status: runs.StatusSucceeded, Attempts: 1, StartedAt: at(3*time.Minute + 3*time.Second), EndedAt: at(3*time.Minute + 4*time.Second), Approval: approved,
			Result: &runs.ActionResult{Summary: "Dry run: would destroy app time-purple-wildflower-3973 (status suspended, 1 machine(s), 0 started); nothing was changed. Run with apply=true (and approval) to destroy it.",
				Outputs: map[string]string{"app": "time-purple-wildflower-3973", "status": "suspended", "machines": "1", "destroyed": "false", "already_gone": "false", "dry_run": "true"}}},
		{ID: "report", Title: "Report", Kind: "shell", Section: secReport, Status: runs.StatusSucceeded, Attempts: 1,
			StartedAt: at(4 * time.Minute), EndedAt: at(4*time.Minute + 50*time.Millisecond),
			Result: &runs.ActionResult{Outputs: map[string]string{"audited_org": "personal", "latency_budget": "800ms", "finished_at": "2026-12-03T13:04:00Z"},
				Artifacts: []runs.Artifact{{Path: "reliability-audit-20261203-130000/report.log", Bytes: 0, SHA256: sha(6)}}}},
	}
}
