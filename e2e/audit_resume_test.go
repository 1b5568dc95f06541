package e2e

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/internal/testbin"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// TestAuditResumesAfterDevKilled (issue 8, acceptance 2): an audit on
// `drillbook dev --sandbox`, the whole dev process SIGKILLed during the
// disaster-recovery drill, dev started again on the same state dir: the
// same workflow completes, no step that had finished before the kill runs
// again (each step has one `succeeded` entry in the journal), and the
// report is complete.
func TestAuditResumesAfterDevKilled(t *testing.T) {
	bin := testbin.Drillbook(t)
	dir := t.TempDir()
	artifacts := filepath.Join(dir, "artifacts")
	args := []string{"--state-dir", filepath.Join(dir, "state"), "--port", "0", "--ui-port", "0",
		"--sandbox", "--artifacts", artifacts}
	env := []string{"FLY_FLAPS_BASE_URL=", "FLY_API_TOKEN=", "DATABASE_URL="}
	ctx, cancel := context.WithTimeout(context.Background(), 170*time.Second)
	defer cancel()
	const id = "audit-resume"

	first := testbin.StartDev(t, bin, env, args...)
	c1, err := client.Dial(client.Options{HostPort: first.Frontend})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.ReliabilityAuditWorkflow, workflows.RunRunbookInput{}); err != nil {
		t.Fatal(err)
	}
	var before runs.Progress
	for {
		if ctx.Err() != nil {
			t.Fatalf("the drill never ran; dev:\n%s", first.Output.String())
		}
		p, err := progress(ctx, c1, id)
		if err == nil && drillRunning(p) {
			before = p
			break
		}
		if err == nil && p.Status != runs.RunRunning {
			t.Fatalf("the audit ended (%s) before the drill was seen running", p.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c1.Close()
	first.Kill() // SIGKILL: no shutdown, the worker's activities die with it
	killedAt := time.Now()
	var finished []string
	for _, s := range before.Steps {
		if s.Status == runs.StatusSucceeded {
			finished = append(finished, s.ID)
		}
	}
	t.Logf("killed dev while %s; finished before the kill: %v", runningSteps(before), finished)

	second := testbin.StartDev(t, bin, env, args...)
	for _, line := range []string{"Fly sandbox", "Staging sandbox", "Chatwoot sandbox"} {
		if a, b := sandboxLine(first.Output.String(), line), sandboxLine(second.Output.String(), line); a == "" || a != b {
			t.Errorf("%s moved across the restart: %q, then %q", line, a, b)
		}
	}
	c2, err := client.Dial(client.Options{HostPort: second.Frontend})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	p := finishAudit(ctx, t, c2, bin, second.Frontend, id, c2.GetWorkflow(ctx, id, ""))
	t.Logf("completed %v after the kill", time.Since(killedAt).Round(time.Millisecond))

	for _, s := range p.Steps {
		if s.Status != runs.StatusSucceeded {
			t.Errorf("step %s: %s %s %s", s.ID, s.Status, s.Error, s.Note)
		}
	}
	journal := readFile(filepath.Join(artifacts, "journal.md"))
	for _, s := range p.Steps {
		n := strings.Count(journal, " · "+id+" · "+s.ID+" · succeeded (")
		if n != 1 {
			t.Errorf("step %s has %d succeeded entries in the journal, want 1", s.ID, n)
		}
	}
	for _, s := range finished {
		if n := strings.Count(journal, " · "+id+" · "+s+" · running ("); n != 1 {
			t.Errorf("step %s finished before the kill but started %d times", s, n)
		}
	}

	report := readFile(filepath.Join(artifacts, "reports", id, "report.md"))
	for _, want := range []string{
		"# HotDash Reliability Audit Summary",
		"**Status:** ✅ Succeeded",
		"fly machine update 6e82d4e7b11d28 --memory 2048 -a hotdash-chatwoot",
		"fly apps destroy time-purple-wildflower-3973 --yes",
		"Chatwoot 4.6.0: data ok, queue ok",
		"| Backup (pg_dump) | ✅ tested |",
		"| Restore (scratch database, verified) | ✅ tested |",
		"## Recommended Actions",
		"## Success Criteria Met",
		"## Next Steps",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report after the restart lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`staging \d+(\.\d+)? ms average`).FindString(report); m == "" {
		t.Error("the report after the restart has no staging average")
	}
	if t.Failed() {
		t.Logf("journal:\n%s\nreport:\n%s", journal, report)
	}
}

// drillRunning reports whether the DR drill's backup or restore is running.
func drillRunning(p runs.Progress) bool {
	for _, id := range []string{"dr-backup", "dr-restore"} {
		if s := stepOf(p, id); s != nil && s.Status == runs.StatusRunning {
			return true
		}
	}
	return false
}

// runningSteps lists the running steps of p.
func runningSteps(p runs.Progress) []string {
	var ids []string
	for _, s := range p.Steps {
		if s.Status == runs.StatusRunning {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// sandboxLine is the address on dev's start-up line that starts with name.
func sandboxLine(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}
