package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// KillGrace is how long a process group gets between SIGTERM and SIGKILL
// when a step is cancelled or times out, or when processes it started in
// the background outlive it. Tests shorten it.
var KillGrace = 5 * time.Second

// drainTimeout bounds how long output is still read once the process group
// is gone: a daemon that left the group (setsid) may hold the pipe open.
var drainTimeout = 2 * time.Second

// runGroup runs cmd in a process group of its own, with stdout and stderr
// combined into one pipe that is copied to out (from one goroutine). When
// ctx is done the whole group gets SIGTERM, then SIGKILL after KillGrace.
// Processes the command left behind in its group do not outlive it either:
// they get the same treatment once the command exits. runGroup returns the
// exit code (128+N for death by signal N) and, when ctx ended the command,
// an error wrapping ctx.Err(). started, if not nil, gets the pid (which is
// also the process group id) once the command runs.
func runGroup(ctx context.Context, cmd *exec.Cmd, out io.Writer, started func(pid int)) (int, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return -1, fmt.Errorf("create output pipe: %w", err)
	}
	defer pr.Close()
	cmd.Stdout, cmd.Stderr = pw, pw
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	// If the worker dies (SIGKILL, OOM), the step's shell dies with it
	// instead of running on beside the retry on another worker. The signal
	// is tied to the starting thread, so keep this goroutine on it.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	pw.Close()
	if err != nil {
		return -1, fmt.Errorf("start %s: %w", filepath.Base(cmd.Path), err)
	}
	pgid := cmd.Process.Pid
	if started != nil {
		started(pgid)
	}

	copied := make(chan error, 1)
	go func() { copied <- copyOutput(out, pr) }()
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status is read from cmd.ProcessState
		close(exited)
	}()

	var ctxErr error
	select {
	case <-exited:
	case <-ctx.Done():
		ctxErr = ctx.Err()
		terminateGroup(pgid, exited)
	}
	// The leader is gone; its background children go the same way.
	if groupAlive(pgid) {
		terminateGroup(pgid, nil)
	}
	var copyErr error
	select {
	case copyErr = <-copied:
	case <-time.After(drainTimeout):
		pr.Close() // unblocks the reader
		copyErr = <-copied
	}
	code := exitCode(cmd.ProcessState)
	if ctxErr != nil {
		return code, fmt.Errorf("process group %d stopped: %w", pgid, ctxErr)
	}
	if copyErr != nil {
		return code, fmt.Errorf("copy output: %w", copyErr)
	}
	return code, nil
}

// terminateGroup sends SIGTERM to process group pgid and SIGKILL after
// KillGrace. With a leader channel it waits for the leader to exit (it is
// always reaped: SIGKILL cannot be ignored); without, it waits until no
// live process is left in the group, or KillGrace after the SIGKILL.
func terminateGroup(pgid int, leader <-chan struct{}) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	if waitGone(pgid, leader, KillGrace) {
		return
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if leader != nil {
		<-leader
		return
	}
	waitGone(pgid, nil, KillGrace)
}

// waitGone waits up to d for the leader to exit (leader != nil) or for the
// group to have no live process; it reports whether that happened.
func waitGone(pgid int, leader <-chan struct{}, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if leader == nil && !groupAlive(pgid) {
			return true
		}
		select {
		case <-leader: // a nil channel never fires
			return true
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
}

// groupAlive reports whether process group pgid has a process that is not
// a zombie. Zombies count as members for kill(2) but are harmless, and
// nobody may reap them when the worker runs as PID 1 in a container.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	return len(groupMembers(pgid)) > 0
}

// groupMembers lists the live (non-zombie) processes of group pgid from /proc.
func groupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return []int{pgid} // no /proc: trust kill(2), which said alive
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		state, group, ok := parseProcStat(stat)
		if ok && group == pgid && state != 'Z' && state != 'X' {
			pids = append(pids, pid)
		}
	}
	return pids
}

// parseProcStat returns the state and process group of /proc/PID/stat:
// "pid (comm) state ppid pgrp ...", where comm may contain spaces and ")".
func parseProcStat(stat []byte) (state byte, pgrp int, ok bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pgrp, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pgrp, true
}

// copyOutput copies r to w until EOF. After a write error it keeps reading
// (so that the command never blocks on a full pipe) and returns that error.
func copyOutput(w io.Writer, r io.Reader) error {
	buf := make([]byte, 32*1024)
	var werr error
	for {
		n, err := r.Read(buf)
		if n > 0 && werr == nil {
			_, werr = w.Write(buf[:n])
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				return werr
			}
			return errors.Join(werr, err)
		}
	}
}

// exitCode returns the exit status, 128+N after death by signal N (as
// shells report it), or -1 when unknown.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
