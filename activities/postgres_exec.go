package activities

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
)

// pgStepLog is a postgres step's log, <ArtifactsDir>/<workflow-id>/<step>.log:
// every attempt appends the commands it ran (never a secret: those travel
// in the environment and a passfile) and their redacted output.
type pgStepLog struct {
	path string
	f    *os.File
	red  *redactor
	tail *tailBuffer
}

// openStepLog opens the step's log and writes the attempt's header.
func (a *Activities) openStepLog(ctx context.Context, req ActionRequest, red *redactor) (*pgStepLog, error) {
	dir, err := a.runDir(req.WorkflowID)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, artifactName(req.StepID)+".log")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open step log: %w", err)
	}
	fmt.Fprintf(f, "=== step %s · attempt %d · %s ===\n", req.StepID, attemptOf(ctx, req), time.Now().UTC().Format(time.RFC3339))
	return &pgStepLog{path: path, f: f, red: red, tail: newTailBuffer(TailBytes)}, nil
}

// printf writes a line of the activity's own to the log and the tail.
func (l *pgStepLog) printf(format string, args ...any) {
	line := l.red.String(fmt.Sprintf(format, args...))
	if !strings.HasSuffix(line, "\n") {
		line += "\n"
	}
	_, _ = io.WriteString(l.f, line)
	_, _ = l.tail.Write([]byte(line))
}

// close ends the log and returns it as an artifact.
func (a *Activities) closeStepLog(l *pgStepLog) []Artifact {
	if l == nil {
		return nil
	}
	_ = l.f.Close()
	art, err := a.fileArtifact(l.path)
	if err != nil {
		return nil
	}
	return []Artifact{art}
}

// pgToolRun is one run of pg_dump or pg_restore.
type pgToolRun struct {
	Code   int
	Output string // the redacted output, at most pgToolOutputMax bytes (the end)
}

// pgToolOutputMax bounds the output kept in memory for classification; the
// log has all of it.
const pgToolOutputMax = 1 << 20

// runPGTool runs path with args and env in a process group of its own
// (killed when ctx ends, and when the worker dies), logging the command and
// its output (redacted), which also goes to sink when not nil. It
// heartbeats with progress() every interval.
func (a *Activities) runPGTool(ctx context.Context, log *pgStepLog, path string, args, env []string, sink io.Writer,
	progress func(pid int) any) (pgToolRun, error) {
	log.printf("$ %s %s", filepath.Base(path), strings.Join(quoteArgs(args), " "))
	started := time.Now()
	out := newTailBuffer(pgToolOutputMax)
	writers := []io.Writer{log.f, log.tail, out}
	if sink != nil {
		writers = append(writers, sink)
	}
	w := log.red.Writer(io.MultiWriter(writers...))
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdin = nil
	var pid atomic.Int64
	stop := startHeartbeat(ctx, heartbeatInterval(ctx, DefaultHeartbeatInterval), func() any {
		return progress(int(pid.Load()))
	})
	code, err := runGroup(ctx, cmd, w, func(p int) { pid.Store(int64(p)) })
	stop()
	_ = w.Flush()
	log.printf("=== %s exit %d after %s ===", filepath.Base(path), code, time.Since(started).Round(time.Millisecond))
	return pgToolRun{Code: code, Output: out.String()}, err
}

// quoteArgs quotes arguments for the log the way a shell would need them.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}!#~") {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

// attemptOf is the step's attempt number, from 1.
func attemptOf(ctx context.Context, req ActionRequest) int {
	if req.Attempt > 0 {
		return req.Attempt
	}
	if activity.IsActivity(ctx) {
		return int(activity.GetInfo(ctx).Attempt)
	}
	return 1
}
