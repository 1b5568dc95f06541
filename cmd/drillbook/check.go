package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/activities"
)

type checkFlags struct {
	runbook, runbooksDir string
	inputs               inputsFlag
	targets, health      []string
	expect               inputsFlag
	expectStatus         int
	budget               time.Duration
	samples, concurrency int
	percentile           string
	timeout, interval    time.Duration
	insecure, follow     bool
	junit, artifacts     string
}

func newCheckCmd() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check (--runbook ID | --target URL... | --health URL...)",
		Short: "Run synthetic checks directly, without Temporal, for CI pipelines",
		Long: `check runs http.probe and http.health checks in this process, without a
Temporal server or worker, and exits 1 when a latency budget is breached, a
request fails or a health expectation is not met (0 when all pass, 2 on bad
usage or bad input).

With --runbook it runs the runbook's http.probe and http.health steps with
their parameters, the runbook's input defaults and any --input overrides; with
--target it probes each URL; with --health it checks each URL's status and,
with --expect, its JSON body.

Percentiles use the nearest-rank method and are n/a when n is too small
(p95 needs at least 20 samples); the budget is then judged on the maximum,
which bounds every percentile. The samples go to
<artifacts>/monitoring/synthetic-check-<UTC timestamp>.json; --junit writes a
JUnit XML report with one test case per target and per health check.`,
		Example: `  drillbook check --target https://hotdash-staging.fly.dev/ --budget 800ms --samples 20 --junit check.xml
  drillbook check --health https://hotdash-chatwoot.fly.dev/api --expect queue_services=ok --expect data_services=ok
  drillbook check --runbook reliability-audit --input staging_url=http://127.0.0.1:4281 --input chatwoot_url=http://127.0.0.1:4282`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			return runCheck(ctx, cmd.OutOrStdout(), &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.runbook, "runbook", "", "run the http.* steps of this runbook (an id, or a .md file)")
	fl.StringVar(&f.runbooksDir, "runbooks", "", "directory searched for --runbook before the built-in runbooks")
	bindInputs(cmd, &f.inputs)
	fl.StringArrayVar(&f.targets, "target", nil, "URL to probe (repeatable)")
	fl.StringArrayVar(&f.health, "health", nil, "health endpoint URL to check (repeatable)")
	fl.Var(&f.expect, "expect", "FIELD=VALUE the --health JSON body must hold (repeatable)")
	fl.IntVar(&f.expectStatus, "expect-status", activities.HealthDefaultStatus, "status the --health URLs must answer")
	fl.DurationVar(&f.budget, "budget", activities.ProbeDefaultBudget, "latency budget of each --target")
	fl.IntVar(&f.samples, "samples", activities.ProbeDefaultSamples, "requests per --target")
	fl.IntVar(&f.concurrency, "concurrency", 0, "requests in flight at once (default: one per target, at most 8)")
	fl.StringVar(&f.percentile, "percentile", activities.ProbeDefaultPercentile, "what the budget is judged on: p50, p90, p95, p99 or avg")
	fl.DurationVar(&f.timeout, "timeout", activities.ProbeDefaultTimeout, "per request")
	fl.DurationVar(&f.interval, "interval", 0, "pause between two requests to the same target")
	fl.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification (test servers only)")
	fl.BoolVar(&f.follow, "follow-redirects", false, "follow redirects (by default a redirect is timed and recorded)")
	fl.StringVar(&f.junit, "junit", "", "write a JUnit XML report to this file")
	fl.StringVar(&f.artifacts, "artifacts", envOr("DRILLBOOK_ARTIFACTS_DIR", activities.DefaultArtifactsDir), "directory for the samples file ($DRILLBOOK_ARTIFACTS_DIR)")
	return cmd
}

// checkCase is one JUnit test case: a probe target or a health check.
type checkCase struct {
	Class   string // "http.probe" or "http.health", with the step id in runbook mode
	Name    string
	Pass    bool
	Error   bool   // the check could not run (e.g. a health endpoint that did not answer)
	Message string // one line
	Detail  string
	Time    time.Duration
}

// checkStep is one http.* action to run with its parameters.
type checkStep struct {
	id, action string
	params     map[string]any
}

func runCheck(ctx context.Context, out io.Writer, f *checkFlags) error {
	steps, err := f.steps()
	if err != nil {
		return err
	}
	acts := activities.New(activities.Options{ArtifactsDir: f.artifacts,
		Logger: slog.New(slog.DiscardHandler)})
	start := time.Now()
	var cases []checkCase
	var artifacts []string
	for _, st := range steps {
		cs, art, err := runCheckStep(ctx, acts, st)
		if err != nil {
			return err
		}
		cases = append(cases, cs...)
		artifacts = append(artifacts, art...)
	}
	failed := 0
	for _, c := range cases {
		word := "PASS"
		switch {
		case c.Error:
			word, failed = "ERROR", failed+1
		case !c.Pass:
			word, failed = "FAIL", failed+1
		}
		fmt.Fprintf(out, "%-5s %-12s %s: %s\n", word, c.Class, c.Name, c.Message)
	}
	for _, a := range artifacts {
		fmt.Fprintf(out, "Samples   %s\n", filepath.Join(f.artifacts, a))
	}
	if f.junit != "" {
		if err := writeJUnit(f.junit, cases, time.Since(start), start); err != nil {
			return failedErrorf("write --junit %s: %w", f.junit, err)
		}
		fmt.Fprintf(out, "JUnit     %s\n", f.junit)
	}
	fmt.Fprintf(out, "%d check(s): %d passed, %d failed\n", len(cases), len(cases)-failed, failed)
	if failed > 0 {
		return failedErrorf("%d of %d checks failed", failed, len(cases))
	}
	return nil
}

// runCheckStep runs one action and turns its outcome into test cases.
// Bad parameters are bad input (exit 2); other errors make an error case.
func runCheckStep(ctx context.Context, acts *activities.Activities, st checkStep) ([]checkCase, []string, error) {
	class := st.action
	if st.id != "" {
		class += "/" + st.id
	}
	badParams := func(err error) error {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.HTTPErrBadParams {
			return usageErrorf("%s", appErr.Message())
		}
		if ctx.Err() != nil {
			return failedErrorf("interrupted")
		}
		return nil
	}
	switch st.action {
	case "http.probe":
		run, err := acts.RunProbe(ctx, st.params)
		if err != nil {
			if uerr := badParams(err); uerr != nil {
				return nil, nil, uerr
			}
			return []checkCase{{Class: class, Name: st.id, Error: true, Message: err.Error()}}, nil, nil
		}
		var cases []checkCase
		for _, t := range run.Targets {
			c := checkCase{Class: class, Name: t.Name, Pass: t.Pass, Message: t.Verdict, Time: run.EndedAt.Sub(run.StartedAt),
				Detail: fmt.Sprintf("url %s\nn=%d errors=%d avg %s p50 %s p90 %s p95 %s p99 %s max %s (%s percentiles)\n%s",
					t.URL, t.Stats.N, t.Errors, t.Stats.Avg, t.Stats.P50, t.Stats.P90, t.Stats.P95, t.Stats.P99, t.Stats.Max, run.Method, t.Verdict)}
			if t.FirstError != "" {
				c.Detail += "\nfirst error: " + t.FirstError
			}
			cases = append(cases, c)
		}
		return cases, []string{run.Artifact.Path}, nil
	case "http.health":
		run, err := acts.RunHealth(ctx, st.params)
		name := st.id
		if u, ok := st.params["url"].(string); ok && name == "" {
			name = u
		}
		if err != nil {
			if uerr := badParams(err); uerr != nil {
				return nil, nil, uerr
			}
			msg := err.Error()
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) {
				msg = appErr.Message()
			}
			return []checkCase{{Class: class, Name: name, Error: true, Message: msg}}, nil, nil
		}
		res := run.Result()
		c := checkCase{Class: class, Name: name, Pass: run.Pass, Time: time.Duration(run.LatencyMS * float64(time.Millisecond)),
			Message: strings.TrimPrefix(strings.SplitN(res.Summary, "\n", 2)[0], "PASS "), Detail: res.Summary}
		if !run.Pass {
			var problems []string
			for _, fd := range run.Findings {
				if fd.Severity != activities.SeverityInfo && fd.Severity != activities.SeverityLow {
					problems = append(problems, fd.Title)
				}
			}
			c.Message = strings.Join(problems, "; ")
		}
		return []checkCase{c}, nil, nil
	}
	return nil, nil, nil
}
