package activities

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/hotdash/drillbook/runs"
)

func TestRenderReport(t *testing.T) {
	a := &Activities{ArtifactsDir: t.TempDir()}
	t0 := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	p := runs.Progress{WorkflowID: "drill/42", RunbookID: "backup-restore", Title: "Backup and restore drill",
		Status: runs.RunSucceeded, StartedAt: t0, EndedAt: t0.Add(time.Minute),
		Inputs: []runs.InputValue{{Name: "source", Value: "postgres://u:leaked-pw@db/x", Secret: true}},
		Steps: []runs.StepProgress{{ID: "dump", Title: "Dump", Kind: "shell", Status: runs.StatusSucceeded, Attempts: 1,
			StartedAt: t0, EndedAt: t0.Add(time.Second), OutputTail: "done\n"}}}

	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(a.RenderReport, activity.RegisterOptions{Name: "RenderReport"})
	val, err := env.ExecuteActivity("RenderReport", p)
	if err != nil {
		t.Fatal(err)
	}
	var paths runs.ReportPaths
	if err := val.Get(&paths); err != nil {
		t.Fatal(err)
	}
	dir := "reports/" + artifactName("drill/42")
	if paths.Markdown.Path != dir+"/report.md" || paths.HTML.Path != dir+"/report.html" || !strings.HasPrefix(dir, "reports/drill_42-") {
		t.Fatalf("paths = %+v", paths)
	}
	for _, art := range []runs.Artifact{paths.Markdown, paths.HTML} {
		data, err := os.ReadFile(filepath.Join(a.ArtifactsDir, art.Path))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if art.SHA256 != hex.EncodeToString(sum[:]) || art.Bytes != int64(len(data)) {
			t.Errorf("%s: artifact %+v does not describe the file", art.Path, art)
		}
		if strings.Contains(string(data), "leaked-pw") || !strings.Contains(string(data), "Backup and restore drill") {
			t.Errorf("%s: secret shown or title missing", art.Path)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(a.ArtifactsDir, dir))
	if len(entries) != 2 {
		t.Errorf("report directory holds %d files, want 2 (no temporary files left)", len(entries))
	}

	again, err := a.RenderReport(t.Context(), p)
	if err != nil || again != paths {
		t.Errorf("second rendering: %+v, %v; want the same bytes %+v", again, err, paths)
	}
}

// TestRenderReportChartsProbeSamples runs a real http.probe, puts its result
// in an audit's progress and checks that the HTML report charts the samples
// artifact the probe wrote (with the budget line), and that a missing
// samples file only costs the chart.
func TestRenderReportChartsProbeSamples(t *testing.T) {
	a := newTestActivities(t)
	srv := slowServer(t, 5*time.Millisecond)
	run, err := a.RunProbe(t.Context(), map[string]any{"targets": []any{
		map[string]any{"name": "staging", "url": srv.URL + "/"}, map[string]any{"name": "chatwoot-api", "url": srv.URL + "/api"},
	}, "samples": 20, "budget": "800ms"})
	if err != nil {
		t.Fatal(err)
	}
	res := run.Result()
	t0 := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	p := runs.Progress{WorkflowID: "audit-chart", RunbookID: "reliability-audit", Title: "HotDash reliability audit",
		Status: runs.RunSucceeded, StartedAt: t0, EndedAt: t0.Add(time.Minute),
		Steps: []runs.StepProgress{{ID: "synthetic", Kind: "action", Action: "http.probe", Status: runs.StatusSucceeded,
			Section: []string{"HotDash reliability audit", "Priorities", "Synthetic monitoring"}, Result: &res}}}
	html := func() string {
		paths, err := a.RenderReport(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(a.ArtifactsDir, paths.HTML.Path))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	page := html()
	for _, want := range []string{"<title>HotDash Reliability Audit Summary</title>", `<figure class="chart">`, "<svg ",
		">budget 800 ms</text>", ">staging</text>", ">chatwoot-api</text>", "Samples: " + res.Outputs["samples_path"]} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if err := os.Remove(filepath.Join(a.ArtifactsDir, filepath.FromSlash(res.Outputs["samples_path"]))); err != nil {
		t.Fatal(err)
	}
	if page := html(); strings.Contains(page, "<svg") || !strings.Contains(page, "Performance Baseline") {
		t.Error("without its samples file the report should render without the chart")
	}
}
