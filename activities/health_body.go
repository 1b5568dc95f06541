package activities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// knownHealthField describes a field of a well-known health body: what it
// stands for and how bad it is when it is not as expected.
type knownHealthField struct {
	what     string
	severity Severity
	impact   string
}

// knownHealthFields are Chatwoot's GET /api fields (../shared/fixtures/
// chatwoot): the endpoint answers 200 even when a dependency fails, so the
// body decides.
var knownHealthFields = map[string]knownHealthField{
	"data_services": {"Postgres", SeverityCritical,
		"the app answers but cannot use its Postgres database: sign-ins, conversations and the API fail"},
	"queue_services": {"Redis", SeverityHigh,
		"the app answers but cannot use Redis: background jobs (emails, webhooks, notifications) and live updates stop"},
}

// staleAfter: a health body whose timestamp is older than this was
// probably served from a cache, not computed now.
const staleAfter = 5 * time.Minute

// judge compares the answer with the expectations and records findings.
func (run *HealthRun) judge(resp *http.Response, body []byte, p healthParams) {
	curl := "curl -sS -i " + shellQuoteArg(run.URL)
	path := "/"
	if u, err := url.Parse(run.URL); err == nil && u.Path != "" {
		path = u.Path
	}
	statusOK := run.Status == run.WantCode
	switch {
	case statusOK:
	case run.Status == http.StatusNotFound:
		run.Findings = append(run.Findings, Finding{Severity: SeverityMedium, Category: "health", Subject: run.URL,
			Title:  fmt.Sprintf("no health endpoint at %s (404)", path),
			Impact: "nothing tells Fly (or anyone) whether a release is healthy: a machine that cannot reach its database keeps taking traffic; single-page apps (React Router) answer 404 for every path they do not know",
			Resolution: fmt.Sprintf("add a route at %s that answers 200 only when the app's dependencies answer, then check it in fly.toml: "+
				"[[http_service.checks]] method = \"GET\" path = %q interval = \"15s\" timeout = \"5s\"; fly deploy", path, path),
			Evidence: "GET " + run.URL + " answered 404" + bodyExcerpt(body)})
	default:
		ev := fmt.Sprintf("GET %s answered %d", run.URL, run.Status)
		if loc := resp.Header.Get("Location"); loc != "" {
			ev += ", Location: " + redactURL(loc)
		}
		run.Findings = append(run.Findings, Finding{Severity: SeverityHigh, Category: "health", Subject: run.URL,
			Title:      fmt.Sprintf("health endpoint %s answers %d, want %d", path, run.Status, run.WantCode),
			Impact:     "the health check fails, or checks something else than intended",
			Resolution: curl, Evidence: ev + bodyExcerpt(body)})
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	isJSON := dec.Decode(&obj) == nil
	if isJSON {
		run.readFields(obj)
	}
	expectFields := make([]string, 0, len(p.Expect))
	for f := range p.Expect {
		expectFields = append(expectFields, f)
	}
	sort.Strings(expectFields)
	wants := len(expectFields) + len(p.ExpectPresent)
	bodyOK := true
	if wants > 0 && !isJSON && statusOK {
		bodyOK = false
		run.Findings = append(run.Findings, Finding{Severity: SeverityHigh, Category: "health", Subject: run.URL,
			Title:  fmt.Sprintf("health body at %s is not a JSON object; cannot check %d expectation(s)", path, wants),
			Impact: "the dependencies the body should report cannot be read", Resolution: curl, Evidence: bodyExcerpt(body)})
	}
	if isJSON {
		for _, f := range expectFields {
			want, _ := expectString(p.Expect[f])
			bodyOK = run.expect(obj, f, want, false, curl) && bodyOK
		}
		for _, f := range p.ExpectPresent {
			bodyOK = run.expect(obj, f, "", true, curl) && bodyOK
		}
		run.noteChatwootHealth(obj, path)
		run.noteStale(obj)
	}
	run.Pass = statusOK && bodyOK
}

// expect checks one field and adds a finding when it is not as expected.
func (run *HealthRun) expect(obj map[string]any, field, want string, presentOnly bool, curl string) bool {
	v, present := lookupField(obj, field)
	c := HealthCheck{Field: field, Want: want, Present: present}
	if presentOnly {
		c.Want = "(present)"
	}
	if present {
		c.Got = valueString(v)
	}
	c.OK = present && (presentOnly || c.Got == want)
	run.Checks = append(run.Checks, c)
	if c.OK {
		return true
	}
	known, isKnown := knownHealthFields[field]
	f := Finding{Severity: SeverityHigh, Category: "health", Subject: run.URL, Resolution: curl,
		Impact: "the health endpoint reports a dependency or setting in an unexpected state"}
	if isKnown {
		f.Severity, f.Impact = known.severity, known.impact
	}
	what := ""
	if isKnown {
		what = " (" + known.what + ")"
	}
	if !present {
		f.Severity = SeverityMedium
		f.Title = fmt.Sprintf("health body does not report %s%s", field, what)
		f.Impact = "the body cannot tell whether this dependency works (older Chatwoot versions return only version and timestamp)"
		f.Evidence = "fields present: " + strings.Join(run.fieldNames(), ", ")
	} else {
		f.Title = fmt.Sprintf("%s is %q, want %q%s", field, c.Got, want, what)
		f.Evidence = fmt.Sprintf("GET %s answered %d with %s=%q", run.URL, run.Status, field, c.Got)
	}
	run.Findings = append(run.Findings, f)
	return false
}

// noteChatwootHealth flags Chatwoot's GET /health, which always answers
// {"status":"woot"} and checks nothing.
func (run *HealthRun) noteChatwootHealth(obj map[string]any, path string) {
	if len(obj) == 1 && obj["status"] == "woot" {
		run.Findings = append(run.Findings, Finding{Severity: SeverityInfo, Category: "health", Subject: run.URL,
			Title:      fmt.Sprintf("%s answers {\"status\":\"woot\"}: it checks nothing", path),
			Impact:     "Chatwoot's /health says woot even when Redis and Postgres are down",
			Resolution: "check GET /api instead, with expect: {queue_services: ok, data_services: ok}"})
	}
}

// noteStale flags a body timestamp far from now: a cached answer.
func (run *HealthRun) noteStale(obj map[string]any) {
	s, ok := obj["timestamp"].(string)
	if !ok {
		return
	}
	var ts time.Time
	var err error
	for _, layout := range []string{"2006-01-02 15:04:05", time.RFC3339Nano} { // Chatwoot: UTC, no zone
		if ts, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return
	}
	if age := time.Since(ts); age > staleAfter || age < -staleAfter {
		run.Findings = append(run.Findings, Finding{Severity: SeverityLow, Category: "health", Subject: run.URL,
			Title:      fmt.Sprintf("health body timestamp %s is %s away from now: the answer may be cached", s, age.Round(time.Second)),
			Impact:     "a cached health answer says nothing about the app now",
			Resolution: "make sure no CDN or proxy caches " + run.URL + " (Cache-Control: no-store)"})
	}
}

func (run *HealthRun) readFields(obj map[string]any) {
	run.Fields = map[string]string{}
	for k, v := range obj {
		switch v.(type) {
		case map[string]any, []any:
			continue
		}
		if len(run.Fields) < 50 {
			run.Fields[k] = valueString(v)
		}
	}
	if v, ok := obj["version"]; ok {
		run.Version = valueString(v)
	}
}

func (run *HealthRun) fieldNames() []string {
	names := make([]string, 0, len(run.Fields))
	for k := range run.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// lookupField finds field in obj: the exact key first, then a dotted path
// into nested objects ("services.redis").
func lookupField(obj map[string]any, field string) (any, bool) {
	if v, ok := obj[field]; ok {
		return v, true
	}
	var cur any = obj
	for _, part := range strings.Split(field, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// valueString renders a JSON value for comparison and display.
func valueString(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	}
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// bodyExcerpt is the start of a body for evidence, on one line.
func bodyExcerpt(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" {
		return ""
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return "; body: " + s
}
