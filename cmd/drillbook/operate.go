package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/workflows"
)

// updateTimeout bounds an operator operation: the workflow answers within a
// workflow task, unless no worker is running.
const updateTimeout = 30 * time.Second

const operatorHelp = `The operation is a Temporal Update: the run checks it first and refuses it,
with the reason, when the step is not waiting for it (exit code 1). The same
operation can be sent from the Temporal UI as a Signal named %q with the
same JSON payload.`

func newApproveCmd() *cobra.Command {
	var cf clientFlags
	req := workflows.ApproveRequest{}
	cmd := &cobra.Command{
		Use:   "approve WORKFLOW_ID STEP [--reject] [--by NAME] [--reason TEXT]",
		Short: "Approve (or reject) a step that waits for approval",
		Long: `Approve a step that waits for approval (approval=required, or a risky
action such as fly.scale_memory), so that it runs. With --reject the step is
skipped instead and the report records a finding with the reason.

` + fmt.Sprintf(operatorHelp, workflows.ApproveOp),
		Example: `  drillbook approve backup-restore-20250101T120000-3f2a dump
  drillbook approve reliability-audit-20250101T120000-9c1d scale-oom-machine --reject --reason "not during business hours"`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Step = args[1]
			req.By = byOrUser(req.By)
			return sendOperatorOp(cmd, &cf, args[0], workflows.ApproveOp, req)
		},
	}
	cf.bind(cmd)
	cmd.Flags().BoolVar(&req.Reject, "reject", false, "reject the step: it is skipped, with a finding")
	cmd.Flags().StringVar(&req.By, "by", "", "who decides, for the report (default $USER)")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why, for the report")
	return cmd
}

func newDecideCmd() *cobra.Command {
	var cf clientFlags
	req := workflows.DecideRequest{}
	cmd := &cobra.Command{
		Use:   "decide WORKFLOW_ID STEP retry|skip|abort [--by NAME]",
		Short: "Tell a failed step that waits for a decision to retry, skip or abort",
		Long: `Tell a failed step that waits for a decision (on_failure=pause) what to do:
retry runs it again, skip records it as skipped and the run goes on, abort
fails the run (cleanup steps still run).

` + fmt.Sprintf(operatorHelp, workflows.DecideOp),
		Example: `  drillbook decide backup-restore-20250101T120000-3f2a dump retry
  drillbook decide backup-restore-20250101T120000-3f2a dump skip --by alice`,
		Args: usageArgs(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[2] {
			case "retry", "skip", "abort":
			default:
				return usageErrorf("decision %q: want retry, skip or abort", args[2])
			}
			req.Step, req.Decision = args[1], args[2]
			req.By = byOrUser(req.By)
			return sendOperatorOp(cmd, &cf, args[0], workflows.DecideOp, req)
		},
	}
	cf.bind(cmd)
	cmd.Flags().StringVar(&req.By, "by", "", "who decides, for the report (default $USER)")
	return cmd
}

func newCompleteCmd() *cobra.Command {
	var cf clientFlags
	req := workflows.CompleteRequest{}
	cmd := &cobra.Command{
		Use:   "complete WORKFLOW_ID STEP [--skip] [--note TEXT] [--by NAME]",
		Short: "Mark a manual step (a task-list item) done, or skip it",
		Long: `Mark a manual step (a "- [ ] ..." task-list item of the runbook) done, so
that the run goes on. With --skip it is recorded as skipped instead. The
note goes into the report.

` + fmt.Sprintf(operatorHelp, workflows.CompleteOp),
		Example: `  drillbook complete backup-restore-20250101T120000-3f2a tell-ops-the-drill-has-started
  drillbook complete backup-restore-20250101T120000-3f2a notify --note "posted in #ops"
  drillbook complete backup-restore-20250101T120000-3f2a notify --skip --note "nobody on call"`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Step = args[1]
			req.By = byOrUser(req.By)
			return sendOperatorOp(cmd, &cf, args[0], workflows.CompleteOp, req)
		},
	}
	cf.bind(cmd)
	cmd.Flags().BoolVar(&req.Skip, "skip", false, "skip the step instead of completing it")
	cmd.Flags().StringVar(&req.Note, "note", "", "what was done, for the report")
	cmd.Flags().StringVar(&req.By, "by", "", "who did it, for the report (default $USER)")
	return cmd
}

// sendOperatorOp sends an operator Update, waits for its result and prints
// it. A refusal by the workflow's validator exits 1 with the reason.
func sendOperatorOp(cmd *cobra.Command, cf *clientFlags, workflowID, op string, req any) error {
	if workflowID == "" {
		return usageErrorf("WORKFLOW_ID is empty")
	}
	c, err := dialClient(cmd, cf)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), updateTimeout)
	defer cancel()
	var result string
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   op,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &result)
	}
	if err != nil {
		return operatorError(cmd.Context(), c, workflowID, op, err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), result)
	return nil
}

// operatorError explains why an operation did not go through.
func operatorError(ctx context.Context, c client.Client, workflowID, op string, err error) error {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	var timeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	switch {
	case errors.As(err, &appErr):
		return failedErrorf("%s refused: %s", op, appErr.Message())
	case errors.As(err, &timeout):
		return failedErrorf("%s: run %s did not answer within %s: is a drillbook worker polling task queue %q?",
			op, workflowID, updateTimeout, workflows.TaskQueue)
	case errors.As(err, &notFound):
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if desc, derr := c.DescribeWorkflowExecution(dctx, workflowID, ""); derr == nil {
			if info := desc.GetWorkflowExecutionInfo(); info.GetCloseTime() != nil {
				return failedErrorf("%s refused: run %s is %s, nothing waits any more", op, workflowID, closeStatus(info.GetStatus().String()))
			}
		}
		return failedErrorf("%s: workflow %q not found", op, workflowID)
	}
	return failedErrorf("%s: %w", op, err)
}

// byOrUser is --by, defaulting to the user running the command.
func byOrUser(by string) string {
	if by == "" {
		return currentUser()
	}
	return by
}
