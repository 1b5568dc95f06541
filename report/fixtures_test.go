package report

import (
	"time"

	"github.com/hotdash/drillbook/runs"
)

var t0 = time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// fixtures are the runs the golden files show, one per file.
var fixtures = map[string]runs.Progress{
	"drill-succeeded": drillSucceeded(),
	"audit-failed":    auditFailed(),
	"running":         running(),
	"escaping":        escaping(),
	"empty":           {WorkflowID: "wf-empty", Status: runs.RunRunning},
}

func drillSucceeded() runs.Progress {
	return runs.Progress{
		WorkflowID: "restore-drill-20261203", RunbookID: "backup-restore", Title: "Backup and restore drill",
		Hash:   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Status: runs.RunSucceeded, StartedAt: t0, EndedAt: at(4*time.Minute + 12*time.Second),
		Operator: "alice",
		Inputs: []runs.InputValue{
			{Name: "source", Value: "***", Secret: true},
			{Name: "rto_budget", Value: "30m"},
		},
		Steps: []runs.StepProgress{
			{ID: "preflight", Title: "Preflight", Description: "Checks that the pg_dump client can dump this server.",
				Kind: "action", Action: "postgres.preflight", Section: []string{"Backup and restore drill", "Preflight"},
				Status: runs.StatusSucceeded, Attempts: 1, StartedAt: at(0), EndedAt: at(850 * time.Millisecond),
				Result: &runs.ActionResult{Summary: "server 16.4, pg_dump 16.4",
					Outputs: map[string]string{"server": "16.4", "client": "16.4", "mismatch": "false"}}},
			{ID: "dump", Title: "Take the backup", Kind: "shell", Status: runs.StatusSucceeded, Attempts: 2,
				StartedAt: at(time.Second), EndedAt: at(3*time.Minute + 1500*time.Millisecond),
				OutputTail: "pg_dump: dumping contents of table \"public.orders\"\npg_dump: saving database definition\n",
				Approval:   &runs.Approval{Approved: true, By: "alice", Reason: "drill window", At: at(500 * time.Millisecond)},
				Result: &runs.ActionResult{ExitCode: 0,
					Artifacts: []runs.Artifact{
						{Path: "restore-drill-20261203/dump.log", Bytes: 2048, SHA256: "aaaa000000000000000000000000000000000000000000000000000000000001"},
						{Path: "backups/2026-12-03/app-130001.dump", Bytes: 52_428_800, SHA256: "bbbb000000000000000000000000000000000000000000000000000000000002"},
					}}},
			{ID: "verify", Title: "Verify the restore", Kind: "sql", Status: runs.StatusSucceeded, Attempts: 1,
				StartedAt: at(3*time.Minute + 2*time.Second), EndedAt: at(4*time.Minute + 11*time.Second),
				Result: &runs.ActionResult{Summary: "1 statement(s) in 12ms (read-only, rolled back); last: SELECT 3",
					Outputs: map[string]string{"rows": "3"},
					Tables: []runs.Table{{Title: "verify", Columns: []string{"table", "source", "restored"},
						Rows: [][]string{{"orders", "1200", "1200"}, {"customers", "310", "310"}, {"events", "98211", "98211"}}}}}},
			{ID: "tell-ops", Title: "Tell #ops the drill has started", Kind: "manual", Status: runs.StatusSucceeded,
				Note: "posted in #ops", StartedAt: at(time.Second), EndedAt: at(20 * time.Second)},
		},
	}
}

func auditFailed() runs.Progress {
	p := runs.Progress{
		WorkflowID: "audit-2026-12-03", RunbookID: "reliability-audit", Title: "Reliability audit",
		Hash: "1111111111111111111111111111111111111111111111111111111111111111", Status: runs.RunFailed,
		StartedAt: t0, EndedAt: at(95 * time.Second), Apply: true,
		Error: "step health failed: GET https://staging.example.com/hc: 404",
		Steps: []runs.StepProgress{
			{ID: "inventory", Title: "Inventory", Kind: "action", Action: "fly.inventory", Status: runs.StatusSucceeded,
				Attempts: 1, StartedAt: at(0), EndedAt: at(2 * time.Second), Findings: 4,
				Result: &runs.ActionResult{Summary: "5 apps, 9 machines", Findings: []runs.Finding{
					{Severity: runs.SeverityInfo, Category: "fly", Title: "Machine in ams only", Subject: "chatwoot"},
					{Severity: runs.SeverityCritical, Category: "fly", Title: "OOM kills in the last 7 days", Subject: "hotdash-api",
						Impact: "Requests fail while the machine restarts; 14 kills this week.", Evidence: "exit_code=137 oom_killed=true ×14",
						Resolution: "fly scale memory 1024 -a hotdash-api"},
					{Severity: runs.SeverityHigh, Category: "dr", Title: "No backups configured", Subject: "hotdash-db",
						Impact: "- a lost volume loses all data", Evidence: "volumes:\n  vol_123: no snapshots\n  vol_456: no snapshots",
						Resolution: "fly volumes snapshots create vol_123\nfly volumes snapshots create vol_456"},
					{Severity: runs.SeverityLow, Category: "cost", Title: "Suspended app", Subject: "old-landing",
						Resolution: "fly apps destroy old-landing --yes"},
				}}},
			{ID: "latency", Title: "Synthetic latency", Kind: "action", Action: "http.probe", Status: runs.StatusFailed,
				Attempts: 3, StartedAt: at(3 * time.Second), EndedAt: at(33 * time.Second),
				Error: "p95 812ms over the 500ms budget",
				Result: &runs.ActionResult{Findings: []runs.Finding{
					{Severity: runs.SeverityMedium, Category: "latency", Title: "p95 over budget", Subject: "https://hotdash.example.com",
						Impact: "1. Slow dashboards", Evidence: "p50=210ms p95=812ms p99=1.4s"},
					{Severity: "urgent", Title: "Unranked finding"},
				}}},
			{ID: "health", Title: "Health endpoints", Kind: "action", Action: "http.health", Status: runs.StatusFailed,
				Attempts: 1, StartedAt: at(34 * time.Second), EndedAt: at(35 * time.Second),
				Error: "GET https://staging.example.com/hc: 404", OutputTail: "HTTP/1.1 404 Not Found\n"},
			{ID: "scale", Title: "Scale hotdash-api", Kind: "action", Action: "fly.scale_memory", Status: runs.StatusNotRun,
				Approval: &runs.Approval{Approved: false, By: "bob", Reason: "not during business hours", At: at(40 * time.Second)}},
			{ID: "chatwoot", Title: "Chatwoot check", Kind: "shell", Status: runs.StatusSkipped, Note: "when: inputs.chatwoot is false"},
			{ID: "dr-notes", Title: "Disaster recovery notes", Kind: "manual", Status: runs.StatusSkipped},
			{ID: "cleanup-tmp", Title: "Remove temporary files", Kind: "shell", Cleanup: true, Status: runs.StatusSucceeded,
				Attempts: 1, StartedAt: at(90 * time.Second), EndedAt: at(90*time.Second + 40*time.Millisecond)},
		},
	}
	return p
}

func running() runs.Progress {
	return runs.Progress{
		WorkflowID: "rb-42", RunbookID: "backup-restore", Title: "Backup and restore drill", Status: runs.RunRunning,
		StartedAt: t0,
		Steps: []runs.StepProgress{
			{ID: "preflight", Title: "Preflight", Kind: "action", Action: "postgres.preflight", Status: runs.StatusFailed,
				Attempts: 1, StartedAt: at(0), EndedAt: at(time.Second), Error: "pg_dump 15 cannot dump server 16"},
			{ID: "dump", Title: "Take the backup", Kind: "shell", Status: runs.StatusRunning, Attempts: 1, StartedAt: at(2 * time.Second)},
			{ID: "restore", Title: "Restore", Kind: "action", Action: "postgres.restore", Status: runs.StatusWaitingApproval},
			{ID: "decide", Title: "Decide", Kind: "shell", Status: runs.StatusWaitingDecision},
			{ID: "ops", Title: "Tell ops", Kind: "manual", Status: runs.StatusWaitingManual},
			{ID: "verify", Title: "Verify", Kind: "sql", Status: runs.StatusPending},
			{ID: "odd", Title: "Odd", Kind: "shell", Status: "exploded"},
		},
	}
}

// escaping holds text that breaks naive Markdown: pipes, backticks,
// emphasis, HTML, newlines, headings, and a secret value that leaked.
func escaping() runs.Progress {
	return runs.Progress{
		WorkflowID: "wf|`pipes`", RunbookID: "esc", Title: "Escaping *test* <b>bold</b> #1", Status: runs.RunCanceled,
		StartedAt: t0, EndedAt: at(time.Minute),
		Inputs: []runs.InputValue{
			{Name: "token", Value: "tok-leaked-123456", Secret: true}, // the workflow should have masked it
			{Name: "database", Value: "env:DATABASE_URL", Secret: true},
			{Name: "note", Value: "a | b\nc *d* [x](y)"},
		},
		Steps: []runs.StepProgress{
			{ID: "fences", Title: "Tail with ```` backticks", Kind: "shell", Status: runs.StatusFailed, Attempts: 1,
				StartedAt: at(0), EndedAt: at(500 * time.Millisecond),
				Description: "Runs `cat` on **purpose**.\n\n- [ ] checked by hand",
				Error:       "exited 1: token tok-leaked-123456 rejected",
				OutputTail:  "```\nnot a fence end\n````\n<script>alert(1)</script>\n",
				Result: &runs.ActionResult{
					Outputs: map[string]string{"weird|key": "v`1`", "plain": "x\ny"},
					Tables: []runs.Table{
						{Title: "Pipes | and\nnewlines", Columns: []string{"a|b", "c"},
							Rows: [][]string{{"1 | 2", "line1\nline2"}, {`back\slash\|`, "`tick`"}, {"short"}, {"x", "y", "extra"}}},
						{Title: "empty", Columns: []string{"only"}},
					},
					Findings: []runs.Finding{{Severity: runs.SeverityHigh, Title: "Fence in resolution",
						Resolution: "cat <<'EOF'\n```\nEOF", Impact: "## not a heading"}},
				}},
			{ID: "long-tail", Title: "Long tail", Kind: "shell", Status: runs.StatusSucceeded, Attempts: 1,
				StartedAt: at(time.Second), EndedAt: at(2 * time.Second),
				OutputTail: "first line is cut\n" + "é" + "0123456789abcdef\n0123456789abcdef\nlast line\n"},
		},
	}
}
