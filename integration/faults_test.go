package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hotdash/drillbook/runs"
)

// The fault suite: the demo audit (ReliabilityAudit on the sandbox
// stand-ins, loopback only) under one fault at a time. Each run must end,
// completed or failed with a clear finding, within its bound; no drill_*
// scratch database and no pg_dump/pg_restore/shell process may be left
// behind. The worker killed three times is e2e/faults_test.go (it needs
// separate processes). TestMain prints the table of what happened.

// faultRow is one line of the fault table.
type faultRow struct{ fault, outcome, recover string }

var faultTable struct {
	mu   sync.Mutex
	rows []faultRow
}

func recordFault(fault, outcome string, recover time.Duration) {
	faultTable.mu.Lock()
	defer faultTable.mu.Unlock()
	faultTable.rows = append(faultTable.rows, faultRow{fault, outcome, recover.Round(100 * time.Millisecond).String()})
}

func TestMain(m *testing.M) {
	code := m.Run()
	faultTable.mu.Lock()
	if len(faultTable.rows) > 0 {
		fmt.Println("\nFault suite (demo audit, in-process):")
		fmt.Printf("| %-28s | %-70s | %-15s |\n", "fault", "outcome", "time to recover")
		fmt.Printf("|%s|%s|%s|\n", strings.Repeat("-", 30), strings.Repeat("-", 72), strings.Repeat("-", 17))
		for _, r := range faultTable.rows {
			fmt.Printf("| %-28s | %-70s | %-15s |\n", r.fault, r.outcome, r.recover)
		}
	}
	faultTable.mu.Unlock()
	os.Exit(code)
}

// fastProbe keeps the synthetic checks short (the default is 50 samples a
// target); every other input is the demo's.
var fastProbe = map[string]any{"probe_samples": 8}

// checkAftermath fails the test when a scratch database or a process is
// left behind, and describes the outcome for the table.
func (r *auditRig) checkAftermath(out auditOutcome) string {
	r.t.Helper()
	if left := r.scratchDatabases(); len(left) > 0 {
		r.t.Errorf("scratch databases left behind: %v", left)
	}
	if left := leftoverProcesses(r.artifacts); len(left) > 0 {
		r.t.Errorf("processes left behind:\n%s", strings.Join(left, "\n"))
	}
	for _, s := range out.progress.Steps {
		var took time.Duration
		if !s.StartedAt.IsZero() && !s.EndedAt.IsZero() {
			took = s.EndedAt.Sub(s.StartedAt).Round(100 * time.Millisecond)
		}
		r.t.Logf("%-22s %-10s %d attempt(s) %6v %s", s.ID, s.Status, s.Attempts, took, firstLine(s.Error))
	}
	if out.err != nil {
		return "failed: " + firstLine(out.err.Error())
	}
	if out.progress.Status != runs.RunSucceeded {
		r.t.Errorf("run %s: status %q without an error", out.id, out.progress.Status)
	}
	var failed []string
	for _, s := range out.progress.Steps {
		if s.Status == runs.StatusFailed {
			failed = append(failed, s.ID)
		}
	}
	if len(failed) > 0 {
		return "completed; failed with their errors: " + strings.Join(failed, ", ")
	}
	return "completed, every step succeeded"
}

// stepOf is the step id of out's progress.
func (o auditOutcome) step(t *testing.T, id string) runs.StepProgress {
	t.Helper()
	return stepByID(t, o.progress, id)
}

// TestFaultFly5xx: 20% of the Fly API's answers are 503s. The inventory
// retries them and the audit completes.
func TestFaultFly5xx(t *testing.T) {
	r := newAuditRig(t, "")
	r.fly.SetFailureRate(0.2, 503, 42)
	out := r.runAudit("fault-fly-5xx", fastProbe, false, 150*time.Second)
	desc := r.checkAftermath(out)
	inv := out.step(t, "inventory")
	st := r.fly.Stats()
	switch {
	case inv.Status == runs.StatusSucceeded:
	case inv.Status == runs.StatusFailed && strings.Contains(inv.Error, "503"):
		t.Logf("the inventory gave up on the storm, with a clear error: %s", firstLine(inv.Error))
	default:
		t.Errorf("inventory: %s after %d attempt(s): %s", inv.Status, inv.Attempts, inv.Error)
	}
	if st.Faults == 0 {
		t.Fatal("no 5xx was injected: the test proves nothing")
	}
	t.Logf("emulator: %+v", st)
	recordFault("Fly API: 20% 5xx", fmt.Sprintf("%s (%d injected 503s, inventory %s in %d attempt(s))", desc, st.Faults, inv.Status, inv.Attempts), out.took)
}

// TestFaultFly429: the Fly API allows 2 requests a second (bursts of 2) and
// answers the rest 429 with Retry-After. The client waits as told.
func TestFaultFly429(t *testing.T) {
	r := newAuditRig(t, "")
	r.fly.SetRateLimit(2, 2)
	out := r.runAudit("fault-fly-429", fastProbe, false, 150*time.Second)
	desc := r.checkAftermath(out)
	inv := out.step(t, "inventory")
	st := r.fly.Stats()
	switch {
	case inv.Status == runs.StatusSucceeded:
	case inv.Status == runs.StatusFailed && (strings.Contains(inv.Error, "429") || strings.Contains(strings.ToLower(inv.Error), "rate")):
		t.Logf("the inventory gave up on the storm, with a clear error: %s", firstLine(inv.Error))
	default:
		t.Errorf("inventory: %s after %d attempt(s): %s", inv.Status, inv.Attempts, inv.Error)
	}
	if st.RateLimited == 0 {
		t.Fatal("no 429 was answered: the test proves nothing")
	}
	t.Logf("emulator: %+v", st)
	recordFault("Fly API: 429 storm (2/s)", fmt.Sprintf("%s (%d 429s, inventory %s in %d attempt(s))", desc, st.RateLimited, inv.Status, inv.Attempts), out.took)
}

// TestFaultStagingTimesOut: the staging app answers / after 12 s, beyond the
// probe's 10 s request timeout. The synthetic check reports it; the rest of
// the audit is unaffected.
func TestFaultStagingTimesOut(t *testing.T) {
	r := newAuditRig(t, "")
	r.staging.SetLatency(12*time.Second, 12*time.Second)
	out := r.runAudit("fault-staging-timeout", fastProbe, false, 170*time.Second)
	desc := r.checkAftermath(out)
	syn := out.step(t, "synthetic")
	switch {
	case syn.Status == runs.StatusSucceeded && syn.Findings > 0:
	case syn.Status == runs.StatusFailed && syn.Error != "":
		t.Logf("synthetic failed, with: %s", firstLine(syn.Error))
	default:
		t.Errorf("synthetic: %s with %d finding(s), error %q: the timeouts must show", syn.Status, syn.Findings, syn.Error)
	}
	if out.err == nil && out.step(t, "dr-verify").Status != runs.StatusSucceeded {
		t.Errorf("the other priorities must not suffer: dr-verify %s", out.step(t, "dr-verify").Status)
	}
	recordFault("staging app times out (12s)", fmt.Sprintf("%s (synthetic %s, %d finding(s))", desc, syn.Status, syn.Findings), out.took)
}

// TestFaultPgRestoreKilled: pg_restore is killed (SIGKILL) as soon as it
// runs. The restore step fails or retries; the scratch database is dropped
// either way.
func TestFaultPgRestoreKilled(t *testing.T) {
	r := newAuditRig(t, "")
	killed := make(chan time.Time, 1)
	stop := make(chan struct{})
	defer close(stop)
	go killFirst("pg_restore", 100*time.Millisecond, killed, stop)
	out := r.runAudit("fault-pg-restore-killed", fastProbe, false, 150*time.Second)
	var at time.Time
	select {
	case at = <-killed:
	default:
		t.Fatal("pg_restore was never seen running: the test proves nothing")
	}
	desc := r.checkAftermath(out)
	rs := out.step(t, "dr-restore")
	switch {
	case rs.Status == runs.StatusSucceeded && rs.Attempts > 1:
	case rs.Status == runs.StatusFailed && strings.Contains(rs.Error, "pg_restore"):
	default:
		t.Errorf("dr-restore: %s after %d attempt(s): %q", rs.Status, rs.Attempts, rs.Error)
	}
	if d := out.step(t, "dr-drop-scratch"); rs.Result != nil && rs.Result.Outputs["scratch"] != "" && d.Status != runs.StatusSucceeded {
		t.Errorf("dr-drop-scratch: %s: %s", d.Status, d.Error)
	}
	recordFault("pg_restore killed (SIGKILL)", fmt.Sprintf("%s (dr-restore %s, %d attempt(s))", desc, rs.Status, rs.Attempts), out.ended.Sub(at))
}

// TestFaultArtifactsReadOnly: the artifacts directory is on a read-only
// mount (or mode 0555 when not root). Steps that write there fail with the
// path and "read-only" in their error; the audit still ends.
func TestFaultArtifactsReadOnly(t *testing.T) {
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "--bind", dir, dir).CombinedOutput(); err != nil {
			t.Skipf("as root, a read-only directory needs a read-only bind mount: %v %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
		if out, err := exec.Command("mount", "-o", "remount,bind,ro", dir).CombinedOutput(); err != nil {
			t.Skipf("remount read-only: %v %s", err, out)
		}
	} else {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	}
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o644); err == nil {
		t.Fatal("the artifacts directory is still writable: the test proves nothing")
	}
	r := newAuditRig(t, dir)
	out := r.runAudit("fault-artifacts-ro", fastProbe, false, 150*time.Second)
	desc := r.checkAftermath(out)
	if out.err != nil {
		t.Errorf("the audit must end with its findings, not fail: %v", out.err)
	}
	failed := 0
	for _, s := range out.progress.Steps {
		if s.Status != runs.StatusFailed {
			continue
		}
		failed++
		if e := strings.ToLower(s.Error); !strings.Contains(e, "read-only") && !strings.Contains(e, "permission denied") {
			t.Errorf("%s failed without saying the directory cannot be written: %s", s.ID, s.Error)
		}
		if s.Attempts != 1 {
			t.Errorf("%s: %d attempts; a refused write is not retried", s.ID, s.Attempts)
		}
	}
	if failed == 0 {
		t.Error("no step failed: the test proves nothing")
	}
	recordFault("artifacts dir read-only", desc+` ("read-only file system", 1 attempt each)`, out.took)
}

// killFirst kills (SIGKILL) the first process named name it sees, after
// waiting delay, and reports when; it gives up after three minutes.
func killFirst(name string, delay time.Duration, killed chan<- time.Time, stop <-chan struct{}) {
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); {
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
			argv0, _, _ := strings.Cut(string(cmdline), "\x00")
			if filepath.Base(argv0) != name {
				continue
			}
			time.Sleep(delay)
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed <- time.Now()
				return
			}
		}
	}
}
