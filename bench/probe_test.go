package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotdash/drillbook/activities"
)

// BenchmarkProbe runs http.probe over 200 targets × 20 samples against a
// loopback server that answers after 100 ms, with concurrency 50, and
// prints:
//
//   - probe_total_s: wall time, against probe_ideal_s = 200·20·0.1 s / 50 = 8 s,
//     and probe_total_ratio (goal ≤ 1.3);
//   - probe_p95_error_pct: |p95 of all samples − 100 ms| / 100 ms (goal ≤ 5%),
//     and the worst target's p95 error;
//   - probe_connections: TCP connections the server accepted (bounded by the
//     concurrency: the transport keeps them alive).
func BenchmarkProbe(b *testing.B) {
	const (
		targets     = 200
		samples     = 20
		concurrency = 50
		injected    = 100 * time.Millisecond
	)
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(injected)
		_, _ = w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	list := make([]any, targets)
	for i := range list {
		list[i] = map[string]any{"name": fmt.Sprintf("t%03d", i), "url": fmt.Sprintf("%s/t%03d", srv.URL, i)}
	}
	acts := activities.New(activities.Options{ArtifactsDir: b.TempDir()})
	params := map[string]any{"targets": list, "samples": samples, "concurrency": concurrency, "timeout": "10s", "budget": "800ms"}
	ideal := time.Duration(targets*samples) * injected / concurrency

	for b.Loop() {
		conns.Store(0)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		start := time.Now()
		run, err := acts.RunProbe(ctx, params)
		total := time.Since(start)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		worst, failed := 0.0, 0
		for _, t := range run.Targets {
			failed += t.Errors
			if t.Stats.P95.OK {
				worst = math.Max(worst, math.Abs(t.Stats.P95.V-ms(injected))/ms(injected)*100)
			}
		}
		all := pooledLatencies(b, acts, run)
		p95, _ := activities.Percentile(all, 95)
		fmt.Printf("probe_requests: %d\n", targets*samples)
		fmt.Printf("probe_errors: %d\n", failed)
		fmt.Printf("probe_total_s: %.2f\n", total.Seconds())
		fmt.Printf("probe_ideal_s: %.2f\n", ideal.Seconds())
		fmt.Printf("probe_total_ratio: %.3f\n", total.Seconds()/ideal.Seconds())
		fmt.Printf("probe_p95_ms: %.2f\n", p95)
		fmt.Printf("probe_p95_error_pct: %.2f\n", math.Abs(p95-ms(injected))/ms(injected)*100)
		fmt.Printf("probe_p95_error_pct_worst_target: %.2f\n", worst)
		fmt.Printf("probe_connections: %d\n", conns.Load())
		b.ReportMetric(total.Seconds()/ideal.Seconds(), "ratio")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pooledLatencies reads every successful sample's total from the run's
// samples artifact, sorted.
func pooledLatencies(b *testing.B, acts *activities.Activities, run *activities.ProbeRun) []float64 {
	data, err := os.ReadFile(filepath.Join(acts.ArtifactsDir, run.Artifact.Path))
	if err != nil {
		b.Fatal(err)
	}
	var doc struct {
		Samples []activities.ProbeSample `json:"samples"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	var out []float64
	for _, s := range doc.Samples {
		if s.OK() {
			out = append(out, s.TotalMS)
		}
	}
	sort.Float64s(out)
	return out
}
