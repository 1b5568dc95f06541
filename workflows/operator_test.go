package workflows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hotdash/drillbook/runs"
)

const gatedRunbook = "# Gate\n\n```sh {id=first}\nfirst\n```\n\n```sh {id=risky approval=required}\nrisky\n```\n\n```sh {id=last}\nlast\n```\n"

type updateOutcome struct {
	rejected error
	result   any
	err      error
}

func sendUpdate(env *testsuite.TestWorkflowEnvironment, name string, arg any) *updateOutcome {
	out := &updateOutcome{}
	env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { out.rejected = err },
		OnComplete: func(r any, err error) { out.result, out.err = r, err },
	}, arg)
	return out
}

func TestApproveByUpdate(t *testing.T) {
	env, f := newEnv(t, gatedRunbook)
	var early, approved *updateOutcome
	env.RegisterDelayedCallback(func() {
		if s := stepOf(t, progressOf(t, env), "risky"); s.Status != runs.StatusWaitingApproval {
			t.Errorf("risky: %s, want waiting-approval", s.Status)
		}
		early = sendUpdate(env, ApproveOp, ApproveRequest{Step: "first", By: "bob"})
		approved = sendUpdate(env, ApproveOp, ApproveRequest{Step: "risky", By: "alice", Reason: "change window"})
	}, time.Hour)
	env.ExecuteWorkflow(RunRunbookWorkflow, nil)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if early.rejected == nil || !strings.Contains(early.rejected.Error(), `step "first" is succeeded, not waiting-approval`) {
		t.Errorf("approving a step that is not waiting: %v", early.rejected)
	}
	if approved.rejected != nil || approved.err != nil {
		t.Fatalf("approve refused: %v %v", approved.rejected, approved.err)
	}
	s := stepOf(t, progressOf(t, env), "risky")
	if s.Status != runs.StatusSucceeded || s.Approval == nil || s.Approval.By != "alice" || s.Approval.Reason != "change window" {
		t.Fatalf("risky: %+v", s)
	}
	if got := strings.Join(f.calls, ","); got != "first,risky,last" {
		t.Errorf("calls %s", got)
	}
}

func TestRejectBySignalSkipsWithFinding(t *testing.T) {
	env, f := newEnv(t, gatedRunbook)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(ApproveOp, ApproveRequest{Step: "nope"}) // ignored: unknown step
		env.SignalWorkflow(ApproveOp, ApproveRequest{Step: "risky", Reject: true, By: "carol", Reason: "not today"})
	}, time.Hour)
	env.ExecuteWorkflow(RunRunbookWorkflow, nil)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	s := stepOf(t, progressOf(t, env), "risky")
	if s.Status != runs.StatusSkipped || s.Findings != 1 || !strings.Contains(s.Result.Findings[0].Title, "rejected by carol") {
		t.Fatalf("risky: %+v", s)
	}
	if got := strings.Join(f.calls, ","); got != "first,last" {
		t.Errorf("calls %s: a rejected step must not run", got)
	}
}

func TestApprovalTimeoutSkips(t *testing.T) {
	env, f := newEnv(t, gatedRunbook)
	env.ExecuteWorkflow(RunRunbookWorkflow, RunRunbookInput{ApprovalTimeout: "30m"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	s := stepOf(t, progressOf(t, env), "risky")
	if s.Status != runs.StatusSkipped || s.Findings != 1 {
		t.Fatalf("risky: %+v", s)
	}
	if strings.Contains(strings.Join(f.calls, ","), "risky") {
		t.Error("a step nobody approved ran")
	}
}

func TestPauseThenRetryThenSkip(t *testing.T) {
	rb := "# Pause\n\n```sh {id=p1 on_failure=pause}\nflaky\n```\n\n```sh {id=p2 on_failure=pause}\nfalse\n```\n\n```sh {id=end}\nend\n```\n"
	env, f := newEnv(t, rb)
	f.failures["flaky"] = 1
	var bad *updateOutcome
	env.RegisterDelayedCallback(func() {
		if s := stepOf(t, progressOf(t, env), "p1"); s.Status != runs.StatusWaitingDecision {
			t.Errorf("p1: %s", s.Status)
		}
		bad = sendUpdate(env, DecideOp, DecideRequest{Step: "p1", Decision: "later"})
		sendUpdate(env, DecideOp, DecideRequest{Step: "p1", Decision: "retry", By: "dan"})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		if s := stepOf(t, progressOf(t, env), "p2"); s.Status != runs.StatusWaitingDecision {
			t.Errorf("p2: %s", s.Status)
		}
		env.SignalWorkflow(DecideOp, DecideRequest{Step: "p2", Decision: "skip", By: "dan"})
	}, 2*time.Hour)
	env.ExecuteWorkflow(RunRunbookWorkflow, nil)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if bad.rejected == nil {
		t.Error("an unknown decision word was accepted")
	}
	p := progressOf(t, env)
	if s := stepOf(t, p, "p1"); s.Status != runs.StatusSucceeded || s.Attempts != 2 {
		t.Errorf("p1: %s after %d attempts", s.Status, s.Attempts)
	}
	if s := stepOf(t, p, "p2"); s.Status != runs.StatusSkipped {
		t.Errorf("p2: %s", s.Status)
	}
	if got := strings.Join(f.calls, ","); got != "p1,p1,p2,end" {
		t.Errorf("calls %s", got)
	}
}

func TestRawInputs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		raw     string
		wantErr []string
	}{
		{"null", "null", nil},
		{"empty object", "{}", nil},
		{"unknown field", `{"runbook":"x","bogus":1}`, []string{`unknown field "bogus"`}},
		{"wrong type", `{"inputs":"str"}`, []string{`field "inputs"`}},
		{"every problem at once", `{"bogus":1,"apply":"yes","manual":"later"}`, []string{`unknown field "bogus"`, `field "apply"`}},
		{"not an object", `[1,2]`, []string{"must be a JSON object"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := newEnv(t, "# R\n\n```sh {id=only}\nonly\n```\n")
			env.ExecuteWorkflow(RunRunbookWorkflow, jsonRaw(tc.raw))
			err := env.GetWorkflowError()
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("want defaults, got %v", err)
				}
				return
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != ErrBadInput || !appErr.NonRetryable() {
				t.Fatalf("want a non-retryable BadInput error, got %v", err)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}
