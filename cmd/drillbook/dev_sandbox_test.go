package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hotdash/drillbook/activities"
)

// TestDevSandboxConfigure: the worker's fly.* actions get the emulator's URL
// and token; other variables still come from the environment, and the
// process environment never holds the token. The HTTP targets answer and
// their URLs are printed.
func TestDevSandboxConfigure(t *testing.T) {
	t.Setenv("DRILLBOOK_TEST_OTHER", "kept")
	sb, err := startDevSandbox(context.Background(), nil, true, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	acts := activities.New(activities.Options{ArtifactsDir: t.TempDir()})
	sb.configure(acts)
	if acts.Fly.BaseURL != sb.flyURL || !strings.HasPrefix(sb.flyURL, "http://127.0.0.1:") {
		t.Errorf("base URL = %q, sandbox at %q", acts.Fly.BaseURL, sb.flyURL)
	}
	token := acts.Env(activities.DefaultFlyTokenEnv)
	if token != sb.fly.Token() || token == "" {
		t.Errorf("the worker's %s is not the emulator's token", activities.DefaultFlyTokenEnv)
	}
	if sb.pg == nil || acts.Env("DATABASE_URL") != sb.dsn || os.Getenv("DATABASE_URL") == sb.dsn {
		t.Errorf("the worker's DATABASE_URL is not the seeded sandbox database (or leaked into the environment)")
	}
	if acts.InputDefaults["staging_url"] != sb.stagingURL || acts.InputDefaults["chatwoot_url"] != sb.chatwootURL {
		t.Errorf("input defaults = %v", acts.InputDefaults)
	}
	if got := acts.Env("DRILLBOOK_TEST_OTHER"); got != "kept" {
		t.Errorf("other variables: %q", got)
	}
	if os.Getenv(activities.DefaultFlyTokenEnv) == token {
		t.Error("the token was exported into the process environment")
	}
	var line strings.Builder
	sb.describe(&line)
	if !strings.HasPrefix(line.String(), "Fly sandbox      "+sb.flyURL+" ") || strings.Contains(line.String(), token) {
		t.Errorf("start-up line = %q", line.String())
	}
	res, err := acts.FlyInventory(context.Background(), activities.ActionRequest{WorkflowID: "wf", StepID: "inv"})
	if err != nil {
		t.Fatalf("fly.inventory against the dev sandbox: %v", err)
	}
	if res.Outputs["apps"] != "4" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	for url, want := range map[string]int{
		sb.stagingURL + "/hc": http.StatusNotFound, sb.chatwootURL + "/api": http.StatusOK,
	} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %s, want %d", url, resp.Status, want)
		}
		if !strings.Contains(line.String(), strings.TrimSuffix(strings.TrimSuffix(url, "/hc"), "/api")) {
			t.Errorf("start-up lines lack %s:\n%s", url, line.String())
		}
	}
	sb.Close()
	for _, url := range []string{sb.flyURL + "/v1/apps", sb.chatwootURL + "/api"} {
		if _, err := http.Get(url); err == nil {
			t.Errorf("%s still answers after Close", url)
		}
	}
}

func TestDevSandboxNeedsTheWorker(t *testing.T) {
	var code int
	stderr := captureStderr(t, func() {
		code = run([]string{"dev", "--sandbox", "--no-worker", "--state-dir", t.TempDir(), "--port", "0", "--headless"})
	})
	if code != exitBadUsage || !strings.Contains(stderr, "drillbook sandbox") {
		t.Errorf("exit %d, stderr %q; want %d and a pointer to drillbook sandbox", code, stderr, exitBadUsage)
	}
}
