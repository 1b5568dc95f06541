package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/runbooks"
	"github.com/hotdash/drillbook/runs"
)

// RunRunbookResult is what a finished run returns: small on purpose; the
// progress query and the report hold the details.
type RunRunbookResult struct {
	WorkflowID string           `json:"workflow_id"`
	Runbook    string           `json:"runbook"`
	Hash       string           `json:"hash"`
	Status     runs.RunStatus   `json:"status"`
	Steps      map[string]int   `json:"steps"`    // count by status
	Findings   map[string]int   `json:"findings"` // count by severity
	Report     runs.ReportPaths `json:"report"`
	Error      string           `json:"error,omitempty"`
}

// RunRunbook runs one runbook as a durable workflow. Its input is read
// strictly (see DecodeRunRunbookInput): null, no payload and {} run the
// default runbook with its default inputs.
func RunRunbook(ctx workflow.Context, raw converter.RawValue) (RunRunbookResult, error) {
	in, err := DecodeRunRunbookInput(raw)
	return runRunbook(ctx, in, err)
}

// runRunbook is shared by RunRunbook and the workflows built on it. A bad
// input (inputErr) still leaves a run that answers the progress query.
func runRunbook(ctx workflow.Context, in RunRunbookInput, inputErr error) (RunRunbookResult, error) {
	r := newRunner(ctx, in)
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (runs.Progress, error) {
		return r.progress, nil
	}); err != nil {
		return RunRunbookResult{}, err
	}
	if inputErr != nil {
		return r.finish(ctx, inputErr)
	}
	if err := r.setup(ctx); err != nil {
		return r.finish(ctx, err)
	}
	return r.finish(ctx, r.run(ctx))
}

// setup registers the operator operations, loads and pins the runbook, and
// prepares the progress of every step.
func (r *runner) setup(ctx workflow.Context) error {
	if err := r.registerOperatorOps(ctx); err != nil {
		return err
	}
	if r.in.ApprovalTimeout != "" {
		if _, err := parseDuration(r.in.ApprovalTimeout); err != nil {
			return badInput([]string{fmt.Sprintf("field \"approval_timeout\": %v", err)})
		}
	}
	var loaded struct {
		Runbook          runbooks.Runbook `json:"runbook"`
		SearchAttributes bool             `json:"search_attributes"`
	}
	lctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: defaultLoadTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	if err := workflow.ExecuteActivity(lctx, LoadRunbookActivity, runs.LoadRunbookRequest{Runbook: r.in.Runbook}).Get(ctx, &loaded); err != nil {
		return err
	}
	if problems := r.pin(loaded.Runbook); len(problems) > 0 {
		return badInput(problems)
	}
	if loaded.SearchAttributes {
		if err := workflow.UpsertTypedSearchAttributes(ctx,
			temporal.NewSearchAttributeKeyKeyword(RunbookIDAttribute).ValueSet(r.rb.ID),
			temporal.NewSearchAttributeKeyKeyword(RunbookHashAttribute).ValueSet(r.rb.Hash),
		); err != nil {
			return err
		}
	}
	return nil
}

// finish runs the cleanup steps, renders the report and returns the result.
// err is what stopped the run, if anything.
func (r *runner) finish(ctx workflow.Context, err error) (RunRunbookResult, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	canceled := temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled)
	if r.loaded {
		r.runCleanup(dctx)
		r.markUnfinished()
	}
	switch {
	case canceled:
		r.progress.Status = runs.RunCanceled
	case err != nil || r.failed:
		r.progress.Status = runs.RunFailed
	default:
		r.progress.Status = runs.RunSucceeded
	}
	if err != nil {
		r.progress.Error = errorMessage(err)
	}
	r.progress.EndedAt = workflow.Now(ctx)
	result := r.result()
	if r.loaded {
		result.Report = r.renderReport(dctx)
	}
	switch {
	case canceled:
		return result, temporal.NewCanceledError()
	case err != nil:
		return result, err
	case r.failed:
		return result, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("runbook %s failed: %s", r.rb.ID, r.failure), ErrRunbookFailed, nil, result)
	}
	return result, nil
}

func (r *runner) result() RunRunbookResult {
	res := RunRunbookResult{
		WorkflowID: r.progress.WorkflowID,
		Runbook:    r.progress.RunbookID,
		Hash:       r.progress.Hash,
		Status:     r.progress.Status,
		Steps:      map[string]int{},
		Findings:   map[string]int{},
		Error:      r.progress.Error,
	}
	for _, s := range r.progress.Steps {
		res.Steps[string(s.Status)]++
		if s.Result != nil {
			for _, f := range s.Result.Findings {
				res.Findings[string(f.Severity)]++
			}
		}
	}
	return res
}
