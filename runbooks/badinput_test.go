package runbooks

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parseQuickly parses src and fails the test if that takes over a second.
func parseQuickly(t *testing.T, src []byte) (*Runbook, []Diagnostic, error) {
	t.Helper()
	start := time.Now()
	rb, err := Parse("bad.md", src)
	var diags []Diagnostic
	if err == nil {
		diags = Lint(rb)
	}
	if d := time.Since(start); d > timeBudget() {
		t.Errorf("parse + lint took %v, want under %v", d, timeBudget())
	}
	return rb, diags, err
}

// timeBudget is how long bad input may take: a second, ten under -race.
func timeBudget() time.Duration {
	if raceEnabled {
		return 10 * time.Second
	}
	return time.Second
}

func TestBadInputIsRejectedClearly(t *testing.T) {
	tests := []struct {
		name    string
		src     []byte
		rule    string
		line    int
		col     int
		message string
	}{
		{name: "binary file", src: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), rule: "encoding", line: 3, col: 1,
			message: "binary file: NUL byte"},
		{name: "invalid UTF-8", src: []byte("# Title\n\nabc \xff\xfe def\n"), rule: "encoding", line: 3, col: 5,
			message: "invalid UTF-8 (byte 0xff)"},
		{name: "Latin-1 text", src: []byte("# Caf\xe9\n"), rule: "encoding", line: 1, col: 6,
			message: "invalid UTF-8"},
		{name: "50 MB file", src: bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef012345678901234\n"), 50<<20/64),
			rule: "size", message: "file is 50.0 MiB; a runbook may be at most 4.0 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseQuickly(t, tt.src)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Rule != tt.rule || pe.Line != tt.line || pe.Col != tt.col || !strings.Contains(pe.Msg, tt.message) {
				t.Errorf("got %+v, want rule %s at %d:%d with %q", pe, tt.rule, tt.line, tt.col, tt.message)
			}
			d := pe.Diagnostic()
			if d.Severity != SeverityError || d.Line < 1 || !strings.HasPrefix(d.String(), "bad.md:") {
				t.Errorf("diagnostic = %v", d)
			}
		})
	}
}

func TestTooComplexIsRejectedClearly(t *testing.T) {
	var deep bytes.Buffer
	for i := 0; i < 2000; i++ {
		deep.WriteString(strings.Repeat("  ", i) + "- level\n")
	}
	tests := []struct {
		name    string
		src     []byte
		line    int
		message string
	}{
		{name: "2,000 nested list levels by indentation", src: deep.Bytes(), line: 0,
			message: "indentation too deep to parse safely"},
		{name: "100,000 link reference definitions", src: []byte("intro\n\n" + strings.Repeat("[a]: /u\n", 100000)), line: 3,
			message: "holds 100000 lines that look like link reference definitions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseQuickly(t, tt.src)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Rule != "complexity" || !strings.Contains(pe.Msg, tt.message) {
				t.Fatalf("err = %v", err)
			}
			if tt.line != 0 && pe.Line != tt.line {
				t.Errorf("line = %d, want %d", pe.Line, tt.line)
			}
		})
	}
}

func TestLintCapsDiagnostics(t *testing.T) {
	rb, diags, err := parseQuickly(t, []byte("```sh {"+strings.Repeat("a=b ", 200000)+"}\nls\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Steps[0].Attrs) != 200000 {
		t.Errorf("attrs = %d", len(rb.Steps[0].Attrs))
	}
	if len(diags) != maxDiagnostics+1 {
		t.Fatalf("diagnostics = %d", len(diags))
	}
	last := diags[len(diags)-1]
	if last.Rule != "too-many" || last.Severity != SeverityError || !strings.Contains(last.Message, "199000 more") {
		t.Errorf("last = %v", last)
	}
}

func TestLoadFileRefusesHugeFilesBeforeReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.md")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil { // sparse: cheap to create
		t.Fatal(err)
	}
	f.Close()
	start := time.Now()
	_, err = LoadFile(path)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Rule != "size" || !strings.Contains(pe.Msg, "50.0 MiB") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > timeBudget() {
		t.Errorf("took %v", d)
	}
}

func TestPathologicalMarkdownStaysFast(t *testing.T) {
	const n = 10000
	deepIndented := func(levels int) []byte {
		var b bytes.Buffer
		for i := 0; i < levels; i++ {
			b.WriteString(strings.Repeat("  ", i))
			b.WriteString("- level\n")
		}
		b.WriteString(strings.Repeat("  ", levels) + "- [ ] the deepest task\n")
		return b.Bytes()
	}
	tests := []struct {
		name string
		src  []byte
		// check inspects the result; every case must parse without error.
		check func(t *testing.T, rb *Runbook, diags []Diagnostic)
	}{
		{name: "10,000 nested list levels on one line",
			src: []byte(strings.Repeat("- ", n) + "[ ] deep task\n"),
			check: func(t *testing.T, rb *Runbook, _ []Diagnostic) {
				if len(rb.Steps) != 1 || rb.Steps[0].Kind != KindManual {
					t.Errorf("steps = %d", len(rb.Steps))
				}
			}},
		{name: "10,000 nested ordered lists", src: []byte(strings.Repeat("1. ", n) + "x\n")},
		{name: "10,000 nested block quotes with a step",
			src: []byte(strings.Repeat(">", n) + " '''sh\n" + strings.Repeat(">", n) + " ls\n" + strings.Repeat(">", n) + " '''\n"),
			check: func(t *testing.T, rb *Runbook, diags []Diagnostic) {
				if len(rb.Steps) != 1 {
					t.Errorf("steps = %d, diags %s", len(rb.Steps), dumpDiags(diags))
				}
			}},
		{name: "300 nested list levels by indentation", src: deepIndented(300),
			check: func(t *testing.T, rb *Runbook, _ []Diagnostic) {
				if len(rb.Steps) != 1 {
					t.Errorf("steps = %d", len(rb.Steps))
				}
			}},
		{name: "a fence that never closes",
			src: []byte("# T\n'''sh {id=x}\n" + strings.Repeat("echo still code\n", 100000)),
			check: func(t *testing.T, rb *Runbook, diags []Diagnostic) {
				if len(diags) != 1 || diags[0].Rule != "unclosed-fence" || diags[0].Line != 2 {
					t.Errorf("diags:%s", dumpDiags(diags))
				}
			}},
		{name: "a fence that never closes as the last line", src: []byte("'''sh"),
			check: func(t *testing.T, _ *Runbook, diags []Diagnostic) {
				if len(diags) < 1 || diags[0].Rule != "unclosed-fence" {
					t.Errorf("diags:%s", dumpDiags(diags))
				}
			}},
		{name: "many opening brackets", src: []byte(strings.Repeat("[", 200000))},
		{name: "many emphasis markers", src: []byte(strings.Repeat("*a _b ", 100000))},
		{name: "many backticks", src: []byte(strings.Repeat("`a ``b ", 100000))},
		{name: "many angle brackets", src: []byte(strings.Repeat("<a ", 200000))},
		{name: "many link references", src: []byte(strings.Repeat("[a]: /u\n", 5000) + strings.Repeat("[a] ", 10000))},
		{name: "many table columns", src: []byte(strings.Repeat("|a", 50000) + "\n" + strings.Repeat("|-", 50000) + "\n" + strings.Repeat("|b", 50000) + "\n")},
		{name: "many headings", src: []byte(strings.Repeat("# h {parallel=true}\n## x\n", 50000))},
		{name: "one long line", src: []byte(strings.Repeat("word ", 800000))},
		{name: "huge info string", src: []byte("'''sh {" + strings.Repeat("a=b ", 200000) + "}\nls\n'''\n")},
		{name: "deep YAML parameters",
			src: []byte("'''drill http.probe\ntargets: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n'''\n")},
		{name: "YAML alias bomb",
			src: []byte("'''drill http.probe\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'''\n"),
			check: func(t *testing.T, _ *Runbook, diags []Diagnostic) {
				if len(diags) == 0 || diags[0].Rule != "yaml" {
					t.Errorf("diags:%s", dumpDiags(diags))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := bytes.ReplaceAll(tt.src, []byte("'''"), []byte("```"))
			rb, diags, err := parseQuickly(t, src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tt.check != nil {
				tt.check(t, rb, diags)
			}
		})
	}
}
