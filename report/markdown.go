// Package report turns a run's progress into the Markdown report an
// operator reads (and files with the audit), and that Markdown into a
// self-contained HTML page. Everything here is a pure function of its
// input: no clock, no files, no map order, so the same run always gives
// the same bytes.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/hotdash/drillbook/runs"
)

// DefaultMaxTail bounds each step's output tail in the report.
const DefaultMaxTail = 4 << 10

// Options tune the report.
type Options struct {
	// MaxTail bounds each step's output tail, in bytes (the end is kept);
	// DefaultMaxTail when 0.
	MaxTail int
	// Artifacts are listed after those the steps returned (e.g. the journal).
	Artifacts []runs.Artifact
}

// Markdown renders the report of a run: title and status, the run's facts
// (workflow, runbook id and hash, times, operator, mode), inputs (secret
// values as ***), the steps at a glance, findings by severity with their
// resolution commands, each step's details (description, note, error,
// outputs, output tail, tables) and the artifacts written. A reliability
// audit (IsAudit) is rendered as an audit summary instead, with the
// generic report as its appendix.
func Markdown(p runs.Progress, opts Options) string {
	if opts.MaxTail <= 0 {
		opts.MaxTail = DefaultMaxTail
	}
	if IsAudit(p) {
		return auditMarkdown(p, opts)
	}
	var b strings.Builder
	writeHeader(&b, p)
	writeInputs(&b, p.Inputs)
	writeStepTable(&b, p)
	writeFindings(&b, p.Steps)
	writeStepDetails(&b, p, opts)
	writeArtifacts(&b, p.Steps, opts.Artifacts)
	return maskSecrets(b.String(), p.Inputs)
}

// Title returns the report's title: "<Name> Reliability Audit Summary"
// for an audit, else the run's title, else the runbook id.
func Title(p runs.Progress) string {
	if IsAudit(p) {
		return auditTitle(p)
	}
	if t := oneLine(p.Title); t != "" {
		return t
	}
	if p.RunbookID != "" {
		return "Runbook " + p.RunbookID
	}
	return "drillbook run"
}

func writeHeader(b *strings.Builder, p runs.Progress) {
	fmt.Fprintf(b, "# %s\n\n", text(Title(p)))
	fmt.Fprintf(b, "%s **%s**", runIcon(p.Status), text(runLabel(p.Status)))
	if counts := statusCounts(p); counts != "" {
		fmt.Fprintf(b, " — %s", counts)
	}
	b.WriteString("\n\n")
	b.WriteString("| Run | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(b, "| %s | %s |\n", k, v)
		}
	}
	row("Workflow", cellCode(p.WorkflowID))
	row("Runbook", cellCode(p.RunbookID))
	row("Runbook SHA-256", cellCode(p.Hash))
	row("Started", timestamp(p.StartedAt))
	row("Ended", timestamp(p.EndedAt))
	if !p.StartedAt.IsZero() && !p.EndedAt.IsZero() {
		row("Duration", duration(p.EndedAt.Sub(p.StartedAt)))
	}
	row("Operator", text(p.Operator))
	if p.Apply {
		row("Mode", "apply: risky actions ran after approval")
	} else {
		row("Mode", "dry run: risky actions were not applied")
	}
	b.WriteString("\n")
	if p.Error != "" {
		fmt.Fprintf(b, "> **Error:** %s\n\n", text(p.Error))
	}
}

func writeInputs(b *strings.Builder, inputs []runs.InputValue) {
	if len(inputs) == 0 {
		return
	}
	b.WriteString("## Inputs\n\n| Input | Value |\n|---|---|\n")
	for _, in := range inputs {
		v := text(in.Value)
		if in.Secret { // the workflow masks them already; never trust one place
			v = `\*\*\*`
		}
		fmt.Fprintf(b, "| %s | %s |\n", cellCode(in.Name), v)
	}
	b.WriteString("\n")
}

func writeArtifacts(b *strings.Builder, steps []runs.StepProgress, extra []runs.Artifact) {
	var all []runs.Artifact
	index := map[string]int{}
	add := func(a runs.Artifact) {
		if i, ok := index[a.Path]; ok {
			all[i] = a // a later attempt's log, grown: keep its place, take the new size and hash
			return
		}
		index[a.Path] = len(all)
		all = append(all, a)
	}
	for _, s := range steps {
		if s.Result != nil {
			for _, a := range s.Result.Artifacts {
				add(a)
			}
		}
	}
	for _, a := range extra {
		add(a)
	}
	if len(all) == 0 {
		return
	}
	b.WriteString("## Artifacts\n\nPaths are relative to the artifacts directory.\n\n")
	b.WriteString("| Path | Size | SHA-256 |\n|---|---:|---|\n")
	for _, a := range all {
		fmt.Fprintf(b, "| %s | %s | %s |\n", cellCode(a.Path), size(a.Bytes), cellCode(a.SHA256))
	}
	b.WriteString("\n")
}

// maskSecrets replaces any secret input value that slipped into the report.
func maskSecrets(md string, inputs []runs.InputValue) string {
	for _, in := range inputs {
		if in.Secret && len(in.Value) >= 4 && in.Value != "***" && !strings.HasPrefix(in.Value, "env:") {
			md = strings.ReplaceAll(md, in.Value, "***")
		}
	}
	return md
}

// timestamp formats t in UTC, or "" for the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// duration formats d for people: 350ms, 12.3s, 4m12s, 1h2m3s.
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// size formats a byte count: 512 B, 1.5 KiB, 3.2 MiB, 1.1 GiB.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KiB", "MiB", "GiB", "TiB"}[i])
}
