package runbooks

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Lint checks a parsed runbook. It returns the diagnostics Parse recorded
// plus its own, sorted by position. The rules and their codes are listed in
// docs/runbook-format.md. A runbook with any error diagnostic must not run.
func Lint(rb *Runbook) []Diagnostic {
	l := &linter{rb: rb, byID: map[string]int{}}
	l.diags = append(l.diags, rb.Diagnostics...)
	for i := range rb.Steps {
		if _, dup := l.byID[rb.Steps[i].ID]; !dup {
			l.byID[rb.Steps[i].ID] = i
		}
	}
	l.inputs()
	l.sections()
	for i := range rb.Steps {
		l.step(i)
	}
	l.noSteps()
	sortDiagnostics(l.diags)
	return capDiagnostics(l.diags)
}

type linter struct {
	rb    *Runbook
	byID  map[string]int // step id -> index of its first use
	diags []Diagnostic
}

func (l *linter) report(at pos, sev Severity, rule, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{
		Path: l.rb.Path, Line: max(at.Line, 1), Col: max(at.Col, 1),
		Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...),
	})
}

var inputNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (l *linter) inputs() {
	for _, in := range l.rb.Inputs {
		at := pos{Line: in.Line, Col: 1}
		if !inputNameRE.MatchString(in.Name) {
			l.report(at, SeverityError, "bad-value",
				"input name %q: use letters, digits and _ (shell steps see it as $%s)", in.Name, strings.ToUpper(in.Name))
		}
		if s, ok := in.Default.(string); ok && in.Secret && s != "" && !strings.HasPrefix(s, "env:") {
			l.report(at, SeverityWarning, "secret-default",
				"secret input %q has a literal default, which would enter workflow history: use env:NAME", in.Name)
		}
	}
}

func (l *linter) sections() {
	byID := map[string]*Section{}
	children := map[string]int{}
	for i := range l.rb.Sections {
		s := &l.rb.Sections[i]
		byID[s.ID] = s
		if s.Parent != "" {
			children[s.Parent]++
		}
	}
	for i := range l.rb.Sections {
		s := &l.rb.Sections[i]
		for _, a := range s.Attrs {
			at := pos{Line: s.Line, Col: a.Col}
			switch a.Key {
			case "id", "class":
			case "parallel":
				if _, ok := parseBool(a.Value); !ok {
					l.report(at, SeverityError, "bad-value", "parallel %q: use true or false", a.Value)
				}
			default:
				msg := fmt.Sprintf("unknown heading attribute %q is ignored", a.Key)
				if d := didYouMean(a.Key, HeadingAttributes); d != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", d)
				}
				l.report(at, SeverityWarning, "unknown-attribute", "%s", msg)
			}
		}
		if !s.Parallel {
			continue
		}
		at := pos{Line: s.Line, Col: 1}
		for p := byID[s.Parent]; p != nil; p = byID[p.Parent] {
			if p.Parallel {
				l.report(at, SeverityWarning, "parallel",
					"section %q is inside parallel section %q: it runs as one branch, its own children run in order", s.Title, p.Title)
				break
			}
		}
		if children[s.ID] == 0 {
			l.report(at, SeverityWarning, "parallel",
				"parallel section %q has no child sections: nothing runs concurrently (parallel=true applies to its subsections)", s.Title)
		}
	}
}

func (l *linter) noSteps() {
	manual := 0
	for i := range l.rb.Steps {
		if l.rb.Steps[i].Runnable() {
			return
		}
		manual++
	}
	at := pos{Line: 1, Col: 1}
	if manual > 0 {
		l.report(at, SeverityInfo, "no-steps", "no runnable step: a checklist of %d manual steps", manual)
		return
	}
	l.report(at, SeverityError, "no-steps",
		"no runnable step: no sh, bash, shell, sql or drill block and no task-list item (- [ ] ...), so there is nothing to run")
}

func (l *linter) step(i int) {
	st := &l.rb.Steps[i]
	at := pos{Line: st.Line, Col: st.Col}
	if first := l.byID[st.ID]; first != i {
		l.report(at, SeverityError, "duplicate-id", "duplicate step id %q: first used at line %d", st.ID, l.rb.Steps[first].Line)
	}
	l.attrs(st)
	if st.Kind != KindSQL {
		for _, a := range st.Attrs {
			if oneOf(a.Key, sqlAttributes) {
				l.report(pos{Line: st.Line, Col: a.Col}, SeverityWarning, "bad-value", "%s only applies to sql steps", a.Key)
			}
		}
	}
	if st.Kind == KindAction && st.Action != "" {
		l.action(st, at)
	}
	if st.Runnable() && st.Kind != KindAction && strings.TrimSpace(st.Body) == "" {
		l.report(at, SeverityWarning, "empty-step", "%s block is empty: the step does nothing", st.Language)
	}
	if st.Runnable() {
		l.placeholders(st)
		l.references(i)
		l.safety(st)
	}
}

func (l *linter) attrs(st *Step) {
	seen := map[string]bool{}
	for _, a := range st.Attrs {
		at := pos{Line: st.Line, Col: a.Col}
		if seen[a.Key] {
			l.report(at, SeverityError, "bad-value", "attribute %q is given twice", a.Key)
			continue
		}
		seen[a.Key] = true
		if !oneOf(a.Key, StepAttributes) {
			if oneOf(a.Key, runmeAttributes) {
				l.report(at, SeverityWarning, "runme-attribute", "Runme attribute %q is ignored by drillbook", a.Key)
				continue
			}
			msg := fmt.Sprintf("unknown attribute %q", a.Key)
			if d := didYouMean(a.Key, StepAttributes); d != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", d)
			} else {
				msg += " (known: " + strings.Join(StepAttributes, ", ") + ")"
			}
			l.report(at, SeverityError, "unknown-attribute", "%s", msg)
			continue
		}
		if msg := checkAttr(a.Key, a.Value); msg != "" {
			l.report(at, SeverityError, "bad-value", "%s", msg)
		}
	}
}

func (l *linter) action(st *Step, at pos) {
	spec, ok := LookupAction(st.Action)
	if !ok {
		msg := fmt.Sprintf("unknown action %q", st.Action)
		if d := didYouMean(st.Action, ActionNames()); d != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", d)
		} else {
			msg += " (actions: " + strings.Join(ActionNames(), ", ") + ")"
		}
		l.report(at, SeverityError, "unknown-action", "%s", msg)
		return
	}
	if spec.Risky && st.Options.Approval != "required" {
		l.report(at, SeverityWarning, "approval",
			"%s changes infrastructure and always waits for approval: write approval=required to say so", spec.Name)
	}
	keys := make([]string, 0, len(st.Params))
	for k := range st.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	names := make([]string, len(spec.Params))
	for i, p := range spec.Params {
		names[i] = p.Name
	}
	for _, k := range keys {
		kat := at
		if p, ok := st.paramPos[k]; ok {
			kat = p
		}
		p := spec.Param(k)
		if p == nil {
			msg := fmt.Sprintf("%s has no parameter %q", spec.Name, k)
			if d := didYouMean(k, names); d != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", d)
			} else {
				msg += " (parameters: " + strings.Join(names, ", ") + ")"
			}
			l.report(kat, SeverityError, "unknown-param", "%s", msg)
			continue
		}
		if msg := checkParam(p, st.Params[k]); msg != "" {
			l.report(kat, SeverityError, "param-type", "%s: %s", k, msg)
		}
	}
	if st.Params == nil && strings.TrimSpace(st.Body) != "" {
		return // the body is not a YAML mapping: Parse reported why
	}
	for _, p := range spec.Params {
		if _, ok := st.Params[p.Name]; p.Required && !ok {
			l.report(at, SeverityError, "missing-param", "%s needs parameter %q", spec.Name, p.Name)
		}
	}
}

// checkParam checks a parameter value against its type. Strings holding a
// ${...} reference are resolved at run time and accepted for any type.
func checkParam(p *Param, v any) string {
	if s, ok := v.(string); ok && strings.Contains(s, "${") {
		return ""
	}
	want := string(p.Type)
	ok := false
	switch p.Type {
	case TypeString:
		s, isStr := v.(string)
		ok = isStr
		if ok && len(p.Enum) > 0 && !oneOf(s, p.Enum) {
			return fmt.Sprintf("%q is not one of %s", s, strings.Join(p.Enum, ", "))
		}
	case TypeInt:
		switch n := v.(type) {
		case int, int64:
			ok = true
		case float64: // numbers decoded from JSON
			ok = n == float64(int64(n))
		}
		want = "an integer"
	case TypeNumber:
		switch v.(type) {
		case int, int64, float64:
			ok = true
		}
		want = "a number"
	case TypeBool:
		_, ok = v.(bool)
		want = "true or false"
	case TypeDuration:
		if s, isStr := v.(string); isStr {
			d, err := time.ParseDuration(s)
			if err == nil && d > 0 {
				return ""
			}
		}
		want = "a duration such as 800ms, 30s or 5m"
	case TypeList:
		_, ok = v.([]any)
		want = "a list"
	case TypeMap:
		_, ok = v.(map[string]any)
		want = "a mapping"
	default:
		ok = true
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("want %s, got %s", want, describeValue(v))
}
