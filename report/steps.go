package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// The status marks of the report.
const (
	IconSucceeded = "✅"
	IconWarning   = "⚠️" // failed but the run went on, or skipped with a note
	IconFailed    = "❌"
	IconSkipped   = "⏭️" // skipped or not run
	IconWaiting   = "⏳"  // pending, running, waiting for an operator
	IconCanceled  = "⏹️"
	IconUnknown   = "❔"
)

func runIcon(s runs.RunStatus) string {
	switch s {
	case runs.RunSucceeded:
		return IconSucceeded
	case runs.RunFailed:
		return IconFailed
	case runs.RunCanceled:
		return IconCanceled
	case runs.RunRunning:
		return IconWaiting
	}
	return IconUnknown
}

func runLabel(s runs.RunStatus) string {
	if s == "" {
		return "Unknown"
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// stepMark returns the icon and label of step i of the run.
func stepMark(p runs.Progress, i int) (icon, label string) {
	s := p.Steps[i]
	switch s.Status {
	case runs.StatusSucceeded:
		return IconSucceeded, "succeeded"
	case runs.StatusFailed:
		if continued(p, i) {
			return IconWarning, "failed, run continued"
		}
		return IconFailed, "failed"
	case runs.StatusSkipped:
		if strings.TrimSpace(s.Note) != "" {
			return IconWarning, "skipped"
		}
		return IconSkipped, "skipped"
	case runs.StatusNotRun:
		return IconSkipped, "not run"
	case runs.StatusPending:
		return IconWaiting, "pending"
	case runs.StatusRunning:
		return IconWaiting, "running"
	case runs.StatusWaitingApproval:
		return IconWaiting, "waiting for approval"
	case runs.StatusWaitingDecision:
		return IconWaiting, "waiting for a decision"
	case runs.StatusWaitingManual:
		return IconWaiting, "waiting for an operator"
	}
	return IconUnknown, string(s.Status)
}

// continued reports whether the run went on after step i failed: the run
// succeeded anyway, or a later step that is not a cleanup step started.
// (Cleanup steps run after a failure whatever happens.)
func continued(p runs.Progress, i int) bool {
	if p.Status == runs.RunSucceeded {
		return true
	}
	for _, s := range p.Steps[i+1:] {
		if s.Cleanup {
			continue
		}
		if !s.StartedAt.IsZero() || s.Status == runs.StatusSucceeded || s.Status == runs.StatusFailed ||
			s.Status == runs.StatusRunning || s.Status.Waiting() {
			return true
		}
	}
	return false
}

// statusCounts summarises the steps: "6 steps: 4 ✅ · 1 ⚠️ · 1 ❌".
func statusCounts(p runs.Progress) string {
	if len(p.Steps) == 0 {
		return ""
	}
	order := []string{IconSucceeded, IconWarning, IconFailed, IconSkipped, IconWaiting, IconUnknown}
	n := map[string]int{}
	for i := range p.Steps {
		icon, _ := stepMark(p, i)
		n[icon]++
	}
	parts := []string{}
	for _, icon := range order {
		if n[icon] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[icon], icon))
		}
	}
	return fmt.Sprintf("%s: %s", plural(len(p.Steps), "step", "steps"), strings.Join(parts, " · "))
}

// stepName is "Title (`id`)", or the id alone.
func stepName(s runs.StepProgress, inTable bool) string {
	id := code(s.ID)
	if inTable {
		id = cellCode(s.ID)
	}
	name := id
	if t := oneLine(s.Title); t != "" && t != s.ID {
		name = fmt.Sprintf("%s (%s)", text(t), id)
	}
	if s.Cleanup {
		name += " · cleanup"
	}
	return name
}

func stepDuration(s runs.StepProgress) string {
	if s.StartedAt.IsZero() || s.EndedAt.IsZero() {
		return "—"
	}
	return duration(s.EndedAt.Sub(s.StartedAt))
}

// approver is who decided on a gated step: "alice", "rejected by bob".
func approver(a *runs.Approval) string {
	if a == nil {
		return "—"
	}
	by := oneLine(a.By)
	if by == "" {
		by = "someone"
	}
	if !a.Approved {
		return "rejected by " + text(by)
	}
	return text(by)
}

func writeStepTable(b *strings.Builder, p runs.Progress) {
	if len(p.Steps) == 0 {
		return
	}
	b.WriteString("## Steps\n\n| # | Step | Status | Duration | Attempts | Approver |\n|---:|---|---|---:|---:|---|\n")
	for i, s := range p.Steps {
		icon, label := stepMark(p, i)
		attempts := "—"
		if s.Attempts > 0 {
			attempts = fmt.Sprint(s.Attempts)
		}
		fmt.Fprintf(b, "| %d | %s | %s %s | %s | %s | %s |\n",
			i+1, stepName(s, true), icon, label, stepDuration(s), attempts, approver(s.Approval))
	}
	b.WriteString("\n")
}

func writeStepDetails(b *strings.Builder, p runs.Progress, opts Options) {
	if len(p.Steps) == 0 {
		return
	}
	b.WriteString("## Step details\n\n")
	for i, s := range p.Steps {
		icon, label := stepMark(p, i)
		fmt.Fprintf(b, "### %d. %s\n\n", i+1, stepName(s, false))
		facts := []string{icon + " " + label}
		kind := s.Kind
		if s.Action != "" {
			kind = s.Action
		}
		if kind != "" {
			facts = append(facts, code(kind))
		}
		if d := stepDuration(s); d != "—" {
			facts = append(facts, d)
		}
		if s.Attempts > 1 {
			facts = append(facts, fmt.Sprintf("%d attempts", s.Attempts))
		}
		if s.Result != nil && len(s.Result.Findings) > 0 {
			facts = append(facts, plural(len(s.Result.Findings), "finding", "findings"))
		}
		if len(s.Section) > 0 {
			facts = append(facts, "section "+text(strings.Join(s.Section, " › ")))
		}
		b.WriteString(strings.Join(facts, " · ") + "\n\n")
		if d := strings.TrimSpace(s.Description); d != "" {
			b.WriteString(d + "\n\n") // the runbook's own Markdown prose
		}
		if a := s.Approval; a != nil {
			verb := "Approved"
			if !a.Approved {
				verb = "Rejected"
			}
			line := fmt.Sprintf("**%s** by %s", verb, text(orDefault(a.By, "someone")))
			if !a.At.IsZero() {
				line += " at " + timestamp(a.At)
			}
			if r := oneLine(a.Reason); r != "" {
				line += ": " + text(r)
			}
			b.WriteString(line + "\n\n")
		}
		labelled(b, "Note", s.Note)
		labelled(b, "Error", s.Error)
		writeResult(b, s, opts)
	}
}

func labelled(b *strings.Builder, label, s string) {
	if oneLine(s) != "" {
		fmt.Fprintf(b, "**%s:** %s\n\n", label, text(s))
	}
}

func orDefault(s, def string) string {
	if oneLine(s) == "" {
		return def
	}
	return s
}

// writeResult writes a step's summary, outputs, output tail and tables.
func writeResult(b *strings.Builder, s runs.StepProgress, opts Options) {
	r := s.Result
	if r == nil {
		r = &runs.ActionResult{}
	}
	labelled(b, "Summary", r.Summary)
	if len(r.Outputs) > 0 {
		keys := make([]string, 0, len(r.Outputs))
		for k := range r.Outputs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("| Output | Value |\n|---|---|\n")
		for _, k := range keys {
			fmt.Fprintf(b, "| %s | %s |\n", cellCode(k), text(r.Outputs[k]))
		}
		b.WriteString("\n")
	}
	tail := s.OutputTail
	if tail == "" {
		tail = r.OutputTail
	}
	if strings.TrimSpace(tail) != "" {
		if len(tail) > opts.MaxTail {
			cut := tailOf(tail, opts.MaxTail)
			if i := strings.IndexByte(cut, '\n'); i >= 0 && i < len(cut)-1 {
				cut = cut[i+1:] // start at a whole line
			}
			fmt.Fprintf(b, "Output (last %d of %d bytes):\n\n", len(cut), len(tail))
			tail = cut
		} else {
			b.WriteString("Output:\n\n")
		}
		b.WriteString(fenced(strings.TrimRight(tail, "\n"), "text") + "\n")
	}
	for _, t := range r.Tables {
		writeTable(b, t)
	}
}

// plural returns "1 step", "2 steps".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
