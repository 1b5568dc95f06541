package runbooks

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	// refRE matches ${...} references.
	refRE = regexp.MustCompile(`\$\{([^{}\n]*)\}`)
	// placeholderRE matches text an author meant to be replaced: <APP_NAME>,
	// <my-pvc>, <backup name>, YOUR-PASSWORD, your_api_key, CHANGEME.
	placeholderRE = regexp.MustCompile(
		`<[A-Za-z][A-Za-z0-9]*(?:[ _.-][A-Za-z0-9]+)*>` +
			`|\b(?i:your)[-_][A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*` +
			`|\b(?:CHANGE_?ME|REPLACE_?ME)\b`)
	// htmlTags are tag names that are not placeholders inside code (heredocs
	// that write HTML).
	htmlTags = map[string]bool{
		"html": true, "head": true, "body": true, "div": true, "span": true, "p": true, "a": true,
		"b": true, "i": true, "em": true, "strong": true, "br": true, "hr": true, "pre": true,
		"code": true, "table": true, "tr": true, "td": true, "th": true, "ul": true, "ol": true,
		"li": true, "title": true, "meta": true, "script": true, "style": true, "h1": true,
		"h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "nobr": true,
	}
)

// bodyLine is one line of a step body, for reporting positions in it.
type bodyLine struct {
	st         *Step
	i          int    // index of the line in the body
	text       string // the line
	off, runes int    // last offset asked for and its rune count, to count incrementally
}

// at returns the file position of byte offset off of the line, or the
// step's own position if the body's lines have no positions (a Step decoded
// from JSON).
func (b *bodyLine) at(off int) pos {
	st := b.st
	if b.i >= len(st.lines) || st.lines[b.i].Line == 0 {
		return pos{Line: st.Line, Col: st.Col}
	}
	if off < b.off {
		b.off, b.runes = 0, 0
	}
	b.runes += utf8.RuneCountInString(b.text[b.off:off])
	b.off = off
	p := st.lines[b.i]
	return pos{Line: p.Line, Col: p.Col + b.runes}
}

func bodyLines(body string) []string {
	return strings.Split(strings.TrimSuffix(body, "\n"), "\n")
}

// placeholders reports text meant to be replaced inside runnable code: it
// needs an input.
func (l *linter) placeholders(st *Step) {
	seen := map[string]bool{}
	for i, line := range bodyLines(st.Body) {
		if !mayHavePlaceholder(line) {
			continue
		}
		bl := &bodyLine{st: st, i: i, text: line}
		refs := refRE.FindAllStringIndex(line, -1)
		for _, m := range placeholderRE.FindAllStringIndex(line, -1) {
			ph := line[m[0]:m[1]]
			if seen[ph] || insideAny(m[0], refs) || m[0] > 0 && (line[m[0]-1] == '$' || line[m[0]-1] == '{') {
				continue
			}
			name := strings.Trim(strings.ToLower(ph), "<>")
			if htmlTags[name] {
				continue
			}
			seen[ph] = true
			input := strings.Trim(strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
					return r
				}
				return '_'
			}, name), "_")
			use := fmt.Sprintf("${inputs.%s}", input)
			if st.Kind == KindShell {
				use = "$" + strings.ToUpper(input)
			}
			l.report(bl.at(m[0]), SeverityError, "placeholder",
				"placeholder %q in runnable code: declare an input (e.g. %s) in the front matter and use %s", ph, input, use)
		}
	}
}

// mayHavePlaceholder is a cheap test that lets most lines skip the
// placeholder regexp.
func mayHavePlaceholder(line string) bool {
	return strings.IndexByte(line, '<') >= 0 || strings.Contains(line, "CHANGE") || strings.Contains(line, "REPLACE") ||
		strings.Contains(line, "our-") || strings.Contains(line, "our_") || strings.Contains(line, "OUR-") || strings.Contains(line, "OUR_")
}

func insideAny(off int, spans [][]int) bool {
	for _, s := range spans {
		if off >= s[0] && off < s[1] {
			return true
		}
	}
	return false
}

// references checks ${...} references in a step's body and attributes.
// In shell bodies only ${inputs.*}, ${steps.*} and ${env.*} are drillbook's;
// other ${...} are the shell's own.
func (l *linter) references(i int) {
	st := &l.rb.Steps[i]
	shell := st.Kind == KindShell
	for n, line := range bodyLines(st.Body) {
		if !strings.Contains(line, "${") {
			continue
		}
		bl := &bodyLine{st: st, i: n, text: line}
		starts := map[int]bool{}
		for _, m := range refRE.FindAllStringSubmatchIndex(line, -1) {
			starts[m[0]] = true
			l.reference(i, line[m[2]:m[3]], bl.at(m[0]), shell)
		}
		if shell {
			continue
		}
		for k := strings.Index(line, "${"); k >= 0; {
			if !starts[k] {
				l.report(bl.at(k), SeverityError, "bad-reference", "${ is not closed on its line")
				break
			}
			next := strings.Index(line[k+2:], "${")
			if next < 0 {
				break
			}
			k += 2 + next
		}
	}
	for _, a := range st.Attrs {
		for _, m := range refRE.FindAllStringSubmatch(a.Value, -1) {
			l.reference(i, m[1], pos{Line: st.Line, Col: a.Col}, false)
		}
	}
}

func (l *linter) reference(i int, ref string, at pos, shell bool) {
	st := &l.rb.Steps[i]
	parts := strings.Split(strings.TrimSpace(ref), ".")
	switch parts[0] {
	case "inputs":
		if len(parts) != 2 || parts[1] == "" {
			l.report(at, SeverityError, "bad-reference", "${%s}: write ${inputs.NAME}", ref)
			return
		}
		if l.rb.Input(parts[1]) == nil {
			names := make([]string, len(l.rb.Inputs))
			for k, in := range l.rb.Inputs {
				names[k] = in.Name
			}
			msg := fmt.Sprintf("${%s}: no input %q is declared in the front matter", ref, parts[1])
			if d := didYouMean(parts[1], names); d != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", d)
			}
			l.report(at, SeverityError, "unknown-input", "%s", msg)
		}
	case "steps":
		if len(parts) != 4 || parts[1] == "" || parts[2] != "outputs" || parts[3] == "" {
			l.report(at, SeverityError, "bad-reference", "${%s}: write ${steps.ID.outputs.KEY}", ref)
			return
		}
		l.stepReference(st, i, ref, parts[1], at)
	case "env":
		if len(parts) != 2 || parts[1] == "" {
			l.report(at, SeverityError, "bad-reference", "${%s}: write ${env.NAME}", ref)
		}
	default:
		if !shell {
			l.report(at, SeverityError, "bad-reference",
				"unknown reference ${%s}: use ${inputs.NAME}, ${steps.ID.outputs.KEY} or ${env.NAME}", ref)
		}
	}
}

func (l *linter) stepReference(st *Step, i int, ref, id string, at pos) {
	j, ok := l.byID[id]
	if !ok {
		ids := make([]string, 0, i)
		for k := 0; k < i; k++ {
			ids = append(ids, l.rb.Steps[k].ID)
		}
		msg := fmt.Sprintf("${%s}: no step has id %q", ref, id)
		if d := didYouMean(id, ids); d != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", d)
		}
		l.report(at, SeverityError, "unknown-step", "%s", msg)
		return
	}
	target := &l.rb.Steps[j]
	switch {
	case j == i:
		l.report(at, SeverityError, "forward-reference", "${%s}: a step cannot use its own outputs", ref)
	case j > i:
		l.report(at, SeverityError, "forward-reference",
			"${%s}: step %q comes later (line %d); a step can only use outputs of steps before it", ref, id, target.Line)
	case st.ParallelGroup != "" && st.ParallelGroup == target.ParallelGroup &&
		st.Branch != "" && target.Branch != "" && st.Branch != target.Branch:
		l.report(at, SeverityError, "forward-reference",
			"${%s}: step %q runs concurrently in parallel branch %q, so its outputs may not exist yet", ref, id, target.Branch)
	case target.Kind == KindManual:
		l.report(at, SeverityWarning, "bad-reference", "${%s}: manual step %q has no outputs", ref, id)
	}
}
