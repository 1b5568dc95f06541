package main

import (
	"fmt"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// drillFlags are the flags of `drillbook drill`.
type drillFlags struct {
	client      clientFlags
	source      string
	rtoBudget   time.Duration
	rpoBudget   time.Duration
	keepScratch bool
	id          string
	wait        bool
	uiURL       string
}

var envRefRE = regexp.MustCompile(`^env:[A-Za-z_][A-Za-z0-9_]*$`)

func newDrillCmd() *cobra.Command {
	var f drillFlags
	cmd := &cobra.Command{
		Use:   "drill [--source env:NAME] [--rto-budget D] [--rpo-budget D] [--keep-scratch] [--id ID] [--wait]",
		Short: "Start a backup-and-restore drill (the RestoreDrill workflow)",
		Long: `Start a backup-and-restore drill: the RestoreDrill workflow, which runs
runbooks/backup-restore.md. It checks that the worker's pg_dump can dump the
server, takes a backup (custom format, sha256, manifest), restores it into a
new scratch database drill_<db>_<time> on the same server, compares the copy
with the backup table by table, measures RTO (restore start to verified) and
RPO (age of the newest data) against their budgets, and drops the scratch
database at the end, even when a step failed.

--source names an environment variable of the worker that holds the
connection string (env:DATABASE_URL by default): the value, with its
password, never leaves the worker.

With --wait the command shows each step live and exits 0 when the drill
succeeded with no critical or high finding, 1 when it failed or a budget was
breached (or the copy differs from the backup), 2 on bad input.`,
		Example: `  drillbook drill --wait
  drillbook drill --source env:SUPABASE_DB_URL --rto-budget 15m --rpo-budget 1h --wait
  drillbook drill --keep-scratch --id drill-before-migration`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runDrill(cmd, &f) },
	}
	f.client.bind(cmd)
	cmd.Flags().StringVar(&f.source, "source", "env:DATABASE_URL", "the database to drill: env:NAME, a variable of the worker holding the connection string")
	cmd.Flags().DurationVar(&f.rtoBudget, "rto-budget", 0, "longest acceptable restore, e.g. 30m (default: the runbook's, 30m)")
	cmd.Flags().DurationVar(&f.rpoBudget, "rpo-budget", 0, "most acceptable data loss, e.g. 1h (default: the runbook's, 1h)")
	cmd.Flags().BoolVar(&f.keepScratch, "keep-scratch", false, "keep the restored scratch database for inspection")
	cmd.Flags().StringVar(&f.id, "id", "", "workflow id (default restore-drill-<UTC yyyymmddThhmmss>-<4 hex>)")
	cmd.Flags().BoolVar(&f.wait, "wait", false, "show live progress and exit when the drill ends, with its outcome as exit code")
	cmd.Flags().StringVar(&f.uiURL, "ui-url", envOr("DRILLBOOK_UI_URL", defaultUIURL), "base URL of the Temporal UI for the printed link ($DRILLBOOK_UI_URL)")
	return cmd
}

// workflowInput checks the flags and builds the RestoreDrill input.
func (f *drillFlags) workflowInput() (workflows.RestoreDrillInput, error) {
	in := workflows.RestoreDrillInput{Source: f.source, KeepScratch: f.keepScratch, Operator: currentUser()}
	if !envRefRE.MatchString(f.source) {
		// Not echoed: it may be a connection string with its password.
		return in, usageErrorf("--source: give env:NAME, the worker's variable that holds the connection string (a connection string here would put its password into workflow history)")
	}
	for _, b := range []struct {
		flag string
		d    time.Duration
		dst  *string
	}{{"--rto-budget", f.rtoBudget, &in.RTOBudget}, {"--rpo-budget", f.rpoBudget, &in.RPOBudget}} {
		if b.d < 0 {
			return in, usageErrorf("%s %s: must be positive", b.flag, b.d)
		}
		if b.d > 0 {
			*b.dst = b.d.String()
		}
	}
	return in, nil
}

// runDrill starts RestoreDrill and, with --wait, watches it to the end.
func runDrill(cmd *cobra.Command, f *drillFlags) error {
	in, err := f.workflowInput()
	if err != nil {
		return err
	}
	id := f.id
	if id == "" {
		if id, err = newWorkflowID("restore-drill", time.Now()); err != nil {
			return err
		}
	}
	c, err := dialClient(cmd, &f.client)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	wr, err := startRun(ctx, c, id, workflows.RestoreDrillWorkflow, in, "restore drill")
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	links := runFlags{client: f.client, uiURL: f.uiURL}
	fmt.Fprintf(out, "Started   %s (restore drill of %s)\n", wr.GetID(), in.Source)
	fmt.Fprintf(out, "UI        %s\n", links.uiLink(wr.GetID()))
	if !f.wait {
		fmt.Fprintf(out, "Watch     drillbook status %s%s\n", shellQuote(wr.GetID()), connArgs(&f.client))
		return nil
	}
	if err := watchRun(ctx, out, c, wr, connArgs(&f.client)); err != nil {
		return err
	}
	var res workflows.RunRunbookResult
	if err := wr.Get(ctx, &res); err != nil {
		return failedErrorf("restore drill %s: %w", wr.GetID(), err)
	}
	if n := res.Findings[string(runs.SeverityCritical)] + res.Findings[string(runs.SeverityHigh)]; n > 0 {
		return failedErrorf("restore drill %s: %d critical or high finding(s): a budget was breached or the copy differs (drillbook report %s%s)",
			wr.GetID(), n, shellQuote(wr.GetID()), connArgs(&f.client))
	}
	return nil
}
