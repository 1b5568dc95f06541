package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// TestRetriesShowInProgressAndReport: a step that fails twice and then
// succeeds with retries=3 completes, with 3 attempts in the progress and the report.
func TestRetriesShowInProgressAndReport(t *testing.T) {
	h := newHarness(t, nil)
	counter := filepath.Join(t.TempDir(), "count")
	h.writeRunbook("flaky", "# Flaky\n\n## Try hard\n\n```sh {id=flaky retries=3 backoff=100ms}\nn=$(cat "+counter+" 2>/dev/null || echo 0)\necho $((n+1)) > "+counter+"\n[ \"$n\" -ge 2 ]\necho third time lucky\n```\n")
	run := h.start("flaky-1", workflows.RunRunbookInput{Runbook: "flaky"})
	var res workflows.RunRunbookResult
	if err := run.Get(context.Background(), &res); err != nil {
		t.Fatalf("run: %v", err)
	}
	s := stepByID(t, h.progress("flaky-1"), "flaky")
	if s.Status != runs.StatusSucceeded || s.Attempts != 3 || !strings.Contains(s.OutputTail, "third time lucky") {
		t.Fatalf("flaky: %s after %d attempts, tail %q", s.Status, s.Attempts, s.OutputTail)
	}
	report, err := os.ReadFile(filepath.Join(h.artifacts, res.Report.Markdown.Path))
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if !strings.Contains(string(report), "flaky") || !strings.Contains(string(report), "| 3 |") {
		t.Errorf("report does not show 3 attempts:\n%s", report)
	}
	saveHistory(t, "retries", h.history("flaky-1"))
}

// TestCancelKillsTheWholeProcessGroup: cancelling during `sleep 300 | cat`
// leaves no process of it within 10 s.
func TestCancelKillsTheWholeProcessGroup(t *testing.T) {
	h := newHarness(t, nil)
	// A unique duration tells this test's sleep apart from any other.
	marker := "sleep 300." + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	h.writeRunbook("sleepy", "# Sleepy\n\n```sh {id=nap timeout=10m}\n"+marker+" | cat\n```\n\n```sh {id=tidy cleanup=true}\necho tidied\n```\n")
	run := h.start("sleepy-1", workflows.RunRunbookInput{Runbook: "sleepy"})
	h.waitFor("sleepy-1", "nap running", func(p runs.Progress) bool {
		return statusOf(p, "nap") == runs.StatusRunning && processesWith(marker) > 0
	})
	if err := h.c.CancelWorkflow(context.Background(), "sleepy-1", ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for processesWith(marker) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("processes of the cancelled step still alive after 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	err := run.Get(context.Background(), nil)
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) {
		t.Fatalf("want a cancelled run, got %v", err)
	}
	if s := stepByID(t, h.progress("sleepy-1"), "tidy"); s.Status != runs.StatusSucceeded {
		t.Errorf("cleanup after cancel: %s", s.Status)
	}
	saveHistory(t, "cancel", h.history("sleepy-1"))
}

// processesWith counts live processes whose command line contains s.
func processesWith(s string) int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if strings.Contains(string(stat), ") Z ") {
			continue // a zombie holds nothing
		}
		if strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), s) {
			n++
		}
	}
	return n
}
