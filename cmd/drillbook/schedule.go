package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/runbooks"
	"github.com/hotdash/drillbook/workflows"
)

// scheduleNameRE: a schedule name is also the prefix of its runs' ids.
var scheduleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Memo keys a drillbook schedule carries, for `schedule list`.
const (
	memoRunbook = "runbook"
	memoSpec    = "spec"
)

func newScheduleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run a runbook on a schedule (Temporal Schedules): create, list, pause, unpause, delete",
		Long: `schedule manages Temporal Schedules that start RunRunbook for a runbook at
fixed intervals or on a cron expression: ongoing synthetic checks every 15
minutes, an hourly backup drill. The schedule's runs appear in the Temporal UI
like any other run, with ids NAME-<time>. A run still going when the next one is
due makes the schedule skip that one.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newScheduleCreateCmd(), newScheduleListCmd(),
		newScheduleStateCmd("pause"), newScheduleStateCmd("unpause"), newScheduleStateCmd("delete"))
	return cmd
}

type scheduleCreateFlags struct {
	client  clientFlags
	runbook string
	every   time.Duration
	cron    string
	inputs  inputsFlag
	manual  string
	note    string
	paused  bool
	now     bool
}

func newScheduleCreateCmd() *cobra.Command {
	var f scheduleCreateFlags
	cmd := &cobra.Command{
		Use:   "create NAME --runbook ID (--every D | --cron EXPR) [--input k=v]...",
		Short: "Create a schedule that runs a runbook",
		Long: `create makes a schedule NAME that starts RunRunbook for --runbook every
--every (e.g. 15m, 1h) or on --cron (5 fields, UTC, or @hourly/@daily).
Scheduled runs skip manual steps unless --manual wait, and never apply risky
actions. Exit 2 on bad usage or when NAME already exists.`,
		Example: `  drillbook schedule create synthetic --runbook reliability-audit --every 15m --input probe_samples=20
  drillbook schedule create hourly-backup --runbook backup-restore --cron '0 * * * *' --input source=env:DATABASE_URL`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error { return createSchedule(cmd, args[0], &f) },
	}
	f.client.bind(cmd)
	bindInputs(cmd, &f.inputs)
	fl := cmd.Flags()
	fl.StringVar(&f.runbook, "runbook", "", "runbook id to run (built in, or in the worker's --runbooks directory)")
	fl.DurationVar(&f.every, "every", 0, "interval between runs, e.g. 15m or 1h")
	fl.StringVar(&f.cron, "cron", "", "cron expression (UTC), e.g. '0 * * * *' or @hourly")
	fl.StringVar(&f.manual, "manual", "skip", "manual steps of scheduled runs: skip (record them as not run) or wait")
	fl.StringVar(&f.note, "note", "", "note shown with the schedule")
	fl.BoolVar(&f.paused, "paused", false, "create the schedule paused")
	fl.BoolVar(&f.now, "now", false, "also start one run right away")
	return cmd
}

func createSchedule(cmd *cobra.Command, name string, f *scheduleCreateFlags) error {
	if !scheduleNameRE.MatchString(name) {
		return usageErrorf("schedule name %q: use letters, digits, '.', '_' and '-' (at most 128)", name)
	}
	if f.runbook == "" || strings.ContainsAny(f.runbook, "/\\") {
		return usageErrorf("--runbook: give a runbook id such as reliability-audit")
	}
	var spec client.ScheduleSpec
	var specText string
	switch {
	case (f.every > 0) == (f.cron != ""):
		return usageErrorf("give exactly one of --every D and --cron EXPR")
	case f.every > 0:
		if f.every < time.Second {
			return usageErrorf("--every %s: at least 1s", f.every)
		}
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: f.every}}
		specText = "every " + f.every.String()
	default:
		spec.CronExpressions = []string{f.cron}
		specText = "cron " + f.cron
	}
	if f.manual != "wait" && f.manual != "skip" {
		return usageErrorf("--manual %q: want skip or wait", f.manual)
	}
	if err := checkScheduleInputs(cmd, f.runbook, &f.inputs); err != nil {
		return err
	}
	c, err := dialClient(cmd, &f.client)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	in := workflows.RunRunbookInput{Runbook: f.runbook, Inputs: f.inputs.Map(), Manual: f.manual, Operator: "schedule " + name}
	h, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   name,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID: name, Workflow: workflows.RunRunbookWorkflow, Args: []any{in}, TaskQueue: workflows.TaskQueue,
		},
		Overlap:            enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:               f.note,
		Paused:             f.paused,
		TriggerImmediately: f.now,
		Memo:               map[string]any{memoRunbook: f.runbook, memoSpec: specText},
	})
	if err != nil {
		var invalid *serviceerror.InvalidArgument
		switch {
		case errors.Is(err, temporal.ErrScheduleAlreadyRunning):
			return usageErrorf("schedule %q already exists (drillbook schedule delete %s first)", name, name)
		case errors.As(err, &invalid):
			return usageErrorf("schedule %s: %s", name, invalid.Message)
		}
		return failedErrorf("create schedule %s: %w", name, err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Created schedule %s: runbook %s, %s (UTC)\n", h.GetID(), f.runbook, specText)
	if desc, err := h.Describe(ctx); err == nil && len(desc.Info.NextActionTimes) > 0 && !f.paused {
		fmt.Fprintf(out, "Next run  %s\n", desc.Info.NextActionTimes[0].UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(out, "Runs      workflow ids %s-<time>, on task queue %s: a worker must be polling it\n", name, workflows.TaskQueue)
	return nil
}

// checkScheduleInputs catches, before anything is created, inputs that a
// built-in runbook does not declare: every scheduled run would fail on them.
func checkScheduleInputs(cmd *cobra.Command, id string, inputs *inputsFlag) error {
	if !slices.Contains(runbooks.Embedded(), strings.TrimSuffix(id, ".md")) {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %s is not a built-in runbook; the worker must find %s.md in its --runbooks directory\n", id, strings.TrimSuffix(id, ".md"))
		return nil
	}
	rb, err := runbooks.LoadEmbedded(id)
	if err != nil {
		return usageErrorf("--runbook %s: %v", id, err)
	}
	for name := range inputs.values {
		if rb.Input(name) == nil {
			return usageErrorf("runbook %s has no input %q", id, name)
		}
	}
	for _, in := range rb.Inputs {
		if _, given := inputs.values[in.Name]; in.Required && !given {
			return usageErrorf("runbook %s needs --input %s=VALUE", id, in.Name)
		}
	}
	return nil
}

func newScheduleStateCmd(op string) *cobra.Command {
	var cf clientFlags
	var note string
	short := map[string]string{
		"pause":   "Pause a schedule: no runs start until it is unpaused",
		"unpause": "Unpause a schedule",
		"delete":  "Delete a schedule (its past runs stay)",
	}[op]
	cmd := &cobra.Command{
		Use:   op + " NAME",
		Short: short,
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dialClient(cmd, &cf)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			return changeSchedule(ctx, cmd, c, op, args[0], note)
		},
	}
	cf.bind(cmd)
	if op != "delete" {
		cmd.Flags().StringVar(&note, "note", "", "why (shown with the schedule)")
	}
	return cmd
}

func changeSchedule(ctx context.Context, cmd *cobra.Command, c client.Client, op, name, note string) error {
	h := c.ScheduleClient().GetHandle(ctx, name)
	if note == "" && op != "delete" {
		note = fmt.Sprintf("%sd with drillbook schedule %s by %s", op, op, orDash(currentUser()))
	}
	var err error
	switch op {
	case "pause":
		err = h.Pause(ctx, client.SchedulePauseOptions{Note: note})
	case "unpause":
		err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: note})
	case "delete":
		err = h.Delete(ctx)
	}
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return failedErrorf("schedule %q not found (drillbook schedule list)", name)
	case err != nil:
		return failedErrorf("%s schedule %s: %w", op, name, err)
	}
	past := map[string]string{"pause": "Paused", "unpause": "Unpaused", "delete": "Deleted"}[op]
	fmt.Fprintf(cmd.OutOrStdout(), "%s schedule %s\n", past, name)
	return nil
}
