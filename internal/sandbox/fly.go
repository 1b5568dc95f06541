package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// FlyEmulator serves the part of the Fly Machines API that drillbook uses,
// with the real JSON shapes: list/get/delete apps, list/get/update machines,
// machine leases and wait. It checks the Authorization header, and has knobs
// for latency, a rate limit (429 + Retry-After) and injected 5xx errors. Every
// mutating call that reaches it is journaled. Safe for concurrent use.
type FlyEmulator struct {
	mu       sync.Mutex
	token    string
	apps     map[string]*flyApp
	leases   map[string]*flyLease // by machine id
	journal  []JournalEntry
	changed  chan struct{} // closed and replaced on every state change
	now      func() time.Time
	serial   uint64
	stats    FlyStats
	latency  time.Duration
	limiter  *rate.Limiter
	failRate float64
	failCode int
	rng      *mrand.Rand
	failApps map[string]int
	mux      *http.ServeMux

	srv *http.Server
}

// JournalEntry is one mutating call that passed authentication, the rate
// limit and fault injection, with the status it was answered with.
type JournalEntry struct {
	Time    time.Time `json:"time"`
	Method  string    `json:"method"`
	Path    string    `json:"path"`
	Action  string    `json:"action"` // machine_update, app_delete, lease_acquire, lease_release
	App     string    `json:"app"`
	Machine string    `json:"machine,omitempty"`
	Status  int       `json:"status"`
	Detail  string    `json:"detail,omitempty"`
}

// FlyStats counts what the emulator answered.
type FlyStats struct {
	Requests     int // every request received
	Unauthorized int // answered 401
	RateLimited  int // answered 429
	Faults       int // answered with an injected 5xx
	Served       int // reached a handler
}

// NewFlyEmulator returns an emulator holding seed (DefaultFlySeed when nil)
// and a random token; see Token and SetToken.
func NewFlyEmulator(seed *FlySeed) *FlyEmulator {
	if seed == nil {
		seed = DefaultFlySeed()
	}
	e := &FlyEmulator{
		token:    randomToken(),
		apps:     map[string]*flyApp{},
		leases:   map[string]*flyLease{},
		changed:  make(chan struct{}),
		now:      time.Now,
		failCode: http.StatusInternalServerError,
		failApps: map[string]int{},
		rng:      mrand.New(mrand.NewPCG(1, 2)),
	}
	for _, sa := range seed.Apps {
		e.apps[sa.Name] = newFlyApp(sa)
	}
	e.mux = e.routes()
	return e
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("sandbox: random token: %v", err))
	}
	return "sandbox_" + hex.EncodeToString(b)
}

// Token is the API token requests must carry ("Bearer TOKEN" or "FlyV1 TOKEN").
func (e *FlyEmulator) Token() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.token
}

// SetToken replaces the accepted token.
func (e *FlyEmulator) SetToken(token string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.token = token
}

// SetClock replaces the clock used for events, leases and the journal.
func (e *FlyEmulator) SetClock(now func() time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = now
}

// SetLatency delays every response by d.
func (e *FlyEmulator) SetLatency(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.latency = d
}

// SetRateLimit limits authenticated requests to perSecond with the given
// burst (at least 1); over the limit, requests get 429 with a Retry-After in
// whole seconds. perSecond <= 0 removes the limit.
func (e *FlyEmulator) SetRateLimit(perSecond float64, burst int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if perSecond <= 0 {
		e.limiter = nil
		return
	}
	e.limiter = rate.NewLimiter(rate.Limit(perSecond), max(1, burst))
}

// SetFailureRate answers a fraction of authenticated requests with status
// (500 when 0), drawn from a generator seeded with seed, so a given sequence
// of requests fails the same way every run.
func (e *FlyEmulator) SetFailureRate(fraction float64, status int, seed uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failRate = fraction
	e.failCode = cmp(status, http.StatusInternalServerError)
	e.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// FailApp answers every request about app (its own paths, not the app list)
// with status; status 0 clears it.
func (e *FlyEmulator) FailApp(app string, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if status == 0 {
		delete(e.failApps, app)
		return
	}
	e.failApps[app] = status
}

// Journal returns a copy of the mutating calls served so far, oldest first.
func (e *FlyEmulator) Journal() []JournalEntry {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]JournalEntry(nil), e.journal...)
}

// Stats returns request counters.
func (e *FlyEmulator) Stats() FlyStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

// Handler serves the API under /v1; use it with httptest.NewServer.
func (e *FlyEmulator) Handler() http.Handler {
	return http.HandlerFunc(e.serve)
}

// Start serves the API on addr ("127.0.0.1:0", a free loopback port, when
// empty) until Close and returns its base URL, for FLY_FLAPS_BASE_URL.
func (e *FlyEmulator) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen for fly emulator: %w", err)
	}
	srv := &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 10 * time.Second}
	e.mu.Lock()
	e.srv = srv
	e.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops a server started with Start.
func (e *FlyEmulator) Close() error {
	e.mu.Lock()
	srv := e.srv
	e.srv = nil
	e.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop fly emulator: %w", err)
	}
	return srv.Close()
}

// serve applies latency, authentication, the rate limit and fault injection,
// in that order, then routes.
func (e *FlyEmulator) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == JournalPath {
		e.serveJournal(w, r)
		return
	}
	e.mu.Lock()
	e.stats.Requests++
	latency := e.latency
	e.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}

	e.mu.Lock()
	if !e.authorized(r.Header.Get("Authorization")) {
		e.stats.Unauthorized++
		e.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, errorBody("unauthorized"))
		return
	}
	if e.limiter != nil {
		now := time.Now() // the limiter runs on real time, whatever SetClock says
		res := e.limiter.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			e.stats.RateLimited++
			e.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
			writeJSON(w, http.StatusTooManyRequests, errorBody("rate limit exceeded"))
			return
		}
	}
	if code := e.fault(r.URL.Path); code != 0 {
		e.stats.Faults++
		e.mu.Unlock()
		writeJSON(w, code, errorBody(http.StatusText(code)))
		return
	}
	e.stats.Served++
	e.mu.Unlock()
	e.mux.ServeHTTP(w, r)
}

// authorized compares the header's token with the configured one; e.mu held.
func (e *FlyEmulator) authorized(header string) bool {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "FlyV1")) {
		return false
	}
	return e.token != "" && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(e.token)) == 1
}

// fault returns the status of an injected failure for path, or 0; e.mu held.
func (e *FlyEmulator) fault(path string) int {
	if rest, ok := strings.CutPrefix(path, "/v1/apps/"); ok {
		app, _, _ := strings.Cut(rest, "/")
		if code := e.failApps[app]; code != 0 {
			return code
		}
	}
	if e.failRate > 0 && e.rng.Float64() < e.failRate {
		return e.failCode
	}
	return 0
}

func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
