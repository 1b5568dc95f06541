package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/devserver"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/worker"
	"github.com/hotdash/drillbook/workflows"
)

// Test runbooks, small enough to run in a second each.
var clientTestRunbooks = map[string]string{
	"ok.md": "---\nid: ok\ntitle: OK runbook\ninputs:\n  greeting: {default: hello}\n---\n# OK runbook\n\n" +
		"## Say\n```sh {id=say}\necho \"$GREETING world\"\n```\n\n## Second\n```sh {id=second}\necho done\n```\n",
	"fails.md": "---\nid: fails\n---\n# Failing runbook\n\n## Break\n```sh {id=break}\necho broken >&2; exit 3\n```\n\n" +
		"## Never\n```sh {id=never}\necho unreachable\n```\n",
	"gated.md": "---\nid: gated\n---\n# Gated runbook\n\n## Gate\n```sh {id=gate approval=required}\necho gated\n```\n\n" +
		"## After\n```sh {id=after}\necho after\n```\n",
	"pause.md": "---\nid: pause\ninputs:\n  marker: {required: true, description: file that makes the second attempt succeed}\n---\n" +
		"# Pausing runbook\n\n## Flaky\n```sh {id=flaky on_failure=pause}\n" +
		"if [ -f \"$MARKER\" ]; then echo second; else touch \"$MARKER\"; echo first >&2; exit 1; fi\n```\n\n" +
		"## After\n```sh {id=after}\necho after\n```\n",
	"manual.md": "---\nid: manual\n---\n# Manual runbook\n\n## Tell\n- [ ] Tell ops the drill started\n\n" +
		"## After\n```sh {id=after}\necho after\n```\n",
}

// clientTestEnv is an in-process Temporal server with a drillbook worker
// whose runbooks are clientTestRunbooks.
type clientTestEnv struct {
	c        client.Client
	runbooks string   // the worker's --runbooks
	conn     []string // --address and --namespace for the commands
}

func newClientTestEnv(t *testing.T) *clientTestEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	dir := t.TempDir()
	for name, text := range clientTestRunbooks {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{StateDir: t.TempDir(), NoUI: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Namespace: srv.Namespace(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &clientTestEnv{c: c, runbooks: dir, conn: []string{"--address", srv.FrontendAddr(), "--namespace", srv.Namespace()}}
}

// startWorker starts a drillbook worker for the test server; it may be
// called from any goroutine.
func (e *clientTestEnv) startWorker(t *testing.T) error {
	w := worker.New(e.c, activities.New(activities.Options{ArtifactsDir: t.TempDir(), RunbooksDir: e.runbooks}))
	if err := w.Start(); err != nil {
		return err
	}
	t.Cleanup(w.Stop)
	return nil
}

// cli runs drillbook with the connection flags appended and returns the
// exit code, stdout and stderr.
func (e *clientTestEnv) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCaptured(t, append(args, e.conn...)...)
}

// runCaptured runs drillbook with os.Stdout and os.Stderr captured.
func runCaptured(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	oldOut, oldErr := os.Stdout, os.Stderr
	defer func() { os.Stdout, os.Stderr = oldOut, oldErr }()
	drain := func(f **os.File) (*os.File, <-chan string) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		*f = w
		done := make(chan string, 1)
		go func() {
			var buf bytes.Buffer
			_, _ = io.Copy(&buf, r)
			r.Close()
			done <- buf.String()
		}()
		return w, done
	}
	wOut, outc := drain(&os.Stdout)
	wErr, errc := drain(&os.Stderr)
	code = run(args)
	wOut.Close()
	wErr.Close()
	return code, <-outc, <-errc
}

// waitForStep polls the progress query until step has status want.
func (e *clientTestEnv) waitForStep(t *testing.T, id, step string, want runs.StepStatus) runs.Progress {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last runs.Progress
	for time.Now().Before(deadline) {
		p, err := queryProgressOnce(context.Background(), e.c, id, 5*time.Second)
		if err == nil {
			last = p
			for _, s := range p.Steps {
				if s.ID == step && s.Status == want {
					return p
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("step %s of %s never became %s; last progress: %+v", step, id, want, last)
	return last
}

// result waits for a run to close and returns its result and error.
func (e *clientTestEnv) result(t *testing.T, id string) (workflows.RunRunbookResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var res workflows.RunRunbookResult
	err := e.c.GetWorkflow(ctx, id, "").Get(ctx, &res)
	return res, err
}

// TestClientCommands drives run, status, approve, decide, complete and
// report against one in-process server and worker.
func TestClientCommands(t *testing.T) {
	e := newClientTestEnv(t)
	if err := e.startWorker(t); err != nil {
		t.Fatal(err)
	}
	t.Run("RunWaitSucceeds", e.testRunWaitSucceeds)
	t.Run("RunIDTaken", e.testRunIDTaken)
	t.Run("RunWaitFails", e.testRunWaitFails)
	t.Run("RunBadInput", e.testRunBadInput)
	t.Run("RunWaitShowsApprovalCommand", e.testRunWaitShowsApprovalCommand)
	t.Run("Approve", e.testApprove)
	t.Run("ApproveNotWaiting", e.testApproveNotWaiting)
	t.Run("DecideRetry", e.testDecideRetry)
	t.Run("DecideSkip", e.testDecideSkip)
	t.Run("DecideAbort", e.testDecideAbort)
	t.Run("Complete", e.testComplete)
	t.Run("StatusAndReport", e.testStatusAndReport)
	t.Run("StatusOfRejectedInput", e.testStatusOfRejectedInput)
}

func (e *clientTestEnv) testRunWaitSucceeds(t *testing.T) {
	code, out, errOut := e.cli(t, "run", "ok", "--wait", "--id", "ok-wait", "--input", "greeting=hi")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"Started   ok-wait", "/namespaces/default/workflows/ok-wait",
		"[1/2] ✅ say (1 attempt,", "[2/2] ✅ second", "✅ Run succeeded: ok-wait", "Findings  none", "Report    "} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func (e *clientTestEnv) testRunIDTaken(t *testing.T) {
	code, _, errOut := e.cli(t, "run", "ok", "--id", "ok-wait")
	if code != exitBadUsage || !strings.Contains(errOut, `workflow id "ok-wait" is already taken`) {
		t.Errorf("reusing a run's id: exit %d, stderr %q", code, errOut)
	}
}

func (e *clientTestEnv) testRunWaitFails(t *testing.T) {
	code, out, errOut := e.cli(t, "run", "fails", "--wait", "--id", "fails-wait")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "❌ break") || !strings.Contains(out, "❌ Run failed") {
		t.Errorf("stdout should show the failed step and run:\n%s", out)
	}
	if !strings.Contains(errOut, "break") {
		t.Errorf("stderr should name the failed step: %q", errOut)
	}
}

func (e *clientTestEnv) testRunBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown input", []string{"run", "ok", "--wait", "--input", "nosuch=1"}, "nosuch"},
		{"unknown runbook", []string{"run", "no-such-runbook", "--wait"}, "not found"},
		{"missing required input", []string{"run", "pause", "--wait"}, "marker"},
	} {
		code, out, errOut := e.cli(t, tc.args...)
		if code != exitBadUsage {
			t.Errorf("%s: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", tc.name, code, out, errOut)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: stderr lacks %q: %q", tc.name, tc.want, errOut)
		}
	}
}

// TestRunWaitBeforeWorker: `run --wait` retries its progress queries
// quietly while no worker has picked the run up, then follows it.
func TestRunWaitBeforeWorker(t *testing.T) {
	e := newClientTestEnv(t)
	started := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		started <- e.startWorker(t)
	}()
	code, out, errOut := e.cli(t, "run", "ok", "--wait", "--id", "late-worker")
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "[2/2] ✅ second") || !strings.Contains(out, "✅ Run succeeded") {
		t.Errorf("stdout:\n%s", out)
	}
	if strings.TrimSpace(errOut) != "" {
		t.Errorf("stderr should stay quiet: %q", errOut)
	}
}

// TestRunBadFlagsExit2 checks flags that are refused before any server is
// contacted (the address leads nowhere).
func TestRunBadFlagsExit2(t *testing.T) {
	nowhere := []string{"--address", "127.0.0.1:1"}
	for _, args := range [][]string{
		{"run", "ok", "--input", "novalue"},
		{"run", "ok", "--input", "=x"},
		{"run", "ok", "--input", "a=1", "--input", "a=2"},
		{"run", "ok", "--manual", "later"},
		{"run", "runbooks/ok.md"},
		{"run", "ok", "--approval-timeout", "soon"},
		{"run"},
		{"decide", "wf", "step", "maybe"},
		{"approve", "wf"},
		{"status"},
	} {
		start := time.Now()
		code, _, errOut := runCaptured(t, append(args, nowhere...)...)
		if code != exitBadUsage {
			t.Errorf("%v: exit %d, want 2; stderr: %s", args, code, errOut)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("%v: took %v: it should fail before connecting", args, time.Since(start))
		}
	}
}
