package activities

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	// chatter, when set, marks progress lines (pg_restore --verbose) that
	// go to the log file but not to the tail shown in the report.
	chatter func(line string) bool
	// progress is what the attempt's heartbeats report, from the log's
	// opening to its closing.
	progress *pgProgress
	stop     func()
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
	l := &pgStepLog{path: path, f: f, red: red, tail: newTailBuffer(TailBytes)}
	l.progress, l.stop = startPGHeartbeat(ctx, req.StepID)
	return l, nil
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
	l.stop()
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
// its output (redacted), which also goes to sink when not nil. The
// heartbeats name it and its pid meanwhile.
func (a *Activities) runPGTool(ctx context.Context, log *pgStepLog, path string, args, env []string, sink io.Writer) (pgToolRun, error) {
	log.printf("$ %s %s", filepath.Base(path), strings.Join(quoteArgs(args), " "))
	started := time.Now()
	out := newTailBuffer(pgToolOutputMax)
	var tail io.Writer = log.tail
	if log.chatter != nil {
		tail = &lineFilter{keep: func(l string) bool { return !log.chatter(l) }, w: log.tail}
	}
	writers := []io.Writer{log.f, tail, out}
	if sink != nil {
		writers = append(writers, sink)
	}
	w := log.red.Writer(io.MultiWriter(writers...))
	defer func() {
		if lf, ok := tail.(*lineFilter); ok {
			lf.flush()
		}
	}()
	cmd := exec.Command(path, args...)
	cmd.Env = env
	log.progress.set(filepath.Base(path))
	code, err := runGroup(ctx, cmd, w, log.progress.setPID)
	log.progress.setPID(0)
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

// lineFilter passes on the whole lines that keep accepts.
type lineFilter struct {
	keep    func(string) bool
	w       io.Writer
	partial []byte
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.partial = append(f.partial, p...)
	for {
		i := strings.IndexByte(string(f.partial), '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := string(f.partial[:i+1]); f.keep(line) {
			_, _ = f.w.Write([]byte(line))
		}
		f.partial = f.partial[i+1:]
	}
}

// flush passes on an unterminated last line.
func (f *lineFilter) flush() {
	if len(f.partial) > 0 && f.keep(string(f.partial)) {
		_, _ = f.w.Write(f.partial)
	}
	f.partial = nil
}

// PGHeartbeat is the heartbeat detail of the postgres.* actions: the phase
// a step is in, the process it runs and, while pg_dump writes, the bytes
// written so far. It shows in the Temporal UI's pending activities.
type PGHeartbeat struct {
	Step         string `json:"step"`
	Phase        string `json:"phase"`
	PID          int    `json:"pid,omitempty"`
	BytesWritten int64  `json:"bytes_written,omitempty"`
	ElapsedMS    int64  `json:"elapsed_ms"`
}

// pgProgress holds a step's PGHeartbeat while it runs; safe for the
// heartbeat goroutine.
type pgProgress struct {
	mu      sync.Mutex
	hb      PGHeartbeat
	file    string // a file whose size is BytesWritten
	started time.Time
}

// startPGHeartbeat heartbeats a step's progress until stop is called; it
// does nothing outside an activity.
func startPGHeartbeat(ctx context.Context, step string) (*pgProgress, func()) {
	p := &pgProgress{started: time.Now(), hb: PGHeartbeat{Step: step, Phase: "starting"}}
	return p, startHeartbeat(ctx, heartbeatInterval(ctx, DefaultHeartbeatInterval), p.details)
}

func (p *pgProgress) set(phase string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hb.Phase, p.hb.PID = phase, 0
}

func (p *pgProgress) setPID(pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hb.PID = pid
}

// watchFile makes BytesWritten the size of file ("" stops).
func (p *pgProgress) watchFile(file string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.file = file
}

func (p *pgProgress) details() any {
	p.mu.Lock()
	defer p.mu.Unlock()
	hb := p.hb
	hb.ElapsedMS = time.Since(p.started).Milliseconds()
	if p.file != "" {
		if fi, err := os.Stat(p.file); err == nil {
			hb.BytesWritten = fi.Size()
		}
	}
	return hb
}
