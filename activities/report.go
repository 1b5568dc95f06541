package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotdash/drillbook/report"
	"github.com/hotdash/drillbook/runs"
)

// RenderReport writes the run's report to
// <ArtifactsDir>/reports/<workflow-id>/report.md and report.html, each
// atomically (a temporary file renamed into place), and returns their paths
// (relative to the artifacts directory), sizes and SHA-256. The HTML page
// charts the samples of the run's synthetic checks (latencyCharts). The same
// progress and artifacts always give the same bytes, so a retry rewrites
// identical files.
func (a *Activities) RenderReport(ctx context.Context, p runs.Progress) (runs.ReportPaths, error) {
	root, err := a.artifactsRoot()
	if err != nil {
		return runs.ReportPaths{}, err
	}
	md := report.Markdown(p, report.Options{})
	html, err := report.HTMLWithCharts(md, report.Title(p), a.latencyCharts(root, p)...)
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

// maxSamplesFile bounds a samples artifact read for the report's chart.
const maxSamplesFile = 64 << 20

// latencyCharts reads the samples artifacts (monitoring/synthetic-check-*.json)
// of the run's http.probe steps. A file that is missing, too large or
// unreadable only costs the page its chart: it is logged, not raised.
func (a *Activities) latencyCharts(root string, p runs.Progress) []report.LatencyChart {
	var charts []report.LatencyChart
	for _, s := range p.Steps {
		if s.Action != "http.probe" || s.Result == nil {
			continue
		}
		for _, art := range s.Result.Artifacts {
			rel := filepath.FromSlash(art.Path)
			if !strings.HasPrefix(art.Path, "monitoring/synthetic-check-") || !strings.HasSuffix(art.Path, ".json") || !filepath.IsLocal(rel) {
				continue
			}
			c, err := readLatencyChart(art.Path, filepath.Join(root, rel))
			if err != nil {
				a.flyLogger().Warn("report: no latency chart", "artifact", art.Path, "error", err)
				continue
			}
			charts = append(charts, c)
		}
	}
	return charts
}

func readLatencyChart(name, path string) (report.LatencyChart, error) {
	f, err := os.Open(path)
	if err != nil {
		return report.LatencyChart{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSamplesFile+1))
	if err != nil {
		return report.LatencyChart{}, err
	}
	if len(data) > maxSamplesFile {
		return report.LatencyChart{}, fmt.Errorf("over %d MiB", maxSamplesFile>>20)
	}
	return report.ParseSyntheticCheck(name, data)
}
