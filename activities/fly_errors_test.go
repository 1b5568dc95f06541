package activities

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
)

// TestFlyUnauthorized: a wrong token fails every action at once, without
// retrying, and the message names the variable but never the value.
func TestFlyUnauthorized(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	e.env["FLY_API_TOKEN"] = "fo1_not-the-right-token"
	ctx := context.Background()
	calls := map[string]func() (ActionResult, error){
		"inventory": func() (ActionResult, error) { return e.inventory(t, nil) },
		"scale": func() (ActionResult, error) {
			return e.act.FlyScaleMemory(ctx, ActionRequest{Apply: true, Params: map[string]any{
				"app": "hotdash-chatwoot", "machine": "6e82d4e7b11d28", "memory": 2048}})
		},
		"destroy": func() (ActionResult, error) {
			return e.act.FlyDestroyApp(ctx, ActionRequest{Apply: true, Params: map[string]any{"app": "time-purple-wildflower-3973"}})
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			before := e.emu.Stats().Unauthorized
			_, err := call()
			if err == nil {
				t.Fatal("no error")
			}
			typ, nonRetryable := flyAppErrorType(t, err)
			if typ != FlyErrUnauthorized || !nonRetryable {
				t.Errorf("type %s nonRetryable %v, want %s non-retryable: %v", typ, nonRetryable, FlyErrUnauthorized, err)
			}
			if !strings.Contains(err.Error(), "FLY_API_TOKEN") || strings.Contains(err.Error(), "not-the-right-token") {
				t.Errorf("message should name the variable and hide the value: %v", err)
			}
			if n := e.emu.Stats().Unauthorized - before; n != 1 {
				t.Errorf("%d requests answered 401, want 1 (no retries)", n)
			}
		})
	}
	if j := e.emu.Journal(); len(j) != 0 {
		t.Errorf("journal = %v, want nothing", j)
	}
}

func TestFlyTokenSources(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	token := e.env["FLY_API_TOKEN"]
	delete(e.env, "FLY_API_TOKEN")
	_, err := e.inventory(t, nil)
	if typ, nr := flyAppErrorType(t, err); typ != FlyErrTokenMissing || !nr {
		t.Errorf("unset token: %s %v: %v", typ, nr, err)
	}
	e.env["AUDIT_FLY_TOKEN"] = token
	for _, params := range []map[string]any{{"token_env": "AUDIT_FLY_TOKEN"}, {"token": "env:AUDIT_FLY_TOKEN"}} {
		if _, err := e.inventory(t, params); err != nil {
			t.Errorf("%v: %v", params, err)
		}
	}
	_, err = e.inventory(t, map[string]any{"token": token})
	if typ, nr := flyAppErrorType(t, err); typ != FlyErrBadParams || !nr || strings.Contains(err.Error(), token) {
		t.Errorf("literal token: %s %v: %v", typ, nr, err)
	}
}

func TestFlyBadParams(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	_, err := e.inventory(t, map[string]any{
		"orgg": "x", "unused_days": "many", "memory_floors": map[string]any{"worker": "lots"},
		"policies": "no kubernetes", "base_url": "http://example.com",
	})
	typ, nr := flyAppErrorType(t, err)
	if typ != FlyErrBadParams || !nr {
		t.Fatalf("%s %v: %v", typ, nr, err)
	}
	for _, want := range []string{`unknown parameter "orgg"`, "unused_days", `memory "lots"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	_, err = e.inventory(t, map[string]any{"policies": "no kubernetes"})
	if !strings.Contains(err.Error(), `policy "no kubernetes"`) {
		t.Errorf("unknown policy: %v", err)
	}
	_, err = e.inventory(t, map[string]any{"base_url": "http://example.com"})
	if !strings.Contains(err.Error(), "only allowed for loopback") {
		t.Errorf("plain http to a remote host: %v", err)
	}
}

// TestFlyRateLimitStorm: the emulator allows 6 requests/s in bursts of 2;
// the inventory absorbs the 429s, honours Retry-After and completes.
func TestFlyRateLimitStorm(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	e.emu.SetRateLimit(6, 2)
	start := time.Now()
	res, err := e.inventory(t, flyAuditParams())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["apps"] != "4" || res.Outputs["failed_apps"] != "0" || res.Outputs["findings"] != "4" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	st := e.emu.Stats()
	if st.RateLimited == 0 || res.Outputs["rate_limited"] == "0" {
		t.Errorf("no 429 seen (stats %+v, outputs %v): the test does not test anything", st, res.Outputs)
	}
	if st.Served != 9 {
		t.Errorf("served %d requests, want 9", st.Served)
	}
	t.Logf("%d requests, %d answered 429, %s", st.Requests, st.RateLimited, time.Since(start).Round(time.Millisecond))
}

// TestFlyRetryAfterTooLong: a Retry-After beyond what the activity waits
// in-process becomes a retryable error carrying the delay for Temporal.
func TestFlyRetryAfterTooLong(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	e.emu.SetRateLimit(0.01, 1) // one request, then Retry-After: 100
	if _, err := e.inventory(t, nil); err == nil {
		t.Fatal("no error")
	} else {
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != FlyErrRateLimited || ae.NonRetryable() || ae.NextRetryDelay() < 90*time.Second {
			t.Errorf("want retryable %s with a next retry delay ~100s: %v", FlyErrRateLimited, err)
		}
	}
}

// TestFlyOneAppFailing: an app answering 503 is reported as unknown with its
// error; the others are complete. fly-go's rehttp layer (which retries 502
// and 503 itself) must not multiply the transport's bounded retries.
func TestFlyOneAppFailing(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	e.emu.FailApp("hotdash-staging", 503)
	res, err := e.inventory(t, flyAuditParams())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["apps"] != "4" || res.Outputs["failed_apps"] != "1" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	var row []string
	for _, r := range res.Tables[0].Rows {
		if r[0] == "hotdash-staging" {
			row = r
		}
	}
	if len(row) == 0 || row[1] != "unknown" || row[2] != "unknown" || row[3] != "unknown" || !strings.Contains(row[4], "503") {
		t.Errorf("failing app row = %q", row)
	}
	titles := flyTitles(res.Findings)
	for _, want := range []string{"Could not inventory hotdash-staging", "OOM-killed", "Unused app time-purple-wildflower-3973"} {
		if !strings.Contains(titles, want) {
			t.Errorf("findings lack %q:\n%s", want, titles)
		}
	}
	if got, want := e.emu.Stats().Faults, 1+DefaultFlyMaxRetries5xx; got != want {
		t.Errorf("the failing app was asked %d times, want %d (one try + %d retries, no rehttp retries on top)", got, want, DefaultFlyMaxRetries5xx)
	}
	if !strings.Contains(res.Summary, "1 app(s) could not be read: hotdash-staging") {
		t.Errorf("summary = %s", res.Summary)
	}
}

// TestFlyRandomServerErrors: with 10% of answers a deterministic 500, GETs
// are retried and the inventory completes (an unlucky app would be "unknown").
func TestFlyRandomServerErrors(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	e.emu.SetFailureRate(0.1, 500, 42)
	res, err := e.inventory(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["apps"] != "4" {
		t.Errorf("outputs = %v", res.Outputs)
	}
}

// TestFlyUnknownApp: an app named in `apps` that does not exist is a row
// with its 404, not a failed activity.
func TestFlyUnknownApp(t *testing.T) {
	e := newFlyTestEnv(t, nil)
	res, err := e.inventory(t, map[string]any{"apps": []any{"hotdash-chatwoot", "no-such-app"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["apps"] != "2" || res.Outputs["failed_apps"] != "1" || !strings.Contains(res.Tables[0].Rows[len(res.Tables[0].Rows)-1][4], "404") {
		t.Errorf("outputs %v rows %q", res.Outputs, res.Tables[0].Rows)
	}
}
