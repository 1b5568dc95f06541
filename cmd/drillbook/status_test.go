package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

func (e *clientTestEnv) testStatusAndReport(t *testing.T) {
	const id = "ok-status"
	if code, out, errOut := e.cli(t, "run", "ok", "--wait", "--id", id); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}

	code, out, errOut := e.cli(t, "status", id, "--json")
	if code != exitOK {
		t.Fatalf("status --json: exit %d, stderr %q", code, errOut)
	}
	var p runs.Progress
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("status --json is not runs.Progress JSON: %v\n%s", err, out)
	}
	if p.WorkflowID != id || p.RunbookID != "ok" || p.Status != runs.RunSucceeded || len(p.Steps) != 2 || p.Hash == "" {
		t.Errorf("progress %+v", p)
	}
	if !strings.Contains(out, "\n  \"workflow_id\"") {
		t.Errorf("status --json is not indented:\n%s", out)
	}

	code, out, errOut = e.cli(t, "status", id)
	if code != exitOK {
		t.Fatalf("status: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"Workflow  " + id, "Runbook   ok — OK runbook (hash " + p.Hash[:12] + ")",
		"Status    ✅ succeeded", "#  STEP", "1  say", "✅ succeeded", "Ended     "} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	code, _, errOut = e.cli(t, "status", "no-such-workflow")
	if code != exitFailed || !strings.Contains(errOut, `workflow "no-such-workflow" not found`) {
		t.Errorf("status of an unknown workflow: exit %d, stderr %q", code, errOut)
	}
	e.testReport(t, id, p)
}

// testStatusOfRejectedInput: a run whose raw input was refused still answers
// the progress query; status shows it failed and why.
func (e *clientTestEnv) testStatusOfRejectedInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wr, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "raw-bad-input", TaskQueue: workflows.TaskQueue},
		workflows.RunRunbookWorkflow, map[string]any{"bogus": 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := wr.Get(ctx, nil); err == nil {
		t.Fatal("a bogus field was accepted")
	}
	code, out, errOut := e.cli(t, "status", "raw-bad-input")
	if code != exitOK || !strings.Contains(out, "failed") || !strings.Contains(out, `unknown field "bogus"`) {
		t.Errorf("status: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// testReport renders the report of a finished run, to stdout and to files.
func (e *clientTestEnv) testReport(t *testing.T, id string, p runs.Progress) {
	code, out, errOut := e.cli(t, "report", id)
	if code != exitOK {
		t.Fatalf("report: exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "# OK runbook") || !strings.Contains(out, "say") || !strings.Contains(out, p.Hash[:12]) {
		t.Errorf("report is not the run's Markdown report:\n%s", out)
	}

	dir := t.TempDir()
	md := filepath.Join(dir, "report.md")
	if code, _, errOut := e.cli(t, "report", id, "-o", md); code != exitOK || !strings.Contains(errOut, "wrote "+md) {
		t.Fatalf("report -o: exit %d, stderr %q", code, errOut)
	}
	if data, err := os.ReadFile(md); err != nil || string(data) != out {
		t.Errorf("report -o wrote %d bytes (%v), want what stdout got (%d bytes)", len(data), err, len(out))
	}

	html := filepath.Join(dir, "report.html")
	if code, _, errOut := e.cli(t, "report", id, "--html", "-o", html); code != exitOK {
		t.Fatalf("report --html: exit %d, stderr %q", code, errOut)
	}
	if data, err := os.ReadFile(html); err != nil || !strings.Contains(strings.ToLower(string(data)), "<html") ||
		!strings.Contains(string(data), "OK runbook") {
		t.Errorf("report --html wrote %q (%v)", data, err)
	}

	if code, _, errOut := e.cli(t, "report", id, "-o", dir); code != exitBadUsage {
		t.Errorf("report -o DIR: exit %d, want 2; stderr %q", code, errOut)
	}
}
