package activities

import (
	"strings"
	"testing"
	"time"
)

// TestFlyRemedyOutputs: the outputs the audit's remediation steps read, with
// parameters in the form a runbook passes them (every ${inputs.*} becomes a
// string; an empty input is an empty string).
func TestFlyRemedyOutputs(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"the audit's defaults", map[string]any{
			"org":           "personal",
			"token_env":     "FLY_API_TOKEN",
			"oom_window":    "",
			"unused_days":   "30",
			"memory_floors": map[string]any{"worker": "2048"},
			"policies":      []any{"no Fly Postgres apps; Supabase only"},
			"prices":        map[string]any{"shared-cpu-1x:256": 1.94},
		}, map[string]string{
			"oom_app": "hotdash-chatwoot", "oom_machine": "6e82d4e7b11d28", "oom_memory_mb": "512",
			"oom_recommended_mb": "2048", "oom_machines": "1",
			"unused_app": "time-purple-wildflower-3973", "unused_yearly_usd": "23.28", "unused_apps": "1",
		}},
		{"no floor, no prices, blank policy", map[string]any{"policies": []any{""}}, map[string]string{
			"oom_app": "hotdash-chatwoot", "oom_recommended_mb": "1024",
			"unused_app": "time-purple-wildflower-3973", "unused_yearly_usd": "",
		}},
		{"the OOM kill is outside the window", map[string]any{"oom_window": "72h"}, map[string]string{
			"oom_app": "", "oom_machine": "", "oom_recommended_mb": "", "oom_machines": "0",
			"unused_app": "time-purple-wildflower-3973",
		}},
		{"one app asked for", map[string]any{"apps": "hotdash-staging"}, map[string]string{
			"oom_app": "", "unused_app": "", "unused_apps": "0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newFlyTestEnv(t, nil).inventory(t, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				got, ok := res.Outputs[k]
				if !ok || got != v {
					t.Errorf("outputs[%s] = %q (present %v), want %q", k, got, ok, v)
				}
			}
		})
	}
}

// TestFlyInventoryStringParams: a number of days that is not a number, and a
// blank policy among real ones.
func TestFlyInventoryStringParams(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	_, err := e.inventory(t, map[string]any{"unused_days": "thirty", "policies": []any{"", "no Fly Postgres apps"}})
	if typ, nonRetryable := flyAppErrorType(t, err); typ != FlyErrBadParams || !nonRetryable {
		t.Fatalf("error %v: type %s, non-retryable %v", err, typ, nonRetryable)
	}
	if want := `unused_days: "thirty" is not a whole number`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

// TestFlyRecentExitsAfterConfigUpdate: OOM kills before the machine's last
// config update (the memory scale that fixed them) no longer count; kills
// after it do.
func TestFlyRecentExitsAfterConfigUpdate(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	updated := at("2025-11-01T00:00:00Z")
	m := FlyMachineReport{MemoryMB: 2048, ExitEvents: []FlyExitEvent{
		{At: at("2025-10-11T20:08:45Z"), Kind: "oom"},
		{At: at("2025-11-02T10:00:00Z"), Kind: "oom"},
		{At: at("2025-10-12T10:00:00Z"), Kind: "killed"},
	}}
	rules := flyRules{Now: at("2025-12-01T00:00:00Z")}
	if ooms, kills := flyRecentExits(m, rules); len(ooms) != 2 || len(kills) != 1 {
		t.Errorf("without an update: ooms %v, kills %v", ooms, kills)
	}
	m.ConfigUpdatedAt = &updated
	ooms, kills := flyRecentExits(m, rules)
	if strings.Join(ooms, ",") != "2025-11-02T10:00:00Z" || len(kills) != 0 {
		t.Errorf("after the update at %s: ooms %v, kills %v", updated, ooms, kills)
	}
}
