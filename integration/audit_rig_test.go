package integration

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/demo"
	"github.com/hotdash/drillbook/internal/devserver"
	"github.com/hotdash/drillbook/internal/pgcluster"
	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
	"github.com/hotdash/drillbook/internal/sandbox"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/worker"
	"github.com/hotdash/drillbook/workflows"
)

// auditRig is the demo audit in-process: the Temporal server, a worker, the
// Fly emulator, the staging app, Chatwoot and a seeded PostgreSQL, wired the
// way `drillbook dev --sandbox` wires them (cmd/drillbook/dev_sandbox.go
// configure): the emulator's URL in acts.Fly, its token and the DSN through
// acts.Env only, the targets' URLs as input defaults.
type auditRig struct {
	t         *testing.T
	srv       *devserver.Server
	c         client.Client
	w         sdkworker.Worker
	fly       *sandbox.FlyEmulator
	staging   *sandbox.StagingApp
	chatwoot  *sandbox.Chatwoot
	pg        *pgcluster.Cluster
	dsn       string
	artifacts string
	logs      *lockedBuffer
}

// newAuditRig starts the rig; the artifacts directory is artifacts, or a
// temp dir when empty.
func newAuditRig(t *testing.T, artifacts string) *auditRig {
	t.Helper()
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	r := &auditRig{t: t, artifacts: artifacts, logs: &lockedBuffer{},
		fly:      sandbox.NewFlyEmulator(sandbox.DefaultFlySeed()),
		staging:  sandbox.NewStagingApp(sandbox.DefaultStagingMinLatency, sandbox.DefaultStagingMaxLatency),
		chatwoot: sandbox.NewChatwoot(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	flyURL, err := r.fly.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.fly.Close() })
	stagingURL, err := r.staging.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.staging.Close() })
	chatwootURL, err := r.chatwoot.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.chatwoot.Close() })

	r.pg = pgclustertest.Start(t)
	admin, err := pgx.Connect(ctx, r.pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE chatwoot")
	admin.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.dsn = r.pg.DSNFor("chatwoot")
	if err := demo.Seed(ctx, r.dsn, demo.DefaultSeedSize); err != nil {
		t.Fatalf("seed the demo database: %v", err)
	}

	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.srv, err = devserver.Start(ctx, devserver.Options{StateDir: t.TempDir(), NoUI: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.srv.Stop)
	r.c, err = client.Dial(client.Options{HostPort: r.srv.FrontendAddr(), Logger: sdklog.NewStructuredLogger(logger)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.c.Close)
	acts := activities.New(activities.Options{ArtifactsDir: r.artifacts, Logger: logger})
	acts.Fly.BaseURL = flyURL
	token, dsn := r.fly.Token(), r.dsn
	acts.Env = func(name string) string {
		switch name {
		case activities.DefaultFlyTokenEnv:
			return token
		case "DATABASE_URL":
			return dsn
		}
		return os.Getenv(name)
	}
	acts.InputDefaults = map[string]string{"staging_url": stagingURL, "chatwoot_url": chatwootURL}
	acts.SearchAttributes, err = worker.EnsureSearchAttributes(ctx, r.c, r.srv.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	r.w = worker.New(r.c, acts)
	if err := r.w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.w.Stop)
	return r
}

// auditOutcome is how one audit run ended.
type auditOutcome struct {
	id       string
	err      error // the run's error; nil when it completed
	took     time.Duration
	ended    time.Time
	progress runs.Progress
}

// runAudit starts ReliabilityAudit with inputs (and apply), approves the
// remediation steps as they come to wait (dry runs unless apply), and waits
// at most limit for the run to close. A run still open at the limit is
// terminated and fails the test: a hang.
func (r *auditRig) runAudit(id string, inputs map[string]any, apply bool, limit time.Duration) auditOutcome {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	run, err := r.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue, WorkflowExecutionTimeout: 10 * time.Minute,
	}, workflows.ReliabilityAuditWorkflow, workflows.RunRunbookInput{Inputs: inputs, Apply: apply, Operator: "fault suite"})
	if err != nil {
		r.t.Fatal(err)
	}
	go approveWaiting(ctx, r.c, id)
	var res workflows.RunRunbookResult
	runErr := run.Get(ctx, &res)
	out := auditOutcome{id: id, err: runErr, took: time.Since(start), ended: time.Now()}
	if ctx.Err() != nil {
		var where []string
		if v, err := r.c.QueryWorkflow(context.Background(), id, "", workflows.ProgressQuery); err == nil {
			var p runs.Progress
			_ = v.Get(&p)
			for _, s := range p.Steps {
				where = append(where, fmt.Sprintf("%s %s (%d attempts) %s", s.ID, s.Status, s.Attempts, firstLine(s.Error)))
			}
		}
		_ = r.c.TerminateWorkflow(context.Background(), id, "", "fault suite: hung")
		r.t.Fatalf("%s: still running after %v: hung; steps:\n%s", id, limit, strings.Join(where, "\n"))
	}
	if v, err := r.c.QueryWorkflow(context.Background(), id, "", workflows.ProgressQuery); err == nil {
		_ = v.Get(&out.progress)
	}
	return out
}

// approveWaiting approves every step that waits for approval, once, until
// ctx ends or the run closes.
func approveWaiting(ctx context.Context, c client.Client, id string) {
	approved := map[string]bool{}
	for ctx.Err() == nil {
		desc, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err == nil && desc.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return
		}
		if v, err := c.QueryWorkflow(ctx, id, "", workflows.ProgressQuery); err == nil {
			var p runs.Progress
			if v.Get(&p) == nil {
				for _, s := range p.Steps {
					if s.Status != runs.StatusWaitingApproval || approved[s.ID] {
						continue
					}
					h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
						WorkflowID: id, UpdateName: workflows.ApproveOp, WaitForStage: client.WorkflowUpdateStageCompleted,
						Args: []any{workflows.ApproveRequest{Step: s.ID, By: "fault suite", Reason: "test"}},
					})
					if err == nil && h.Get(ctx, nil) == nil {
						approved[s.ID] = true
					}
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// scratchDatabases lists the drill_* databases left in the rig's cluster.
func (r *auditRig) scratchDatabases() []string {
	return scratchLeft(r.t, r.pg)
}

// leftoverProcesses lists the processes still alive that a run started:
// pg_dump, pg_restore, psql, or anything whose command line names dir.
// It waits up to five seconds for them to go.
func leftoverProcesses(dir string) []string {
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		left = left[:0]
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil || len(cmdline) == 0 {
				continue
			}
			if stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); strings.Contains(string(stat), ") Z ") {
				continue // a zombie is already dead
			}
			args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
			switch base := filepath.Base(args[0]); {
			case base == "pg_dump" || base == "pg_restore" || base == "psql",
				dir != "" && strings.Contains(string(cmdline), dir):
				left = append(left, fmt.Sprintf("pid %d: %s", pid, strings.Join(args, " ")))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
	}
}

// stepStatus is a step's status in p, or "" when absent.
func stepStatus(p runs.Progress, id string) runs.StepStatus { return statusOf(p, id) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// startAuditNoApprover starts ReliabilityAudit with apply=true and nobody
// approving; approvalTimeout skips a gated step nobody decided on.
func (r *auditRig) startAuditNoApprover(id string, inputs map[string]any, approvalTimeout string) client.WorkflowRun {
	r.t.Helper()
	run, err := r.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue, WorkflowExecutionTimeout: 3 * time.Minute,
	}, workflows.ReliabilityAuditWorkflow, workflows.RunRunbookInput{Inputs: inputs, Apply: true,
		ApprovalTimeout: approvalTimeout, Operator: "security check"})
	if err != nil {
		r.t.Fatal(err)
	}
	return run
}

// progressOf queries the run's progress.
func (r *auditRig) progressOf(id string) runs.Progress {
	r.t.Helper()
	v, err := r.c.QueryWorkflow(context.Background(), id, "", workflows.ProgressQuery)
	if err != nil {
		r.t.Fatalf("progress of %s: %v", id, err)
	}
	var p runs.Progress
	if err := v.Get(&p); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// waitStatus polls until step has status, for at most two minutes, and
// returns the step's id.
func (r *auditRig) waitStatus(id, step string, status runs.StepStatus) string {
	r.t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		v, err := r.c.QueryWorkflow(context.Background(), id, "", workflows.ProgressQuery)
		var p runs.Progress
		if err == nil && v.Get(&p) == nil && statusOf(p, step) == status {
			return step
		}
	}
	r.t.Fatalf("%s: step %s never %s", id, step, status)
	return ""
}

// history is the run's history as JSON (see harness.history).
func (r *auditRig) history(id string) []byte {
	r.t.Helper()
	h := &harness{t: r.t, c: r.c}
	return h.history(id)
}
