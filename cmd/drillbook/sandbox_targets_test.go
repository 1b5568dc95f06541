package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSandboxTargets: `drillbook sandbox` also serves the staging app and
// Chatwoot and prints the --input flags that point the audit at them.
func TestSandboxTargets(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runSandbox(ctx, pw, io.Discard, sandboxFlags{listen: "127.0.0.1:0",
			targets: sandboxTargetFlags{stagingLatency: "20ms-30ms", chatwootFail: "queue"}})
		pw.Close()
	}()
	inputsRE := regexp.MustCompile(`check --runbook reliability-audit --input staging_url=(\S+) --input chatwoot_url=(\S+)`)
	var staging, chatwoot string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := inputsRE.FindStringSubmatch(sc.Text()); m != nil {
			staging, chatwoot = m[1], m[2]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.HasPrefix(staging, "http://127.0.0.1:") || !strings.HasPrefix(chatwoot, "http://127.0.0.1:") {
		t.Fatalf("no --input line with the target URLs (staging %q, chatwoot %q)", staging, chatwoot)
	}
	for url, want := range map[string]int{staging + "/": 200, staging + "/hc": 404, staging + "/rails/health": 404, chatwoot + "/health": 200} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
		}
	}
	code, out, _ := runCaptured(t, "check", "--health", chatwoot+"/api", "--expect", "queue_services=ok", "--artifacts", t.TempDir())
	if code != exitFailed || !strings.Contains(out, `queue_services is "failing"`) {
		t.Errorf("--chatwoot-failing queue: exit %d\n%s", code, out)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runSandbox: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sandbox did not stop")
	}
}

func TestSandboxTargetsBadFlags(t *testing.T) {
	for _, tf := range []sandboxTargetFlags{{stagingLatency: "slow"}, {stagingLatency: "600ms-300ms"}, {chatwootFail: "redis"}} {
		err := runSandbox(context.Background(), io.Discard, io.Discard, sandboxFlags{listen: "127.0.0.1:0", targets: tf})
		if code := sandboxExitCode(err); code != exitBadUsage {
			t.Errorf("%+v: %v (exit %d), want exit 2", tf, err, code)
		}
	}
}

func sandboxExitCode(err error) int {
	if ee, ok := err.(*exitError); ok {
		return ee.code
	}
	return -1
}
