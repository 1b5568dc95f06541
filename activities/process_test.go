package activities

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitGroupGone fails the test unless process group pgid has no live
// process within d.
func waitGroupGone(t *testing.T, pgid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if len(groupMembers(pgid)) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("process group %d still has processes %v after %s", pgid, groupMembers(pgid), d)
}

// runShellUntilReady starts body (which must write $$ to $DRILLBOOK_ARTIFACTS/ready
// and then block), waits for it, calls stop and returns the step's pgid, its
// error and how long the step took to return after stop.
func runShellUntilReady(t *testing.T, ctx context.Context, body string, stop func()) (int, error, time.Duration) {
	t.Helper()
	a := newShellActivities(t, nil)
	done := make(chan error, 1)
	go func() {
		_, err := a.RunShell(ctx, shellReq(body))
		done <- err
	}()
	root, _ := filepath.Abs(a.ArtifactsDir)
	pgid, err := strconv.Atoi(waitForFile(t, filepath.Join(root, "wf-1", "ready")))
	if err != nil {
		t.Fatal(err)
	}
	// The ready line runs before the pipeline starts: give it a moment.
	for deadline := time.Now().Add(5 * time.Second); len(groupMembers(pgid)) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if len(groupMembers(pgid)) < 2 {
		t.Errorf("want bash and its children in group %d, have %v", pgid, groupMembers(pgid))
	}
	stop()
	at := time.Now()
	select {
	case err := <-done:
		return pgid, err, time.Since(at)
	case <-time.After(20 * time.Second):
		t.Fatal("RunShell did not return")
	}
	return 0, nil, 0
}

const readyLine = `echo $$ > "$DRILLBOOK_ARTIFACTS/ready.tmp"; mv "$DRILLBOOK_ARTIFACTS/ready.tmp" "$DRILLBOOK_ARTIFACTS/ready"` + "\n"

func TestRunShellCancelKillsGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pgid, err, took := runShellUntilReady(t, ctx, readyLine+"sleep 300 | cat", cancel)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if took > 5*time.Second {
		t.Errorf("took %s to stop after cancel (SIGTERM should do)", took)
	}
	waitGroupGone(t, pgid, 10*time.Second)
}

func TestRunShellTimeoutKillsStubbornGroup(t *testing.T) {
	defer func(d time.Duration) { KillGrace = d }(KillGrace)
	KillGrace = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Ignored signals are inherited: neither bash nor sleep dies of SIGTERM.
	pgid, err, took := runShellUntilReady(t, ctx, "trap '' TERM\n"+readyLine+"sleep 300 | cat", cancel)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if took < KillGrace || took > 5*time.Second {
		t.Errorf("took %s to stop: want SIGKILL after the %s grace", took, KillGrace)
	}
	waitGroupGone(t, pgid, 10*time.Second)
}

func TestRunShellDeadline(t *testing.T) {
	a := newShellActivities(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	res, err := a.RunShell(ctx, shellReq("echo started\nsleep 300"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if res.ExitCode != 128+15 || res.OutputTail != "started\n" || len(res.Artifacts) != 1 {
		t.Errorf("result = %+v, want exit 143 (SIGTERM), the tail and the log", res)
	}
}

func TestRunShellBackgroundChildrenDoNotOutliveStep(t *testing.T) {
	a := newShellActivities(t, nil)
	start := time.Now()
	res, err := a.RunShell(t.Context(), shellReq(`sleep 300 & echo "bg=$!"; echo "$$" > "$DRILLBOOK_ARTIFACTS/pgid"`))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("step took %s: the background sleep kept it waiting", took)
	}
	root, _ := filepath.Abs(a.ArtifactsDir)
	pgid, _ := strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(root, "wf-1", "pgid"))))
	waitGroupGone(t, pgid, 10*time.Second)
	if res.ExitCode != 0 {
		t.Errorf("exit %d", res.ExitCode)
	}
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		in    string
		state byte
		pgrp  int
		ok    bool
	}{
		{"123 (bash) S 1 123 123 0 -1", 'S', 123, true},
		{"124 (we ird) (name)) Z 123 99 99", 'Z', 99, true},
		{"garbage", 0, 0, false},
		{"1 (x) S 1", 0, 0, false},
	}
	for _, tt := range tests {
		state, pgrp, ok := parseProcStat([]byte(tt.in))
		if state != tt.state || pgrp != tt.pgrp || ok != tt.ok {
			t.Errorf("parseProcStat(%q) = %c %d %v, want %c %d %v", tt.in, state, pgrp, ok, tt.state, tt.pgrp, tt.ok)
		}
	}
}
