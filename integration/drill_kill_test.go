package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/workflows"
)

// TestBackupRetriesAfterPgDumpKilled: pg_dump is killed (SIGKILL) half-way
// through the shipped backup runbook's dump; the step retries and the
// result is one complete, verified dump, with no partial file left behind.
func TestBackupRetriesAfterPgDumpKilled(t *testing.T) {
	c := drillCluster(t, 500000) // ~50 MB of text: the dump takes seconds
	h := newHarness(t, map[string]string{"DRILL_DB": c.DSNFor("shop")})
	killed := make(chan string, 1)
	stop := make(chan struct{})
	defer close(stop)
	go killPgDumpMidway(h.artifacts, 256<<10, killed, stop)

	run := h.start("backup-killed", workflows.RunRunbookInput{Runbook: "backup", Inputs: map[string]any{"source": "env:DRILL_DB"}})
	var res workflows.RunRunbookResult
	if err := run.Get(context.Background(), &res); err != nil {
		t.Fatalf("backup run: %v", err)
	}
	var what string
	select {
	case what = <-killed:
		t.Logf("killed %s", what)
	default:
		t.Fatal("pg_dump was never caught mid-way: the test proves nothing")
	}
	b := stepByID(t, h.progress("backup-killed"), "backup")
	if b.Status != runs.StatusSucceeded || b.Attempts != 2 {
		t.Fatalf("backup step: %s after %d attempt(s): %s", b.Status, b.Attempts, b.Error)
	}
	dumps, _ := filepath.Glob(filepath.Join(h.artifacts, "backups", "*", "*.dump"))
	partials, _ := filepath.Glob(filepath.Join(h.artifacts, "backups", ".partial", "*"))
	if len(dumps) != 1 || len(partials) != 0 {
		t.Fatalf("dumps %v, partial files %v", dumps, partials)
	}
	if rel, _ := filepath.Rel(h.artifacts, dumps[0]); filepath.ToSlash(rel) != b.Result.Outputs["path"] {
		t.Errorf("dump %s, output path %s", rel, b.Result.Outputs["path"])
	}
	side, _ := os.ReadFile(dumps[0] + ".sha256")
	if !strings.HasPrefix(string(side), b.Result.Outputs["sha256"]+"  ") {
		t.Errorf(".sha256 %q, output %s", side, b.Result.Outputs["sha256"])
	}
	list, err := exec.Command(filepath.Join(c.BinDir(), "pg_restore"), "--list", dumps[0]).Output()
	if err != nil || !bytes.Contains(list, []byte("TABLE DATA public blobs")) {
		t.Errorf("pg_restore --list: %v\n%s", err, list)
	}
	if b.Result.Outputs["rows"] != "505200" {
		t.Errorf("rows in the manifest: %s", b.Result.Outputs["rows"])
	}
}

// killPgDumpMidway watches for a pg_dump writing under dir and kills it
// with SIGKILL once its output file holds more than minBytes.
func killPgDumpMidway(dir string, minBytes int64, killed chan<- string, stop <-chan struct{}) {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-stop:
			return
		case <-time.After(5 * time.Millisecond):
		}
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			args := strings.Split(string(cmdline), "\x00")
			if filepath.Base(args[0]) != "pg_dump" || !strings.Contains(string(cmdline), dir) {
				continue
			}
			for _, a := range args {
				file, ok := strings.CutPrefix(a, "--file=")
				if !ok {
					continue
				}
				if fi, err := os.Stat(file); err == nil && fi.Size() > minBytes {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					killed <- "pg_dump pid " + e.Name() + " at " + strconv.FormatInt(fi.Size(), 10) + " bytes"
					return
				}
			}
		}
	}
}
