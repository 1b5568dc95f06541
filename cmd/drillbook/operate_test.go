package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// start runs `drillbook run` without --wait and fails the test unless it
// exits 0.
func (e *clientTestEnv) start(t *testing.T, args ...string) {
	t.Helper()
	code, out, errOut := e.cli(t, append([]string{"run"}, args...)...)
	if code != exitOK {
		t.Fatalf("run %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
	}
}

func (e *clientTestEnv) testRunWaitShowsApprovalCommand(t *testing.T) {
	const id = "gated-wait"
	// Approve from the side, through the SDK, once the step waits.
	approved := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			p, err := queryProgressOnce(context.Background(), e.c, id, 5*time.Second)
			if err == nil && len(p.Steps) > 0 && p.Steps[0].Status == runs.StatusWaitingApproval {
				time.Sleep(3 * pollEvery) // let the live view see the waiting step
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				h, err := e.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.ApproveOp,
					Args: []any{workflows.ApproveRequest{Step: "gate", By: "bot"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
				if err == nil {
					err = h.Get(ctx, nil)
				}
				cancel()
				approved <- err
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		approved <- context.DeadlineExceeded
	}()
	code, out, errOut := e.cli(t, "run", "gated", "--wait", "--id", id)
	if err := <-approved; err != nil {
		t.Fatalf("approve: %v", err)
	}
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"⏸️  WAITING: step gate needs approval", "→ drillbook approve gated-wait gate --address ",
		"[1/2] ✅ gate (1 attempt,", "approved by bot", "✅ Run succeeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func (e *clientTestEnv) testApprove(t *testing.T) {
	const id = "gated-approve"
	e.start(t, "gated", "--id", id)
	e.waitForStep(t, id, "gate", runs.StatusWaitingApproval)
	code, out, errOut := e.cli(t, "approve", id, "gate", "--by", "alice", "--reason", "change window")
	if code != exitOK || strings.TrimSpace(out) != "step gate approved" {
		t.Fatalf("approve: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	res, err := e.result(t, id)
	if err != nil || res.Status != runs.RunSucceeded {
		t.Fatalf("run after approval: %+v, %v", res, err)
	}
	p, err := queryProgressOnce(context.Background(), e.c, id, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Steps[0].Approval; a == nil || !a.Approved || a.By != "alice" || a.Reason != "change window" {
		t.Errorf("approval recorded as %+v", a)
	}
}

func (e *clientTestEnv) testApproveNotWaiting(t *testing.T) {
	const id = "gated-refused"
	e.start(t, "gated", "--id", id)
	e.waitForStep(t, id, "gate", runs.StatusWaitingApproval)
	for _, tc := range []struct{ args, want string }{
		{"approve " + id + " after", `approve refused: step "after" is pending, not waiting-approval`},
		{"approve " + id + " nosuch", `approve refused: no step "nosuch"`},
		{"complete " + id + " gate", `complete refused: step "gate" is waiting-approval, not waiting-manual`},
		{"decide " + id + " gate retry", `decide refused: step "gate" is waiting-approval, not waiting-decision`},
		{"approve no-such-workflow gate", `not found`},
	} {
		code, out, errOut := e.cli(t, strings.Fields(tc.args)...)
		if code != exitFailed || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q (stdout %q)", tc.args, code, errOut, tc.want, out)
		}
	}
	// Reject ends the wait: the step is skipped and the run goes on.
	if code, out, errOut := e.cli(t, "approve", id, "gate", "--reject", "--reason", "not today"); code != exitOK {
		t.Fatalf("reject: exit %d, %q %q", code, out, errOut)
	}
	if res, err := e.result(t, id); err != nil || res.Steps[string(runs.StatusSkipped)] != 1 {
		t.Fatalf("run after rejection: %+v, %v", res, err)
	}
	code, _, errOut := e.cli(t, "approve", id, "gate")
	if code != exitFailed || !strings.Contains(errOut, "approve refused: run "+id+" is completed") {
		t.Errorf("approve on a closed run: exit %d, stderr %q", code, errOut)
	}
}

func (e *clientTestEnv) testDecideRetry(t *testing.T) {
	const id = "pause-retry"
	e.start(t, "pause", "--id", id, "--input", "marker="+filepath.Join(t.TempDir(), "m"))
	e.waitForStep(t, id, "flaky", runs.StatusWaitingDecision)
	code, out, errOut := e.cli(t, "decide", id, "flaky", "retry", "--by", "bob")
	if code != exitOK || strings.TrimSpace(out) != "step flaky: retry" {
		t.Fatalf("decide: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if res, err := e.result(t, id); err != nil || res.Status != runs.RunSucceeded {
		t.Fatalf("run after retry: %+v, %v", res, err)
	}
	p, err := queryProgressOnce(context.Background(), e.c, id, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Steps[0]; s.Status != runs.StatusSucceeded || s.Attempts != 2 {
		t.Errorf("flaky: %s after %d attempts, want succeeded after 2", s.Status, s.Attempts)
	}
}

func (e *clientTestEnv) testDecideSkip(t *testing.T) {
	const id = "pause-skip"
	e.start(t, "pause", "--id", id, "--input", "marker="+filepath.Join(t.TempDir(), "m"))
	e.waitForStep(t, id, "flaky", runs.StatusWaitingDecision)
	if code, out, errOut := e.cli(t, "decide", id, "flaky", "skip"); code != exitOK {
		t.Fatalf("decide: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	res, err := e.result(t, id)
	if err != nil || res.Steps[string(runs.StatusSkipped)] != 1 || res.Steps[string(runs.StatusSucceeded)] != 1 {
		t.Fatalf("run after skip: %+v, %v", res, err)
	}
}

func (e *clientTestEnv) testDecideAbort(t *testing.T) {
	const id = "pause-abort"
	e.start(t, "pause", "--id", id, "--input", "marker="+filepath.Join(t.TempDir(), "m"))
	e.waitForStep(t, id, "flaky", runs.StatusWaitingDecision)
	if code, out, errOut := e.cli(t, "decide", id, "flaky", "abort", "--by", "dave"); code != exitOK || strings.TrimSpace(out) != "step flaky: abort" {
		t.Fatalf("decide: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := e.result(t, id); err == nil || !strings.Contains(err.Error(), "flaky") {
		t.Fatalf("run after abort should fail naming the step: %v", err)
	}
}

func (e *clientTestEnv) testComplete(t *testing.T) {
	const id = "manual-complete"
	e.start(t, "manual", "--id", id)
	// The manual step's id comes from its text; find it in the progress.
	deadline := time.Now().Add(60 * time.Second)
	var step string
	for step == "" && time.Now().Before(deadline) {
		if p, err := queryProgressOnce(context.Background(), e.c, id, 5*time.Second); err == nil {
			for _, s := range p.Steps {
				if s.Status == runs.StatusWaitingManual {
					step = s.ID
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if step == "" {
		t.Fatal("no step waits for manual completion")
	}
	code, out, errOut := e.cli(t, "complete", id, step, "--note", "posted in #ops", "--by", "carol")
	if code != exitOK || strings.TrimSpace(out) != "step "+step+" completed" {
		t.Fatalf("complete: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if res, err := e.result(t, id); err != nil || res.Status != runs.RunSucceeded {
		t.Fatalf("run after complete: %+v, %v", res, err)
	}
	p, err := queryProgressOnce(context.Background(), e.c, id, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if note := p.Steps[0].Note; !strings.Contains(note, "carol") || !strings.Contains(note, "posted in #ops") {
		t.Errorf("manual step note %q should name carol and the note", note)
	}
}
