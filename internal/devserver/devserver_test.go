package devserver_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/devserver"
	"github.com/hotdash/drillbook/worker"
	"github.com/hotdash/drillbook/workflows"
)

func startServer(t *testing.T, stateDir string) *devserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{StateDir: stateDir})
	if err != nil {
		t.Fatalf("start dev server: %v", err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func dial(t *testing.T, srv *devserver.Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatalf("dial %s: %v", srv.FrontendAddr(), err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestRunSurvivesRestart runs a workflow with an activity to completion, stops
// the server, starts a new one on the same state dir and reads the result back.
func TestRunSurvivesRestart(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	srv := startServer(t, stateDir)

	resp, err := http.Get(srv.UIURL())
	if err != nil {
		t.Fatalf("UI: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("UI answered %s, want 200", resp.Status)
	}

	c := dial(t, srv)
	w := worker.New(c, activities.New(activities.Options{ArtifactsDir: t.TempDir()}))
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	runbooksDir := t.TempDir()
	src := "# Chain\n\n```sh {id=hello}\necho hello from the worker\n```\n"
	if err := os.WriteFile(filepath.Join(runbooksDir, "chain.md"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	w.Stop()
	w = worker.New(c, activities.New(activities.Options{ArtifactsDir: t.TempDir(), RunbooksDir: runbooksDir}))
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "restart-proof", TaskQueue: workflows.TaskQueue},
		workflows.RunRunbookWorkflow, workflows.RunRunbookInput{Runbook: "chain"})
	if err != nil {
		t.Fatal(err)
	}
	var first workflows.RunRunbookResult
	if err := run.Get(ctx, &first); err != nil {
		t.Fatalf("run: %v", err)
	}
	if first.Status != "succeeded" || first.Runbook != "chain" || first.Steps["succeeded"] != 1 {
		t.Fatalf("unexpected result %+v", first)
	}
	w.Stop()
	c.Close()
	srv.Stop()

	srv2 := startServer(t, stateDir)
	c2 := dial(t, srv2)
	var again workflows.RunRunbookResult
	if err := c2.GetWorkflow(ctx, "restart-proof", "").Get(ctx, &again); err != nil {
		t.Fatalf("read result after restart: %v", err)
	}
	if again.Status != first.Status || again.Hash != first.Hash || again.Report != first.Report {
		t.Fatalf("after restart got %+v, want %+v", again, first)
	}
}
