package e2e

import (
	"bufio"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/internal/demo"
	"github.com/hotdash/drillbook/internal/pgcluster"
	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
	"github.com/hotdash/drillbook/internal/testbin"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// TestFaultWorkerKilledThreeTimes: the demo audit with the built binary as
// separate processes (`drillbook dev --no-worker`, `drillbook sandbox` and
// `drillbook worker`, a seeded PostgreSQL from the test). The worker is
// SIGKILLed three times at random points and restarted each time; the audit
// still ends (completed, or failed with a clear finding) with no scratch
// database and no process left behind. The in-process faults (Fly 5xx and
// 429, staging timeouts, pg_restore killed, read-only artifacts) are
// integration/faults_test.go.
func TestFaultWorkerKilledThreeTimes(t *testing.T) {
	bin := testbin.Drillbook(t)
	dir := t.TempDir()
	artifacts := filepath.Join(dir, "artifacts")
	pg, dsn := faultDemoDatabase(t)
	sb := startFaultSandbox(t, bin)
	dev := testbin.StartDev(t, bin, nil, "--state-dir", filepath.Join(dir, "state"), "--port", "0", "--headless", "--no-worker")
	workerEnv := []string{"FLY_FLAPS_BASE_URL=" + sb.flyURL, "FLY_API_TOKEN=" + sb.token, "DATABASE_URL=" + dsn}
	workerArgs := []string{"worker", "--address", dev.Frontend, "--artifacts", artifacts}
	startWorker := func() *exec.Cmd {
		cmd, _ := testbin.StartProcess(t, bin, workerEnv, workerArgs...)
		return cmd
	}

	c, err := client.Dial(client.Options{HostPort: dev.Frontend})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 170*time.Second)
	defer cancel()
	const id = "fault-worker-killed"
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.ReliabilityAuditWorkflow, workflows.RunRunbookInput{Operator: "fault suite", Inputs: map[string]any{
			"staging_url": sb.stagingURL, "chatwoot_url": sb.chatwootURL, "probe_samples": 20,
		}})
	if err != nil {
		t.Fatal(err)
	}
	go faultApprover(ctx, c, id)

	seed := uint64(time.Now().UnixNano())
	rng := mrand.New(mrand.NewPCG(seed, 1))
	t.Logf("kill points drawn with seed %d", seed)
	w := startWorker()
	var lastKill time.Time
	var killed []string
	for i := range 3 {
		// A random point while a step runs: once the run has moved on since
		// the last (re)start and a step is running, then 0-1.5 s later.
		if !faultWaitRunning(ctx, c, id, faultSignature(ctx, c, id)) {
			t.Fatalf("the run ended or hung after %d kill(s): %v", i, killed)
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		what := faultRunningSteps(ctx, c, id)
		_ = w.Process.Kill()
		_ = w.Wait()
		lastKill = time.Now()
		killed = append(killed, fmt.Sprintf("kill %d at %v during %s", i+1, lastKill.Sub(start).Round(100*time.Millisecond), what))
		w = startWorker()
	}
	t.Log(strings.Join(killed, "\n"))

	var res workflows.RunRunbookResult
	runErr := run.Get(ctx, &res)
	if ctx.Err() != nil {
		_ = c.TerminateWorkflow(context.Background(), id, "", "fault suite: hung")
		t.Fatalf("still running %v after the start: hung", time.Since(start))
	}
	recovered := time.Since(lastKill)
	var p runs.Progress
	if v, err := c.QueryWorkflow(context.Background(), id, "", workflows.ProgressQuery); err == nil {
		_ = v.Get(&p)
	}
	outcome := "completed, every step succeeded"
	var failed []string
	for _, s := range p.Steps {
		if s.Status == runs.StatusFailed {
			first, _, _ := strings.Cut(s.Error, "\n")
			failed = append(failed, s.ID+": "+first)
		}
		if s.Status == runs.StatusFailed && s.Error == "" {
			t.Errorf("step %s failed without saying why", s.ID)
		}
	}
	switch {
	case runErr != nil:
		outcome = "failed: " + runErr.Error()
		if strings.TrimSpace(runErr.Error()) == "" {
			t.Error("the run failed without a message")
		}
	case len(failed) > 0:
		outcome = "completed; " + strings.Join(failed, "; ")
	}

	// Everything this test started stops now, then nothing may remain.
	_ = w.Process.Kill()
	_ = w.Wait()
	dev.Kill()
	sb.stop()
	if left := faultScratch(t, pg); len(left) > 0 {
		t.Errorf("scratch databases left behind: %v", left)
	}
	if left := faultLeftovers(dir); len(left) > 0 {
		t.Errorf("processes left behind:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(filepath.Join(artifacts, "reports", id, "report.md")); runErr == nil && err != nil {
		t.Errorf("no report: %v", err)
	}
	row := fmt.Sprintf("| %-28s | %-70s | %-15s |", "worker SIGKILLed 3 times", outcome, recovered.Round(100*time.Millisecond))
	t.Logf("fault table row:\n%s", row)
	fmt.Printf("\nFault suite (built binary, separate processes):\n| %-28s | %-70s | %-15s |\n%s\n", "fault", "outcome", "time to recover", row)
}

// faultDemoDatabase starts a throwaway cluster with the seeded demo database.
func faultDemoDatabase(t *testing.T) (*pgcluster.Cluster, string) {
	t.Helper()
	pg := pgclustertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE chatwoot")
	admin.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dsn := pg.DSNFor("chatwoot")
	if err := demo.Seed(ctx, dsn, demo.DefaultSeedSize); err != nil {
		t.Fatal(err)
	}
	return pg, dsn
}

// faultSandbox is a `drillbook sandbox` process and what it printed.
type faultSandbox struct {
	cmd                                    *exec.Cmd
	flyURL, token, stagingURL, chatwootURL string
}

func (s *faultSandbox) stop() {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// startFaultSandbox runs `drillbook sandbox` on free loopback ports and
// reads the emulator's URL and token and the targets' URLs from its output.
func startFaultSandbox(t *testing.T, bin string) *faultSandbox {
	t.Helper()
	cmd := exec.Command(bin, "sandbox", "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &faultSandbox{cmd: cmd}
	t.Cleanup(s.stop)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "export FLY_FLAPS_BASE_URL="); ok {
				s.flyURL = v
			}
			if v, ok := strings.CutPrefix(line, "export FLY_API_TOKEN="); ok {
				s.token = v
			}
			if strings.Contains(line, "drillbook run reliability-audit") {
				for _, f := range strings.Fields(line) {
					if v, ok := strings.CutPrefix(f, "staging_url="); ok {
						s.stagingURL = v
					}
					if v, ok := strings.CutPrefix(f, "chatwoot_url="); ok {
						s.chatwootURL = v
					}
				}
			}
			if strings.HasPrefix(line, "Ctrl-C") {
				close(ready)
				break
			}
		}
		_, _ = bufio.NewReader(stdout).WriteTo(discard{})
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("drillbook sandbox not ready after 30s")
	}
	if s.flyURL == "" || s.token == "" || s.stagingURL == "" || s.chatwootURL == "" {
		t.Fatalf("drillbook sandbox printed too little: %+v", s)
	}
	return s
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// faultApprover approves each step waiting for approval, once, until the
// run closes or ctx ends.
func faultApprover(ctx context.Context, c client.Client, id string) {
	approved := map[string]bool{}
	for ctx.Err() == nil {
		if desc, err := c.DescribeWorkflowExecution(ctx, id, ""); err == nil &&
			desc.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := c.QueryWorkflow(qctx, id, "", workflows.ProgressQuery)
		cancel()
		var p runs.Progress
		if err == nil && v.Get(&p) == nil {
			for _, s := range p.Steps {
				if s.Status != runs.StatusWaitingApproval || approved[s.ID] {
					continue
				}
				uctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				h, err := c.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
					WorkflowID: id, UpdateName: workflows.ApproveOp, WaitForStage: client.WorkflowUpdateStageCompleted,
					Args: []any{workflows.ApproveRequest{Step: s.ID, By: "fault suite", Reason: "test"}},
				})
				if err == nil && h.Get(uctx, nil) == nil {
					approved[s.ID] = true
				}
				cancel()
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// faultSignature is the run's progress as text (each step's status and
// attempts), to see that it moved on.
func faultSignature(ctx context.Context, c client.Client, id string) string {
	qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, id, "", workflows.ProgressQuery)
	var p runs.Progress
	if err != nil || v.Get(&p) != nil {
		return ""
	}
	var b strings.Builder
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "%s=%s/%d ", s.ID, s.Status, s.Attempts)
	}
	return b.String()
}

// faultWaitRunning waits until the run's progress differs from since and
// a step is running; false when the run closed first or ctx ended.
func faultWaitRunning(ctx context.Context, c client.Client, id, since string) bool {
	for ctx.Err() == nil {
		if desc, err := c.DescribeWorkflowExecution(ctx, id, ""); err == nil &&
			desc.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return false
		}
		if sig := faultSignature(ctx, c, id); sig != "" && sig != since && strings.Contains(sig, "=running/") {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// faultRunningSteps names the steps running now, for the log.
func faultRunningSteps(ctx context.Context, c client.Client, id string) string {
	qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, id, "", workflows.ProgressQuery)
	var p runs.Progress
	if err != nil || v.Get(&p) != nil {
		return "(no progress answer)"
	}
	var running []string
	for _, s := range p.Steps {
		if s.Status == runs.StatusRunning || s.Status == runs.StatusWaitingApproval {
			running = append(running, s.ID+" ("+string(s.Status)+")")
		}
	}
	if len(running) == 0 {
		return "no step"
	}
	return strings.Join(running, ", ")
}

// faultScratch lists the drill_* databases of the cluster.
func faultScratch(t *testing.T, pg *pgcluster.Cluster) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(context.Background(), `SELECT datname FROM pg_database WHERE datname LIKE 'drill\_%'`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// faultLeftovers lists live processes that are pg_dump or pg_restore or
// whose command line names dir (every process this test started does),
// waiting up to five seconds for them to go.
func faultLeftovers(dir string) []string {
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
				continue
			}
			args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
			if b := filepath.Base(args[0]); b == "pg_dump" || b == "pg_restore" || strings.Contains(string(cmdline), dir) {
				left = append(left, fmt.Sprintf("pid %d: %s", pid, strings.Join(args, " ")))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
	}
}
