package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSandboxCommand starts the emulator on a free port, reads the export
// lines, calls the API with them and stops it like Ctrl-C would.
func TestSandboxCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runSandbox(ctx, pw, io.Discard, sandboxFlags{listen: "127.0.0.1:0"})
		pw.Close()
	}()
	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() && len(env) < 2 {
		if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	url, token := env["FLY_FLAPS_BASE_URL"], env["FLY_API_TOKEN"]
	if !strings.HasPrefix(url, "http://127.0.0.1:") || len(token) < 20 {
		t.Fatalf("export lines: %v", env)
	}
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/apps?org_slug=personal", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/apps: %s", resp.Status)
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

func TestSandboxCommandBadSeed(t *testing.T) {
	err := runSandbox(context.Background(), io.Discard, io.Discard, sandboxFlags{flySeed: "/nonexistent.json", listen: "127.0.0.1:0"})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitBadUsage {
		t.Errorf("missing seed file: %v, want exit code %d", err, exitBadUsage)
	}
}
