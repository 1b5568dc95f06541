package activities

import (
	"net/http"
	"sync"
	"time"
)

// Defaults of FlyConfig. The per-action limits are Fly's documented Machines
// API limits (fly.io/docs/machines/api/working-with-machines-api, "Rate
// Limits"): 1 request/s per action and machine or app, bursts of 3; Get
// Machine 5/s, bursts of 10; app deletions 100 per minute. Fly documents no
// concurrency limit; DefaultFlyConcurrency is ours, small enough to stay far
// from any per-token limit.
const (
	DefaultFlyBaseURL        = "https://api.machines.dev"
	DefaultFlyTokenEnv       = "FLY_API_TOKEN"
	DefaultFlyOrg            = "personal"
	DefaultFlyConcurrency    = 8
	DefaultFlyMaxRetries5xx  = 2
	DefaultFlyMaxRateLimited = 30
	DefaultFlyMaxRetryAfter  = 30 * time.Second
	DefaultFlyLeaseWait      = 30 * time.Second
	flyBaseURLEnv            = "FLY_FLAPS_BASE_URL"
)

// FlyConfig configures the fly.* actions. The zero value uses the defaults
// above; the base URL comes from BaseURL, else the `base_url` parameter, else
// FLY_FLAPS_BASE_URL in the worker's environment, else DefaultFlyBaseURL.
type FlyConfig struct {
	// BaseURL of the Machines API (the emulator's URL in tests and demos).
	BaseURL string
	// TokenEnv names the environment variable holding the API token when the
	// step does not say (`token_env`); FLY_API_TOKEN by default.
	TokenEnv string
	// Concurrency caps requests in flight to the API per worker.
	Concurrency int
	// RequestsPerSecond, when > 0, caps the worker's total request rate
	// (on top of Fly's per-action limits, which always apply).
	RequestsPerSecond float64
	// MaxRetries5xx bounds retries of a GET answered with a 5xx.
	MaxRetries5xx int
	// MaxRateLimited bounds how many 429s one request may absorb, and
	// MaxRetryAfter the longest Retry-After waited in-process; beyond either
	// the activity fails with a retryable error carrying the delay.
	MaxRateLimited int
	MaxRetryAfter  time.Duration
	// LeaseWait bounds the wait for a machine lease held by someone else
	// (DefaultFlyLeaseWait); then the activity fails, retryably.
	LeaseWait time.Duration
	// Transport sends the requests (http.DefaultTransport when nil).
	Transport http.RoundTripper
	// Now is the clock for time windows and artifact names (time.Now when nil).
	Now func() time.Time
	// UserAgent sent with requests ("drillbook" when empty).
	UserAgent string

	limits *flyLimits // shared by every call of one Activities; see flyState
}

var flyStateMu sync.Mutex

// flyState returns the limits shared by every fly.* call of a, creating them
// on first use so that per-action rate limits hold across activities.
func (a *Activities) flyState() *flyLimits {
	flyStateMu.Lock()
	defer flyStateMu.Unlock()
	if a.Fly.limits == nil {
		a.Fly.limits = newFlyLimits(a.Fly.withDefaults())
	}
	return a.Fly.limits
}

// withDefaults fills in zero fields.
func (c FlyConfig) withDefaults() FlyConfig {
	if c.TokenEnv == "" {
		c.TokenEnv = DefaultFlyTokenEnv
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultFlyConcurrency
	}
	if c.MaxRetries5xx <= 0 {
		c.MaxRetries5xx = DefaultFlyMaxRetries5xx
	}
	if c.MaxRateLimited <= 0 {
		c.MaxRateLimited = DefaultFlyMaxRateLimited
	}
	if c.MaxRetryAfter <= 0 {
		c.MaxRetryAfter = DefaultFlyMaxRetryAfter
	}
	if c.LeaseWait <= 0 {
		c.LeaseWait = DefaultFlyLeaseWait
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.UserAgent == "" {
		c.UserAgent = "drillbook"
	}
	return c
}
