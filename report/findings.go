package report

import (
	"fmt"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// severities is the order findings are reported in; anything else comes
// last, as "other".
var severities = []struct {
	sev   runs.Severity
	label string
	icon  string
}{
	{runs.SeverityCritical, "Critical", "🔴"},
	{runs.SeverityHigh, "High", "🟠"},
	{runs.SeverityMedium, "Medium", "🟡"},
	{runs.SeverityLow, "Low", "🔵"},
	{runs.SeverityInfo, "Info", "⚪"},
	{"", "Other", "❔"},
}

// found is a finding with the step that reported it.
type found struct {
	runs.Finding
	step string
}

// groupFindings collects the steps' findings by severity, in step order
// within each severity.
func groupFindings(steps []runs.StepProgress) [][]found {
	groups := make([][]found, len(severities))
	for _, s := range steps {
		if s.Result == nil {
			continue
		}
		for _, f := range s.Result.Findings {
			g := len(severities) - 1
			for i, sv := range severities[:len(severities)-1] {
				if strings.EqualFold(string(f.Severity), string(sv.sev)) {
					g = i
				}
			}
			groups[g] = append(groups[g], found{f, s.ID})
		}
	}
	return groups
}

func writeFindings(b *strings.Builder, steps []runs.StepProgress) {
	groups := groupFindings(steps)
	var counts []string
	for i, g := range groups {
		if len(g) > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", len(g), strings.ToLower(severities[i].label)))
		}
	}
	if len(counts) == 0 {
		return
	}
	fmt.Fprintf(b, "## Findings\n\n%s.\n\n", strings.Join(counts, " · "))
	for i, g := range groups {
		if len(g) == 0 {
			continue
		}
		fmt.Fprintf(b, "### %s %s (%d)\n\n", severities[i].icon, severities[i].label, len(g))
		for _, f := range g {
			writeFinding(b, f)
		}
	}
}

func writeFinding(b *strings.Builder, f found) {
	title := orDefault(f.Title, "Untitled finding")
	if subj := oneLine(f.Subject); subj != "" {
		fmt.Fprintf(b, "#### %s — %s\n\n", text(title), text(subj))
	} else {
		fmt.Fprintf(b, "#### %s\n\n", text(title))
	}
	if strings.TrimSpace(f.Impact) != "" {
		b.WriteString(para(f.Impact) + "\n\n")
	}
	facts := []string{"Found by " + code(f.step)}
	if c := oneLine(f.Category); c != "" {
		facts = append(facts, "category "+text(c))
	}
	if f.Severity != "" && groupOther(f.Severity) {
		facts = append(facts, "severity "+text(string(f.Severity)))
	}
	ev := strings.TrimSpace(f.Evidence)
	if ev != "" && !strings.Contains(ev, "\n") {
		facts = append(facts, "evidence: "+text(ev))
	}
	b.WriteString(strings.Join(facts, " · ") + "\n\n")
	if strings.Contains(ev, "\n") {
		b.WriteString("Evidence:\n\n" + fenced(ev, "text") + "\n")
	}
	if r := strings.TrimSpace(f.Resolution); r != "" {
		b.WriteString("Resolution:\n\n" + fenced(r, "sh") + "\n")
	}
}

// groupOther reports whether s is not one of the known severities.
func groupOther(s runs.Severity) bool {
	for _, sv := range severities[:len(severities)-1] {
		if strings.EqualFold(string(s), string(sv.sev)) {
			return false
		}
	}
	return true
}
