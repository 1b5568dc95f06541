package runbooks

import (
	"fmt"
	"strings"
	"testing"
)

// md builds test Markdown: lines joined by newlines, with three single
// quotes standing for a backtick fence (Go raw strings cannot hold backticks).
func md(lines ...string) string {
	return strings.ReplaceAll(strings.Join(lines, "\n")+"\n", "'''", "```")
}

func mustParse(t testing.TB, src string) *Runbook {
	t.Helper()
	rb, err := Parse("t.md", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return rb
}

// diagKey is the comparable part of a diagnostic in tests.
func diagKey(d Diagnostic) string {
	return fmt.Sprintf("%d:%d %s %s", d.Line, d.Col, d.Severity, d.Rule)
}

func dumpDiags(diags []Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "\n  %s [%s]", d, d.Rule)
	}
	return b.String()
}
