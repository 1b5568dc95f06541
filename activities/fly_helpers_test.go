package activities

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/sandbox"
	"go.temporal.io/sdk/temporal"
)

// flyTestNow is the clock of the fly tests: four days after the seed's OOM kill.
var flyTestNow = time.Date(2025, 10, 15, 12, 0, 0, 0, time.UTC)

// flyTestEnv is an emulator on httptest and Activities pointed at it, with
// the token in a fake environment (the process environment is not touched).
type flyTestEnv struct {
	emu *sandbox.FlyEmulator
	srv *httptest.Server
	act *Activities
	env map[string]string
}

func newFlyTestEnv(t testing.TB, seed *sandbox.FlySeed) *flyTestEnv {
	t.Helper()
	emu := sandbox.NewFlyEmulator(seed)
	emu.SetClock(func() time.Time { return flyTestNow })
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	e := &flyTestEnv{emu: emu, srv: srv, env: map[string]string{
		"FLY_API_TOKEN":      emu.Token(),
		"FLY_FLAPS_BASE_URL": srv.URL,
	}}
	e.act = New(Options{ArtifactsDir: t.TempDir(), Env: func(k string) string { return e.env[k] }})
	e.act.Fly.Now = func() time.Time { return flyTestNow }
	return e
}

func (e *flyTestEnv) inventory(t testing.TB, params map[string]any) (ActionResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return e.act.FlyInventory(ctx, ActionRequest{WorkflowID: "wf", StepID: "inventory", Params: params})
}

// mutations returns the journal entries of action answered with a 2xx.
func (e *flyTestEnv) mutations(action string) []sandbox.JournalEntry {
	var out []sandbox.JournalEntry
	for _, j := range e.emu.Journal() {
		if j.Action == action && j.Status < 300 {
			out = append(out, j)
		}
	}
	return out
}

// flyAppErrorType returns the Temporal error type and retryability of err.
func flyAppErrorType(t testing.TB, err error) (string, bool) {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a temporal application error", err, err)
	}
	return ae.Type(), ae.NonRetryable()
}

// flySeedApp builds a seed app from machine objects.
func flySeedApp(name, status string, machines ...map[string]any) sandbox.FlySeedApp {
	app := sandbox.FlySeedApp{ID: "id-" + name, Name: name, Status: status,
		Organization: sandbox.FlySeedOrg{Name: "Test", Slug: "personal"}}
	for _, m := range machines {
		raw, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		app.Machines = append(app.Machines, raw)
	}
	return app
}

// flyMachine builds a machine object in the API's shape.
func flyMachine(id, group, state string, memMB int, events []map[string]any, checks ...map[string]any) map[string]any {
	m := map[string]any{
		"id": id, "name": "m-" + id, "state": state, "region": "iad",
		"created_at": "2025-09-01T00:00:00Z", "updated_at": "2025-09-01T00:00:00Z",
		"config": map[string]any{
			"image":    "registry.fly.io/test:deployment-1",
			"metadata": map[string]any{"fly_process_group": group},
			"restart":  map[string]any{"policy": "on-failure"},
			"guest":    map[string]any{"cpu_kind": "shared", "cpus": 1, "memory_mb": memMB},
		},
		"image_ref": map[string]any{"registry": "registry.fly.io", "repository": "test", "tag": "deployment-1"},
		"events":    events,
	}
	if len(checks) > 0 {
		m["checks"] = checks
	}
	return m
}

// flyEvent is a machine event at t (RFC 3339).
func flyEvent(typ, status, at string) map[string]any {
	ts, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	return map[string]any{"type": typ, "status": status, "source": "flyd", "timestamp": ts.UnixMilli()}
}

// flyExit is an exit event at t with the exit_event in request.exit_event
// or, with monitor, in request.MonitorEvent.exit_event.
func flyExit(at string, code int, oom, requested, monitor bool) map[string]any {
	ev := flyEvent("exit", "stopped", at)
	exit := map[string]any{"exit_code": code, "exited_at": at, "oom_killed": oom, "requested_stop": requested, "signal": -1}
	if monitor {
		ev["request"] = map[string]any{"MonitorEvent": map[string]any{"exit_event": exit}}
	} else {
		ev["request"] = map[string]any{"exit_event": exit}
	}
	return ev
}
