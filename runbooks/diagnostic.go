package runbooks

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity ranks a diagnostic.
type Severity string

// The severities, most serious first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	default:
		return 2
	}
}

// Diagnostic is one problem found in a runbook, at a 1-based line and column
// (columns count characters, a tab counting as one).
type Diagnostic struct {
	Path     string   `json:"path"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"` // short code, see docs/runbook-format.md
	Message  string   `json:"message"`
}

// String formats d as `path:line:col: severity: message`.
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.Path, d.Line, d.Col, d.Severity, d.Message)
}

// HasErrors reports whether any diagnostic is an error.
func HasErrors(diags []Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// sortDiagnostics orders diagnostics by position, then severity, rule and
// message, so that output is stable.
func sortDiagnostics(diags []Diagnostic) {
	slices.SortStableFunc(diags, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// ParseError is returned by Parse for input that is not a runbook at all: a
// binary file, invalid UTF-8 or a file over MaxSize.
type ParseError struct {
	Path string
	Line int // 0 when the error is about the whole file
	Col  int
	Rule string
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
}

// Diagnostic returns the error as an error diagnostic (line 1 when the error
// is about the whole file).
func (e *ParseError) Diagnostic() Diagnostic {
	line, col := e.Line, e.Col
	if line == 0 {
		line, col = 1, 1
	}
	return Diagnostic{Path: e.Path, Line: line, Col: col, Severity: SeverityError, Rule: e.Rule, Message: e.Msg}
}
