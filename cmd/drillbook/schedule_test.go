package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/internal/sandbox"
)

// describeSchedule polls a schedule until ok accepts its description.
func (e *clientTestEnv) waitSchedule(t *testing.T, name, what string, ok func(*client.ScheduleDescription) bool) *client.ScheduleDescription {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last *client.ScheduleDescription
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d, err := e.c.ScheduleClient().GetHandle(ctx, name).Describe(ctx)
		cancel()
		if err == nil {
			last = d
			if ok(d) {
				return d
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("schedule %s: %s never happened; last: %+v", name, what, last)
	return nil
}

// waitList polls `schedule list` until its output holds every want.
func (e *clientTestEnv) waitList(t *testing.T, want ...string) string {
	t.Helper()
	var out string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var code int
		code, out, _ = e.cli(t, "schedule", "list")
		all := code == exitOK
		for _, w := range want {
			all = all && strings.Contains(out, w)
		}
		if all {
			return out
		}
	}
	t.Fatalf("schedule list never showed %q:\n%s", want, out)
	return out
}

// syntheticRunbook is what a team schedules every 15 minutes.
const syntheticRunbook = `---
id: synthetic
inputs:
  staging_url: {required: true}
  chatwoot_url: {required: true}
  samples: {default: 3}
---
# Synthetic check

` + "```drill http.probe {id=probe}" + `
targets:
  - {name: staging, url: "${inputs.staging_url}/"}
  - {name: chatwoot, url: "${inputs.chatwoot_url}/api"}
samples: ${inputs.samples}
budget: 2s
` + "```" + `

` + "```drill http.health {id=api}" + `
url: ${inputs.chatwoot_url}/api
expect: {queue_services: ok, data_services: ok}
expect_present: [version]
` + "```" + `
`

// TestSchedule creates schedules on the in-process server with a real
// worker, sees them start runs that succeed, pauses, unpauses and deletes.
func TestSchedule(t *testing.T) {
	e := newClientTestEnv(t)
	// An ongoing synthetic check: http.probe and http.health against local
	// stand-ins, through the engine (parameters arrive as strings).
	staging := sandbox.NewStagingApp(5*time.Millisecond, 10*time.Millisecond)
	stagingURL, err := staging.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer staging.Close()
	cw := sandbox.NewChatwoot()
	cwURL, err := cw.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	if err := os.WriteFile(filepath.Join(e.runbooks, "synthetic.md"), []byte(syntheticRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.startWorker(t); err != nil {
		t.Fatal(err)
	}

	// --every 1m with --now: the first run starts at once.
	code, out, errOut := e.cli(t, "schedule", "create", "minutely", "--runbook", "synthetic", "--every", "1m", "--now",
		"--input", "staging_url="+stagingURL, "--input", "chatwoot_url="+cwURL)
	if code != exitOK || !strings.Contains(out, "Created schedule minutely: runbook synthetic, every 1m0s") || !strings.Contains(out, "Next run") {
		t.Fatalf("create: exit %d\n%s%s", code, out, errOut)
	}
	d := e.waitSchedule(t, "minutely", "a run", func(d *client.ScheduleDescription) bool { return len(d.Info.RecentActions) > 0 })
	first := d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
	if !strings.HasPrefix(first, "minutely-") {
		t.Errorf("run id %q, want minutely-<time>", first)
	}
	if res, err := e.result(t, first); err != nil || res.Status != "succeeded" || res.Findings["critical"] != 0 {
		t.Errorf("scheduled run %s: %+v %v", first, res, err)
	}
	p, err := queryProgressOnce(context.Background(), e.c, first, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]map[string]string{}
	for _, st := range p.Steps {
		if st.Result != nil {
			outputs[st.ID] = st.Result.Outputs
		}
	}
	if o := outputs["probe"]; o["pass"] != "true" || o["staging.n"] != "3" || o["staging.p95_ms"] != "n/a" || !strings.HasPrefix(o["samples_path"], "monitoring/synthetic-check-") {
		t.Errorf("probe outputs: %v", o)
	}
	if o := outputs["api"]; o["pass"] != "true" || o["data_services"] != "ok" || o["version"] != "4.6.0" {
		t.Errorf("health outputs: %v", o)
	}
	if next := d.Info.NextActionTimes; len(next) == 0 || time.Until(next[0]) > time.Minute {
		t.Errorf("next runs: %v, want within a minute", next)
	}

	// A short interval: runs keep starting on their own.
	if code, out, errOut := e.cli(t, "schedule", "create", "quick", "--runbook", "ok", "--every", "2s"); code != exitOK {
		t.Fatalf("create quick: exit %d\n%s%s", code, out, errOut)
	}
	e.waitSchedule(t, "quick", "two runs", func(d *client.ScheduleDescription) bool { return d.Info.NumActions >= 2 })
	out = e.waitList(t, "minutely", "quick", "every 2s", "every 1m0s", "quick-")
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "active") {
		t.Errorf("list:\n%s", out)
	}

	// Pause: no more runs; unpause; delete.
	if code, out, errOut := e.cli(t, "schedule", "pause", "quick", "--note", "maintenance"); code != exitOK || !strings.Contains(out, "Paused schedule quick") {
		t.Fatalf("pause: exit %d\n%s%s", code, out, errOut)
	}
	d = e.waitSchedule(t, "quick", "pause", func(d *client.ScheduleDescription) bool { return d.Schedule.State.Paused })
	if d.Schedule.State.Note != "maintenance" {
		t.Errorf("note %q", d.Schedule.State.Note)
	}
	time.Sleep(time.Second) // let a run that was being started settle
	before := e.waitSchedule(t, "quick", "describe", func(*client.ScheduleDescription) bool { return true }).Info.NumActions
	time.Sleep(5 * time.Second)
	if after := e.waitSchedule(t, "quick", "describe", func(*client.ScheduleDescription) bool { return true }).Info.NumActions; after != before {
		t.Errorf("paused schedule took %d more actions", after-before)
	}
	e.waitList(t, "paused")
	if code, _, errOut := e.cli(t, "schedule", "unpause", "quick"); code != exitOK {
		t.Fatalf("unpause: exit %d %s", code, errOut)
	}
	e.waitSchedule(t, "quick", "unpause", func(d *client.ScheduleDescription) bool { return !d.Schedule.State.Paused })
	for _, name := range []string{"quick", "minutely"} {
		if code, out, errOut := e.cli(t, "schedule", "delete", name); code != exitOK || !strings.Contains(out, "Deleted schedule "+name) {
			t.Fatalf("delete %s: exit %d\n%s%s", name, code, out, errOut)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var notFound *serviceerror.NotFound
	if _, err := e.c.ScheduleClient().GetHandle(ctx, "quick").Describe(ctx); !errors.As(err, &notFound) {
		t.Errorf("deleted schedule: describe says %v", err)
	}
	if code, _, errOut := e.cli(t, "schedule", "pause", "quick"); code != exitFailed || !strings.Contains(errOut, "not found") {
		t.Errorf("pause a deleted schedule: exit %d %s", code, errOut)
	}
}

// TestScheduleUsage: bad flags exit 2 before or when the server refuses.
func TestScheduleUsage(t *testing.T) {
	for _, args := range [][]string{
		{"schedule", "create", "x", "--runbook", "ok"},
		{"schedule", "create", "x", "--runbook", "ok", "--every", "1m", "--cron", "@hourly"},
		{"schedule", "create", "bad name", "--runbook", "ok", "--every", "1m"},
		{"schedule", "create", "x", "--every", "1m"},
		{"schedule", "create", "x", "--runbook", "reliability-audit", "--every", "1m", "--input", "nope=1"},
		{"schedule", "create", "x", "--runbook", "ok", "--every", "1m", "--manual", "later"},
		{"schedule", "pause"},
	} {
		if code, _, errOut := runCaptured(t, args...); code != exitBadUsage {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}
