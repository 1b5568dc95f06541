package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// RunRunbookInput starts a run of one runbook.
type RunRunbookInput struct {
	Runbook string `json:"runbook,omitempty"`
}

// RunRunbookResult is what a finished run returns.
type RunRunbookResult struct {
	Runbook string `json:"runbook"`
	Status  string `json:"status"`
	Worker  string `json:"worker"`
}

// RunRunbook runs a runbook. (Minimal: it proves the chain; the engine fills it.)
func RunRunbook(ctx workflow.Context, input RunRunbookInput) (RunRunbookResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var pong struct {
		Host string `json:"host"`
	}
	if err := workflow.ExecuteActivity(ctx, PingActivity, input.Runbook).Get(ctx, &pong); err != nil {
		return RunRunbookResult{}, err
	}
	return RunRunbookResult{Runbook: input.Runbook, Status: "succeeded", Worker: pong.Host}, nil
}
