package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// demoApprover approves the demo audit's remediation steps as they come to
// wait. The demo runs without apply, so they are dry runs that change
// nothing; a real audit waits for a person instead.
func demoApprover(ctx context.Context, out io.Writer, c client.Client, workflowID string) {
	approved := map[string]bool{}
	for ctx.Err() == nil {
		p, err := queryProgressOnce(ctx, c, workflowID, pollQueryTimeout)
		if err == nil && p.Status != runs.RunRunning {
			return
		}
		for _, s := range p.Steps {
			if s.Status != runs.StatusWaitingApproval || approved[s.ID] {
				continue
			}
			approved[s.ID] = true
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: workflowID, UpdateName: workflows.ApproveOp, WaitForStage: client.WorkflowUpdateStageCompleted,
				Args: []any{workflows.ApproveRequest{Step: s.ID, By: "drillbook demo",
					Reason: "dry run (the demo runs without apply): shows the change, makes none"}},
			})
			if err == nil {
				err = h.Get(ctx, nil)
			}
			if err != nil {
				fmt.Fprintf(out, "  demo could not approve %s: %v\n", s.ID, err)
				continue
			}
			fmt.Fprintf(out, "  ✔ demo approved the dry run of %s (a real audit waits for `drillbook approve`)\n", s.ID)
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollEvery):
		}
	}
}
