package activities

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/runs"
)

// Error types of the shell action (temporal.ApplicationError.Type()).
const (
	// ErrTypeShellExitCode: the script exited non-zero (retryable). The
	// error's details hold the partial ActionResult (exit code, output tail,
	// log artifact, outputs so far).
	ErrTypeShellExitCode = "ShellExitCode"
	// ErrTypeShellOutput: the $DRILLBOOK_OUTPUT file is malformed (not retryable).
	ErrTypeShellOutput = "ShellOutput"
	// ErrTypeShellSetup: the step cannot start (bad input names, no bash; not retryable).
	ErrTypeShellSetup = "ShellSetup"
)

// RunShell runs a shell step (sh, bash and shell blocks): req.Body runs as
// `bash -euo pipefail /dev/fd/3`, the script passed on a pipe (so it is on
// no command line and never on disk) and stdin being /dev/null. The step
// runs in the run's artifacts directory, in a process group of its own, with
// the environment described at shellEnv and:
//
//   - $DRILLBOOK_ARTIFACTS: <ArtifactsDir>/<workflow-id>/, absolute, created;
//   - $DRILLBOOK_OUTPUT: an empty file; KEY=VALUE lines appended to it become
//     result.Outputs (see parseOutputs).
//
// Combined stdout and stderr go to <ArtifactsDir>/<workflow-id>/<step>.log.
// Every attempt appends to it after a header line (=== step X · attempt N ·
// time ===) and ends with a footer line, so the log keeps the output of
// failed attempts too; result.Artifacts holds the log's size and SHA-256
// after this attempt, result.OutputTail the last 4 KiB of this attempt.
// The values of req.Secrets (at least MinSecretLen bytes long) are replaced
// by *** in the log, the tail, outputs and errors, even across read chunks.
//
// While the script runs the activity heartbeats (ProcessHeartbeat). When the
// activity is cancelled or times out the whole process group gets SIGTERM,
// then SIGKILL after KillGrace; background processes still in the group
// when the script exits get the same. A non-zero exit is a retryable
// ErrTypeShellExitCode error whose message has the exit code and the last
// line of output, and whose details hold the partial result.
func (a *Activities) RunShell(ctx context.Context, req runs.ActionRequest) (runs.ActionResult, error) {
	started := time.Now()
	step := req.StepID
	bash, err := exec.LookPath("bash")
	if err != nil {
		return runs.ActionResult{}, setupError(step, fmt.Errorf("find bash: %w", err))
	}
	dir, err := a.runDir(req.WorkflowID)
	if err != nil {
		return runs.ActionResult{}, fmt.Errorf("shell step %s: %w", step, err)
	}
	outFile, err := os.CreateTemp("", "drillbook-output-*") // mode 0600
	if err != nil {
		return runs.ActionResult{}, fmt.Errorf("shell step %s: create output file: %w", step, err)
	}
	outPath := outFile.Name()
	outFile.Close()
	defer os.Remove(outPath)
	env, red, err := a.shellEnv(req, dir, outPath)
	if err != nil {
		return runs.ActionResult{}, setupError(step, err)
	}

	attempt := req.Attempt
	if attempt <= 0 && activity.IsActivity(ctx) {
		attempt = int(activity.GetInfo(ctx).Attempt)
	}
	attempt = max(attempt, 1)
	logPath := filepath.Join(dir, artifactName(step)+".log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return runs.ActionResult{}, fmt.Errorf("shell step %s: open log: %w", step, err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "=== step %s · attempt %d · %s ===\n", step, attempt, started.UTC().Format(time.RFC3339))

	tail := newTailBuffer(TailBytes)
	rw := red.Writer(io.MultiWriter(logFile, tail))
	var outBytes atomic.Int64
	counted := writerFunc(func(p []byte) (int, error) {
		outBytes.Add(int64(len(p)))
		return rw.Write(p)
	})

	code, runErr := a.runScript(ctx, bash, dir, env, req.Body, counted, func(pid int) any {
		return ProcessHeartbeat{Step: step, PID: pid, OutputBytes: outBytes.Load(), ElapsedMS: time.Since(started).Milliseconds()}
	})
	flushErr := rw.Flush()
	elapsed := time.Since(started).Round(time.Millisecond)
	fmt.Fprintf(logFile, "=== exit %d after %s ===\n", code, elapsed)
	if err := logFile.Close(); err != nil && flushErr == nil {
		flushErr = err
	}

	res := runs.ActionResult{ExitCode: code, OutputTail: tail.String()}
	art, err := a.fileArtifact(logPath)
	if err != nil {
		return res, fmt.Errorf("shell step %s: %w", step, err)
	}
	res.Artifacts = []runs.Artifact{art}
	res.Summary = fmt.Sprintf("exit %d after %s, %d bytes of output", code, elapsed, outBytes.Load())
	a.shellLogger().Info("shell step ended", slog.String("workflow_id", req.WorkflowID), slog.String("step", step),
		slog.Int("attempt", attempt), slog.Int("exit_code", code), slog.Duration("elapsed", elapsed))

	if runErr != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("shell step %s stopped after %s: %w", step, elapsed, runErr)
		}
		return res, fmt.Errorf("shell step %s: %w", step, runErr)
	}
	if flushErr != nil {
		return res, fmt.Errorf("shell step %s: write log: %w", step, flushErr)
	}
	data, err := os.ReadFile(outPath)
	if err != nil {
		return res, fmt.Errorf("shell step %s: read outputs: %w", step, err)
	}
	outputs, outErr := parseOutputs(data, red)
	res.Outputs = outputs
	if code != 0 {
		msg := fmt.Sprintf("shell step %s exited with code %d", step, code)
		if l := lastLine(res.OutputTail, 300); l != "" {
			msg += ": " + l
		}
		return res, temporal.NewApplicationErrorWithOptions(msg, ErrTypeShellExitCode,
			temporal.ApplicationErrorOptions{Details: []any{res}})
	}
	if outErr != nil {
		return res, temporal.NewApplicationErrorWithOptions(fmt.Sprintf("shell step %s: %v", step, outErr), ErrTypeShellOutput,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{res}})
	}
	return res, nil
}

// runScript runs script with bash in dir, writing combined output to out
// and heartbeating with details(pid) while it runs.
func (a *Activities) runScript(ctx context.Context, bash, dir string, env []string, script string, out io.Writer,
	details func(pid int) any) (int, error) {
	sr, sw, err := os.Pipe()
	if err != nil {
		return -1, fmt.Errorf("create script pipe: %w", err)
	}
	defer sr.Close()
	defer sw.Close() // unblocks the writer if bash exited without reading it all
	if script != "" && !strings.HasSuffix(script, "\n") {
		script += "\n"
	}
	go func() {
		_, _ = io.WriteString(sw, script)
		sw.Close()
	}()
	cmd := exec.Command(bash, "-euo", "pipefail", "/dev/fd/3")
	cmd.Dir = dir
	cmd.Env = env
	cmd.ExtraFiles = []*os.File{sr} // fd 3 in the child
	var pid atomic.Int64
	stop := startHeartbeat(ctx, heartbeatInterval(ctx, DefaultHeartbeatInterval), func() any {
		return details(int(pid.Load()))
	})
	defer stop()
	return runGroup(ctx, cmd, out, func(p int) { pid.Store(int64(p)) })
}

// setupError is the non-retryable error of a step that cannot start.
func setupError(step string, err error) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("shell step %s: %v", step, err), ErrTypeShellSetup, nil)
}

// shellLogger returns a.Logger, or a logger that discards.
func (a *Activities) shellLogger() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
