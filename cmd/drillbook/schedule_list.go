package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

func newScheduleListCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the schedules: state, when, runbook, last and next run",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dialClient(cmd, &cf)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			return listSchedules(ctx, cmd.OutOrStdout(), c)
		},
	}
	cf.bind(cmd)
	return cmd
}

// scheduleRow is one line of `schedule list`.
type scheduleRow struct {
	name, state, spec, runbook, last, next string
}

func listSchedules(ctx context.Context, out io.Writer, c client.Client) error {
	it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 100})
	if err != nil {
		return failedErrorf("list schedules: %w", err)
	}
	var rows []scheduleRow
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return failedErrorf("list schedules: %w", err)
		}
		rows = append(rows, scheduleRowOf(e))
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "No schedules. Create one with: drillbook schedule create NAME --runbook ID --every 15m")
		return nil
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tWHEN\tRUNBOOK\tLAST RUN\tNEXT RUN")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.state, r.spec, r.runbook, r.last, r.next)
	}
	return tw.Flush()
}

func scheduleRowOf(e *client.ScheduleListEntry) scheduleRow {
	r := scheduleRow{name: e.ID, state: "active", spec: memoString(e.Memo, memoSpec), runbook: memoString(e.Memo, memoRunbook), last: "-", next: "-"}
	if e.Paused {
		r.state = "paused"
	}
	if r.spec == "" && e.Spec != nil {
		switch {
		case len(e.Spec.Intervals) > 0:
			r.spec = "every " + e.Spec.Intervals[0].Every.String()
		case len(e.Spec.CronExpressions) > 0:
			r.spec = "cron " + e.Spec.CronExpressions[0]
		default:
			r.spec = "calendar"
		}
	}
	if r.runbook == "" {
		r.runbook = "(" + e.WorkflowType.Name + ")"
	}
	if n := len(e.RecentActions); n > 0 {
		a := e.RecentActions[n-1]
		r.last = a.ActualTime.UTC().Format(time.RFC3339)
		if a.StartWorkflowResult != nil {
			r.last += " " + a.StartWorkflowResult.WorkflowID
		}
	}
	if len(e.NextActionTimes) > 0 && !e.Paused {
		r.next = e.NextActionTimes[0].UTC().Format(time.RFC3339)
	}
	return r
}

// memoString decodes a string memo field, or "".
func memoString(m *commonpb.Memo, key string) string {
	if m == nil || m.GetFields()[key] == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(m.GetFields()[key], &s); err != nil {
		return ""
	}
	return s
}
