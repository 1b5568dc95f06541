package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// statusIcon is the emoji a step status shows as.
func statusIcon(s runs.StepStatus) string {
	switch s {
	case runs.StatusSucceeded:
		return "✅"
	case runs.StatusFailed:
		return "❌"
	case runs.StatusSkipped:
		return "⏭️"
	case runs.StatusRunning:
		return "⏳"
	case runs.StatusWaitingApproval, runs.StatusWaitingDecision, runs.StatusWaitingManual:
		return "⏸️"
	case runs.StatusNotRun:
		return "➖"
	default:
		return "⬜"
	}
}

// runIcon is the emoji a run status shows as.
func runIcon(s runs.RunStatus) string {
	switch s {
	case runs.RunSucceeded:
		return "✅"
	case runs.RunFailed:
		return "❌"
	case runs.RunCanceled:
		return "⏹️"
	default:
		return "⏳"
	}
}

// stepDuration is how long a step ran: until it ended, or until now while
// it runs or waits. Zero when it never started.
func stepDuration(s runs.StepProgress, now time.Time) time.Duration {
	if s.StartedAt.IsZero() {
		return 0
	}
	end := s.EndedAt
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(s.StartedAt), 0)
}

// formatDuration renders a duration the way people read them: 0.4s, 12.3s,
// 2m05s, 1h02m.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// stepNote is the one-line note the status table and live view show: the
// approval, the operator's note, or the first line of the error.
func stepNote(s runs.StepProgress) string {
	var parts []string
	if a := s.Approval; a != nil {
		verb := "approved"
		if !a.Approved {
			verb = "rejected"
		}
		p := verb + " by " + orDash(a.By)
		if a.Reason != "" {
			p += ": " + a.Reason
		}
		parts = append(parts, p)
	}
	if s.Note != "" && (s.Approval == nil || !strings.Contains(s.Note, s.Approval.By)) {
		parts = append(parts, s.Note)
	}
	if s.Error != "" && (s.Status == runs.StatusFailed || s.Status == runs.StatusWaitingDecision) {
		parts = append(parts, "error: "+cleanError(s.Error))
	}
	if s.Findings > 0 {
		parts = append(parts, fmt.Sprintf("%d finding(s)", s.Findings))
	}
	return truncateLine(strings.Join(parts, "; "), 100)
}

// stepLine is the live view's line for a step that changed status, e.g.
// `[3/12] ✅ dump (2 attempts, 1.2s)`.
func stepLine(i, n int, s runs.StepProgress, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%d/%d] %s %s", i+1, n, statusIcon(s.Status), s.ID)
	var detail []string
	switch s.Status {
	case runs.StatusRunning:
		if s.Attempts > 1 {
			detail = append(detail, fmt.Sprintf("running, attempt %d", s.Attempts))
		} else {
			detail = append(detail, "running")
		}
	case runs.StatusSucceeded, runs.StatusFailed:
		if s.Attempts == 0 { // a manual step, or one the engine decided
			detail = append(detail, string(s.Status))
			break
		}
		detail = append(detail, plural(s.Attempts, "attempt"), formatDuration(stepDuration(s, now)))
	default:
		detail = append(detail, string(s.Status))
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(detail, ", "))
	if note := stepNote(s); note != "" && s.Status != runs.StatusRunning {
		b.WriteString(" — " + note)
	}
	return b.String()
}

// waitingHint is the prominent block printed when a step starts waiting for
// an operator: what it waits for and the exact commands that answer it.
// conn holds the connection flags to repeat in those commands.
func waitingHint(workflowID string, s runs.StepProgress, conn string) string {
	cmd := func(args string) string { return "drillbook " + args + conn }
	id := shellQuote(workflowID)
	step := shellQuote(s.ID)
	var what string
	var cmds []string
	switch s.Status {
	case runs.StatusWaitingApproval:
		what = "needs approval"
		cmds = []string{cmd("approve " + id + " " + step), cmd("approve " + id + " " + step + " --reject --reason '...'")}
	case runs.StatusWaitingDecision:
		what = "failed and waits for a decision (retry, skip or abort)"
		cmds = []string{cmd("decide " + id + " " + step + " retry"), cmd("decide " + id + " " + step + " skip"), cmd("decide " + id + " " + step + " abort")}
	case runs.StatusWaitingManual:
		what = "is a manual step: do it, then mark it done"
		cmds = []string{cmd("complete " + id + " " + step + " --note '...'"), cmd("complete " + id + " " + step + " --skip")}
	default:
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  ⏸️  WAITING: step %s %s", s.ID, what)
	if s.Title != "" && s.Title != s.ID {
		fmt.Fprintf(&b, " (%s)", s.Title)
	}
	b.WriteString("\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "      → %s\n", c)
	}
	return b.String()
}

// Live view timings.
const (
	pollEvery        = 500 * time.Millisecond
	pollQueryTimeout = 5 * time.Second
	// noWorkerHintAfter is when the live view says that nothing answers.
	noWorkerHintAfter = 15 * time.Second
)

// liveView prints a line whenever a step's status (or attempt) changes, and
// a prominent hint when a step starts waiting for an operator.
type liveView struct {
	out        io.Writer
	workflowID string
	conn       string   // connection flags repeated in suggested commands
	started    bool     // the header was printed
	seen       []string // per step: the status and attempt last printed
}

// show prints what changed since the previous progress.
func (v *liveView) show(p runs.Progress, now time.Time) {
	if !v.started && len(p.Steps) > 0 {
		v.started = true
		title := p.RunbookID
		if p.Title != "" && p.Title != p.RunbookID {
			title += " — " + p.Title
		}
		fmt.Fprintf(v.out, "Runbook   %s (hash %s, %s)\n", title, shortHash(p.Hash), plural(len(p.Steps), "step"))
	}
	if len(v.seen) != len(p.Steps) {
		v.seen = make([]string, len(p.Steps))
	}
	for i, s := range p.Steps {
		key := fmt.Sprintf("%s/%d", s.Status, s.Attempts)
		if key == v.seen[i] {
			continue
		}
		v.seen[i] = key
		if s.Status == runs.StatusPending {
			continue
		}
		fmt.Fprintln(v.out, stepLine(i, len(p.Steps), s, now))
		if s.Status.Waiting() {
			fmt.Fprint(v.out, waitingHint(v.workflowID, s, v.conn))
		}
	}
}

// watchRun follows a run until it closes: it polls the progress query about
// every pollEvery and prints the changes, then the outcome. Query failures
// (no worker yet, a query before the first workflow task, a run that failed
// before it could answer) are retried quietly; the workflow's own result
// decides the exit code.
func watchRun(ctx context.Context, out io.Writer, c client.Client, wr client.WorkflowRun, conn string) error {
	view := &liveView{out: out, workflowID: wr.GetID(), conn: conn}
	var result workflows.RunRunbookResult
	done := make(chan error, 1)
	go func() { done <- wr.Get(ctx, &result) }()
	start, answered, hinted := time.Now(), false, false
	poll := func() {
		p, err := queryProgressOnce(ctx, c, wr.GetID(), pollQueryTimeout)
		switch {
		case err == nil:
			answered = true
			view.show(p, time.Now())
		case !answered && !hinted && time.Since(start) > noWorkerHintAfter:
			hinted = true
			fmt.Fprintf(out, "… no answer from the run yet: is a drillbook worker (drillbook dev or drillbook worker) polling task queue %q?\n", workflows.TaskQueue)
		}
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	poll()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return stoppedWatching(wr.GetID(), conn)
			}
			poll() // the last transitions, when a worker can still answer
			return runOutcome(out, wr.GetID(), result, err)
		case <-tick.C:
			poll()
		case <-ctx.Done():
			return stoppedWatching(wr.GetID(), conn)
		}
	}
}

// stoppedWatching is the error of an interrupted --wait: the run goes on.
func stoppedWatching(workflowID, conn string) error {
	return failedErrorf("stopped watching; run %s goes on (drillbook status %s%s)", workflowID, shellQuote(workflowID), conn)
}

// countsLine renders counts in a fixed order, then any others sorted:
// "3 succeeded, 1 skipped".
func countsLine(counts map[string]int, order []string) string {
	var parts []string
	done := map[string]bool{}
	for _, k := range order {
		done[k] = true
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	var rest []string
	for k, n := range counts {
		if !done[k] && n > 0 {
			rest = append(rest, fmt.Sprintf("%d %s", n, k))
		}
	}
	sort.Strings(rest)
	parts = append(parts, rest...)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
