package workflows

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/runbooks"
	"github.com/hotdash/drillbook/runs"
)

// fakeWorld stands in for the worker's activities in engine unit tests: the
// shell "runs" a script by looking up its body in scripts.
type fakeWorld struct {
	runbook  string
	calls    []string
	failures map[string]int // body -> failures left before success
	journal  int
}

func (f *fakeWorld) load(_ context.Context, req runs.LoadRunbookRequest) (map[string]any, error) {
	rb, err := runbooks.Parse(req.Runbook+".md", []byte(f.runbook))
	if err != nil {
		return nil, err
	}
	return map[string]any{"runbook": rb, "search_attributes": false}, nil
}

func (f *fakeWorld) shell(ctx context.Context, req runs.ActionRequest) (runs.ActionResult, error) {
	body := strings.TrimSpace(req.Body)
	f.calls = append(f.calls, req.StepID)
	if f.failures[body] > 0 {
		f.failures[body]--
		return runs.ActionResult{}, temporal.NewApplicationError("exit status 1", "ShellExitCode")
	}
	if body == "false" {
		return runs.ActionResult{}, temporal.NewApplicationError("exit status 1", "ShellExitCode")
	}
	return runs.ActionResult{OutputTail: "ran " + req.StepID, Outputs: map[string]string{"who": req.Env["WHO"]}}, nil
}

func (f *fakeWorld) report(context.Context, runs.Progress) (runs.ReportPaths, error) {
	return runs.ReportPaths{Markdown: runs.Artifact{Path: "reports/x/report.md"}}, nil
}

func (f *fakeWorld) appendJournal(context.Context, runs.JournalEntry) error {
	f.journal++
	return nil
}

func newEnv(t *testing.T, runbook string) (*testsuite.TestWorkflowEnvironment, *fakeWorld) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	f := &fakeWorld{runbook: runbook, failures: map[string]int{}}
	env.RegisterWorkflowWithOptions(RunRunbook, workflow.RegisterOptions{Name: RunRunbookWorkflow})
	env.RegisterActivityWithOptions(f.load, activity.RegisterOptions{Name: LoadRunbookActivity})
	env.RegisterActivityWithOptions(f.shell, activity.RegisterOptions{Name: RunShellActivity})
	env.RegisterActivityWithOptions(f.report, activity.RegisterOptions{Name: RenderReportActivity})
	env.RegisterActivityWithOptions(f.appendJournal, activity.RegisterOptions{Name: AppendJournalActivity})
	return env, f
}

func progressOf(t *testing.T, env *testsuite.TestWorkflowEnvironment) runs.Progress {
	t.Helper()
	v, err := env.QueryWorkflow(ProgressQuery)
	if err != nil {
		t.Fatalf("progress query: %v", err)
	}
	var p runs.Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func stepOf(t *testing.T, p runs.Progress, id string) runs.StepProgress {
	t.Helper()
	for _, s := range p.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %q in %+v", id, p.Steps)
	return runs.StepProgress{}
}

func TestRetriesThenSucceeds(t *testing.T) {
	env, f := newEnv(t, "# Flaky\n\n```sh {id=flaky retries=3 backoff=1s}\nflaky\n```\n")
	f.failures["flaky"] = 2
	env.ExecuteWorkflow(RunRunbookWorkflow, RunRunbookInput{Runbook: "flaky"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("run failed: %v", err)
	}
	s := stepOf(t, progressOf(t, env), "flaky")
	if s.Status != runs.StatusSucceeded || s.Attempts != 3 {
		t.Fatalf("got %s after %d attempts, want succeeded after 3", s.Status, s.Attempts)
	}
}

func TestAbortRunsCleanupInReverseAndFails(t *testing.T) {
	env, f := newEnv(t, "# Abort\n\n```sh {id=c1 cleanup=true}\nc1\n```\n\n```sh {id=c2 cleanup=true}\nc2\n```\n\n```sh {id=boom}\nfalse\n```\n\n```sh {id=after}\nafter\n```\n")
	env.ExecuteWorkflow(RunRunbookWorkflow, nil)
	err := env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrRunbookFailed {
		t.Fatalf("want a RunbookFailed error, got %v", err)
	}
	if got := strings.Join(f.calls, ","); got != "boom,c2,c1" {
		t.Fatalf("calls %s, want boom,c2,c1 (cleanup in reverse, nothing after the failure)", got)
	}
	p := progressOf(t, env)
	if s := stepOf(t, p, "after"); s.Status != runs.StatusNotRun {
		t.Errorf("step after: %s, want not-run", s.Status)
	}
	if p.Status != runs.RunFailed {
		t.Errorf("run status %s", p.Status)
	}
}

func TestContinueAndWhen(t *testing.T) {
	env, f := newEnv(t, "---\ninputs:\n  mode: {default: fast}\n---\n# T\n\n```sh {id=soft on_failure=continue}\nfalse\n```\n\n```sh {id=slow when=\"${inputs.mode} == slow\"}\nslow\n```\n\n```sh {id=last}\nlast\n```\n")
	env.ExecuteWorkflow(RunRunbookWorkflow, nil)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("run failed: %v", err)
	}
	p := progressOf(t, env)
	if s := stepOf(t, p, "soft"); s.Status != runs.StatusFailed {
		t.Errorf("soft: %s", s.Status)
	}
	if s := stepOf(t, p, "slow"); s.Status != runs.StatusSkipped {
		t.Errorf("slow: %s, want skipped by its condition", s.Status)
	}
	if got := strings.Join(f.calls, ","); got != "soft,last" {
		t.Errorf("calls %s", got)
	}
}

func TestParallelBranchesAllRun(t *testing.T) {
	env, f := newEnv(t, "# P\n\n## Priorities {parallel=true}\n\n### A\n```sh {id=a1}\na1\n```\n```sh {id=a2}\na2\n```\n\n### B\n```sh {id=b1}\nb1\n```\n\n## After\n```sh {id=z}\nz\n```\n")
	env.ExecuteWorkflow(RunRunbookWorkflow, nil)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 4 || f.calls[3] != "z" {
		t.Fatalf("calls %v: want a1,a2,b1 in some interleaving, then z", f.calls)
	}
	if f.journal == 0 {
		t.Error("no journal entries")
	}
}

func TestManualSteps(t *testing.T) {
	rb := "# M\n\n- [ ] Tell #ops the drill has started\n\n```sh {id=go}\ngo\n```\n"
	t.Run("skip mode", func(t *testing.T) {
		env, _ := newEnv(t, rb)
		env.ExecuteWorkflow(RunRunbookWorkflow, RunRunbookInput{Manual: "skip"})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		p := progressOf(t, env)
		if p.Steps[0].Status != runs.StatusNotRun {
			t.Errorf("manual step: %s, want not-run", p.Steps[0].Status)
		}
	})
	t.Run("wait then complete", func(t *testing.T) {
		env, f := newEnv(t, rb)
		var id string
		env.RegisterDelayedCallback(func() {
			p := progressOf(t, env)
			id = p.Steps[0].ID
			if p.Steps[0].Status != runs.StatusWaitingManual || len(f.calls) != 0 {
				t.Errorf("before complete: %s, calls %v", p.Steps[0].Status, f.calls)
			}
			env.SignalWorkflow(CompleteOp, CompleteRequest{Step: id, By: "alice", Note: "posted"})
		}, time.Hour)
		env.ExecuteWorkflow(RunRunbookWorkflow, nil)
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		s := progressOf(t, env).Steps[0]
		if s.Status != runs.StatusSucceeded || !strings.Contains(s.Note, "alice") {
			t.Errorf("manual step %s %q", s.Status, s.Note)
		}
	})
}
