package integration

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/sandbox"
	"github.com/hotdash/drillbook/runs"
)

// Security checks of the demo audit. The restore never targeting the source
// is proven at the action's level by activities.TestPostgresRestoreRefuses
// (the source, a name without drill_ and a database drillbook did not create
// are refused); here the full run's scratch name is checked too. The
// 127.0.0.1 defaults and the --listen warning are e2e/security_test.go.

// TestSecurityDemoSecretsNeverLeak: a full demo audit; the Postgres DSN,
// its password and the Fly token appear in no workflow history, worker log,
// artifact or report, and in no /proc/*/cmdline snapshot taken while the
// audit ran (pg_dump and pg_restore among them).
func TestSecurityDemoSecretsNeverLeak(t *testing.T) {
	r := newAuditRig(t, "")
	u, err := url.Parse(r.dsn)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	if len(password) < 8 {
		t.Fatalf("the demo database's password %q is too short to search for", password)
	}
	secrets := map[string]string{"the Postgres DSN": r.dsn, "the Postgres password": password, "the Fly token": r.fly.Token()}

	snaps := startProcSnapshots(secrets)
	out := r.runAudit("security-secrets", fastProbe, false, 150*time.Second)
	seen := snaps.stop()
	if out.err != nil {
		t.Fatalf("audit: %v", out.err)
	}
	for _, id := range []string{"inventory", "dr-backup", "dr-restore", "dr-verify"} {
		if st := stepStatus(out.progress, id); st != runs.StatusSucceeded {
			t.Errorf("%s: %s (the check needs the secrets to have been used)", id, st)
		}
	}
	t.Logf("%d /proc snapshots; pg_dump in %d, pg_restore in %d", seen.snapshots, seen.withDump, seen.withRestore)
	if seen.withDump == 0 || seen.withRestore == 0 {
		t.Error("no snapshot caught pg_dump and pg_restore running: the check would be hollow")
	}
	for _, leak := range seen.leaks {
		t.Errorf("secret in a process's command line: %s", leak)
	}

	places := map[string]string{
		"workflow history": readable(r.history("security-secrets")),
		"worker logs":      r.logs.String(),
	}
	_ = filepath.WalkDir(r.artifacts, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, ".dump") {
			b, _ := os.ReadFile(path)
			places[path] = string(b)
		}
		return nil
	})
	for _, want := range []string{"journal.md", "report.md", "report.html", ".json"} {
		found := false
		for name := range places {
			found = found || strings.HasSuffix(name, want)
		}
		if !found {
			t.Errorf("no %s among the artifacts: the check would be hollow", want)
		}
	}
	for name, content := range places {
		for what, secret := range secrets {
			if strings.Contains(content, secret) {
				t.Errorf("%s leaked into %s", what, name)
			}
		}
	}

	rs := stepByID(t, out.progress, "dr-restore")
	if scratch := rs.Result.Outputs["scratch"]; !strings.HasPrefix(scratch, "drill_") || scratch == strings.TrimPrefix(u.Path, "/") {
		t.Errorf("the restore targeted %q", scratch)
	}
}

// TestSecurityDestructiveStepsNeedApproval: with apply=true and nobody
// approving, the two remediation steps are skipped when the approval times
// out and the Fly emulator journals no change; approved, each change reaches
// the emulator exactly once.
func TestSecurityDestructiveStepsNeedApproval(t *testing.T) {
	r := newAuditRig(t, "")
	noProbe := map[string]any{"probe_samples": 2}

	// Nobody approves: the steps wait, then the approval times out.
	id := "security-unapproved"
	run := r.startAuditNoApprover(id, noProbe, "5s")
	waiting := r.waitStatus(id, "scale-oom-machine", runs.StatusWaitingApproval)
	if m := mutations(r.fly.Journal()); len(m) > 0 {
		t.Fatalf("a change reached Fly while %s waited for approval: %v", waiting, m)
	}
	if err := run.Get(t.Context(), nil); err != nil {
		t.Fatalf("unapproved audit: %v", err)
	}
	p := r.progressOf(id)
	for _, step := range []string{"scale-oom-machine", "destroy-unused-app"} {
		if st := stepStatus(p, step); st == runs.StatusSucceeded {
			t.Errorf("%s ran without approval", step)
		}
	}
	if m := mutations(r.fly.Journal()); len(m) > 0 {
		t.Fatalf("changes reached Fly without approval: %v", m)
	}

	// Approved: each change once.
	out := r.runAudit("security-approved", noProbe, true, 150*time.Second)
	if out.err != nil {
		t.Fatalf("approved audit: %v", out.err)
	}
	for _, step := range []string{"scale-oom-machine", "destroy-unused-app"} {
		s := stepByID(t, out.progress, step)
		if s.Status != runs.StatusSucceeded || s.Approval == nil || !s.Approval.Approved {
			t.Errorf("%s: %s, approval %+v", step, s.Status, s.Approval)
		}
	}
	counts := map[string]int{}
	for _, e := range mutations(r.fly.Journal()) {
		counts[e.Action]++
	}
	if counts["machine_update"] != 1 || counts["app_delete"] != 1 {
		t.Errorf("emulator journal: %v, want one machine_update and one app_delete", counts)
	}
}

// mutations are the journal's changes (leases aside).
func mutations(j []sandbox.JournalEntry) []sandbox.JournalEntry {
	var out []sandbox.JournalEntry
	for _, e := range j {
		if e.Action != "lease_acquire" && e.Action != "lease_release" {
			out = append(out, e)
		}
	}
	return out
}

// procSnapshots reads every process's command line every few
// milliseconds, looking for the secrets.
type procSnapshots struct {
	done chan struct{}
	wg   sync.WaitGroup
	seen struct {
		snapshots, withDump, withRestore int
		leaks                            []string
	}
}

func startProcSnapshots(secrets map[string]string) *procSnapshots {
	s := &procSnapshots{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); {
			select {
			case <-s.done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			entries, _ := os.ReadDir("/proc")
			dump, restore := false, false
			for _, e := range entries {
				pid, err := strconv.Atoi(e.Name())
				if err != nil {
					continue
				}
				cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
				if err != nil || len(cmdline) == 0 {
					continue
				}
				switch filepath.Base(string(bytes.SplitN(cmdline, []byte{0}, 2)[0])) {
				case "pg_dump":
					dump = true
				case "pg_restore":
					restore = true
				}
				for what, secret := range secrets {
					if bytes.Contains(cmdline, []byte(secret)) {
						s.seen.leaks = append(s.seen.leaks, fmt.Sprintf("%s in pid %d: %q", what, pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
					}
				}
			}
			s.seen.snapshots++
			if dump {
				s.seen.withDump++
			}
			if restore {
				s.seen.withRestore++
			}
		}
	}()
	return s
}

func (s *procSnapshots) stop() struct {
	snapshots, withDump, withRestore int
	leaks                            []string
} {
	close(s.done)
	s.wg.Wait()
	return s.seen
}
