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
