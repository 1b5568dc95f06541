package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/hotdash/drillbook/report"
	"github.com/hotdash/drillbook/runs"
)

// RenderReport writes the run's report to
// <ArtifactsDir>/reports/<workflow-id>/report.md and report.html, each
// atomically (a temporary file renamed into place), and returns their paths
// (relative to the artifacts directory), sizes and SHA-256. The same
// progress always gives the same bytes, so a retry rewrites identical files.
func (a *Activities) RenderReport(ctx context.Context, p runs.Progress) (runs.ReportPaths, error) {
	root, err := a.artifactsRoot()
	if err != nil {
		return runs.ReportPaths{}, err
	}
	md := report.Markdown(p, report.Options{})
	html, err := report.HTML(md, report.Title(p))
	if err != nil {
		return runs.ReportPaths{}, fmt.Errorf("render report: %w", err)
	}
	rel := filepath.Join("reports", artifactName(p.WorkflowID))
	var paths runs.ReportPaths
	for _, f := range []struct {
		name, content string
		out           *runs.Artifact
	}{
		{"report.md", md, &paths.Markdown},
		{"report.html", html, &paths.HTML},
	} {
		if err := ctx.Err(); err != nil {
			return runs.ReportPaths{}, fmt.Errorf("render report: %w", err)
		}
		path := filepath.Join(rel, f.name)
		if err := writeFileAtomic(filepath.Join(root, path), []byte(f.content), 0o644); err != nil {
			return runs.ReportPaths{}, fmt.Errorf("write report: %w", err)
		}
		sum := sha256.Sum256([]byte(f.content))
		*f.out = runs.Artifact{Path: filepath.ToSlash(path), Bytes: int64(len(f.content)), SHA256: hex.EncodeToString(sum[:])}
	}
	return paths, nil
}
