package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/internal/testbin"
)

// TestDevReadyAndCleanShutdown: `drillbook dev` answers HTTP 200 on the UI and
// accepts gRPC within 5 s of start, and exits 0 on SIGTERM.
func TestDevReadyAndCleanShutdown(t *testing.T) {
	bin := testbin.Drillbook(t)
	dev := testbin.StartDev(t, bin, nil, "--state-dir", t.TempDir(), "--port", "0", "--ui-port", "0")
	ready := time.Since(dev.Started)

	resp, err := http.Get(dev.UIURL)
	if err != nil {
		t.Fatalf("UI %s: %v", dev.UIURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("UI answered %s", resp.Status)
	}
	c, err := client.Dial(client.Options{HostPort: dev.Frontend})
	if err != nil {
		t.Fatalf("gRPC %s: %v", dev.Frontend, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("health: %v", err)
	}
	c.Close()
	if ready > 5*time.Second {
		t.Errorf("ready after %v, want within 5s", ready)
	}
	t.Logf("ready after %v", ready)

	done := make(chan error, 1)
	go func() { done <- dev.Stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v\n%s", err, dev.Output.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after SIGINT")
	}
}
