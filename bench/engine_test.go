package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/devserver"
	"github.com/hotdash/drillbook/worker"
	"github.com/hotdash/drillbook/workflows"
)

// BenchmarkEngine runs a 100-step runbook of `true` on the in-process server
// and prints engine_step_overhead_ms (per-step time beyond what plain bash
// needs for the same command, averaged over the run) and engine_vs_bash_ratio.
func BenchmarkEngine(b *testing.B) {
	const steps = 100
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{StateDir: b.TempDir(), NoUI: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	dir := b.TempDir()
	var src strings.Builder
	src.WriteString("# Hundred\n\n")
	for i := 0; i < steps; i++ {
		fmt.Fprintf(&src, "```sh {id=s%03d}\ntrue\n```\n\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "hundred.md"), []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	w := worker.New(c, activities.New(activities.Options{ArtifactsDir: b.TempDir(), RunbooksDir: dir}))
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue}, workflows.RunRunbookWorkflow,
		workflows.RunRunbookInput{Runbook: "hundred"})
	if err != nil {
		b.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		b.Fatal(err)
	}
	engineTotal := time.Since(start)

	var bashTimes []time.Duration
	bashStart := time.Now()
	for i := 0; i < steps; i++ {
		t0 := time.Now()
		if err := exec.Command("bash", "-euo", "pipefail", "-c", "true").Run(); err != nil {
			b.Fatal(err)
		}
		bashTimes = append(bashTimes, time.Since(t0))
	}
	bashTotal := time.Since(bashStart)
	sort.Slice(bashTimes, func(i, j int) bool { return bashTimes[i] < bashTimes[j] })
	bashMedian := bashTimes[len(bashTimes)/2]

	// Per step: the run's wall time (load, 100 steps, report) spread over the
	// steps, minus what plain bash needs for the same command.
	overhead := float64((engineTotal/steps - bashMedian).Microseconds()) / 1000
	fmt.Printf("engine_total_s: %.2f\n", engineTotal.Seconds())
	fmt.Printf("bash_total_s: %.3f\n", bashTotal.Seconds())
	fmt.Printf("engine_step_overhead_ms: %.1f (mean per step, run start to end)\n", overhead)
	fmt.Printf("engine_vs_bash_ratio: %.1f\n", engineTotal.Seconds()/bashTotal.Seconds())
	b.ReportMetric(overhead, "overhead_ms/step")
}
