package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/internal/testbin"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// TestWorkerKilledMidStepResumes: SIGKILL the worker process during a long
// shell step, start a new worker: the run completes, the steps that finished
// before the kill do not run again, and the interrupted one runs at most twice.
func TestWorkerKilledMidStepResumes(t *testing.T) {
	bin := testbin.Drillbook(t)
	dir := t.TempDir()
	markers := filepath.Join(dir, "markers")
	runbooksDir := filepath.Join(dir, "runbooks")
	if err := os.MkdirAll(runbooksDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "# Crash\n\n" +
		"```sh {id=before}\necho before >> " + markers + "\n```\n\n" +
		"```sh {id=long heartbeat=2s}\necho long-start >> " + markers + "\nsleep 4\necho long-end >> " + markers + "\n```\n\n" +
		"```sh {id=after}\necho after >> " + markers + "\n```\n"
	if err := os.WriteFile(filepath.Join(runbooksDir, "crash.md"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	dev := testbin.StartDev(t, bin, nil, "--state-dir", filepath.Join(dir, "state"), "--port", "0", "--headless", "--no-worker")
	workerArgs := []string{"worker", "--address", dev.Frontend, "--runbooks", runbooksDir, "--artifacts", filepath.Join(dir, "artifacts")}
	first, _ := testbin.StartProcess(t, bin, nil, workerArgs...)

	c, err := client.Dial(client.Options{HostPort: dev.Frontend})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "crash-1", TaskQueue: workflows.TaskQueue},
		workflows.RunRunbookWorkflow, workflows.RunRunbookInput{Runbook: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(readFile(markers), "long-start") {
		if ctx.Err() != nil {
			t.Fatal("the long step never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	killedAt := time.Now()
	testbin.StartProcess(t, bin, nil, workerArgs...)

	var res workflows.RunRunbookResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("run after the crash: %v", err)
	}
	t.Logf("completed %v after the kill", time.Since(killedAt).Round(time.Millisecond))
	got := readFile(markers)
	count := func(s string) int { return strings.Count(got, s+"\n") }
	if count("before") != 1 || count("after") != 1 {
		t.Errorf("steps before and after the kill must run once:\n%s", got)
	}
	if n := count("long-start"); n < 1 || n > 2 {
		t.Errorf("the interrupted step ran %d times, want at most twice:\n%s", n, got)
	}
	if count("long-end") != 1 {
		t.Errorf("the interrupted step must finish exactly once (the killed worker's shell dies with it):\n%s", got)
	}
	v, err := c.QueryWorkflow(ctx, "crash-1", "", workflows.ProgressQuery)
	if err != nil {
		t.Fatal(err)
	}
	var p runs.Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if s.Status != runs.StatusSucceeded {
			t.Errorf("step %s: %s", s.ID, s.Status)
		}
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
