package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/runs"
)

// journal appends the step's new status to artifacts/journal.md through a
// local activity (cheap, recorded once, never re-run on replay).
func (r *runner) journal(ctx workflow.Context, i int) {
	sp := r.progress.Steps[i]
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	entry := runs.JournalEntry{
		WorkflowID: r.progress.WorkflowID, Step: sp.ID, Status: string(sp.Status),
		At: workflow.Now(ctx), Attempt: sp.Attempts, Tail: sp.OutputTail, Note: sp.Note,
	}
	if err := workflow.ExecuteLocalActivity(lctx, AppendJournalActivity, entry).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("journal entry not written", "step", sp.ID, "error", err)
	}
}

// renderReport writes report.md and report.html; a failure to render is
// logged and recorded, it never changes the run's outcome.
func (r *runner) renderReport(ctx workflow.Context) runs.ReportPaths {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var paths runs.ReportPaths
	if err := workflow.ExecuteActivity(actx, RenderReportActivity, r.progress).Get(ctx, &paths); err != nil {
		workflow.GetLogger(ctx).Error("report not written", "error", err)
	}
	return paths
}
