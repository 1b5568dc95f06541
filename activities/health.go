package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// http.health defaults.
const (
	HealthDefaultStatus  = http.StatusOK
	HealthDefaultTimeout = 10 * time.Second
	maxRetryAfter        = 5 * time.Minute
)

// healthParams are http.health's parameters (runbooks/actions.go documents them).
type healthParams struct {
	URL           string         `json:"url"`
	ExpectStatus  *flexInt       `json:"expect_status"`
	Expect        map[string]any `json:"expect"`
	ExpectPresent flyStrings     `json:"expect_present"`
	Timeout       *flexDuration  `json:"timeout"`
	Insecure      flexBool       `json:"insecure"`
}

// HealthRun is the outcome of one http.health check.
type HealthRun struct {
	URL       string  `json:"url"` // redacted, or the env: reference it came from
	Status    int     `json:"status"`
	WantCode  int     `json:"expect_status"`
	LatencyMS float64 `json:"latency_ms"`
	// Checks are the body expectations in order: expect (sorted by field),
	// then expect_present.
	Checks []HealthCheck `json:"checks,omitempty"`
	// Fields are the body's top-level scalar fields (at most 50).
	Fields   map[string]string `json:"fields,omitempty"`
	Version  string            `json:"version,omitempty"`
	Findings []Finding         `json:"findings,omitempty"`
	// Pass is true when the status and every expectation are as expected.
	Pass bool `json:"pass"`
}

// HealthCheck is one body expectation and what the body said.
type HealthCheck struct {
	Field   string `json:"field"`
	Want    string `json:"want"` // the expected value, or "(present)"
	Got     string `json:"got"`
	Present bool   `json:"present"`
	OK      bool   `json:"ok"`
}

// HTTPHealth is the http.health action: one GET, the status against
// expect_status and the JSON body against expect / expect_present. A 404
// from an app without a health route and a body that reports a failing
// dependency are findings, not errors. Transport failures and 5xx answers
// and 429 answers are errors with the types above (retryable unless
// retrying cannot help; a Retry-After sets the delay).
func (a *Activities) HTTPHealth(ctx context.Context, req ActionRequest) (ActionResult, error) {
	run, err := a.RunHealth(ctx, req.Params)
	if err != nil {
		return ActionResult{}, err
	}
	return run.Result(), nil
}

// RunHealth runs http.health with params (as a runbook step gives them);
// `drillbook check` uses it without Temporal.
func (a *Activities) RunHealth(ctx context.Context, params map[string]any) (*HealthRun, error) {
	var p healthParams
	var target string
	run := &HealthRun{WantCode: HealthDefaultStatus}
	timeout := HealthDefaultTimeout
	err := decodeHTTPParams("http.health", params, &p, func() []string {
		var problems []string
		url, fromEnv := a.resolveRef(strings.TrimSpace(p.URL))
		target, run.URL = url, redactURL(url)
		if fromEnv {
			run.URL = p.URL
		}
		if msg := checkHTTPURL("url", url); msg != "" {
			if fromEnv {
				msg = "url: " + p.URL + " does not hold an http(s) URL"
			}
			problems = append(problems, msg)
		}
		if p.ExpectStatus != nil {
			run.WantCode = int(*p.ExpectStatus)
		}
		if run.WantCode < 100 || run.WantCode > 599 {
			problems = append(problems, fmt.Sprintf("expect_status: %d is not an HTTP status", run.WantCode))
		}
		if p.Timeout != nil {
			timeout = time.Duration(*p.Timeout)
		}
		if timeout <= 0 {
			problems = append(problems, "timeout: must be more than 0")
		}
		for field, v := range p.Expect {
			if _, ok := expectString(v); !ok || field == "" {
				problems = append(problems, fmt.Sprintf("expect: %q: want a string, number or boolean", field))
			}
		}
		return problems
	})
	if err != nil {
		return nil, err
	}
	client := newHTTPClient(httpClientOptions{Insecure: bool(p.Insecure), Concurrency: 1, DialTimeout: timeout})
	defer closeHTTPClient(client)
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("http.health: "+httpErrorText(err), HTTPErrBadParams, nil)
	}
	hreq.Header.Set("User-Agent", httpUserAgent)
	hreq.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := client.Do(hreq)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
		resp.Body.Close()
	}
	run.LatencyMS = durMS(time.Since(start))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, healthTransportError(run.URL, err)
	}
	run.Status = resp.StatusCode
	if (run.Status >= 500 || run.Status == http.StatusTooManyRequests) && run.Status != run.WantCode {
		typ, what := HTTPErrServer, "server error"
		if run.Status == http.StatusTooManyRequests {
			typ, what = HTTPErrRateLimit, "rate limited"
		}
		return nil, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("http.health %s: %s %s", run.URL, what, resp.Status), typ,
			temporal.ApplicationErrorOptions{NextRetryDelay: retryAfter(resp.Header.Get("Retry-After"), time.Now())})
	}
	run.judge(resp, body, p)
	return run, nil
}

// healthTransportError turns a failed request into a typed error: an
// unknown host and TLS failures are not retryable, the others are.
func healthTransportError(shown string, err error) error {
	kind := classifyHTTPError(err)
	msg := fmt.Sprintf("http.health %s: %s: %s", shown, kind, httpErrorText(err))
	switch kind {
	case KindDNS:
		if dnsNotFound(err) {
			return temporal.NewNonRetryableApplicationError(msg, HTTPErrDNS, nil)
		}
		return temporal.NewApplicationError(msg, HTTPErrDNS)
	case KindTLS:
		return temporal.NewNonRetryableApplicationError(msg+" (set insecure: true only for a test server)", HTTPErrTLS, nil)
	case KindTimeout:
		return temporal.NewApplicationError(msg, HTTPErrTimeout)
	case KindConnect:
		return temporal.NewApplicationError(msg, HTTPErrConnect)
	}
	return temporal.NewApplicationError(msg, HTTPErrNetwork)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), capped;
// 0 when absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(h); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// Result is the check as an action result. Outputs: status, pass,
// latency_ms, version (when the body has one), and the value of every
// field named in expect or expect_present.
func (run *HealthRun) Result() ActionResult {
	res := ActionResult{Findings: run.Findings, Outputs: map[string]string{
		"status":     strconv.Itoa(run.Status),
		"pass":       strconv.FormatBool(run.Pass),
		"latency_ms": msString(run.LatencyMS),
	}}
	if run.Version != "" {
		res.Outputs["version"] = run.Version
	}
	table := Table{Title: "Health: " + run.URL, Columns: []string{"field", "value", "expected", "result"}}
	table.Rows = append(table.Rows, []string{"(status)", strconv.Itoa(run.Status), strconv.Itoa(run.WantCode), okWord(run.Status == run.WantCode)})
	for _, c := range run.Checks {
		res.Outputs[outputKey(c.Field)] = c.Got
		table.Rows = append(table.Rows, []string{c.Field, c.Got, c.Want, okWord(c.OK)})
	}
	names := make([]string, 0, len(run.Fields))
	for k := range run.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !run.checked(k) && len(table.Rows) < 60 {
			table.Rows = append(table.Rows, []string{k, run.Fields[k], "", ""})
		}
	}
	res.Tables = []Table{table}
	verdict := "PASS"
	if !run.Pass {
		verdict = "FAIL"
	}
	res.Summary = fmt.Sprintf("%s %s: %d in %s", verdict, run.URL, run.Status, formatMS(run.LatencyMS))
	if run.Version != "" {
		res.Summary += ", version " + run.Version
	}
	for _, f := range run.Findings {
		res.Summary += "\n" + string(f.Severity) + ": " + f.Title
	}
	return res
}

func (run *HealthRun) checked(field string) bool {
	for _, c := range run.Checks {
		if c.Field == field {
			return true
		}
	}
	return false
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

// expectString renders an expected value as the body's value is rendered.
func expectString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case json.Number:
		return t.String(), true
	}
	return "", false
}
