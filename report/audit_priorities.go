package report

import (
	"slices"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// AuditRunbookID is the runbook whose reports take the shape of the
// summary an SRE writes by hand after a reliability audit.
const AuditRunbookID = "reliability-audit"

// IsAudit reports whether the run is a reliability audit.
func IsAudit(p runs.Progress) bool { return p.RunbookID == AuditRunbookID }

// The kinds of priority the summary knows, told apart by their steps' actions.
const (
	kindFly     = "fly"
	kindLatency = "latency"
	kindHealth  = "health"
	kindDR      = "dr"
)

// kindTitles name the priorities of a run whose steps carry no sections.
var kindTitles = map[string]string{
	kindFly: "Fly inventory", kindLatency: "Synthetic monitoring", kindHealth: "Health endpoints", kindDR: "Disaster recovery",
}

// actionKind is the kind of priority an action checks, or "".
func actionKind(action string) string {
	switch {
	case action == "fly.inventory":
		return kindFly
	case action == "http.probe":
		return kindLatency
	case action == "http.health":
		return kindHealth
	case strings.HasPrefix(action, "postgres."):
		return kindDR
	}
	return ""
}

// priority is one of the audit's independent checks: a child section of
// the runbook's parallel section, with its steps (indices into Steps).
type priority struct {
	title string
	kind  string
	steps []int
}

// audit is a run seen as a reliability audit: its priorities and the
// steps outside them (remediation, report).
type audit struct {
	p          runs.Progress
	priorities []priority
	other      []int
}

// newAudit finds the priorities from the steps' section paths: they are
// the child sections of the section with the most child sections holding
// steps (the deepest on a tie), which is the `{parallel=true}` section of
// the shipped runbook. Without sections, the steps are grouped by the kind
// of their action instead.
func newAudit(p runs.Progress) *audit {
	a := &audit{p: p}
	parent, ok := prioritySection(p.Steps)
	index := map[string]int{}
	for i, s := range p.Steps {
		title, kind := "", actionKind(s.Action)
		switch {
		case ok && len(s.Section) > len(parent) && slices.Equal(s.Section[:len(parent)], parent):
			title = s.Section[len(parent)]
		case !ok && kind != "":
			title = kindTitles[kind]
		default:
			a.other = append(a.other, i)
			continue
		}
		j, seen := index[title]
		if !seen {
			j = len(a.priorities)
			index[title] = j
			a.priorities = append(a.priorities, priority{title: title})
		}
		pr := &a.priorities[j]
		pr.steps = append(pr.steps, i)
		if pr.kind == "" {
			pr.kind = kind
		}
	}
	return a
}

// prioritySection returns the section path whose child sections are the
// priorities, and false when no section has two children.
func prioritySection(steps []runs.StepProgress) ([]string, bool) {
	type node struct {
		path     []string
		children []string
	}
	var nodes []*node
	byKey := map[string]*node{}
	for _, s := range steps {
		for k := 1; k < len(s.Section); k++ {
			key := strings.Join(s.Section[:k], "\x00")
			n := byKey[key]
			if n == nil {
				n = &node{path: s.Section[:k]}
				byKey[key] = n
				nodes = append(nodes, n)
			}
			if !slices.Contains(n.children, s.Section[k]) {
				n.children = append(n.children, s.Section[k])
			}
		}
	}
	var best *node
	for _, n := range nodes { // in order of first appearance: the first wins a full tie
		if len(n.children) < 2 {
			continue
		}
		if best == nil || len(n.children) > len(best.children) ||
			len(n.children) == len(best.children) && len(n.path) > len(best.path) {
			best = n
		}
	}
	if best == nil {
		return nil, false
	}
	return best.path, true
}

// stepsOf returns the priority's steps.
func (a *audit) stepsOf(pr priority) []runs.StepProgress {
	out := make([]runs.StepProgress, len(pr.steps))
	for i, j := range pr.steps {
		out[i] = a.p.Steps[j]
	}
	return out
}

// byAction returns the priorities' steps whose action is one of actions.
func (a *audit) byAction(actions ...string) []runs.StepProgress {
	var out []runs.StepProgress
	for _, pr := range a.priorities {
		for _, s := range a.stepsOf(pr) {
			if slices.Contains(actions, s.Action) {
				out = append(out, s)
			}
		}
	}
	return out
}

// severityRank is the index of s in severities (unknown ones last).
func severityRank(s runs.Severity) int {
	for i, sv := range severities[:len(severities)-1] {
		if strings.EqualFold(string(s), string(sv.sev)) {
			return i
		}
	}
	return len(severities) - 1
}

// findingGroup is the findings of a priority (or of the steps of one
// other section), most severe first, in step order within a severity.
type findingGroup struct {
	title    string
	findings []found
}

// findingGroups are the priorities' findings, then those of the other steps
// by their section; groups without findings are left out.
func (a *audit) findingGroups() []findingGroup {
	var groups []findingGroup
	collect := func(title string, steps []int) {
		g := findingGroup{title: title}
		for _, i := range steps {
			s := a.p.Steps[i]
			if s.Result != nil {
				for _, f := range s.Result.Findings {
					g.findings = append(g.findings, found{f, s.ID})
				}
			}
		}
		slices.SortStableFunc(g.findings, func(x, y found) int { return severityRank(x.Severity) - severityRank(y.Severity) })
		if len(g.findings) > 0 {
			groups = append(groups, g)
		}
	}
	for _, pr := range a.priorities {
		collect(pr.title, pr.steps)
	}
	var titles []string
	bySection := map[string][]int{}
	for _, i := range a.other {
		title := "Other steps"
		if sec := a.p.Steps[i].Section; len(sec) > 1 {
			title = sec[len(sec)-1]
		}
		if _, ok := bySection[title]; !ok {
			titles = append(titles, title)
		}
		bySection[title] = append(bySection[title], i)
	}
	for _, t := range titles {
		collect(t, bySection[t])
	}
	return groups
}

// severityCounts counts findings by severity, in severities order.
func severityCounts(groups []findingGroup) []int {
	n := make([]int, len(severities))
	for _, g := range groups {
		for _, f := range g.findings {
			n[severityRank(f.Severity)]++
		}
	}
	return n
}

// priorityMark is a priority's icon: ❌ when a step failed or a critical
// finding came up, ⏳ while a step has not finished, ⚠️ when nothing ran
// or high or medium findings came up, ✅ otherwise.
func (a *audit) priorityMark(pr priority) string {
	ran, waiting := false, false
	worst := len(severities)
	for _, s := range a.stepsOf(pr) {
		switch {
		case s.Status == runs.StatusFailed:
			return IconFailed
		case !s.Status.Done():
			waiting = true
		case s.Status == runs.StatusSucceeded:
			ran = true
		}
		if s.Result != nil {
			for _, f := range s.Result.Findings {
				worst = min(worst, severityRank(f.Severity))
			}
		}
	}
	switch {
	case worst == 0:
		return IconFailed
	case waiting:
		return IconWaiting
	case !ran || worst <= 2:
		return IconWarning
	}
	return IconSucceeded
}
