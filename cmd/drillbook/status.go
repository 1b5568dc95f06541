package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// queryTimeout bounds one progress query: without a worker polling the task
// queue, a query waits until its deadline.
const queryTimeout = 10 * time.Second

func newStatusCmd() *cobra.Command {
	var cf clientFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status WORKFLOW_ID [--json]",
		Short: "Show the progress of a run: every step, its status, attempts and duration",
		Long: `Show the progress of a run (the workflow's "progress" query): the runbook, its
pinned hash, the run's status, and a row per step with its status, attempts,
duration and a note (who approved it, why it was skipped, the error).

Statuses: ✅ succeeded  ❌ failed  ⏭️ skipped  ⏳ running  ⏸️ waiting for an
operator (approval, a decision or a manual step)  ⬜ pending  ➖ not run.

A worker must be running to answer the query, also for finished runs.`,
		Example: `  drillbook status backup-restore-20250101T120000-3f2a
  drillbook status backup-restore-20250101T120000-3f2a --json | jq '.steps[] | select(.status=="failed")'`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dialClient(cmd, &cf)
			if err != nil {
				return err
			}
			defer c.Close()
			p, err := queryProgress(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			}
			writeProgress(out, p, time.Now())
			for _, s := range p.Steps {
				if s.Status.Waiting() {
					fmt.Fprint(out, "\n"+waitingHint(p.WorkflowID, s, connArgs(&cf)))
				}
			}
			return nil
		},
	}
	cf.bind(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the progress as JSON (runs.Progress)")
	return cmd
}

// dialClient connects to Temporal for a client command. The SDK logs only
// errors, to stderr: a client command's output is its own.
func dialClient(cmd *cobra.Command, cf *clientFlags) (client.Client, error) {
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelError}))
	return cf.dial(logger)
}

// queryProgress asks a run for its progress, turning the usual failures
// into messages an operator can act on.
func queryProgress(ctx context.Context, c client.Client, workflowID string) (runs.Progress, error) {
	p, err := queryProgressOnce(ctx, c, workflowID, queryTimeout)
	if err == nil {
		return p, nil
	}
	var notFound *serviceerror.NotFound
	var notReady *serviceerror.WorkflowNotReady
	switch {
	case errors.As(err, &notFound):
		return p, failedErrorf("workflow %q not found", workflowID)
	case errors.As(err, &notReady):
		return p, failedErrorf("run %s has not started yet: no worker has picked it up (is `drillbook worker` or `drillbook dev` running?)", workflowID)
	case errors.Is(err, context.DeadlineExceeded) || isDeadline(err):
		return p, failedErrorf("run %s did not answer: is a drillbook worker (drillbook dev or drillbook worker) polling task queue %q?", workflowID, workflows.TaskQueue)
	}
	// A run that failed before it registered its query (bad input) cannot
	// answer it: say how the workflow ended instead.
	if desc, derr := c.DescribeWorkflowExecution(ctx, workflowID, ""); derr == nil {
		if info := desc.GetWorkflowExecutionInfo(); info != nil && info.GetCloseTime() != nil {
			return p, failedErrorf("run %s is %s and has no progress to show (%v)", workflowID, closeStatus(info.GetStatus().String()), err)
		}
	}
	return p, failedErrorf("query progress of %s: %w", workflowID, err)
}

// queryProgressOnce runs one progress query with its own deadline.
func queryProgressOnce(ctx context.Context, c client.Client, workflowID string, timeout time.Duration) (runs.Progress, error) {
	var p runs.Progress
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, workflowID, "", workflows.ProgressQuery)
	if err != nil {
		return p, err
	}
	if err := v.Get(&p); err != nil {
		return p, fmt.Errorf("decode progress of %s: %w", workflowID, err)
	}
	return p, nil
}

// isDeadline reports whether err is a gRPC deadline or cancellation.
func isDeadline(err error) bool {
	var de *serviceerror.DeadlineExceeded
	var ce *serviceerror.Canceled
	return errors.As(err, &de) || errors.As(err, &ce)
}

// closeStatus turns WORKFLOW_EXECUTION_STATUS_FAILED into "failed".
func closeStatus(s string) string {
	s = strings.TrimPrefix(s, "WORKFLOW_EXECUTION_STATUS_")
	return strings.ReplaceAll(strings.ToLower(s), "_", " ")
}

// connArgs repeats the connection flags the operator gave, so that the
// commands drillbook suggests reach the same cluster.
func connArgs(cf *clientFlags) string {
	var s string
	if cf.address != "" {
		s += " --address " + shellQuote(cf.address)
	}
	if cf.namespace != "" {
		s += " --namespace " + shellQuote(cf.namespace)
	}
	if cf.profile != "" {
		s += " --profile " + shellQuote(cf.profile)
	}
	return s
}

// writeProgress prints the status view: a header, then a table with a row
// per step.
func writeProgress(w io.Writer, p runs.Progress, now time.Time) {
	title := p.RunbookID
	if p.Title != "" && p.Title != p.RunbookID {
		title += " — " + p.Title
	}
	fmt.Fprintf(w, "Workflow  %s\n", p.WorkflowID)
	fmt.Fprintf(w, "Runbook   %s (hash %s)\n", title, shortHash(p.Hash))
	status := fmt.Sprintf("%s %s", runIcon(p.Status), p.Status)
	if p.Operator != "" {
		status += ", started by " + p.Operator
	}
	if p.Apply {
		status += ", apply=true"
	}
	fmt.Fprintf(w, "Status    %s\n", status)
	fmt.Fprintf(w, "Started   %s\n", formatTime(p.StartedAt))
	if !p.EndedAt.IsZero() {
		fmt.Fprintf(w, "Ended     %s (%s)\n", formatTime(p.EndedAt), formatDuration(p.EndedAt.Sub(p.StartedAt)))
	}
	if p.Error != "" {
		fmt.Fprintf(w, "Error     %s\n", truncateLine(p.Error, 200))
	}
	fmt.Fprintln(w)
	rows := [][]string{{"#", "STEP", "STATUS", "ATTEMPTS", "DURATION", "NOTE"}}
	for i, s := range p.Steps {
		attempts := "-"
		if s.Attempts > 0 {
			attempts = fmt.Sprint(s.Attempts)
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), s.ID, statusIcon(s.Status) + " " + string(s.Status),
			attempts, formatDuration(stepDuration(s, now)), stepNote(s)})
	}
	writeTable(w, rows)
}

// writeTable aligns columns by their display width (emoji take two cells,
// which text/tabwriter does not know).
func writeTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth approximates a string's width in a terminal: emoji and
// other wide symbols take two cells, variation selectors none.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == 0xFE0F || r == 0x200D:
		case r >= 0x1F000, r >= 0x2300 && r <= 0x23FF, r >= 0x2600 && r <= 0x27BF, r >= 0x2B00 && r <= 0x2BFF:
			n += 2
		default:
			n++
		}
	}
	return n
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func shortHash(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if h == "" {
		return "-"
	}
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// truncateLine keeps the first line of s, at most n runes.
func truncateLine(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return s
}

// Temporal's decorations of an error message: which activity failed and
// how the SDK classified the error. Operators need the message itself.
var (
	activityErrorPrefix = regexp.MustCompile(`activity error \(type: [^,()]+, scheduledEventID: \d+, startedEventID: \d+, identity: [^)]*\): `)
	errorTypeSuffix     = regexp.MustCompile(` \(type: [\w.*]+, retryable: (true|false)\)`)
)

// cleanError strips Temporal's decorations from an error message.
func cleanError(s string) string {
	return errorTypeSuffix.ReplaceAllString(activityErrorPrefix.ReplaceAllString(s, ""), "")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@=+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
