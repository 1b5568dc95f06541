package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// flyTransport is the one place where Machines API requests are paced and
// retried. It sits under fly-go's own layers (rehttp retries 502/503 for every
// method, POST included; AcquireLease retries any error for a minute), so:
//   - it sends each request to the configured base URL (fly-go only reads
//     FLY_FLAPS_BASE_URL, and we never mutate the process environment);
//   - it waits for the per-action limiter, the optional global limiter, any
//     Retry-After pause and a concurrency slot before every attempt;
//   - it absorbs 429s (honouring Retry-After) and retries GETs on 5xx a bounded
//     number of times; a 5xx it gives up on, and any 5xx of a mutating request,
//     is returned as a *flyStatusError rather than a response, so rehttp cannot
//     retry a mutation behind our back;
//   - network errors come back wrapped in a *flyNetError, which rehttp does
//     not retry (fly-go still retries a GET's connection reset twice);
//   - in a fail-fast context (see flyWithFailFast) a definitive 4xx or 5xx
//     cancels the context, cutting fly-go's retry loops short.
//
// What it gives up on reaches the activity, which returns a Temporal error:
// Temporal's activity retry is the only retry layer above this one.
type flyTransport struct {
	base   *url.URL
	next   http.RoundTripper
	limits *flyLimits
	cfg    FlyConfig
	stats  *flyCallStats
}

// flyCallStats counts what one activity call sent.
type flyCallStats struct {
	Attempts    atomic.Int64 // requests sent, retries included
	RateLimited atomic.Int64 // 429s absorbed or returned
	ServerError atomic.Int64 // 5xx answers
}

// flyStatusError is an answer the transport gave up on: a 429 beyond the
// budget, or a 5xx.
type flyStatusError struct {
	Status     int
	Method     string
	Path       string
	Message    string
	RetryAfter time.Duration
}

func (e *flyStatusError) Error() string {
	msg := fmt.Sprintf("fly api answered %d %s to %s %s", e.Status, strings.ToLower(http.StatusText(e.Status)), e.Method, e.Path)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// flyMaxLimiters bounds the per-action limiters one worker keeps.
const flyMaxLimiters = 10000

// flyNetError hides a network error's Temporary method from rehttp, which
// would otherwise retry it for every method, a machine update included.
// Temporal's activity retry handles it; errors.Is and errors.As still see it.
type flyNetError struct{ err error }

func (e *flyNetError) Error() string { return e.err.Error() }
func (e *flyNetError) Unwrap() error { return e.err }

// flyLimits are the pacing state shared by every call of one Activities.
type flyLimits struct {
	slots  chan struct{}
	global *rate.Limiter

	mu          sync.Mutex
	perKey      map[string]*rate.Limiter
	pausedUntil time.Time
}

func newFlyLimits(cfg FlyConfig) *flyLimits {
	l := &flyLimits{slots: make(chan struct{}, cfg.Concurrency), perKey: map[string]*rate.Limiter{}}
	if cfg.RequestsPerSecond > 0 {
		l.global = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), max(1, int(cfg.RequestsPerSecond)))
	}
	return l
}

// pause holds every request until d from now (a 429's Retry-After).
func (l *flyLimits) pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// acquire waits for the pause, the rate limiters and a slot; release the slot
// with the returned function.
func (l *flyLimits) acquire(ctx context.Context, key string, limit rate.Limit, burst int) (func(), error) {
	for {
		l.mu.Lock()
		wait := time.Until(l.pausedUntil)
		l.mu.Unlock()
		if wait <= 0 {
			break
		}
		if err := flySleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	lim := l.perKey[key]
	if lim == nil && len(l.perKey) >= flyMaxLimiters {
		clear(l.perKey) // idle limiters are full anyway; bound a long-lived worker's memory
	}
	if lim == nil {
		lim = rate.NewLimiter(limit, burst)
		l.perKey[key] = lim
	}
	l.mu.Unlock()
	if err := lim.Wait(ctx); err != nil {
		return nil, fmt.Errorf("wait for the %s rate limit: %w", key, err)
	}
	if l.global != nil {
		if err := l.global.Wait(ctx); err != nil {
			return nil, fmt.Errorf("wait for the request rate limit: %w", err)
		}
	}
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// flyRateKey names the limiter of a request after Fly's documented scopes:
// per action and per machine (or app, or org). path is relative to /v1.
func flyRateKey(method, path, query string) (string, rate.Limit, int) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 1: // /apps
		org, _ := url.ParseQuery(query)
		return method + " apps:" + org.Get("org_slug"), 1, 3
	case len(parts) == 2 && method == http.MethodDelete: // app deletions: 100 per minute
		return "DELETE app", rate.Limit(100.0 / 60.0), 3
	case len(parts) == 2, len(parts) == 3: // one app, or its machines
		return method + " " + strings.Join(parts[2:], "/") + " app:" + parts[1], 1, 3
	case len(parts) == 4 && method == http.MethodGet: // Get Machine: 5/s, bursts of 10
		return "GET machine:" + parts[3], 5, 10
	case len(parts) >= 4:
		return method + " " + strings.Join(parts[4:], "/") + " machine:" + parts[3], 1, 3
	}
	return method + " " + path, 1, 3
}

// RoundTrip implements http.RoundTripper; see flyTransport.
func (t *flyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read fly request body: %w", err)
		}
		body = b
	}
	rel := strings.TrimPrefix(req.URL.Path, "/v1")
	key, limit, burst := flyRateKey(req.Method, rel, req.URL.RawQuery)
	target := *req.URL
	target.Scheme, target.Host = t.base.Scheme, t.base.Host
	target.Path = strings.TrimSuffix(t.base.Path, "/") + req.URL.Path
	target.RawPath = ""

	limited, failures := 0, 0
	for {
		release, err := t.limits.acquire(ctx, key, limit, burst)
		if err != nil {
			return nil, err
		}
		attempt := req.Clone(ctx)
		attempt.URL = &target
		attempt.Host = ""
		attempt.Body = io.NopCloser(bytes.NewReader(body))
		attempt.ContentLength = int64(len(body))
		if body == nil {
			attempt.Body = nil
		}
		t.stats.Attempts.Add(1)
		resp, err := t.next.RoundTrip(attempt)
		release()
		if err != nil {
			return nil, &flyNetError{err: err}
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			t.stats.RateLimited.Add(1)
			limited++
			wait := flyRetryAfter(resp.Header, time.Second)
			serr := flyReadStatusError(resp, req.Method, req.URL.Path)
			serr.RetryAfter = wait
			if limited > t.cfg.MaxRateLimited || wait > t.cfg.MaxRetryAfter {
				return nil, t.giveUp(ctx, serr)
			}
			t.limits.pause(wait)
		case resp.StatusCode >= 500:
			t.stats.ServerError.Add(1)
			failures++
			serr := flyReadStatusError(resp, req.Method, req.URL.Path)
			if req.Method != http.MethodGet || failures > t.cfg.MaxRetries5xx {
				return nil, t.giveUp(ctx, serr)
			}
			backoff := time.Duration(100<<failures)*time.Millisecond + rand.N(100*time.Millisecond)
			if err := flySleep(ctx, max(backoff, flyRetryAfter(resp.Header, 0))); err != nil {
				return nil, err
			}
		default:
			if resp.StatusCode >= 400 && resp.StatusCode != http.StatusConflict {
				if cancel, ok := ctx.Value(flyFailFastKey{}).(context.CancelCauseFunc); ok {
					cancel(&flyStatusError{Status: resp.StatusCode, Method: req.Method, Path: req.URL.Path})
				}
			}
			return resp, nil
		}
	}
}

// giveUp returns err, first cancelling a fail-fast context with it.
func (t *flyTransport) giveUp(ctx context.Context, err *flyStatusError) error {
	if cancel, ok := ctx.Value(flyFailFastKey{}).(context.CancelCauseFunc); ok {
		cancel(err)
	}
	return err
}

type flyFailFastKey struct{}

// flyWithFailFast returns a context that the transport cancels, with the
// answer as cause, on the first definitive failure (any 4xx but 409, or a
// 5xx or 429 it gives up on). Use it around fly-go calls that retry on their
// own, such as AcquireLease; read the answer with context.Cause.
func flyWithFailFast(ctx context.Context) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	return context.WithValue(ctx, flyFailFastKey{}, cancel), cancel
}

// statusError reads (a bounded part of) resp's body and closes it.
func flyReadStatusError(resp *http.Response, method, path string) *flyStatusError {
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &body) == nil {
		msg = strings.TrimSpace(body.Error + " " + body.Message)
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return &flyStatusError{Status: resp.StatusCode, Method: method, Path: path, Message: msg}
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func flyRetryAfter(h http.Header, def time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(n)*time.Second, 100*time.Millisecond)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 100*time.Millisecond)
	}
	return def
}

func flySleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
