package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// http.probe defaults and limits.
const (
	ProbeDefaultSamples    = 10
	ProbeDefaultBudget     = 800 * time.Millisecond
	ProbeDefaultPercentile = "p95"
	ProbeDefaultTimeout    = 10 * time.Second
	probeMaxSamples        = 10000
	probeMaxTargets        = 1000
	probeMaxConcurrency    = 256
	probeDefaultMaxConc    = 8
)

// probeParams are http.probe's parameters (runbooks/actions.go documents them).
type probeParams struct {
	Targets         []probeTarget `json:"targets"`
	Samples         *flexInt      `json:"samples"`
	Concurrency     *flexInt      `json:"concurrency"`
	Budget          *flexDuration `json:"budget"`
	Percentile      string        `json:"percentile"`
	Interval        flexDuration  `json:"interval"`
	Timeout         *flexDuration `json:"timeout"`
	Insecure        flexBool      `json:"insecure"`
	FollowRedirects flexBool      `json:"follow_redirects"`
}

// probeTarget is a URL or a mapping {name, url, budget}.
type probeTarget struct {
	Name   string        `json:"name"`
	URL    string        `json:"url"`
	Budget *flexDuration `json:"budget"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *probeTarget) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = probeTarget{URL: s}
		return nil
	}
	type plain probeTarget
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("a target is a URL or a mapping {name, url, budget}: %s", flyTypeErrorText(err))
	}
	*t = probeTarget(p)
	return nil
}

// probeConfig is a checked probe: every default filled in.
type probeConfig struct {
	targets     []probeTarget
	urls        []string // resolved (env: references read), never shown
	samples     int
	concurrency int
	budget      time.Duration
	percentile  string
	interval    time.Duration
	timeout     time.Duration
	insecure    bool
	follow      bool
}

func (a *Activities) parseProbeParams(params map[string]any) (probeConfig, error) {
	var p probeParams
	var cfg probeConfig
	err := decodeHTTPParams("http.probe", params, &p, func() []string {
		var problems []string
		cfg = probeConfig{samples: ProbeDefaultSamples, budget: ProbeDefaultBudget, percentile: ProbeDefaultPercentile,
			interval: time.Duration(p.Interval), timeout: ProbeDefaultTimeout, insecure: bool(p.Insecure), follow: bool(p.FollowRedirects)}
		if len(p.Targets) == 0 {
			problems = append(problems, "targets: give at least one URL")
		}
		if len(p.Targets) > probeMaxTargets {
			problems = append(problems, fmt.Sprintf("targets: %d targets, at most %d", len(p.Targets), probeMaxTargets))
		}
		names := map[string]bool{}
		for i, t := range p.Targets {
			url, fromEnv := a.resolveRef(strings.TrimSpace(t.URL))
			field := fmt.Sprintf("targets[%d]", i)
			if msg := checkHTTPURL(field, url); msg != "" {
				if fromEnv {
					msg = fmt.Sprintf("%s: %s does not hold an http(s) URL", field, t.URL)
				}
				problems = append(problems, msg)
			}
			if t.Name == "" {
				t.Name = t.URL
				if !fromEnv {
					t.Name = redactURL(url)
				}
			}
			if names[t.Name] {
				problems = append(problems, fmt.Sprintf("%s: name %q used twice", field, t.Name))
			}
			names[t.Name] = true
			cfg.targets = append(cfg.targets, t)
			cfg.urls = append(cfg.urls, url)
		}
		if p.Samples != nil {
			cfg.samples = int(*p.Samples)
		}
		if cfg.samples < 1 || cfg.samples > probeMaxSamples {
			problems = append(problems, fmt.Sprintf("samples: %d, want 1 to %d", cfg.samples, probeMaxSamples))
		}
		cfg.concurrency = min(len(p.Targets), probeDefaultMaxConc)
		if p.Concurrency != nil {
			cfg.concurrency = int(*p.Concurrency)
		}
		if cfg.concurrency < 1 || cfg.concurrency > probeMaxConcurrency {
			problems = append(problems, fmt.Sprintf("concurrency: %d, want 1 to %d", cfg.concurrency, probeMaxConcurrency))
		}
		if p.Budget != nil {
			cfg.budget = time.Duration(*p.Budget)
		}
		if p.Timeout != nil {
			cfg.timeout = time.Duration(*p.Timeout)
		}
		if cfg.timeout <= 0 {
			problems = append(problems, "timeout: must be more than 0")
		}
		if p.Percentile != "" {
			cfg.percentile = p.Percentile
		}
		switch cfg.percentile {
		case "p50", "p90", "p95", "p99", "avg":
		default:
			problems = append(problems, fmt.Sprintf("percentile: %q, want p50, p90, p95, p99 or avg", cfg.percentile))
		}
		return problems
	})
	return cfg, err
}

// ProbeHeartbeat is http.probe's heartbeat detail. A probe that is
// interrupted starts again from the first sample: a measurement split
// across two workers would not be one measurement.
type ProbeHeartbeat struct {
	Done  int64 `json:"done"`
	Total int   `json:"total"`
}

// HTTPProbe is the http.probe action: N timed GETs per target, with the
// statistics, the verdict against the budget, findings, the tables the
// report needs and the samples artifact monitoring/synthetic-check-<ts>.json.
// Failed requests are counted, not raised: the activity fails only on bad
// parameters, an artifact it cannot write, or cancellation.
func (a *Activities) HTTPProbe(ctx context.Context, req ActionRequest) (ActionResult, error) {
	run, err := a.RunProbe(ctx, req.Params)
	if err != nil {
		return ActionResult{}, err
	}
	return run.Result(), nil
}

// RunProbe runs http.probe with params (as a runbook step gives them) and
// returns the full outcome; `drillbook check` uses it without Temporal.
func (a *Activities) RunProbe(ctx context.Context, params map[string]any) (*ProbeRun, error) {
	cfg, err := a.parseProbeParams(params)
	if err != nil {
		return nil, err
	}
	client := newHTTPClient(httpClientOptions{Insecure: cfg.insecure, Follow: cfg.follow,
		Concurrency: cfg.concurrency, DialTimeout: cfg.timeout})
	defer closeHTTPClient(client)

	// Jobs go round-robin over the targets, so that every target is sampled
	// across the whole run and no target waits for another to finish.
	type job struct{ target, seq int }
	jobs := make([]job, 0, len(cfg.targets)*cfg.samples)
	for seq := range cfg.samples {
		for t := range cfg.targets {
			jobs = append(jobs, job{t, seq})
		}
	}
	samples := make([]ProbeSample, len(jobs))
	gates := make([]spacingGate, len(cfg.targets))
	var next, done atomic.Int64
	stopHB := startHeartbeat(ctx, heartbeatInterval(ctx, DefaultHeartbeatInterval), func() any {
		return ProbeHeartbeat{Done: done.Load(), Total: len(jobs)}
	})
	run := &ProbeRun{StartedAt: time.Now().UTC(), Method: PercentileMethod, Percentile: cfg.percentile,
		Samples: cfg.samples, Concurrency: cfg.concurrency, FollowRedirects: cfg.follow, BudgetMS: durMS(cfg.budget)}
	var wg sync.WaitGroup
	for range min(cfg.concurrency, len(jobs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				j := jobs[i]
				if gates[j.target].wait(ctx, cfg.interval) != nil {
					return
				}
				s, ok := probeOnce(ctx, client, cfg.urls[j.target], cfg.timeout)
				if !ok {
					return
				}
				s.Target, s.Seq = cfg.targets[j.target].Name, j.seq
				samples[i] = s
				done.Add(1)
			}
		})
	}
	wg.Wait()
	stopHB()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	run.EndedAt = time.Now().UTC()
	run.aggregate(cfg, samples)
	if err := a.writeProbeArtifact(run, samples); err != nil {
		return nil, err
	}
	return run, nil
}

// spacingGate spaces the requests to one target: each start is at least
// interval after the previous one.
type spacingGate struct {
	mu   sync.Mutex
	next time.Time
}

func (g *spacingGate) wait(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return nil
	}
	g.mu.Lock()
	now := time.Now()
	at := g.next
	if at.Before(now) {
		at = now
	}
	g.next = at.Add(interval)
	g.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
