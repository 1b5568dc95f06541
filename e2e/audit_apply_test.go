package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
	"github.com/hotdash/drillbook/internal/sandbox"
	"github.com/hotdash/drillbook/internal/testbin"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// TestAuditApplyChangesTheEstate (issue 8, acceptance 3): a separate
// `drillbook sandbox`, `drillbook dev` with its worker pointed at it, an
// audit with apply=true whose two remediation steps are approved with
// `drillbook approve`: the emulator's journal shows exactly one memory
// update and one app deletion, and a second audit no longer reports the
// OOM-killed machine nor the unused app.
func TestAuditApplyChangesTheEstate(t *testing.T) {
	bin := testbin.Drillbook(t)
	dir := t.TempDir()
	_, out := testbin.StartProcess(t, bin, nil, "sandbox", "--listen", "127.0.0.1:0")
	exports, inputs := sandboxExports(t, out)
	flyURL, token := exports["FLY_FLAPS_BASE_URL"], exports["FLY_API_TOKEN"]
	artifacts := filepath.Join(dir, "artifacts")
	// The drill needs a database (without one the audit fails in its
	// cleanup step); an empty throwaway cluster is enough here.
	pg := pgclustertest.Start(t)
	dev := testbin.StartDev(t, bin, []string{"FLY_FLAPS_BASE_URL=" + flyURL, "FLY_API_TOKEN=" + token, "DATABASE_URL=" + pg.DSN()},
		"--state-dir", filepath.Join(dir, "state"), "--port", "0", "--headless", "--artifacts", artifacts)
	c, err := client.Dial(client.Options{HostPort: dev.Frontend})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()

	inputs["probe_samples"] = "5"
	first := runAudit(ctx, t, c, bin, dev.Frontend, "audit-apply-1", workflows.RunRunbookInput{Inputs: inputs, Apply: true})
	for _, id := range []string{"scale-oom-machine", "destroy-unused-app"} {
		s := stepOf(first, id)
		if s == nil || s.Status != runs.StatusSucceeded || s.Approval == nil || s.Approval.By != "e2e" {
			t.Errorf("step %s after apply: %+v", id, s)
		}
	}

	counts := map[string]int{}
	for _, e := range flyJournal(t, flyURL, token) {
		if e.Status >= 200 && e.Status < 300 {
			counts[e.Action]++
		}
		if e.Action == "machine_update" && (e.App != "hotdash-chatwoot" || e.Machine != "6e82d4e7b11d28") {
			t.Errorf("unexpected machine update: %+v", e)
		}
		if e.Action == "app_delete" && e.App != "time-purple-wildflower-3973" {
			t.Errorf("unexpected app deletion: %+v", e)
		}
	}
	if counts["machine_update"] != 1 || counts["app_delete"] != 1 {
		t.Errorf("the emulator's journal has %d memory update(s) and %d app deletion(s), want 1 and 1 (all: %v)",
			counts["machine_update"], counts["app_delete"], counts)
	}

	runAudit(ctx, t, c, bin, dev.Frontend, "audit-apply-2", workflows.RunRunbookInput{Inputs: inputs})
	report := readFile(filepath.Join(artifacts, "reports", "audit-apply-2", "report.md"))
	for _, gone := range []string{
		"OOM-killed 1 time(s)",
		"fly machine update 6e82d4e7b11d28 --memory 2048",
		"time-purple-wildflower-3973",
		"fly apps destroy time-purple-wildflower-3973",
	} {
		if strings.Contains(report, gone) {
			t.Errorf("the second audit still reports %q", gone)
		}
	}
	for _, want := range []string{
		"| hotdash-chatwoot | worker | 2 GB | started |",
		`Fly Postgres app hotdash-staging-db breaks the policy`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the second audit's report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("second report:\n%s", report)
	}
}

// sandboxExports waits for `drillbook sandbox` to print its exports and
// the audit's --input flags.
func sandboxExports(t *testing.T, out *testbin.SyncBuffer) (exports map[string]string, inputs map[string]any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		exports, inputs = map[string]string{}, map[string]any{}
		for _, line := range strings.Split(out.String(), "\n") {
			if kv, ok := strings.CutPrefix(line, "export "); ok {
				if k, v, ok := strings.Cut(kv, "="); ok {
					exports[k] = v
				}
			}
			if strings.Contains(line, "drillbook run reliability-audit") {
				fields := strings.Fields(line)
				for i := 0; i+1 < len(fields); i++ {
					if fields[i] == "--input" {
						if k, v, ok := strings.Cut(fields[i+1], "="); ok {
							inputs[k] = v
						}
					}
				}
			}
		}
		if len(exports) >= 2 && inputs["staging_url"] != nil && inputs["chatwoot_url"] != nil {
			return exports, inputs
		}
		if time.Now().After(deadline) {
			t.Fatalf("drillbook sandbox printed no exports and inputs:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// flyJournal reads the emulator's journal over its loopback endpoint.
func flyJournal(t *testing.T, flyURL, token string) []sandbox.JournalEntry {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, flyURL+sandbox.JournalPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var entries []sandbox.JournalEntry
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", sandbox.JournalPath, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&entries); err != nil {
		t.Fatal(err)
	}
	return entries
}

// runAudit starts ReliabilityAudit with in, approves every step that comes
// to wait for approval with `drillbook approve`, and returns the final
// progress once the run has ended (failing the test unless it succeeded).
func runAudit(ctx context.Context, t *testing.T, c client.Client, bin, address, id string, in workflows.RunRunbookInput) runs.Progress {
	t.Helper()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.ReliabilityAuditWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	return finishAudit(ctx, t, c, bin, address, id, run)
}

// finishAudit approves waiting steps through the CLI until run ends.
func finishAudit(ctx context.Context, t *testing.T, c client.Client, bin, address, id string, run client.WorkflowRun) runs.Progress {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- run.Get(ctx, nil) }()
	approved := map[string]bool{}
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("audit %s: %v", id, err)
			}
			p, err := progress(ctx, c, id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != runs.RunSucceeded {
				t.Fatalf("audit %s ended %s: %s", id, p.Status, p.Error)
			}
			return p
		case <-time.After(200 * time.Millisecond):
		}
		p, err := progress(ctx, c, id)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("audit %s: %v", id, err)
			}
			continue
		}
		for _, s := range p.Steps {
			if s.Status != runs.StatusWaitingApproval || approved[s.ID] {
				continue
			}
			cmd := exec.CommandContext(ctx, bin, "approve", id, s.ID, "--by", "e2e", "--reason", "acceptance test", "--address", address)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("drillbook approve %s %s: %v\n%s", id, s.ID, err, out)
			}
			approved[s.ID] = true
		}
	}
}

// progress queries a run's progress.
func progress(ctx context.Context, c client.Client, id string) (runs.Progress, error) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var p runs.Progress
	v, err := c.QueryWorkflow(qctx, id, "", workflows.ProgressQuery)
	if err == nil {
		err = v.Get(&p)
	}
	return p, err
}

// stepOf returns the step with id, or nil.
func stepOf(p runs.Progress, id string) *runs.StepProgress {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}
