package main

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

func TestStepLine(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		step runs.StepProgress
		want string
	}{
		{runs.StepProgress{ID: "dump", Status: runs.StatusSucceeded, Attempts: 2, StartedAt: t0, EndedAt: t0.Add(1200 * time.Millisecond)},
			"[3/12] ✅ dump (2 attempts, 1.2s)"},
		{runs.StepProgress{ID: "dump", Status: runs.StatusRunning, Attempts: 1, StartedAt: t0}, "[3/12] ⏳ dump (running)"},
		{runs.StepProgress{ID: "dump", Status: runs.StatusRunning, Attempts: 3, StartedAt: t0}, "[3/12] ⏳ dump (running, attempt 3)"},
		{runs.StepProgress{ID: "dump", Status: runs.StatusFailed, Attempts: 1, StartedAt: t0, EndedAt: t0.Add(125 * time.Second), Error: "exit status 3\nmore"},
			"[3/12] ❌ dump (1 attempt, 2m05s) — error: exit status 3 …"},
		{runs.StepProgress{ID: "dump", Status: runs.StatusSkipped, Note: "rejected by bob", Approval: &runs.Approval{By: "bob"}},
			"[3/12] ⏭️ dump (skipped) — rejected by bob"},
		{runs.StepProgress{ID: "dump", Status: runs.StatusWaitingApproval}, "[3/12] ⏸️ dump (waiting-approval)"},
		{runs.StepProgress{ID: "tell-ops", Status: runs.StatusSucceeded, Note: "completed by carol"}, "[3/12] ✅ tell-ops (succeeded) — completed by carol"},
	} {
		if got := stepLine(2, 12, tc.step, t0.Add(time.Hour)); got != tc.want {
			t.Errorf("stepLine(%s) = %q, want %q", tc.step.Status, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "-", 400 * time.Millisecond: "0.4s", 59 * time.Second: "59.0s",
		61 * time.Second: "1m01s", 3*time.Hour + 2*time.Minute: "3h02m",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWaitingHint(t *testing.T) {
	for status, want := range map[runs.StepStatus][]string{
		runs.StatusWaitingApproval: {"needs approval", "drillbook approve wf-1 gate --namespace prod", "--reject"},
		runs.StatusWaitingDecision: {"decide wf-1 gate retry", "decide wf-1 gate skip", "decide wf-1 gate abort"},
		runs.StatusWaitingManual:   {"complete wf-1 gate --note", "complete wf-1 gate --skip"},
	} {
		got := waitingHint("wf-1", runs.StepProgress{ID: "gate", Status: status, Error: "boom"}, " --namespace prod")
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: hint lacks %q:\n%s", status, w, got)
			}
		}
	}
	if got := waitingHint("wf", runs.StepProgress{ID: "x", Status: runs.StatusRunning}, ""); got != "" {
		t.Errorf("running step got a hint: %q", got)
	}
	if got := waitingHint("it's", runs.StepProgress{ID: "a b", Status: runs.StatusWaitingApproval}, ""); !strings.Contains(got, `approve 'it'\''s' 'a b'`) {
		t.Errorf("ids are not shell-quoted: %q", got)
	}
}

func TestWriteProgressAlignsEmoji(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var buf bytes.Buffer
	writeProgress(&buf, runs.Progress{WorkflowID: "wf", RunbookID: "rb", Title: "A runbook", Hash: strings.Repeat("ab", 32),
		Status: runs.RunRunning, StartedAt: t0, Operator: "alice", Steps: []runs.StepProgress{
			{ID: "one", Status: runs.StatusSucceeded, Attempts: 1, StartedAt: t0, EndedAt: t0.Add(time.Second)},
			{ID: "two", Status: runs.StatusSkipped, Note: "condition is false"},
			{ID: "three", Status: runs.StatusPending},
		}}, t0.Add(time.Minute))
	out := buf.String()
	for _, want := range []string{"Runbook   rb — A runbook (hash abababababab)", "Status    ⏳ running, started by alice",
		"Started   2025-01-02 03:04:05 UTC", "✅ succeeded", "⏭️ skipped", "condition is false"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteTableAlignsEmoji(t *testing.T) {
	var buf bytes.Buffer
	writeTable(&buf, [][]string{
		{"#", "STATUS", "END"},
		{"1", statusIcon(runs.StatusSucceeded) + " succeeded", "END"},
		{"2", statusIcon(runs.StatusSkipped) + " skipped", "END"},
		{"10", statusIcon(runs.StatusWaitingManual) + " waiting-manual", "END"},
		{"11", statusIcon(runs.StatusPending) + " pending", "END"},
	})
	var cols []int
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		cols = append(cols, displayWidth(line[:strings.LastIndex(line, "END")]))
	}
	for _, c := range cols {
		if c != cols[0] {
			t.Errorf("last column at display columns %v:\n%s", cols, buf.String())
			break
		}
	}
}

func TestCleanError(t *testing.T) {
	in := "runbook fails failed: step break failed: activity error (type: RunShell, scheduledEventID: 12, startedEventID: 13, " +
		"identity: 26785@vm@): shell step break exited with code 3: broken (type: ShellExitCode, retryable: true)"
	want := "runbook fails failed: step break failed: shell step break exited with code 3: broken"
	if got := cleanError(in); got != want {
		t.Errorf("cleanError = %q, want %q", got, want)
	}
}

func TestInputsFlag(t *testing.T) {
	var f inputsFlag
	for _, s := range []string{"source=env:DATABASE_URL", "empty=", "eq=a=b"} {
		if err := f.Set(s); err != nil {
			t.Fatalf("Set(%q): %v", s, err)
		}
	}
	m := f.Map()
	if m["source"] != "env:DATABASE_URL" || m["empty"] != "" || m["eq"] != "a=b" || len(m) != 3 {
		t.Errorf("Map() = %v", m)
	}
	for _, bad := range []string{"novalue", "=x", " =x", "source=again", "a b=c"} {
		if err := f.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	if (&inputsFlag{}).Map() != nil {
		t.Error("no inputs should be a nil map (the workflow's default)")
	}
}

func TestNewWorkflowID(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	id, err := newWorkflowID("My Drill.md", now)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^My-Drill-20250304T040607-[0-9a-f]{4}$`).MatchString(id) {
		t.Errorf("id %q", id)
	}
	if got := idSlug("../"); got != "run" {
		t.Errorf("idSlug(../) = %q", got)
	}
}

func TestRunOutcomeExitCodes(t *testing.T) {
	result := workflows.RunRunbookResult{WorkflowID: "wf", Status: runs.RunFailed,
		Steps: map[string]int{"failed": 1, "not-run": 2}, Findings: map[string]int{"high": 1},
		Report: runs.ReportPaths{Markdown: runs.Artifact{Path: "reports/wf/report.md"}}}
	for _, tc := range []struct {
		name string
		err  error
		code int
		out  string
	}{
		{"bad input", temporal.NewNonRetryableApplicationError("bad workflow input: x", workflows.ErrBadInput, nil), exitBadUsage, "Run rejected: bad input"},
		{"runbook not found", fmt.Errorf("workflow: %w", temporal.NewNonRetryableApplicationError("runbook \"x\" not found", activities.ErrRunbookNotFound, errors.New("cause"))), exitBadUsage, ""},
		{"runbook invalid", temporal.NewNonRetryableApplicationError("lint", activities.ErrRunbookInvalid, nil), exitBadUsage, ""},
		{"runbook failed", temporal.NewNonRetryableApplicationError("runbook x failed", workflows.ErrRunbookFailed, nil, result), exitFailed, "Findings  1 (1 high)"},
		{"canceled", temporal.NewCanceledError(), exitFailed, "canceled"},
		{"other", errors.New("boom"), exitFailed, "Run failed"},
	} {
		var buf bytes.Buffer
		err := runOutcome(&buf, "wf", workflows.RunRunbookResult{}, tc.err)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != tc.code {
			t.Errorf("%s: %v, want exit %d", tc.name, err, tc.code)
		}
		if !strings.Contains(buf.String(), tc.out) {
			t.Errorf("%s: output lacks %q: %q", tc.name, tc.out, buf.String())
		}
	}
	var buf bytes.Buffer
	ok := workflows.RunRunbookResult{WorkflowID: "wf", Status: runs.RunSucceeded, Steps: map[string]int{"succeeded": 2}}
	if err := runOutcome(&buf, "wf", ok, nil); err != nil || !strings.Contains(buf.String(), "Steps     2 succeeded") {
		t.Errorf("success: %v, %q", err, buf.String())
	}
}
