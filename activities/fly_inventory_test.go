package activities

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotdash/drillbook/internal/sandbox"
)

var updateFlyGolden = flag.Bool("update-fly-golden", false, "rewrite activities/testdata/fly_*.golden")

// flyAuditParams are the inputs of HotDash's audit.
func flyAuditParams() map[string]any {
	return map[string]any{
		"memory_floors": map[string]any{"worker": "2GB"},
		"policies":      "no Fly Postgres apps; Supabase only",
		"prices":        map[string]any{"shared-cpu-1x:256": 1.94, "shared-cpu-1x:2048": 11.83},
	}
}

// TestFlyInventoryGolden pins the whole result and artifact for the default
// seed: the report's table, every finding and its command, the inventory.
func TestFlyInventoryGolden(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	res, err := e.inventory(t, flyAuditParams())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Artifacts) != 1 {
		t.Fatalf("artifacts = %v", res.Artifacts)
	}
	art := res.Artifacts[0]
	data, err := os.ReadFile(filepath.Join(e.act.ArtifactsDir, art.Path))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != art.SHA256 || int64(len(data)) != art.Bytes {
		t.Errorf("artifact sha256/bytes = %s/%d, file has %s/%d", art.SHA256, art.Bytes, got, len(data))
	}
	// The emulator's port changes every run: normalise it and the hash.
	res.Artifacts[0].SHA256, res.Artifacts[0].Bytes = "<sha256 of the artifact>", 0
	result, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got := string(result) + "\n\n--- artifact " + art.Path + " ---\n" + strings.ReplaceAll(string(data), e.srv.URL, "http://EMULATOR")
	golden := filepath.Join("testdata", "fly_inventory_default.golden")
	if *updateFlyGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./activities -run TestFlyInventoryGolden -update-fly-golden)", err)
	}
	if got != string(want) {
		t.Errorf("inventory differs from %s; diff it with -update-fly-golden and git diff.\ngot:\n%s", golden, got)
	}
	if strings.Contains(got, e.emu.Token()) || strings.Contains(got, "RAILS_LOG_TO_STDOUT") {
		t.Error("the result or artifact holds the token or machine environment variables")
	}
}

// TestFlyInventoryDefaults: `{}` is a useful run (org personal, 30 days).
func TestFlyInventoryDefaults(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	res, err := e.inventory(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["apps"] != "4" || res.Outputs["machines"] != "6" || res.Outputs["failed_apps"] != "0" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	titles := flyTitles(res.Findings)
	for _, want := range []string{"OOM-killed 1 time(s) with 512 MB", "Unused app time-purple-wildflower-3973 (suspended)", "1 of 2 app machines of hotdash-staging are stopped"} {
		if !strings.Contains(titles, want) {
			t.Errorf("findings lack %q:\n%s", want, titles)
		}
	}
	if strings.Contains(titles, "Fly Postgres") {
		t.Errorf("no policy given, yet a policy finding:\n%s", titles)
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Title, "OOM") && f.Resolution != "fly machine update 6e82d4e7b11d28 --memory 1024 -a hotdash-chatwoot" {
			t.Errorf("without a floor the next size up is 1024 MB; resolution = %q", f.Resolution)
		}
	}
}

func flyTitles(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(string(f.Severity) + ": " + f.Title + "\n")
	}
	return b.String()
}

// TestFlyInventoryFindings covers each finding class on a small estate.
func TestFlyInventoryFindings(t *testing.T) {
	oomAt, killAt, stopAt := "2025-10-10T08:00:00Z", "2025-10-12T08:00:00Z", "2025-10-13T08:00:00Z"
	seed := &sandbox.FlySeed{Apps: []sandbox.FlySeedApp{
		// OOM exits in both places, a plain 137 kill and a requested stop.
		flySeedApp("oomy", "deployed",
			flyMachine("m0a", "worker", "started", 1024, []map[string]any{
				flyEvent("start", "started", "2025-10-14T08:00:01Z"),
				flyExit(stopAt, 0, false, true, true),
				flyExit(killAt, 137, false, false, false),
				flyExit(oomAt, 137, true, false, true),
				flyExit("2025-10-14T08:00:00Z", 137, true, false, false),
				flyExit("2025-08-01T08:00:00Z", 137, true, false, false), // outside oom_window
			})),
		// Below the floor, failing checks.
		flySeedApp("small", "deployed",
			flyMachine("m1a", "app", "started", 256, nil,
				map[string]any{"name": "http", "status": "critical", "output": "connect: connection refused"},
				map[string]any{"name": "tcp", "status": "passing", "output": "Success"})),
		// Every machine of a group stopped; autostop off.
		flySeedApp("down", "deployed",
			flyMachine("m2a", "app", "stopped", 512, []map[string]any{flyExit("2025-10-14T09:00:00Z", 0, false, true, false)})),
		// Idle for 60 days, not suspended; priced.
		flySeedApp("idle", "deployed",
			flyMachine("m3a", "app", "stopped", 256, []map[string]any{flyExit("2025-08-16T12:00:00Z", 0, false, true, false)})),
		// Fly Postgres by image.
		flySeedApp("pg", "deployed", func() map[string]any {
			m := flyMachine("m4a", "", "started", 256, nil)
			m["config"].(map[string]any)["image"] = "flyio/postgres-flex:16.8"
			return m
		}()),
	}}
	e := newFlyTestEnv(t, seed)
	params := map[string]any{
		"oom_window":    "30d",
		"unused_days":   30,
		"memory_floors": map[string]any{"app": 512, "worker": "1GB"},
		"policies":      []any{"No Fly Postgres apps; Supabase only"},
		"prices":        map[string]any{"shared-cpu-1x:256": 1.94},
	}
	res, err := e.inventory(t, params)
	if err != nil {
		t.Fatal(err)
	}
	bySubject := map[string]Finding{}
	for _, f := range res.Findings {
		bySubject[f.Subject+" "+f.Category] = f
	}
	tests := []struct {
		key, severity, title, resolution, evidence string
	}{
		{"oomy/m0a fly", "high", "oomy worker machine m0a was OOM-killed 2 time(s) with 1024 MB",
			"fly machine update m0a --memory 2048 -a oomy", "plain kills, not counted"},
		{"small/m1a fly", "medium", "small app machine m1a has 256 MB, below the 512 MB floor",
			"fly machine update m1a --memory 512 -a small", "shared-cpu-1x 256 MB"},
		{"small/m1a health", "high", "small machine m1a fails 1 health check(s)",
			"fly checks list -a small && fly logs -a small -i m1a --no-tail", "http is critical: connect: connection refused"},
		{"down fly", "medium", "1 of 1 app machines of down are stopped",
			"fly machine start m2a -a down", "m2a stopped since 2025-10-14T09:00:00Z"},
		{"idle cost", "low", "Unused app idle (no started machine for 60 days)",
			"fly apps destroy idle --yes", "last machine event 2025-08-16T12:00:00Z"},
		{"pg fly", "medium", `Fly Postgres app pg breaks the policy "No Fly Postgres apps; Supabase only"`,
			"fly proxy 15432:5432 -a pg  # then pg_dump through localhost:15432, restore into Supabase, repoint the apps, and only then: fly apps destroy pg --yes", "m4a"},
	}
	for _, tt := range tests {
		f, ok := bySubject[tt.key]
		if !ok {
			t.Errorf("no finding for %s; have:\n%s", tt.key, flyTitles(res.Findings))
			continue
		}
		if string(f.Severity) != tt.severity || f.Title != tt.title || f.Resolution != tt.resolution || !strings.Contains(f.Evidence, tt.evidence) {
			t.Errorf("%s:\n got %s | %s | %s | %s\nwant %s | %s | %s | …%s…", tt.key,
				f.Severity, f.Title, f.Resolution, f.Evidence, tt.severity, tt.title, tt.resolution, tt.evidence)
		}
	}
	if idle := bySubject["idle cost"]; !strings.Contains(idle.Impact, "$23.28/year") {
		t.Errorf("idle app impact lacks the yearly cost: %s", idle.Impact)
	}
	if len(res.Findings) != len(tests) {
		t.Errorf("%d findings, want %d:\n%s", len(res.Findings), len(tests), flyTitles(res.Findings))
	}
}

// TestFlyExitEvents: both places, sorted by time, 137 alone is a kill.
func TestFlyExitEvents(t *testing.T) {
	e := newFlyTestEnv(t, &sandbox.FlySeed{Apps: []sandbox.FlySeedApp{flySeedApp("a", "deployed",
		flyMachine("m", "app", "started", 512, []map[string]any{
			flyExit("2025-10-03T00:00:00Z", 1, false, false, true),
			flyExit("2025-10-01T00:00:00Z", 137, false, false, false),
			flyExit("2025-10-04T00:00:00Z", 0, false, false, false),
			flyExit("2025-10-02T00:00:00Z", 137, true, false, true),
			flyExit("2025-10-05T00:00:00Z", 0, false, true, false),
		}))}})
	res, err := e.inventory(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	var report FlyInventoryReport
	data, err := os.ReadFile(filepath.Join(e.act.ArtifactsDir, res.Artifacts[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range report.Apps[0].Machines[0].ExitEvents {
		kinds = append(kinds, ev.At.Format("01-02")+" "+ev.Kind+" "+ev.Source)
	}
	want := "10-01 killed request.exit_event|10-02 oom request.MonitorEvent.exit_event|" +
		"10-03 crashed request.MonitorEvent.exit_event|10-04 exited request.exit_event|10-05 requested_stop request.exit_event"
	if got := strings.Join(kinds, "|"); got != want {
		t.Errorf("exit events:\n got %s\nwant %s", got, want)
	}
	if n := strings.Count(flyTitles(res.Findings), "OOM"); n != 1 {
		t.Errorf("%d OOM findings, want 1:\n%s", n, flyTitles(res.Findings))
	}
}
