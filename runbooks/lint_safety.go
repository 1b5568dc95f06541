package runbooks

import (
	"regexp"
	"strings"
)

// cmdStart matches where a shell command starts: line start, after ; & | (
// or after sudo and its options.
const cmdStart = `(?:^|[;&|(]\s*|\bsudo\s+(?:-\S+\s+)*)\s*`

var (
	// interactiveRE matches commands that wait for a terminal. Steps run
	// without one, so they hang until their timeout or read end-of-file.
	interactiveRE = regexp.MustCompile(cmdStart + `(read|vi|vim|nano|emacs|less|more|top|htop)(?:\s|$)` +
		`|\b(kubectl)\b[^|;&]*\s(edit)(?:\s|$)`)
	// destructiveRE matches commands that delete data or infrastructure.
	destructiveRE = regexp.MustCompile(`(?i)` + cmdStart + `(rm\s+-[a-z]*[rf][a-z]*|dropdb|wipefs|shred|mkfs(?:\.\w+)?|dd\s+if=)(?:\s|$)` +
		`|\b(kubectl)\b[^|;&]*\s(delete)\s` +
		`|\b(fly(?:ctl)?\s+(?:apps\s+|machines?\s+)?(?:destroy|remove))\b` +
		`|\b(drop\s+(?:database|table|schema)|truncate\s+(?:table\s+)?\w)`)
	// sqlWriteRE matches the first keyword of a statement that writes.
	sqlWriteRE = regexp.MustCompile(`(?i)^\s*(insert|update|delete|merge|create|alter|drop|truncate|grant|revoke|vacuum|reindex|cluster|refresh|copy\s+\S+\s+from)\b`)
)

// safety warns about commands that will not behave as a step: interactive
// programs, destructive commands without approval, and SQL that writes in a
// read-only sql step.
func (l *linter) safety(st *Step) {
	lines := bodyLines(st.Body)
	destructiveDone, interactiveDone := false, false
	for i, line := range lines {
		code := line
		if st.Kind == KindShell {
			code = stripShellComment(line)
		}
		if st.Kind == KindSQL {
			code, _, _ = strings.Cut(line, "--")
		}
		lower := strings.ToLower(code)
		if st.Kind == KindShell && !interactiveDone && containsAny(lower, interactiveWords) {
			if m := interactiveRE.FindStringSubmatchIndex(code); m != nil {
				word := matchWords(code, m)
				l.report((&bodyLine{st: st, i: i, text: line}).at(m[0]), SeverityWarning, "interactive",
					"%q waits for a terminal, but steps run without one: pass values as inputs instead", word)
				interactiveDone = true
			}
		}
		if st.Options.Approval != "required" && st.Kind != KindAction && !destructiveDone && containsAny(lower, destructiveWords) {
			if m := destructiveRE.FindStringSubmatchIndex(code); m != nil {
				l.report((&bodyLine{st: st, i: i, text: line}).at(m[0]), SeverityWarning, "destructive",
					"%q destroys data or infrastructure: add approval=required so an operator confirms it", matchWords(code, m))
				destructiveDone = true
			}
		}
		if st.Kind == KindSQL && !st.Options.Write {
			if m := sqlWriteRE.FindStringSubmatchIndex(code); m != nil {
				l.report((&bodyLine{st: st, i: i, text: line}).at(m[2]), SeverityWarning, "sql-write",
					"%s writes, but sql steps run read-only unless the block has {write=true}", strings.ToUpper(code[m[2]:m[3]]))
				return
			}
		}
	}
}

// Words one of which a line must contain for the regexps above to match:
// a cheap filter that lets most lines skip them.
var (
	interactiveWords = []string{"read", "vi", "nano", "emacs", "less", "more", "top", "edit"}
	destructiveWords = []string{"rm", "dropdb", "wipefs", "shred", "mkfs", "dd", "kubectl", "fly", "drop", "truncate"}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// matchWords returns the non-empty capture groups of a match, joined by a
// space ("kubectl delete").
func matchWords(s string, m []int) string {
	var words []string
	for g := 2; g+1 < len(m); g += 2 {
		if m[g] >= 0 {
			words = append(words, strings.Join(strings.Fields(s[m[g]:m[g+1]]), " "))
		}
	}
	if len(words) == 0 {
		return strings.TrimSpace(s[m[0]:m[1]])
	}
	return strings.Join(words, " ")
}

// stripShellComment drops a # comment that starts a line or follows a space.
func stripShellComment(line string) string {
	t := strings.TrimLeft(line, " \t")
	if strings.HasPrefix(t, "#") {
		return ""
	}
	if i := strings.Index(line, " #"); i >= 0 {
		return line[:i]
	}
	return line
}
