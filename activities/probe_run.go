package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ProbeRun is the outcome of one http.probe: the settings, one result per
// target and, in the artifact, every sample.
type ProbeRun struct {
	StartedAt       time.Time           `json:"started_at"`
	EndedAt         time.Time           `json:"ended_at"`
	Method          string              `json:"percentile_method"`
	Percentile      string              `json:"percentile"` // what the budget is judged on
	Samples         int                 `json:"samples_per_target"`
	Concurrency     int                 `json:"concurrency"`
	BudgetMS        float64             `json:"budget_ms"` // the default; a target may set its own
	FollowRedirects bool                `json:"follow_redirects"`
	Targets         []ProbeTargetResult `json:"targets"`
	// Artifact is the samples file (set once written).
	Artifact Artifact `json:"-"`
}

// ProbeTargetResult is one target's statistics and verdict.
type ProbeTargetResult struct {
	Name     string         `json:"name"`
	URL      string         `json:"url"` // redacted, or the env: reference it came from
	BudgetMS float64        `json:"budget_ms"`
	Stats    LatencyStats   `json:"stats"`
	Errors   int            `json:"errors"`
	ByKind   map[string]int `json:"errors_by_kind,omitempty"`
	// FirstError is the first failed request's error, for the report.
	FirstError string `json:"first_error,omitempty"`
	// Judged is the figure compared with the budget and Basis what it is
	// ("p95", or "max (p95 n/a: n=10 < 20)").
	Judged optMS  `json:"judged_ms"`
	Basis  string `json:"judged_on"`
	Pass   bool   `json:"pass"`
	// Verdict is one line for people: the judged figure against the budget
	// and the average the way audits write it.
	Verdict string `json:"verdict"`
	// Median phase times (ms) over the successful samples where the phase
	// happened (a reused connection has no DNS, connect or TLS).
	DNSMS     float64 `json:"median_dns_ms"`
	ConnectMS float64 `json:"median_connect_ms"`
	TLSMS     float64 `json:"median_tls_ms"`
	TTFBMS    float64 `json:"median_ttfb_ms"`
	// Statuses counts the answers by status code.
	Statuses map[int]int `json:"statuses,omitempty"`
	// Location is where a redirect that was not followed pointed; OffHost is
	// another host some redirect pointed to (a finding).
	Location string `json:"location,omitempty"`
	OffHost  string `json:"off_host,omitempty"`
	// Unreachable is true when no request got an HTTP answer at all.
	Unreachable bool `json:"unreachable,omitempty"`
}

// ErrorSummary is "3 timeout, 1 http_5xx", most frequent first.
func (t *ProbeTargetResult) ErrorSummary() string {
	kinds := make([]string, 0, len(t.ByKind))
	for k := range t.ByKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if t.ByKind[kinds[i]] != t.ByKind[kinds[j]] {
			return t.ByKind[kinds[i]] > t.ByKind[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", t.ByKind[k], k)
	}
	return strings.Join(parts, ", ")
}

// aggregate fills run.Targets from the samples.
func (run *ProbeRun) aggregate(cfg probeConfig, samples []ProbeSample) {
	byTarget := make([][]*ProbeSample, len(cfg.targets))
	index := map[string]int{}
	for i, t := range cfg.targets {
		index[t.Name] = i
	}
	for i := range samples {
		s := &samples[i]
		byTarget[index[s.Target]] = append(byTarget[index[s.Target]], s)
	}
	for i, t := range cfg.targets {
		budget := cfg.budget
		if t.Budget != nil {
			budget = time.Duration(*t.Budget)
		}
		r := ProbeTargetResult{Name: t.Name, URL: t.URL, BudgetMS: durMS(budget), Statuses: map[int]int{}}
		if !strings.HasPrefix(t.URL, "env:") && !strings.Contains(t.URL, "${env.") {
			r.URL = redactURL(cfg.urls[i])
		}
		var lat, dns, conn, tlsT, ttfb []float64
		answered := 0
		for _, s := range byTarget[i] {
			if s.Status != 0 {
				answered++
				r.Statuses[s.Status]++
			}
			if r.Location == "" && s.Location != "" {
				r.Location = s.Location
			}
			if r.OffHost == "" && s.OffHost != "" {
				r.OffHost = s.OffHost
			}
			if !s.OK() {
				r.Errors++
				if r.ByKind == nil {
					r.ByKind = map[string]int{}
				}
				r.ByKind[s.ErrorKind]++
				if r.FirstError == "" {
					r.FirstError = s.ErrorKind + ": " + s.Error
				}
				continue
			}
			lat = append(lat, s.TotalMS)
			ttfb = append(ttfb, s.TTFBMS)
			if !s.Reused {
				dns, conn = appendPos(dns, s.DNSMS), appendPos(conn, s.ConnectMS)
				tlsT = appendPos(tlsT, s.TLSMS)
			}
		}
		r.Unreachable = answered == 0
		r.Stats = computeStats(lat)
		r.DNSMS, r.ConnectMS, r.TLSMS, r.TTFBMS = median(dns), median(conn), median(tlsT), median(ttfb)
		r.Judged, r.Basis = r.Stats.judged(cfg.percentile)
		r.Pass = r.Errors == 0 && r.Judged.OK && r.Judged.V <= r.BudgetMS
		r.Verdict = r.verdict()
		run.Targets = append(run.Targets, r)
	}
}

func appendPos(s []float64, v float64) []float64 {
	if v > 0 {
		return append(s, v)
	}
	return s
}

// verdict is the target's one-line outcome.
func (t *ProbeTargetResult) verdict() string {
	if t.Stats.N == 0 {
		return fmt.Sprintf("no successful request of %d (%s)", t.Errors, t.ErrorSummary())
	}
	cmp := "within"
	if t.Judged.V > t.BudgetMS {
		cmp = "over"
	}
	s := fmt.Sprintf("%s %s %s the %s budget; %s", t.Basis, t.Judged, cmp, formatMS(t.BudgetMS),
		averageAgainstBudget(t.Stats.Avg.V, t.BudgetMS))
	if t.Errors > 0 {
		s += fmt.Sprintf("; %d of %d requests failed (%s)", t.Errors, t.Errors+t.Stats.N, t.ErrorSummary())
	}
	return s
}

// Pass reports whether every target met its budget without errors.
func (run *ProbeRun) Pass() bool {
	for i := range run.Targets {
		if !run.Targets[i].Pass {
			return false
		}
	}
	return true
}

// probeArtifactName is monitoring/synthetic-check-<UTC timestamp with ms>.json.
func probeArtifactName(t time.Time, n int) string {
	name := "synthetic-check-" + t.UTC().Format("20060102T150405.000Z")
	if n > 0 {
		name += fmt.Sprintf("-%d", n)
	}
	return filepath.Join("monitoring", name+".json")
}

// writeProbeArtifact writes the run with every sample. The file appears
// whole (written to a temporary file, then linked into place) and never
// replaces another probe's file from the same millisecond.
func (a *Activities) writeProbeArtifact(run *ProbeRun, samples []ProbeSample) error {
	root, err := a.artifactsRoot()
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(struct {
		*ProbeRun
		SampleList []ProbeSample `json:"samples"`
	}{run, samples}, "", " ")
	if err != nil {
		return fmt.Errorf("encode probe samples: %w", err)
	}
	dir := filepath.Join(root, "monitoring")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".synthetic-check-*.tmp")
	if err != nil {
		return fmt.Errorf("write probe samples: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write probe samples: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write probe samples: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write probe samples: %w", err)
	}
	for n := 0; ; n++ {
		abs := filepath.Join(root, probeArtifactName(run.StartedAt, n))
		err := os.Link(tmp.Name(), abs)
		if errors.Is(err, os.ErrExist) && n < 1000 {
			continue
		}
		if err != nil {
			return fmt.Errorf("write probe samples: %w", err)
		}
		run.Artifact, err = a.fileArtifact(abs)
		return err
	}
}
