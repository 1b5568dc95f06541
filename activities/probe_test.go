package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
)

// slowServer answers every request after d.
func slowServer(t testing.TB, d time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newTestActivities(t testing.TB) *Activities {
	return New(Options{ArtifactsDir: t.TempDir(), Env: func(string) string { return "" }})
}

func probe(t testing.TB, a *Activities, params map[string]any) *ProbeRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := a.RunProbe(ctx, params)
	if err != nil {
		t.Fatalf("RunProbe: %v", err)
	}
	return run
}

// TestProbeInjectedLatency: 200 ms injected gives a p50 within ±10%.
func TestProbeInjectedLatency(t *testing.T) {
	srv := slowServer(t, 200*time.Millisecond)
	a := newTestActivities(t)
	res, err := a.HTTPProbe(context.Background(), ActionRequest{Params: map[string]any{
		"targets": []any{map[string]any{"name": "slow", "url": srv.URL + "/"}},
		"samples": "10", "concurrency": 5, "budget": "1s", // strings, as ${inputs.*} gives them
	}})
	if err != nil {
		t.Fatal(err)
	}
	p50, err := parseFloat(res.Outputs["p50_ms"])
	if err != nil || math.Abs(p50-200) > 20 {
		t.Errorf("p50 = %q ms, want 200 ±10%%", res.Outputs["p50_ms"])
	}
	if res.Outputs["p95_ms"] != "n/a" || res.Outputs["p99_ms"] != "n/a" || res.Outputs["slow.p95_ms"] != "n/a" {
		t.Errorf("n=10: p95 %q and p99 %q must be n/a", res.Outputs["p95_ms"], res.Outputs["p99_ms"])
	}
	if res.Outputs["pass"] != "true" || res.Outputs["budget_ms"] != "1000" || res.Outputs["n"] != "10" {
		t.Errorf("outputs: %v", res.Outputs)
	}
	if !strings.Contains(res.Summary, "average, 80% under the 1.00 s target") &&
		!strings.Contains(res.Summary, "average, 79% under the 1.00 s target") {
		t.Errorf("summary should state the average against the budget: %s", res.Summary)
	}
	if !strings.Contains(res.Summary, "max (p95 n/a: n=10 < 20)") {
		t.Errorf("summary should say the budget was judged on max: %s", res.Summary)
	}
	if len(res.Tables) != 2 || len(res.Tables[0].Rows) != 1 || res.Tables[0].Rows[0][5] != "n/a" {
		t.Errorf("tables: %+v", res.Tables)
	}
	// The samples artifact: its name, content and hash.
	if len(res.Artifacts) != 1 {
		t.Fatalf("artifacts: %+v", res.Artifacts)
	}
	art := res.Artifacts[0]
	if !regexp.MustCompile(`^monitoring/synthetic-check-\d{8}T\d{6}\.\d{3}Z\.json$`).MatchString(art.Path) || res.Outputs["samples_path"] != art.Path {
		t.Errorf("artifact path %q", art.Path)
	}
	data, err := os.ReadFile(filepath.Join(a.ArtifactsDir, art.Path))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != art.SHA256 || int64(len(data)) != art.Bytes {
		t.Error("artifact sha256 or size does not match the file")
	}
	var doc struct {
		Method  string        `json:"percentile_method"`
		Samples []ProbeSample `json:"samples"`
		Targets []struct {
			Stats map[string]any `json:"stats"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Method != "nearest-rank" || len(doc.Samples) != 10 || doc.Targets[0].Stats["p95_ms"] != nil {
		t.Errorf("artifact: method %q, %d samples, stats %v", doc.Method, len(doc.Samples), doc.Targets[0].Stats)
	}
	for _, s := range doc.Samples {
		if s.Target != "slow" || s.Status != 200 || s.TotalMS < 190 || s.TTFBMS <= 0 {
			t.Errorf("sample %+v", s)
		}
	}
}

// TestProbeBudget: a p95 over the budget fails with a finding.
func TestProbeBudget(t *testing.T) {
	srv := slowServer(t, 30*time.Millisecond)
	run := probe(t, newTestActivities(t), map[string]any{"targets": []any{srv.URL}, "samples": 20, "budget": "10ms", "concurrency": 4})
	tr := run.Targets[0]
	if run.Pass() || tr.Pass || tr.Basis != "p95" || !tr.Judged.OK {
		t.Fatalf("want a failed p95 verdict: %+v", tr)
	}
	res := run.Result()
	if len(res.Findings) != 1 || res.Findings[0].Severity != SeverityHigh || !strings.Contains(res.Findings[0].Title, "is over the 10.0 ms budget") ||
		!strings.Contains(res.Findings[0].Impact, "over the 10.0 ms target") || !strings.HasPrefix(res.Findings[0].Resolution, "curl ") {
		t.Errorf("findings: %+v", res.Findings)
	}
	if res.Outputs["pass"] != "false" || res.Outputs["failed_targets"] != tr.Name {
		t.Errorf("outputs: %v", res.Outputs)
	}
}

// TestProbeRedirects: redirects are recorded, not followed, unless asked;
// a redirect to another host is a finding.
func TestProbeRedirects(t *testing.T) {
	var finalHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("elsewhere")) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/final":
			finalHits.Add(1)
			_, _ = w.Write([]byte("final"))
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		default:
			http.Redirect(w, r, "/final", http.StatusMovedPermanently)
		}
	}))
	defer srv.Close()
	a := newTestActivities(t)

	run := probe(t, a, map[string]any{"targets": []any{srv.URL + "/"}, "samples": 3})
	tr := run.Targets[0]
	if finalHits.Load() != 0 || tr.Statuses[301] != 3 || !tr.Pass || !strings.HasSuffix(tr.Location, "/final") || tr.OffHost != "" {
		t.Errorf("not following: final hits %d, target %+v", finalHits.Load(), tr)
	}
	if f := run.Result().Findings; len(f) != 1 || f[0].Severity != SeverityInfo || !strings.Contains(f[0].Title, "redirect") {
		t.Errorf("want one info finding about the redirect: %+v", f)
	}

	run = probe(t, a, map[string]any{"targets": []any{srv.URL + "/"}, "samples": 3, "follow_redirects": true})
	if tr := run.Targets[0]; finalHits.Load() != 3 || tr.Statuses[200] != 3 || len(run.Result().Findings) != 0 {
		t.Errorf("following: final hits %d, target %+v", finalHits.Load(), tr)
	}

	for _, follow := range []bool{false, true} {
		run = probe(t, a, map[string]any{"targets": []any{srv.URL + "/away"}, "samples": 2, "follow_redirects": follow})
		tr := run.Targets[0]
		if tr.OffHost != hostOf(other.URL) {
			t.Errorf("follow=%v: off-host redirect not flagged: %+v", follow, tr)
		}
		found := false
		for _, f := range run.Result().Findings {
			found = found || (f.Severity == SeverityMedium && strings.Contains(f.Title, "redirects to another host"))
		}
		if !found {
			t.Errorf("follow=%v: no finding for the redirect to another host: %+v", follow, run.Result().Findings)
		}
	}
}

// TestProbeSelfSigned: a self-signed certificate is an error unless insecure.
func TestProbeSelfSigned(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("tls")) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	a := newTestActivities(t)
	run := probe(t, a, map[string]any{"targets": []any{srv.URL}, "samples": 2})
	if tr := run.Targets[0]; tr.Pass || tr.ByKind[KindTLS] != 2 || tr.Stats.N != 0 {
		t.Errorf("self-signed without insecure: %+v", tr)
	}
	if f := run.Result().Findings; len(f) != 1 || f[0].Severity != SeverityCritical || !strings.Contains(f[0].Title, "2 tls") {
		t.Errorf("findings: %+v", f)
	}
	run = probe(t, a, map[string]any{"targets": []any{srv.URL}, "samples": 2, "insecure": "true"})
	if tr := run.Targets[0]; !tr.Pass || tr.Errors != 0 || tr.TLSMS <= 0 {
		t.Errorf("self-signed with insecure: %+v", tr)
	}
}

// TestProbeErrorKinds: timeouts, DNS failures, refused connections and 5xx
// answers are distinct errors, counted apart from the latencies.
func TestProbeErrorKinds(t *testing.T) {
	slow := slowServer(t, 2*time.Second)
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusServiceUnavailable)
	}))
	defer fail.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	run := probe(t, newTestActivities(t), map[string]any{
		"targets": []any{
			map[string]any{"name": "timeout", "url": slow.URL},
			map[string]any{"name": "dns", "url": "http://drillbook-probe.invalid/"},
			map[string]any{"name": "refused", "url": refused},
			map[string]any{"name": "5xx", "url": fail.URL},
		},
		"samples": 2, "timeout": "150ms", "concurrency": 8,
	})
	want := map[string]string{"timeout": KindTimeout, "dns": KindDNS, "refused": KindConnect, "5xx": Kind5xx}
	for _, tr := range run.Targets {
		if tr.ByKind[want[tr.Name]] != 2 || tr.Errors != 2 || tr.Stats.N != 0 || tr.Pass {
			t.Errorf("%s: errors %v, n=%d, want 2 %s", tr.Name, tr.ByKind, tr.Stats.N, want[tr.Name])
		}
	}
	if got := run.Targets[3].Statuses[503]; got != 2 {
		t.Errorf("5xx answers are recorded with their status: %v", run.Targets[3].Statuses)
	}
}

// TestProbeErrorsApartFromLatencies: one failed request in four leaves
// three latencies and a high finding.
func TestProbeErrorsApartFromLatencies(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	run := probe(t, newTestActivities(t), map[string]any{"targets": []any{srv.URL}, "samples": 4, "concurrency": 1})
	tr := run.Targets[0]
	if tr.Stats.N != 3 || tr.Errors != 1 || tr.Pass || !strings.Contains(tr.Verdict, "1 of 4 requests failed (1 http_5xx)") {
		t.Errorf("target: %+v", tr)
	}
	if f := run.Result().Findings; len(f) != 1 || f[0].Severity != SeverityHigh {
		t.Errorf("findings: %+v", f)
	}
}

// TestProbeBadParams: every problem in one non-retryable error.
func TestProbeBadParams(t *testing.T) {
	_, err := newTestActivities(t).HTTPProbe(context.Background(), ActionRequest{Params: map[string]any{
		"targets": []any{"ftp://example.com", "http://ok.example/"}, "samples": 0, "percentile": "p42",
		"budget": 800, "colour": "red",
	}})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != HTTPErrBadParams {
		t.Fatalf("want a non-retryable %s, got %v", HTTPErrBadParams, err)
	}
	for _, want := range []string{`unknown parameter "colour"`, "budget: want a duration with a unit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	_, err = newTestActivities(t).HTTPProbe(context.Background(), ActionRequest{Params: map[string]any{
		"targets": []any{"ftp://example.com"}, "samples": 0, "percentile": "p42"}})
	for _, want := range []string{"targets[0]", "samples: 0", `percentile: "p42"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// TestProbeInterval: samples of one target start at least interval apart.
func TestProbeInterval(t *testing.T) {
	srv := slowServer(t, 0)
	start := time.Now()
	probe(t, newTestActivities(t), map[string]any{"targets": []any{srv.URL}, "samples": 4, "interval": "50ms", "concurrency": 4})
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("4 samples 50ms apart took %s", took)
	}
}

func parseFloat(s string) (float64, error) {
	var f float64
	err := json.Unmarshal([]byte(s), &f)
	return f, err
}
