package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/hotdash/drillbook/internal/testbin"
)

// flyCheckRunbook is the small runbook of issue 5's acceptance 3: the
// audit's inventory step with HotDash's floor, policy and a price.
const flyCheckRunbook = "---\nid: fly-check\ntitle: Fly check\n---\n# Fly check\n\n" +
	"```drill fly.inventory {id=inventory timeout=2m retries=3}\n" +
	"memory_floors:\n  worker: 2048\n" +
	"policies:\n  - no Fly Postgres apps; Supabase only\n" +
	"prices:\n  \"shared-cpu-1x:256\": 1.94\n" +
	"```\n"

// sandboxTokenRE matches any token the Fly emulator makes up.
var sandboxTokenRE = regexp.MustCompile(`sandbox_[0-9a-f]{48}`)

// TestFlyInventoryWithSandboxCommand: `drillbook sandbox` on a free port,
// `drillbook dev` with the two variables it prints, and the runbook run
// with `drillbook run --wait`: the report has the findings of the HotDash
// estate, and the token is nowhere in the report, journal or history.
func TestFlyInventoryWithSandboxCommand(t *testing.T) {
	bin := testbin.Drillbook(t)
	dir := t.TempDir()
	_, out := testbin.StartProcess(t, bin, nil, "sandbox", "--listen", "127.0.0.1:0")
	exports := map[string]string{}
	deadline := time.Now().Add(30 * time.Second)
	for len(exports) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no export lines from drillbook sandbox:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
		for _, line := range strings.Split(out.String(), "\n") {
			if kv, ok := strings.CutPrefix(line, "export "); ok {
				if k, v, ok := strings.Cut(kv, "="); ok {
					exports[k] = v
				}
			}
		}
	}
	url, token := exports["FLY_FLAPS_BASE_URL"], exports["FLY_API_TOKEN"]
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") || !sandboxTokenRE.MatchString(token) {
		t.Fatalf("exports = %v", exports)
	}
	dev := startFlyDev(t, bin, dir, []string{"FLY_FLAPS_BASE_URL=" + url, "FLY_API_TOKEN=" + token})
	checkFlyRun(t, bin, dev, dir, "fly-check-sandbox-cmd", token)
}

// TestFlyInventoryWithDevSandbox: the same run on `drillbook dev --sandbox`,
// with no Fly variables in the environment: dev prints the emulator's URL
// (and never its token), and its worker uses it.
func TestFlyInventoryWithDevSandbox(t *testing.T) {
	bin := testbin.Drillbook(t)
	dir := t.TempDir()
	dev := startFlyDev(t, bin, dir, []string{"FLY_FLAPS_BASE_URL=", "FLY_API_TOKEN="}, "--sandbox")
	m := regexp.MustCompile(`(?m)^Fly sandbox\s+(http://127\.0\.0\.1:\d+) `).FindStringSubmatch(dev.Output.String())
	if m == nil {
		t.Fatalf("dev --sandbox printed no emulator URL:\n%s", dev.Output.String())
	}
	checkFlyRun(t, bin, dev, dir, "fly-check-dev-sandbox", "")
}

// startFlyDev writes the runbook and starts dev with it.
func startFlyDev(t *testing.T, bin, dir string, env []string, args ...string) *testbin.Dev {
	t.Helper()
	rbDir := filepath.Join(dir, "runbooks")
	if err := os.MkdirAll(rbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rbDir, "fly-check.md"), []byte(flyCheckRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"--state-dir", filepath.Join(dir, "state"), "--port", "0", "--headless",
		"--runbooks", rbDir, "--artifacts", filepath.Join(dir, "artifacts")}, args...)
	return testbin.StartDev(t, bin, env, args...)
}

// checkFlyRun runs fly-check to the end and checks its report, and that no
// sandbox token (token, if known, or any the emulator makes up) is in the
// report, the artifacts, the workflow history or dev's output.
func checkFlyRun(t *testing.T, bin string, dev *testbin.Dev, dir, id, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, bin, "run", "fly-check", "--wait", "--id", id, "--address", dev.Frontend)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("drillbook run: %v\n%s\ndev:\n%s", err, out, dev.Output.String())
	}
	rep, err := exec.CommandContext(ctx, bin, "report", id, "--address", dev.Frontend).Output()
	if err != nil {
		t.Fatalf("drillbook report: %v", err)
	}
	report := string(rep)
	file := readFile(filepath.Join(dir, "artifacts", "reports", id, "report.md"))
	for name, doc := range map[string]string{"drillbook report": report, "report.md": file} {
		for _, want := range []string{
			"| App | Type | Memory | Status | Notes |",
			"| hotdash-chatwoot | worker | 512 MB | started | OOM-killed 1×",
			"```sh\nfly machine update 6e82d4e7b11d28 --memory 2048 -a hotdash-chatwoot\n```",
			"Unused app time-purple-wildflower-3973 (suspended)",
			"```sh\nfly apps destroy time-purple-wildflower-3973 --yes\n```",
			"Estimated $23.28/year",
			`Fly Postgres app hotdash-staging-db breaks the policy "no Fly Postgres apps; Supabase only"`,
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, doc)
			}
		}
	}

	secret := func(what, s string) {
		t.Helper()
		if token != "" && strings.Contains(s, token) || sandboxTokenRE.MatchString(s) {
			t.Errorf("%s holds a sandbox token", what)
		}
	}
	secret("the report", report)
	secret("dev's output", dev.Output.String())
	artifacts := filepath.Join(dir, "artifacts")
	if _, err := os.Stat(filepath.Join(artifacts, "journal.md")); err != nil {
		t.Errorf("no journal: %v", err)
	}
	err = filepath.WalkDir(artifacts, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			secret(path, readFile(path))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: dev.Frontend})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var history strings.Builder
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		// Binary protobuf: payloads as raw bytes, not base64 as in JSON.
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		history.Write(b)
	}
	// The activity's result is in there, readable: the search is meaningful.
	if !strings.Contains(history.String(), "fly.inventory") || !strings.Contains(history.String(), "6e82d4e7b11d28") {
		t.Error("the history has no fly.inventory activity and result")
	}
	secret("the workflow history", history.String())
}
