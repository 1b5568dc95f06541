package main

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/sandbox"
)

func sleepyServer(t *testing.T, d time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// readJUnit parses a JUnit file back and returns its cases by name.
func readJUnit(t *testing.T, path string) (junitSuites, map[string]junitCase) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("JUnit XML does not parse: %v\n%s", err, data)
	}
	cases := map[string]junitCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases[c.Name] = c
		}
	}
	return doc, cases
}

// TestCheckBudget: --budget 100ms fails against a 300 ms server and passes
// against a 10 ms one; --junit has one case per target.
func TestCheckBudget(t *testing.T) {
	slow, fast := sleepyServer(t, 300*time.Millisecond), sleepyServer(t, 10*time.Millisecond)
	dir := t.TempDir()
	junit := filepath.Join(dir, "reports", "check.xml")

	code, out, errOut := runCaptured(t, "check", "--target", slow.URL+"/", "--budget", "100ms", "--samples", "3",
		"--junit", junit, "--artifacts", dir)
	if code != exitFailed {
		t.Fatalf("300 ms server, 100ms budget: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "FAIL  http.probe") || !strings.Contains(out, "over the 100 ms budget") || !strings.Contains(out, "monitoring/synthetic-check-") {
		t.Errorf("stdout:\n%s", out)
	}
	doc, cases := readJUnit(t, junit)
	if doc.Tests != 1 || doc.Failures != 1 || len(cases) != 1 || cases[slow.URL+"/"].Failure == nil {
		t.Errorf("JUnit: %+v", doc)
	}

	code, out, errOut = runCaptured(t, "check", "--target", fast.URL+"/a", "--target", fast.URL+"/b", "--budget", "100ms",
		"--samples", "3", "--junit", junit, "--artifacts", dir)
	if code != exitOK {
		t.Fatalf("10 ms server, 100ms budget: exit %d, want 0\n%s%s", code, out, errOut)
	}
	doc, cases = readJUnit(t, junit)
	if doc.Tests != 2 || doc.Failures != 0 || doc.Errors != 0 || len(cases) != 2 {
		t.Errorf("JUnit: want one passing case per target: %+v", doc)
	}
	for name, c := range cases {
		if c.Classname != "http.probe" || c.Failure != nil || !strings.Contains(c.SystemOut, "nearest-rank") {
			t.Errorf("case %s: %+v", name, c)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "monitoring", "synthetic-check-*.json")); len(files) != 2 {
		t.Errorf("samples files: %v", files)
	}
}

// TestCheckHealth: --health with --expect passes on a healthy Chatwoot and
// fails when it reports Postgres failing.
func TestCheckHealth(t *testing.T) {
	cw := sandbox.NewChatwoot()
	srv := httptest.NewServer(cw.Handler())
	defer srv.Close()
	args := []string{"check", "--health", srv.URL + "/api", "--expect", "queue_services=ok", "--expect", "data_services=ok", "--artifacts", t.TempDir()}
	if code, out, errOut := runCaptured(t, args...); code != exitOK || !strings.Contains(out, "PASS  http.health") {
		t.Fatalf("healthy: exit %d\n%s%s", code, out, errOut)
	}
	if err := cw.SetServices("", "failing"); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCaptured(t, args...)
	if code != exitFailed || !strings.Contains(out, `data_services is "failing", want "ok" (Postgres)`) {
		t.Errorf("failing: exit %d\n%s", code, out)
	}
	code, out, _ = runCaptured(t, "check", "--health", "http://drillbook-check.invalid/api", "--timeout", "2s")
	if code != exitFailed || !strings.Contains(out, "ERROR http.health") || !strings.Contains(out, "dns") {
		t.Errorf("unresolvable: exit %d\n%s", code, out)
	}
}

// TestCheckRunbook runs the audit's http.* steps against the sandbox
// targets: the staging app has no /hc, which fails its health step.
func TestCheckRunbook(t *testing.T) {
	staging := sandbox.NewStagingApp(5*time.Millisecond, 15*time.Millisecond)
	sURL, err := staging.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer staging.Close()
	cw := sandbox.NewChatwoot()
	cURL, err := cw.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	junit := filepath.Join(t.TempDir(), "audit.xml")
	code, out, errOut := runCaptured(t, "check", "--runbook", "reliability-audit", "--input", "staging_url="+sURL,
		"--input", "chatwoot_url="+cURL, "--input", "probe_samples=3", "--junit", junit, "--artifacts", t.TempDir())
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (staging has no health endpoint)\n%s%s", code, out, errOut)
	}
	doc, cases := readJUnit(t, junit)
	if doc.Tests != 5 || doc.Failures != 2 {
		t.Errorf("want 5 cases (2 probe targets, 3 health checks), 2 failures: %+v", doc)
	}
	for name, wantFail := range map[string]bool{"staging": false, "chatwoot-api": false, "chatwoot-health": false,
		"staging-health": true, "staging-rails-health": true} {
		c, ok := cases[name]
		if !ok || (c.Failure != nil) != wantFail {
			t.Errorf("case %s: %+v (present %v), want failed=%v", name, c, ok, wantFail)
		}
	}
	if c := cases["staging-health"]; c.Failure == nil || !strings.Contains(c.Failure.Message, "no health endpoint at /hc") {
		t.Errorf("staging-health: %+v", c)
	}
}

func TestCheckUsage(t *testing.T) {
	for _, args := range [][]string{
		{"check"},
		{"check", "--runbook", "reliability-audit", "--target", "http://127.0.0.1:1/"},
		{"check", "--target", "ftp://example.com/"},
		{"check", "--target", "http://127.0.0.1:1/", "--samples", "0"},
		{"check", "--target", "http://127.0.0.1:1/", "--percentile", "p42"},
		{"check", "--runbook", "reliability-audit", "--input", "nope=1"},
		{"check", "--runbook", "no-such-runbook"},
		{"check", "--runbook", "backup-restore"}, // no http.* step
		{"check", "--target", "http://127.0.0.1:1/", "--expect", "a=b"},
	} {
		if code, _, errOut := runCaptured(t, args...); code != exitBadUsage {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}
