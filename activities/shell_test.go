package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hotdash/drillbook/runs"
)

// newShellActivities returns Activities with a temporary artifacts directory
// and a fake worker environment.
func newShellActivities(t *testing.T, env map[string]string) *Activities {
	t.Helper()
	return &Activities{ArtifactsDir: t.TempDir(), Env: func(k string) string { return env[k] }}
}

func shellReq(body string) runs.ActionRequest {
	return runs.ActionRequest{WorkflowID: "wf-1", StepID: "step-1", Kind: "shell", Body: body}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunShellOutputsAndArtifacts(t *testing.T) {
	a := newShellActivities(t, nil)
	res, err := a.RunShell(t.Context(), shellReq(`
echo "artifacts=$DRILLBOOK_ARTIFACTS step=$DRILLBOOK_STEP wf=$DRILLBOOK_WORKFLOW_ID"
echo "to stderr" >&2
echo hello > "$DRILLBOOK_ARTIFACTS/hello.txt"
{
  echo "count=3"
  echo ""
  echo "# a comment"
  echo "path=/tmp/a=b"
  echo "count=4"
} >> "$DRILLBOOK_OUTPUT"
echo "cwd=$PWD"`))
	if err != nil {
		t.Fatalf("RunShell: %v", err)
	}
	root, _ := filepath.Abs(a.ArtifactsDir)
	runDir := filepath.Join(root, "wf-1")
	want := map[string]string{"count": "4", "path": "/tmp/a=b"}
	if len(res.Outputs) != len(want) || res.Outputs["count"] != "4" || res.Outputs["path"] != "/tmp/a=b" {
		t.Errorf("outputs = %v, want %v", res.Outputs, want)
	}
	for _, s := range []string{"artifacts=" + runDir + " step=step-1 wf=wf-1", "to stderr", "cwd=" + runDir} {
		if !strings.Contains(res.OutputTail, s) {
			t.Errorf("tail %q lacks %q", res.OutputTail, s)
		}
	}
	if got := readFile(t, filepath.Join(runDir, "hello.txt")); got != "hello\n" {
		t.Errorf("artifact written by the step = %q", got)
	}
	if len(res.Artifacts) != 1 || res.Artifacts[0].Path != "wf-1/step-1.log" {
		t.Fatalf("artifacts = %+v, want the log wf-1/step-1.log", res.Artifacts)
	}
	log := readFile(t, filepath.Join(runDir, "step-1.log"))
	sum := sha256.Sum256([]byte(log))
	if res.Artifacts[0].SHA256 != hex.EncodeToString(sum[:]) || res.Artifacts[0].Bytes != int64(len(log)) {
		t.Errorf("artifact %+v does not describe the log (%d bytes)", res.Artifacts[0], len(log))
	}
	if !strings.HasPrefix(log, "=== step step-1 · attempt 1 · ") || !strings.Contains(log, "to stderr\n") ||
		!strings.HasSuffix(log, "=== exit 0 after ") && !strings.Contains(log, "=== exit 0 after ") {
		t.Errorf("log lacks header, output or footer:\n%s", log)
	}
	if res.ExitCode != 0 || !strings.HasPrefix(res.Summary, "exit 0 after ") {
		t.Errorf("exit code %d, summary %q", res.ExitCode, res.Summary)
	}

	// A second attempt appends to the log with its own header.
	second := shellReq("echo second")
	second.Attempt = 2
	if _, err := a.RunShell(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	log = readFile(t, filepath.Join(runDir, "step-1.log"))
	if n := strings.Count(log, "=== step step-1 · attempt"); n != 2 || !strings.Contains(log, "=== step step-1 · attempt 2 · ") ||
		!strings.Contains(log, "second\n") {
		t.Errorf("log after two attempts has %d headers:\n%s", n, log)
	}
}

func TestRunShellEnvironment(t *testing.T) {
	t.Setenv("DRILLBOOK_TEST_WORKER_VAR", "from-worker")
	t.Setenv("MISSING_DB", "worker-value-must-not-show")
	a := newShellActivities(t, map[string]string{"TEST_DATABASE_URL": "postgres://u@h/db", "PART": "xyz"})
	req := shellReq(`
echo "source=$SOURCE"
echo "region=$REGION"
echo "mixed=$MIXED"
echo "worker=$DRILLBOOK_TEST_WORKER_VAR"
echo "missing=${MISSING_DB-unset}"
echo "stdin=$(readlink /proc/$$/fd/0)"
cat  # reads stdin: /dev/null ends it at once
echo "home-is-set=${HOME:+yes}"`)
	req.Env = map[string]string{
		"SOURCE":     "env:TEST_DATABASE_URL",
		"REGION":     "ams",
		"MIXED":      "a-${env.PART}-b",
		"MISSING_DB": "env:NOT_SET_ANYWHERE",
	}
	res, err := a.RunShell(t.Context(), req)
	if err != nil {
		t.Fatalf("RunShell: %v", err)
	}
	for _, s := range []string{"source=postgres://u@h/db", "region=ams", "mixed=a-xyz-b", "worker=from-worker",
		"missing=unset", "stdin=/dev/null", "home-is-set=yes"} {
		if !strings.Contains(res.OutputTail, s+"\n") {
			t.Errorf("output lacks %q:\n%s", s, res.OutputTail)
		}
	}

	// set -u: using an input whose env: reference is unset fails the step.
	req.Body = `echo "db=$MISSING_DB"`
	_, err = a.RunShell(t.Context(), req)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrTypeShellExitCode || !strings.Contains(err.Error(), "MISSING_DB: unbound variable") {
		t.Errorf("unset env: reference: err = %v, want exit code error naming MISSING_DB", err)
	}

	for _, env := range []map[string]string{{"BAD-NAME": "x"}, {"DRILLBOOK_OUTPUT": "x"}} {
		req.Env = env
		_, err := a.RunShell(t.Context(), req)
		if !errors.As(err, &appErr) || appErr.Type() != ErrTypeShellSetup || !appErr.NonRetryable() {
			t.Errorf("env %v: err = %v, want non-retryable %s", env, err, ErrTypeShellSetup)
		}
	}
}

func TestRunShellStrictMode(t *testing.T) {
	a := newShellActivities(t, nil)
	for name, body := range map[string]string{
		"errexit":  "false\necho not reached",
		"pipefail": "false | true\necho not reached",
		"nounset":  "echo $NOT_DEFINED_ANYWHERE\necho not reached",
	} {
		t.Run(name, func(t *testing.T) {
			res, err := a.RunShell(t.Context(), shellReq(body))
			if err == nil || res.ExitCode == 0 || strings.Contains(res.OutputTail, "not reached") {
				t.Errorf("err = %v, exit %d, tail %q: want failure before the echo", err, res.ExitCode, res.OutputTail)
			}
		})
	}
}

func TestRunShellExitCodeError(t *testing.T) {
	a := newShellActivities(t, nil)
	req := shellReq("echo first line\necho 'ready=no' >> \"$DRILLBOOK_OUTPUT\"\necho 'pg_dump: error: connection refused' >&2\nexit 3")
	_, err := a.RunShell(t.Context(), req)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("err = %v, want an application error", err)
	}
	if appErr.Type() != ErrTypeShellExitCode || appErr.NonRetryable() {
		t.Errorf("type %q non-retryable %v, want retryable %s", appErr.Type(), appErr.NonRetryable(), ErrTypeShellExitCode)
	}
	if want := "shell step step-1 exited with code 3: pg_dump: error: connection refused"; appErr.Message() != want {
		t.Errorf("message %q, want %q", appErr.Message(), want)
	}

	// Through the SDK's failure conversion, as the workflow sees it.
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(a.RunShell, activity.RegisterOptions{Name: "RunShell"})
	_, err = env.ExecuteActivity("RunShell", req)
	if !errors.As(err, &appErr) || appErr.Type() != ErrTypeShellExitCode {
		t.Fatalf("through the test environment: err = %v", err)
	}
	var res runs.ActionResult
	if err := appErr.Details(&res); err != nil {
		t.Fatalf("details: %v", err)
	}
	if res.ExitCode != 3 || !strings.Contains(res.OutputTail, "first line\n") || res.Outputs["ready"] != "no" || len(res.Artifacts) != 1 {
		t.Errorf("details = %+v, want exit 3, the tail, outputs and the log", res)
	}
}

func TestRunShellOutputFileErrors(t *testing.T) {
	a := newShellActivities(t, nil)
	for name, line := range map[string]string{
		"no equals": "just-a-line-s3cret",
		"bad key":   "9key=v",
		"key space": "a key=v",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := a.RunShell(t.Context(), shellReq("echo '"+line+"' >> \"$DRILLBOOK_OUTPUT\""))
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != ErrTypeShellOutput || !appErr.NonRetryable() {
				t.Fatalf("err = %v, want non-retryable %s", err, ErrTypeShellOutput)
			}
			if !strings.Contains(err.Error(), "line 1") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("message %q should give the line number and not quote the line", err)
			}
		})
	}
}

func TestRunShellRedactsSecrets(t *testing.T) {
	const secret = "hunter2-correct-horse"
	const pw = "pa55w0rd-in-url"
	a := newShellActivities(t, map[string]string{"DB_PASSWORD": secret, "DB_URL": "postgres://app:" + pw + "@db/prod"})
	req := shellReq(`
echo "plain: $PASSWORD"
echo "stderr: $PASSWORD" >&2
printf 'split: %s' "${PASSWORD:0:7}"; sleep 0.3; printf '%s\n' "${PASSWORD:7}"
echo "password only: ${DB_URL#*:*:}"
echo "short=$SHORT public=$PUBLIC"
echo "out=$PASSWORD" >> "$DRILLBOOK_OUTPUT"
echo "failing with $PASSWORD" >&2
exit 1`)
	req.Env = map[string]string{"PASSWORD": "env:DB_PASSWORD", "DB_URL": "env:DB_URL", "SHORT": "abc", "PUBLIC": "not-secret-value"}
	req.Secrets = []string{"password", "DB_URL", "SHORT"}
	res, err := a.RunShell(t.Context(), req)
	if err == nil {
		t.Fatal("want the exit code error")
	}
	var appErr *temporal.ApplicationError
	var details runs.ActionResult
	if !errors.As(err, &appErr) || appErr.Details(&details) != nil {
		t.Fatalf("err = %v, want details", err)
	}
	root, _ := filepath.Abs(a.ArtifactsDir)
	log := readFile(t, filepath.Join(root, "wf-1", "step-1.log"))
	places := map[string]string{"log": log, "tail": res.OutputTail, "error": err.Error(),
		"details tail": details.OutputTail, "output": res.Outputs["out"]}
	for where, text := range places {
		for _, s := range []string{secret, pw, "hunter2"} {
			if strings.Contains(text, s) {
				t.Errorf("%s contains a secret %q:\n%s", where, s, text)
			}
		}
	}
	for _, s := range []string{"plain: ***\n", "stderr: ***\n", "split: ***\n", "short=abc public=not-secret-value\n"} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %q:\n%s", s, log)
		}
	}
	if res.Outputs["out"] != "***" || appErr.Message() != "shell step step-1 exited with code 1: failing with ***" {
		t.Errorf("output %q, error %q", res.Outputs["out"], err)
	}
}

func TestRunShellScriptNotOnCommandLine(t *testing.T) {
	a := newShellActivities(t, nil)
	marker := "marker-" + strings.Repeat("q", 12)
	done := make(chan error, 1)
	root, _ := filepath.Abs(a.ArtifactsDir)
	ready := filepath.Join(root, "wf-1", "ready")
	go func() {
		_, err := a.RunShell(t.Context(), shellReq("# "+marker+"\necho $$ > \""+ready+".tmp\"; mv \""+ready+".tmp\" \""+ready+"\"\nsleep 2"))
		done <- err
	}()
	pid := waitForFile(t, ready)
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), marker) {
			t.Errorf("%s holds the script: %q", p, b)
		}
	}
	if b, _ := os.ReadFile("/proc/" + pid + "/cmdline"); !strings.Contains(string(b), "/dev/fd/3") {
		t.Errorf("bash command line = %q", b)
	}
	if l, err := os.Readlink("/proc/" + pid + "/fd/3"); err != nil || !strings.HasPrefix(l, "pipe:") {
		t.Errorf("fd 3 of bash = %q, %v; want the script pipe", l, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitForFile waits for path to exist and returns its trimmed content.
func waitForFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", path)
	return ""
}

func TestRunShellHeartbeats(t *testing.T) {
	defer func(d time.Duration) { DefaultHeartbeatInterval = d }(DefaultHeartbeatInterval)
	DefaultHeartbeatInterval = 50 * time.Millisecond
	a := newShellActivities(t, nil)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	var mu sync.Mutex
	var beats []ProcessHeartbeat
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var hb ProcessHeartbeat
		if details.HasValues() && details.Get(&hb) == nil {
			mu.Lock()
			beats = append(beats, hb)
			mu.Unlock()
		}
	})
	env.RegisterActivityWithOptions(a.RunShell, activity.RegisterOptions{Name: "RunShell"})
	if _, err := env.ExecuteActivity("RunShell", shellReq("echo some output\nsleep 0.5")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(beats) == 0 {
		t.Fatal("no heartbeat recorded")
	}
	hb := beats[len(beats)-1]
	if hb.Step != "step-1" || hb.PID <= 0 || hb.OutputBytes != int64(len("some output\n")) || hb.ElapsedMS <= 0 {
		t.Errorf("heartbeat = %+v", hb)
	}
}

func TestStartHeartbeatOutsideActivity(t *testing.T) {
	stop := startHeartbeat(context.Background(), time.Millisecond, func() any { panic("called outside an activity") })
	time.Sleep(10 * time.Millisecond)
	stop()
	stop()
}
