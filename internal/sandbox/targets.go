package sandbox

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Default latency of the staging app: 300 to 600 ms, as HotDash's staging
// app measured in the first audit.
const (
	DefaultStagingMinLatency = 300 * time.Millisecond
	DefaultStagingMaxLatency = 600 * time.Millisecond
)

// StagingApp stands in for a React Router app on Fly: `/` answers 200 with
// an HTML page after a latency drawn uniformly from [min, max]; every other
// path, /hc and /rails/health included, answers 404 as a single-page app's
// server does for routes it does not know. Safe for concurrent use.
type StagingApp struct {
	mu       sync.Mutex
	min, max time.Duration
	rng      *mrand.Rand
	requests int
	targetServer
}

// NewStagingApp returns a staging app with the given latency range
// (min > max is treated as max = min).
func NewStagingApp(minLatency, maxLatency time.Duration) *StagingApp {
	s := &StagingApp{rng: mrand.New(mrand.NewPCG(7, 11))}
	s.SetLatency(minLatency, maxLatency)
	return s
}

// SetLatency changes the latency range of `/`.
func (s *StagingApp) SetLatency(minLatency, maxLatency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.min, s.max = max(minLatency, 0), max(maxLatency, minLatency, 0)
}

// Requests is how many requests the app has received.
func (s *StagingApp) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Handler serves the app.
func (s *StagingApp) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		d := s.min
		if s.max > s.min {
			d += time.Duration(s.rng.Int64N(int64(s.max - s.min)))
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path != "/" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>404</h1><p>Not Found</p></body></html>\n")
			return
		}
		if !sleepCtx(r.Context(), d) {
			return
		}
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>HotDash</title></head>`+
			`<body><div id="root"></div><script type="module" src="/assets/entry.client.js"></script></body></html>`+"\n")
	})
}

// Start serves the app on addr ("127.0.0.1:0" picks a free port) and
// returns its base URL.
func (s *StagingApp) Start(addr string) (string, error) {
	return s.start(addr, s.Handler(), "staging app")
}

// Chatwoot stands in for Chatwoot's public endpoints: GET /api answers 200
// with exactly the four fields of the real one (version, a live UTC
// timestamp as "YYYY-MM-DD HH:MM:SS", queue_services for Redis and
// data_services for Postgres, each "ok" or "failing"), even when a service
// is failing; GET /health always answers {"status":"woot"}.
// POST /_sandbox/services?queue_services=failing&data_services=ok switches
// the services while it runs. Safe for concurrent use.
type Chatwoot struct {
	mu      sync.Mutex
	version string
	queue   string
	data    string
	latency time.Duration
	now     func() time.Time
	targetServer
}

// NewChatwoot returns a healthy Chatwoot 4.6.0, the version our first
// user's estate runs (the wire format is the fixture's).
func NewChatwoot() *Chatwoot {
	return &Chatwoot{version: "4.6.0", queue: "ok", data: "ok", now: time.Now}
}

// SetServices sets what /api reports for Redis (queue) and Postgres (data):
// "ok" or "failing"; an empty value leaves that one as it is.
func (c *Chatwoot) SetServices(queue, data string) error {
	for _, v := range []string{queue, data} {
		if v != "" && v != "ok" && v != "failing" {
			return fmt.Errorf("chatwoot service state %q: want ok or failing", v)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if queue != "" {
		c.queue = queue
	}
	if data != "" {
		c.data = data
	}
	return nil
}

// SetLatency delays every answer by d.
func (c *Chatwoot) SetLatency(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latency = max(d, 0)
}

// chatwootAPI is GET /api's body, fields in the real order.
type chatwootAPI struct {
	Version       string `json:"version"`
	Timestamp     string `json:"timestamp"`
	QueueServices string `json:"queue_services"`
	DataServices  string `json:"data_services"`
}

// Handler serves /api, /health and /_sandbox/services.
func (c *Chatwoot) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		body := chatwootAPI{Version: c.version, Timestamp: c.now().UTC().Format("2006-01-02 15:04:05"),
			QueueServices: c.queue, DataServices: c.data}
		d := c.latency
		c.mu.Unlock()
		if sleepCtx(r.Context(), d) {
			writeJSON(w, http.StatusOK, body)
		}
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "woot"})
	})
	mux.HandleFunc("POST /_sandbox/services", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if err := c.SetServices(q.Get("queue_services"), q.Get("data_services")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// Start serves Chatwoot on addr ("127.0.0.1:0" picks a free port) and
// returns its base URL.
func (c *Chatwoot) Start(addr string) (string, error) { return c.start(addr, c.Handler(), "chatwoot") }

// targetServer is a loopback HTTP server with Start/Close, shared by the targets.
type targetServer struct {
	smu sync.Mutex
	srv *http.Server
}

func (s *targetServer) start(addr string, h http.Handler, what string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen for %s: %w", what, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.smu.Lock()
	s.srv = srv
	s.smu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops a server started with Start.
func (s *targetServer) Close() error {
	s.smu.Lock()
	srv := s.srv
	s.srv = nil
	s.smu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return srv.Close()
}

// sleepCtx waits d unless ctx ends first; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
