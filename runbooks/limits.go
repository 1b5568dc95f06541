package runbooks

import (
	"bytes"
	"fmt"
)

// goldmark, like most CommonMark parsers, takes time that grows faster than
// the input for two shapes no real runbook has: lists nested hundreds of
// levels deep by indentation, and paragraphs made of thousands of link
// reference definitions. checkComplexity estimates both before parsing and
// refuses the input with a clear error, so that Parse always returns within
// about a second for anything under MaxSize.
const (
	// indentBudget bounds the sum over lines of (indentation width)² for lines
	// indented more than freeIndent columns: 2,000 list levels cost about 1e10.
	indentBudget = 300_000_000
	freeIndent   = 32
	// linkRefBudget bounds (lines starting with '[') × (lines) per paragraph.
	linkRefBudget = 100_000_000
	// maxDiagnostics bounds what Lint returns.
	maxDiagnostics = 1000
)

func checkComplexity(path string, src []byte, idx *lineIndex) error {
	indentCost := 0
	runStart, runLines, runRefs := 0, 0, 0
	endRun := func() error {
		if runRefs*runLines > linkRefBudget {
			return &ParseError{Path: path, Line: runStart + 1, Col: 1, Rule: "complexity",
				Msg: fmt.Sprintf("a paragraph of %d lines starting here holds %d lines that look like link reference definitions; that is too many to parse safely", runLines, runRefs)}
		}
		runLines, runRefs = 0, 0
		return nil
	}
	for l := range idx.starts {
		line, _ := idx.text(l)
		w := indentWidth(line)
		if w > freeIndent {
			indentCost += w * w
			if indentCost > indentBudget {
				return &ParseError{Path: path, Line: l + 1, Col: 1, Rule: "complexity",
					Msg: fmt.Sprintf("indentation too deep to parse safely (this line is indented %d columns); flatten the nesting", w)}
			}
		}
		rest := bytes.TrimLeft(line, " \t")
		if len(rest) == 0 {
			if err := endRun(); err != nil {
				return err
			}
			continue
		}
		if runLines == 0 {
			runStart = l
		}
		runLines++
		if rest[0] == '[' {
			runRefs++
		}
	}
	return endRun()
}

// capDiagnostics keeps the first maxDiagnostics diagnostics and says how many
// more there were, as an error if any dropped one is an error.
func capDiagnostics(diags []Diagnostic) []Diagnostic {
	if len(diags) <= maxDiagnostics {
		return diags
	}
	rest := diags[maxDiagnostics:]
	sev := SeverityWarning
	if HasErrors(rest) {
		sev = SeverityError
	}
	last := diags[maxDiagnostics-1]
	return append(diags[:maxDiagnostics:maxDiagnostics], Diagnostic{
		Path: last.Path, Line: last.Line, Col: last.Col, Severity: sev, Rule: "too-many",
		Message: fmt.Sprintf("%d more diagnostics not shown", len(rest)),
	})
}
