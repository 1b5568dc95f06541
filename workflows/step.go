package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/runbooks"
	"github.com/hotdash/drillbook/runs"
)

// riskyActions always need an operator's approval, whatever the runbook says.
var riskyActions = map[string]bool{"fly.scale_memory": true, "fly.destroy_app": true}

// runStep takes one step from pending to a final status. It returns an error
// only when the run is cancelled; a failed step that aborts the run sets
// r.failed instead.
func (r *runner) runStep(ctx workflow.Context, i int) error {
	step := &r.rb.Steps[i]
	sp := &r.progress.Steps[i]
	if step.Options.When != "" && !r.scope.evalWhen(step.Options.When) {
		r.setStatus(ctx, i, runs.StatusSkipped, "condition is false: "+step.Options.When)
		return nil
	}
	if step.Kind == runbooks.KindManual {
		return r.runManual(ctx, i)
	}
	if step.Options.Approval == "required" || riskyActions[step.Action] {
		approved, err := r.awaitApproval(ctx, i)
		if err != nil || !approved {
			return err
		}
	}
	for {
		err := r.attempt(ctx, i)
		if err == nil {
			r.setStatus(ctx, i, runs.StatusSucceeded, "")
			return nil
		}
		if ctx.Err() != nil {
			r.setStatus(ctx, i, runs.StatusFailed, "cancelled")
			return ctx.Err()
		}
		sp.Error = errorMessage(err)
		switch step.Options.OnFailure {
		case "continue":
			r.setStatus(ctx, i, runs.StatusFailed, "on_failure=continue: the run went on")
			return nil
		case "pause":
			choice, err := r.awaitDecision(ctx, i)
			if err != nil {
				return err
			}
			switch choice {
			case "retry":
				continue
			case "skip":
				r.setStatus(ctx, i, runs.StatusSkipped, "failed, then skipped: "+sp.Note)
				return nil
			}
		}
		r.setStatus(ctx, i, runs.StatusFailed, "")
		r.failed = true
		r.failure = fmt.Sprintf("step %s failed: %s", step.ID, sp.Error)
		return nil
	}
}

// runManual waits for an operator to complete or skip a task-list item, or
// records it as not run when the run was started with manual=skip.
func (r *runner) runManual(ctx workflow.Context, i int) error {
	step := &r.rb.Steps[i]
	if step.Checked {
		r.setStatus(ctx, i, runs.StatusSucceeded, "checked in the runbook")
		return nil
	}
	if r.in.Manual == "skip" {
		r.setStatus(ctx, i, runs.StatusNotRun, "manual step: the run was started with manual=skip")
		return nil
	}
	r.setStatus(ctx, i, runs.StatusWaitingManual, "")
	d, err := r.await(ctx, i, 0)
	if err != nil {
		return err
	}
	note := "completed by " + orUnknown(d.by)
	status := runs.StatusSucceeded
	if d.skip {
		note, status = "skipped by "+orUnknown(d.by), runs.StatusSkipped
	}
	if d.note != "" {
		note += ": " + d.note
	}
	r.setStatus(ctx, i, status, note)
	return nil
}

// awaitApproval waits for approve or reject (or the approval timeout). A
// rejected or timed-out step is skipped with a finding.
func (r *runner) awaitApproval(ctx workflow.Context, i int) (bool, error) {
	sp := &r.progress.Steps[i]
	r.setStatus(ctx, i, runs.StatusWaitingApproval, "")
	timeout, _ := parseDuration(r.in.ApprovalTimeout)
	d, err := r.await(ctx, i, timeout)
	if err != nil {
		return false, err
	}
	if d == nil {
		r.addFinding(i, runs.Finding{Severity: runs.SeverityMedium, Category: "approval",
			Title:  fmt.Sprintf("Step %q was not approved within %s", sp.ID, r.in.ApprovalTimeout),
			Impact: "the change it would make was not made",
			Resolution: fmt.Sprintf("drillbook run %s --input ... and approve step %s (drillbook approve WORKFLOW_ID %s)",
				r.rb.ID, sp.ID, sp.ID)})
		r.setStatus(ctx, i, runs.StatusSkipped, "approval timed out after "+r.in.ApprovalTimeout)
		return false, nil
	}
	sp.Approval = &runs.Approval{Approved: d.approve, By: d.by, Reason: d.note, At: d.at}
	if !d.approve {
		r.addFinding(i, runs.Finding{Severity: runs.SeverityMedium, Category: "approval",
			Title:  fmt.Sprintf("Step %q was rejected by %s", sp.ID, orUnknown(d.by)),
			Impact: "the change it would make was not made", Evidence: d.note})
		r.setStatus(ctx, i, runs.StatusSkipped, "rejected by "+orUnknown(d.by))
		return false, nil
	}
	return true, nil
}

// awaitDecision waits for retry, skip or abort on a failed step.
func (r *runner) awaitDecision(ctx workflow.Context, i int) (string, error) {
	r.setStatus(ctx, i, runs.StatusWaitingDecision, "")
	d, err := r.await(ctx, i, 0)
	if err != nil {
		return "", err
	}
	r.progress.Steps[i].Note = d.choice + " decided by " + orUnknown(d.by)
	return d.choice, nil
}

// await blocks until an operator decision for step i arrives, the timeout
// passes (nil decision; 0 means no timeout) or the run is cancelled.
func (r *runner) await(ctx workflow.Context, i int, timeout time.Duration) (*decision, error) {
	id := r.rb.Steps[i].ID
	ready := func() bool { return r.pending[id] != nil }
	if timeout > 0 {
		ok, err := workflow.AwaitWithTimeout(ctx, timeout, ready)
		if err != nil || !ok {
			return nil, err
		}
	} else if err := workflow.Await(ctx, ready); err != nil {
		return nil, err
	}
	d := r.pending[id]
	delete(r.pending, id)
	return d, nil
}

func (r *runner) addFinding(i int, f runs.Finding) {
	sp := &r.progress.Steps[i]
	if sp.Result == nil {
		sp.Result = &runs.ActionResult{}
	}
	sp.Result.Findings = append(sp.Result.Findings, f)
	sp.Findings = len(sp.Result.Findings)
}

// setStatus records a status change and journals it.
func (r *runner) setStatus(ctx workflow.Context, i int, status runs.StepStatus, note string) {
	sp := &r.progress.Steps[i]
	now := workflow.Now(ctx)
	sp.Status = status
	if note != "" {
		sp.Note = note
	}
	if !status.Done() && sp.StartedAt.IsZero() {
		sp.StartedAt = now // running or waiting: the step's clock starts
	}
	if status.Done() {
		sp.EndedAt = now
	}
	r.journal(ctx, i)
}

func orUnknown(s string) string {
	if s == "" {
		return "an operator"
	}
	return s
}
