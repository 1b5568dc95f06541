package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func (e *flyTestEnv) scale(t *testing.T, apply bool, params map[string]any) (ActionResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.act.FlyScaleMemory(ctx, ActionRequest{StepID: "scale", Apply: apply, Params: params})
}

func (e *flyTestEnv) destroy(t *testing.T, apply bool, params map[string]any) (ActionResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.act.FlyDestroyApp(ctx, ActionRequest{StepID: "destroy", Apply: apply, Params: params})
}

var flyWorkerScale = map[string]any{"app": "hotdash-chatwoot", "machine": "6e82d4e7b11d28", "memory": "2GB"}

// TestFlyScaleMemoryDryRun: the change is reported, nothing is sent but reads.
func TestFlyScaleMemoryDryRun(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	res, err := e.scale(t, false, flyWorkerScale)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["dry_run"] != "true" || res.Outputs["planned"] != "1" || res.Outputs["before"] != "512" || res.Outputs["changed"] != "0" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	row := res.Tables[0].Rows[0]
	if !strings.Contains(row[5], "fly machine update 6e82d4e7b11d28 --memory 2048 -a hotdash-chatwoot") || row[3] != "512 MB" || row[4] != "2 GB" {
		t.Errorf("row = %q", row)
	}
	if !strings.HasPrefix(res.Summary, "Dry run:") {
		t.Errorf("summary = %s", res.Summary)
	}
	if j := e.emu.Journal(); len(j) != 0 {
		t.Errorf("a dry run mutated: %v", j)
	}
}

// TestFlyScaleMemoryApplyOnce: with apply exactly one update happens, under a
// lease that is released; a second call (a retry) changes nothing.
func TestFlyScaleMemoryApplyOnce(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	res, err := e.scale(t, true, flyWorkerScale)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["changed"] != "1" || res.Outputs["dry_run"] != "false" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	if got := res.Tables[0].Rows[0][5]; got != "updated 512 MB -> 2 GB; started again" {
		t.Errorf("result = %q", got)
	}
	again, err := e.scale(t, true, flyWorkerScale)
	if err != nil {
		t.Fatal(err)
	}
	if again.Outputs["changed"] != "0" || !strings.Contains(again.Tables[0].Rows[0][5], "already at target") {
		t.Errorf("second call: %v %q", again.Outputs, again.Tables[0].Rows)
	}
	updates := e.mutations("machine_update")
	if len(updates) != 1 || updates[0].Detail != "memory_mb 512 -> 2048; state started -> started" {
		t.Errorf("updates = %+v, want exactly one 512 -> 2048", updates)
	}
	if a, r := len(e.mutations("lease_acquire")), len(e.mutations("lease_release")); a != 1 || r != 1 {
		t.Errorf("lease acquired %d, released %d times; want 1 and 1", a, r)
	}
	// The machine kept the rest of its configuration.
	inv, err := e.inventory(t, map[string]any{"apps": "hotdash-chatwoot", "memory_floors": map[string]any{"worker": 2048}})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Tables[0].Rows[1]; got[1] != "worker" || got[2] != "2 GB" || got[3] != "started" {
		t.Errorf("worker row after the update = %q", got)
	}
}

// TestFlyScaleStoppedMachine: a stopped machine is updated and stays stopped;
// the activity does not wait for a start that will never come.
func TestFlyScaleStoppedMachine(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	start := time.Now()
	res, err := e.scale(t, true, map[string]any{"app": "hotdash-staging", "process_group": "app", "memory": 1024})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s: waited for the stopped machine to start", d)
	}
	if res.Outputs["changed"] != "2" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	details := map[string]string{}
	for _, u := range e.mutations("machine_update") {
		details[u.Machine] = u.Detail
	}
	if details["1781e52c4d7408"] != "memory_mb 2048 -> 1024; state stopped -> stopped" ||
		details["d891e4f2a67c35"] != "memory_mb 2048 -> 1024; state started -> started" {
		t.Errorf("updates = %v", details)
	}
}

func TestFlyScaleMemoryRefusals(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	tests := []struct {
		params map[string]any
		typ    string
		text   string
	}{
		{map[string]any{"app": "hotdash-chatwoot", "machine": "6e82d4e7b11d28", "memory": 4096}, FlyErrBadParams, "needs 2 shared CPUs"},
		{map[string]any{"app": "hotdash-chatwoot", "memory": 1000}, FlyErrBadParams, "give machine (an id) or process_group; memory: 1000 MB is not a multiple of 256 MB"},
		{map[string]any{"app": "hotdash-chatwoot", "machine": "nope", "memory": 1024}, FlyErrNotFound, "404"},
		{map[string]any{"app": "hotdash-chatwoot", "process_group": "cron", "memory": 1024}, FlyErrNotFound, `no machine in process group "cron"`},
	}
	for _, tt := range tests {
		_, err := e.scale(t, true, tt.params)
		if err == nil {
			t.Errorf("%v: no error", tt.params)
			continue
		}
		if typ, nr := flyAppErrorType(t, err); typ != tt.typ || !nr || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%v: %s %v %v; want %s with %q", tt.params, typ, nr, err, tt.typ, tt.text)
		}
	}
	if j := e.emu.Journal(); len(j) != 0 {
		t.Errorf("journal = %v", j)
	}
}

// TestFlyScaleLeaseHeld: a lease held elsewhere is waited for (fly-go
// retries 409s) up to LeaseWait, then is a retryable error; nothing is updated.
func TestFlyScaleLeaseHeld(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	e.act.Fly.LeaseWait = time.Second
	req, _ := newFlyLeaseRequest(e, "hotdash-chatwoot", "6e82d4e7b11d28")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = e.scale(t, true, flyWorkerScale)
	if typ, nr := flyAppErrorType(t, err); typ != FlyErrLeaseHeld || nr {
		t.Errorf("%s non-retryable=%v: %v; want retryable %s", typ, nr, err, FlyErrLeaseHeld)
	}
	if len(e.mutations("machine_update")) != 0 {
		t.Error("updated without the lease")
	}
}

// TestFlyDestroyApp: dry run, apply once, then "already gone" on a retry.
func TestFlyDestroyApp(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	params := map[string]any{"app": "time-purple-wildflower-3973"}
	dry, err := e.destroy(t, false, params)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dry.Summary, "Dry run: would destroy app time-purple-wildflower-3973 (status suspended, 1 machine(s), 0 started)") || len(e.emu.Journal()) != 0 {
		t.Errorf("dry run: %s; journal %v", dry.Summary, e.emu.Journal())
	}
	res, err := e.destroy(t, true, params)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["destroyed"] != "true" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	again, err := e.destroy(t, true, params)
	if err != nil {
		t.Fatal(err)
	}
	if again.Outputs["already_gone"] != "true" || again.Outputs["destroyed"] != "false" || !strings.Contains(again.Summary, "already gone") {
		t.Errorf("retry: %v %s", again.Outputs, again.Summary)
	}
	if n := len(e.mutations("app_delete")); n != 1 {
		t.Errorf("%d deletions, want 1", n)
	}
}

// TestFlyDestroyRunningApp: an app with started machines needs force.
func TestFlyDestroyRunningApp(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	_, err := e.destroy(t, true, map[string]any{"app": "hotdash-staging-db"})
	if typ, nr := flyAppErrorType(t, err); typ != FlyErrAppRunning || !nr {
		t.Errorf("%s %v: %v", typ, nr, err)
	}
	dry, err := e.destroy(t, false, map[string]any{"app": "hotdash-staging-db"})
	if err != nil || !strings.Contains(dry.Summary, "would refuse") {
		t.Errorf("dry run: %v %s", err, dry.Summary)
	}
	if _, err := e.destroy(t, true, map[string]any{"app": "hotdash-staging-db", "force": true}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mutations("app_delete")); n != 1 {
		t.Errorf("%d deletions, want 1", n)
	}
}

// newFlyLeaseRequest is someone else taking the machine's lease.
func newFlyLeaseRequest(e *flyTestEnv, app, id string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/apps/"+app+"/machines/"+id+"/lease?ttl=60", nil)
	if err == nil {
		req.Header.Set("Authorization", "Bearer "+e.emu.Token())
	}
	return req, err
}

// TestFlyScaleUpdate503NotRetried: an update answered 503 is sent once (fly-go's
// rehttp layer would resend a POST on 502/503), the activity fails retryably,
// and its retry, as Temporal would run it, updates exactly once.
func TestFlyScaleUpdate503NotRetried(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	var posts atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/machines/6e82d4e7b11d28") && posts.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		e.emu.Handler().ServeHTTP(w, r)
	}))
	defer front.Close()
	e.env["FLY_FLAPS_BASE_URL"] = front.URL
	_, err := e.scale(t, true, flyWorkerScale)
	if typ, nr := flyAppErrorType(t, err); typ != FlyErrServer || nr {
		t.Fatalf("%s non-retryable=%v: %v", typ, nr, err)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("the update was sent %d times, want 1", n)
	}
	if _, err := e.scale(t, true, flyWorkerScale); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mutations("machine_update")); n != 1 {
		t.Errorf("%d updates, want 1", n)
	}
	if a, r := len(e.mutations("lease_acquire")), len(e.mutations("lease_release")); a != 2 || r != 2 {
		t.Errorf("leases acquired %d, released %d; want 2 and 2 (released after the failure too)", a, r)
	}
}
