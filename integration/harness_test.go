// Package integration runs runbooks end to end against the in-process
// Temporal server with the real worker and real activities.
package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/devserver"
	"github.com/hotdash/drillbook/runs"
	"github.com/hotdash/drillbook/worker"
	"github.com/hotdash/drillbook/workflows"
)

// harness is one in-process server, a client and a worker whose logs are
// captured, with runbooks and artifacts in temp dirs.
type harness struct {
	t         *testing.T
	srv       *devserver.Server
	c         client.Client
	w         sdkworker.Worker
	runbooks  string
	artifacts string
	logs      *lockedBuffer
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, runbooks: t.TempDir(), artifacts: t.TempDir(), logs: &lockedBuffer{}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := devserver.Start(ctx, devserver.Options{StateDir: t.TempDir(), NoUI: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	h.srv = srv
	h.c, err = client.Dial(client.Options{HostPort: srv.FrontendAddr(), Logger: sdklog.NewStructuredLogger(logger)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.c.Close)
	acts := activities.New(activities.Options{
		ArtifactsDir: h.artifacts, RunbooksDir: h.runbooks, Logger: logger,
		Env: func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			return os.Getenv(k)
		},
	})
	acts.SearchAttributes, err = worker.EnsureSearchAttributes(ctx, h.c, srv.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	h.w = worker.New(h.c, acts)
	if err := h.w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.w.Stop)
	return h
}

// writeRunbook stores a runbook the worker can load by id.
func (h *harness) writeRunbook(id, src string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.runbooks, id+".md"), []byte(src), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) start(id string, in workflows.RunRunbookInput) client.WorkflowRun {
	h.t.Helper()
	run, err := h.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue, WorkflowExecutionTimeout: 5 * time.Minute,
	}, workflows.RunRunbookWorkflow, in)
	if err != nil {
		h.t.Fatal(err)
	}
	return run
}

func (h *harness) progress(id string) runs.Progress {
	h.t.Helper()
	v, err := h.c.QueryWorkflow(context.Background(), id, "", workflows.ProgressQuery)
	if err != nil {
		h.t.Fatalf("progress of %s: %v", id, err)
	}
	var p runs.Progress
	if err := v.Get(&p); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// waitFor polls the progress until cond holds or a minute passes.
func (h *harness) waitFor(id string, what string, cond func(runs.Progress) bool) runs.Progress {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		v, err := h.c.QueryWorkflow(context.Background(), id, "", workflows.ProgressQuery)
		if err == nil {
			var p runs.Progress
			if v.Get(&p) == nil && cond(p) {
				return p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.t.Fatalf("%s: not reached within a minute", what)
	return runs.Progress{}
}

// history returns the workflow's whole history as the JSON the Temporal CLI
// prints (protojson), which the replayer reads back.
func (h *harness) history(id string) []byte {
	h.t.Helper()
	iter := h.c.GetWorkflowHistory(context.Background(), id, "", false, 0)
	hist := &historypb.History{}
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			h.t.Fatal(err)
		}
		hist.Events = append(hist.Events, e)
	}
	out, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

var payloadData = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]+)"`)

// readable returns the history JSON followed by every payload decoded, so a
// secret is found whether it travelled as text or inside a payload.
func readable(history []byte) string {
	var b strings.Builder
	b.Write(history)
	for _, m := range payloadData.FindAllSubmatch(history, -1) {
		if raw, err := base64.StdEncoding.DecodeString(string(m[1])); err == nil {
			b.WriteString("\n")
			b.Write(raw)
		}
	}
	return b.String()
}

func stepByID(t *testing.T, p runs.Progress, id string) runs.StepProgress {
	t.Helper()
	for _, s := range p.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %s", id)
	return runs.StepProgress{}
}

// statusOf is the status of a step, or "" while the runbook is not loaded.
func statusOf(p runs.Progress, id string) runs.StepStatus {
	for _, s := range p.Steps {
		if s.ID == id {
			return s.Status
		}
	}
	return ""
}
