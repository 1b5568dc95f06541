package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// defaultUIURL is where `drillbook dev` serves the Temporal UI.
const defaultUIURL = "http://127.0.0.1:8233"

// runFlags are the flags of `drillbook run`.
type runFlags struct {
	client          clientFlags
	inputs          inputsFlag
	apply           bool
	manual          string
	id              string
	approvalTimeout time.Duration
	wait            bool
	uiURL           string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run RUNBOOK [--input NAME=VALUE]... [--apply] [--manual wait|skip] [--id ID] [--wait]",
		Short: "Start a run of a runbook (the RunRunbook workflow)",
		Long: `Start a run of a runbook: the RunRunbook workflow on task queue "drillbook".
RUNBOOK is an embedded runbook id (reliability-audit, backup-restore) or a
file in the worker's --runbooks directory.

Inputs are strings; a value env:NAME is passed as is and read from the
worker's environment, so secrets never enter the workflow history. Risky
actions run dry unless --apply is given, and still wait for approval.

Without --wait, drillbook prints the workflow id and the link to the run in
the Temporal UI, and returns. With --wait it also shows each step as its
status changes, prints the exact command to run when a step waits for an
operator, and exits when the run ends: 0 if it succeeded, 1 if it failed,
was cancelled or terminated, 2 if its input or the runbook was invalid.`,
		Example: `  drillbook run backup-restore --input source=env:DATABASE_URL --wait
  drillbook run reliability-audit --input org=hotdash --input latency_budget=500ms --manual skip
  drillbook run reliability-audit --apply --approval-timeout 1h --id audit-2025-01
  drillbook run my-runbook.md --address temporal.internal:7233 --namespace ops
  DRILLBOOK_UI_URL=https://temporal.example.com drillbook run backup-restore`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRunbook(cmd, args[0], &f)
		},
	}
	f.client.bind(cmd)
	bindInputs(cmd, &f.inputs)
	cmd.Flags().BoolVar(&f.apply, "apply", false, "let risky actions change things (they still need approval)")
	cmd.Flags().StringVar(&f.manual, "manual", "wait", "manual steps: wait (for drillbook complete) or skip (record them as not run)")
	cmd.Flags().StringVar(&f.id, "id", "", "workflow id (default RUNBOOK-<UTC yyyymmddThhmmss>-<4 hex>)")
	cmd.Flags().DurationVar(&f.approvalTimeout, "approval-timeout", 0, "skip a step with a finding if nobody approves it within this time (e.g. 1h; default: wait forever)")
	cmd.Flags().BoolVar(&f.wait, "wait", false, "show live progress and exit when the run ends, with its outcome as exit code")
	cmd.Flags().StringVar(&f.uiURL, "ui-url", envOr("DRILLBOOK_UI_URL", defaultUIURL), "base URL of the Temporal UI for the printed link ($DRILLBOOK_UI_URL)")
	return cmd
}

// runRunbook validates the flags, starts the workflow and, with --wait,
// watches it to the end.
func runRunbook(cmd *cobra.Command, runbook string, f *runFlags) error {
	in, err := f.workflowInput(runbook)
	if err != nil {
		return err
	}
	id := f.id
	if id == "" {
		if id, err = newWorkflowID(runbook, time.Now()); err != nil {
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

	wr, err := startRun(ctx, c, id, workflows.RunRunbookWorkflow, in, "runbook "+runbook)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Started   %s (runbook %s)\n", wr.GetID(), runbook)
	fmt.Fprintf(out, "UI        %s\n", f.uiLink(wr.GetID()))
	if !f.wait {
		fmt.Fprintf(out, "Watch     drillbook status %s%s\n", shellQuote(wr.GetID()), connArgs(&f.client))
		return nil
	}
	return watchRun(ctx, out, c, wr, connArgs(&f.client))
}

// startRun starts a workflow under a new id. A run is an audit record and
// its report lives under its id: never attach to a running run, nor reuse
// the id of a finished one (exit 2 with a hint).
func startRun(ctx context.Context, c client.Client, id, workflowType string, in any, what string) (client.WorkflowRun, error) {
	wr, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                workflows.TaskQueue,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflowType, in)
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return nil, usageErrorf("workflow id %q is already taken by another run (see drillbook status %s): choose another --id", id, shellQuote(id))
		}
		return nil, failedErrorf("start %s: %w", what, err)
	}
	return wr, nil
}

// workflowInput checks the flags that need no server and builds the input.
func (f *runFlags) workflowInput(runbook string) (workflows.RunRunbookInput, error) {
	in := workflows.RunRunbookInput{
		Runbook:  runbook,
		Inputs:   f.inputs.Map(),
		Apply:    f.apply,
		Manual:   f.manual,
		Operator: currentUser(),
	}
	if strings.TrimSpace(runbook) == "" {
		return in, usageErrorf("RUNBOOK is empty: give a runbook id such as backup-restore")
	}
	if strings.ContainsAny(runbook, "/\\") {
		return in, usageErrorf("RUNBOOK %q: give a runbook id or a file name in the worker's --runbooks directory, not a path", runbook)
	}
	if f.manual != "wait" && f.manual != "skip" {
		return in, usageErrorf("--manual %q: want wait or skip", f.manual)
	}
	if f.approvalTimeout < 0 {
		return in, usageErrorf("--approval-timeout %s: must not be negative", f.approvalTimeout)
	}
	if f.approvalTimeout > 0 {
		in.ApprovalTimeout = f.approvalTimeout.String()
	}
	if f.id != "" && strings.TrimSpace(f.id) != f.id {
		return in, usageErrorf("--id %q: leading or trailing white space", f.id)
	}
	return in, nil
}

// uiLink is the run's page in the Temporal UI.
func (f *runFlags) uiLink(workflowID string) string {
	ns := "default"
	if opts, err := f.client.options(slog.New(slog.DiscardHandler)); err == nil {
		ns = opts.Namespace
	}
	base := strings.TrimRight(f.uiURL, "/")
	if base == "" {
		base = defaultUIURL
	}
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", base, url.PathEscape(ns), url.PathEscape(workflowID))
}

// newWorkflowID is RUNBOOK-<UTC yyyymmddThhmmss>-<4 random hex>, with the
// runbook reduced to a safe slug (a file name loses its directory and .md).
func newWorkflowID(runbook string, now time.Time) (string, error) {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random workflow id: %w", err)
	}
	return fmt.Sprintf("%s-%s-%s", idSlug(runbook), now.UTC().Format("20060102T150405"), hex.EncodeToString(b[:])), nil
}

// idSlug keeps letters, digits, '.', '_' and '-' of a runbook name.
func idSlug(runbook string) string {
	base := path.Base(strings.ReplaceAll(runbook, "\\", "/"))
	for _, ext := range []string{".md", ".markdown"} {
		base = strings.TrimSuffix(base, ext)
	}
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-.")
	if s == "" {
		return "run"
	}
	return s
}

// currentUser is who runs the command: $USER, else the OS user name.
func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// badInputTypes are the error types of runs that failed on their input or
// their runbook, not while running it: exit code 2.
var badInputTypes = map[string]bool{
	workflows.ErrBadInput:         true,
	activities.ErrRunbookInvalid:  true,
	activities.ErrRunbookNotFound: true,
}

// runOutcome prints how a watched run ended and maps it to the exit code:
// 0 succeeded; 2 bad input or runbook; 1 anything else that stopped it.
func runOutcome(out io.Writer, workflowID string, result workflows.RunRunbookResult, err error) error {
	if err == nil {
		printResult(out, result)
		if result.Status != "" && result.Status != runs.RunSucceeded {
			return failedErrorf("run %s ended %s", workflowID, result.Status)
		}
		return nil
	}
	var canceled *temporal.CanceledError
	var terminated *temporal.TerminatedError
	switch {
	case errors.As(err, &canceled):
		fmt.Fprintf(out, "%s Run canceled\n", runIcon(runs.RunCanceled))
		return failedErrorf("run %s was cancelled", workflowID)
	case errors.As(err, &terminated):
		fmt.Fprintln(out, "❌ Run terminated")
		return failedErrorf("run %s was terminated", workflowID)
	}
	// Walk the chain of application errors: the workflow's own, or the
	// LoadRunbook activity's under an ActivityError.
	for e := err; e != nil; {
		var appErr *temporal.ApplicationError
		if !errors.As(e, &appErr) {
			break
		}
		switch {
		case badInputTypes[appErr.Type()]:
			fmt.Fprintln(out, "❌ Run rejected: bad input or runbook")
			return usageErrorf("run %s: %s", workflowID, cleanError(appErr.Message()))
		case appErr.Type() == workflows.ErrRunbookFailed:
			if appErr.HasDetails() && appErr.Details(&result) == nil {
				printResult(out, result)
			}
			return failedErrorf("run %s: %s", workflowID, cleanError(appErr.Message()))
		}
		e = appErr.Unwrap()
	}
	fmt.Fprintln(out, "❌ Run failed")
	return failedErrorf("run %s failed: %w", workflowID, err)
}

// printResult prints the final status, step and finding counts and the
// report files of a run.
func printResult(out io.Writer, r workflows.RunRunbookResult) {
	fmt.Fprintf(out, "%s Run %s: %s\n", runIcon(r.Status), orDash(string(r.Status)), r.WorkflowID)
	fmt.Fprintf(out, "Steps     %s\n", countsLine(r.Steps, []string{
		string(runs.StatusSucceeded), string(runs.StatusFailed), string(runs.StatusSkipped), string(runs.StatusNotRun)}))
	total := 0
	for _, n := range r.Findings {
		total += n
	}
	findings := "none"
	if total > 0 {
		findings = fmt.Sprintf("%d (%s)", total, countsLine(r.Findings, []string{
			string(runs.SeverityCritical), string(runs.SeverityHigh), string(runs.SeverityMedium),
			string(runs.SeverityLow), string(runs.SeverityInfo)}))
	}
	fmt.Fprintf(out, "Findings  %s\n", findings)
	md, html := r.Report.Markdown.Path, r.Report.HTML.Path
	where := ""
	if md != "" && !filepath.IsAbs(md) {
		where = " in the worker's artifacts directory"
	}
	switch {
	case md != "" && html != "":
		fmt.Fprintf(out, "Report    %s (HTML: %s)%s\n", md, html, where)
	case md != "":
		fmt.Fprintf(out, "Report    %s%s\n", md, where)
	default:
		fmt.Fprintf(out, "Report    not written (drillbook report %s renders one)\n", shellQuote(r.WorkflowID))
	}
}
