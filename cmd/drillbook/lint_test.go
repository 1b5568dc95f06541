package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotdash/drillbook/runbooks"
)

func writeRunbook(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(body, "'''", "```")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLintCommand(t *testing.T) {
	dir := t.TempDir()
	clean := writeRunbook(t, dir, "clean.md", "# Clean\n'''sh {id=a timeout=1m}\nls\n'''\n")
	warn := writeRunbook(t, dir, "warn.md", "# Warn\n'''sh {\"id\":\"a\",\"tag\":\"x\"}\nls\n'''\n")
	bad := writeRunbook(t, dir, "bad.md", "# Bad\n'''sh {id=a retires=3}\nkubectl -n <ns> get pods\n'''\n")
	binary := filepath.Join(dir, "binary.md")
	if err := os.WriteFile(binary, []byte("\x89PNG\x00\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // lines, in order
		stderrHas  string
		noStdout   bool
		stdoutHas  string
		stdoutNone string
	}{
		{name: "clean", args: []string{clean}, code: 0, noStdout: true},
		{name: "warnings only", args: []string{warn}, code: 0,
			stdout: []string{warn + ":2:17: warning: Runme attribute \"tag\" is ignored by drillbook"}},
		{name: "errors", args: []string{clean, bad}, code: 1,
			stdout: []string{
				bad + `:2:13: error: unknown attribute "retires" (did you mean "retries"?)`,
				bad + `:3:12: error: placeholder "<ns>" in runnable code: declare an input (e.g. ns) in the front matter and use $NS`,
			},
			stderrHas: "2 errors in 1 of 2 runbooks"},
		{name: "binary file", args: []string{binary}, code: 1,
			stdout: []string{binary + ":1:5: error: binary file: NUL byte; a runbook is UTF-8 Markdown text"}},
		{name: "missing file", args: []string{clean, filepath.Join(dir, "nope.md")}, code: 2, stderrHas: "nope.md: no such file"},
		{name: "directory", args: []string{dir}, code: 2, stderrHas: "is a directory"},
		{name: "no arguments", args: nil, code: 2, stderrHas: "requires at least 1 arg"},
		{name: "shipped runbooks", args: []string{"../../runbooks/reliability-audit.md", "../../runbooks/backup-restore.md"}, code: 0, noStdout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCaptured(t, append([]string{"lint"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if tt.noStdout && stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if tt.stdout != nil {
				if got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(tt.stdout, "\n") {
					t.Errorf("stdout:\n%s\nwant:\n%s", stdout, strings.Join(tt.stdout, "\n"))
				}
			}
			if !strings.Contains(stderr, tt.stderrHas) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.stderrHas)
			}
		})
	}
}

func TestLintCommandOnFixtures(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/fixtures/runbooks/*.md")
	if len(files) == 0 {
		t.Fatal("no fixture runbooks in ../../../shared/fixtures/runbooks: clone shared/ next to this repository")
	}
	code, stdout, _ := runCaptured(t, append([]string{"lint"}, files...)...)
	if code != 1 || !strings.Contains(stdout, "eoc.md:1:1: error: no runnable step") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
}

func TestParseCommand(t *testing.T) {
	audit := "../../runbooks/reliability-audit.md"
	code, stdout, stderr := runCaptured(t, "parse", audit)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if !strings.HasPrefix(lines[0], "reliability-audit: HotDash reliability audit (sha256 ") {
		t.Errorf("header = %q", lines[0])
	}
	var header, first string
	for i, l := range lines {
		if strings.HasPrefix(l, "#") {
			header, first = l, lines[i+1]
			break
		}
	}
	if strings.Join(strings.Fields(header), " ") != "# ID KIND TITLE LINE ATTRIBUTES" {
		t.Errorf("table header = %q", header)
	}
	wantFirst := "1 inventory action fly.inventory Fly inventory [parallel priorities] 44 timeout=5m retries=3 backoff=10s heartbeat=30s on_failure=continue"
	if strings.Join(strings.Fields(first), " ") != wantFirst {
		t.Errorf("first row = %q\nwant        %q", first, wantFirst)
	}

	code, stdout, stderr = runCaptured(t, "parse", audit, "--json")
	if code != 0 {
		t.Fatalf("--json exit %d: %s", code, stderr)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("--json output is not JSON: %v", err)
	}
	for _, key := range []string{"id", "title", "hash", "inputs", "sections", "steps"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("JSON has no %q field", key)
		}
	}
	var rb runbooks.Runbook
	if err := json.Unmarshal([]byte(stdout), &rb); err != nil || len(rb.Steps) != 13 || rb.Steps[0].Kind != runbooks.KindAction {
		t.Errorf("decoded runbook: %v, %d steps", err, len(rb.Steps))
	}

	dir := t.TempDir()
	binary := filepath.Join(dir, "b.md")
	if err := os.WriteFile(binary, []byte{0, 1, 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"parse"}, {"parse", audit, audit}, {"parse", filepath.Join(dir, "nope.md")}, {"parse", binary}} {
		if code, _, _ := runCaptured(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
