package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/runs"
)

// ApproveRequest approves (or, with Reject, rejects) a step waiting for approval.
type ApproveRequest struct {
	Step   string `json:"step"`
	Reject bool   `json:"reject,omitempty"`
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// DecideRequest tells a failed step waiting for a decision what to do.
type DecideRequest struct {
	Step     string `json:"step"`
	Decision string `json:"decision"` // retry, skip or abort
	By       string `json:"by,omitempty"`
}

// CompleteRequest completes (or, with Skip, skips) a waiting manual step.
type CompleteRequest struct {
	Step string `json:"step"`
	Skip bool   `json:"skip,omitempty"`
	Note string `json:"note,omitempty"`
	By   string `json:"by,omitempty"`
}

// registerOperatorOps installs the operator operations twice: as Updates
// with validators (the CLI gets a clear refusal) and as Signals (the Temporal
// UI can send them; an invalid signal is logged and ignored).
func (r *runner) registerOperatorOps(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ApproveOp,
		func(ctx workflow.Context, req ApproveRequest) (string, error) { return r.approve(ctx, req), nil },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req ApproveRequest) error {
			return r.validate(req.Step, runs.StatusWaitingApproval)
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DecideOp,
		func(ctx workflow.Context, req DecideRequest) (string, error) { return r.decide(ctx, req), nil },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req DecideRequest) error {
			if err := validChoice(req.Decision); err != nil {
				return err
			}
			return r.validate(req.Step, runs.StatusWaitingDecision)
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, CompleteOp,
		func(ctx workflow.Context, req CompleteRequest) (string, error) { return r.complete(ctx, req), nil },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req CompleteRequest) error {
			return r.validate(req.Step, runs.StatusWaitingManual)
		}}); err != nil {
		return err
	}
	workflow.Go(ctx, r.receiveSignals)
	return nil
}

// receiveSignals applies operator signals for as long as the run lives.
func (r *runner) receiveSignals(ctx workflow.Context) {
	logger := workflow.GetLogger(ctx)
	approveCh := workflow.GetSignalChannel(ctx, ApproveOp)
	decideCh := workflow.GetSignalChannel(ctx, DecideOp)
	completeCh := workflow.GetSignalChannel(ctx, CompleteOp)
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(approveCh, func(c workflow.ReceiveChannel, _ bool) {
		var req ApproveRequest
		c.Receive(ctx, &req)
		if err := r.validate(req.Step, runs.StatusWaitingApproval); err != nil {
			logger.Warn("approve signal ignored", "step", req.Step, "error", err)
			return
		}
		r.approve(ctx, req)
	})
	sel.AddReceive(decideCh, func(c workflow.ReceiveChannel, _ bool) {
		var req DecideRequest
		c.Receive(ctx, &req)
		err := validChoice(req.Decision)
		if err == nil {
			err = r.validate(req.Step, runs.StatusWaitingDecision)
		}
		if err != nil {
			logger.Warn("decide signal ignored", "step", req.Step, "error", err)
			return
		}
		r.decide(ctx, req)
	})
	sel.AddReceive(completeCh, func(c workflow.ReceiveChannel, _ bool) {
		var req CompleteRequest
		c.Receive(ctx, &req)
		if err := r.validate(req.Step, runs.StatusWaitingManual); err != nil {
			logger.Warn("complete signal ignored", "step", req.Step, "error", err)
			return
		}
		r.complete(ctx, req)
	})
	for ctx.Err() == nil {
		sel.Select(ctx)
	}
}

func (r *runner) approve(ctx workflow.Context, req ApproveRequest) string {
	r.pending[req.Step] = &decision{op: ApproveOp, approve: !req.Reject, by: req.By, note: req.Reason, at: workflow.Now(ctx)}
	if req.Reject {
		return fmt.Sprintf("step %s rejected", req.Step)
	}
	return fmt.Sprintf("step %s approved", req.Step)
}

func (r *runner) decide(ctx workflow.Context, req DecideRequest) string {
	r.pending[req.Step] = &decision{op: DecideOp, choice: req.Decision, by: req.By, at: workflow.Now(ctx)}
	return fmt.Sprintf("step %s: %s", req.Step, req.Decision)
}

func (r *runner) complete(ctx workflow.Context, req CompleteRequest) string {
	r.pending[req.Step] = &decision{op: CompleteOp, skip: req.Skip, by: req.By, note: req.Note, at: workflow.Now(ctx)}
	if req.Skip {
		return fmt.Sprintf("step %s skipped", req.Step)
	}
	return fmt.Sprintf("step %s completed", req.Step)
}

// validate refuses operations on unknown steps or steps not in the state
// the operation is for.
func (r *runner) validate(step string, want runs.StepStatus) error {
	i, ok := r.index[step]
	if !ok {
		return fmt.Errorf("no step %q in runbook %s", step, r.progress.RunbookID)
	}
	if got := r.progress.Steps[i].Status; got != want {
		return fmt.Errorf("step %q is %s, not %s", step, got, want)
	}
	if r.pending[step] != nil {
		return fmt.Errorf("step %q already has a decision", step)
	}
	return nil
}

func validChoice(choice string) error {
	switch choice {
	case "retry", "skip", "abort":
		return nil
	}
	return fmt.Errorf("decision %q: want retry, skip or abort", choice)
}
