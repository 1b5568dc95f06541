package activities

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"
)

// ProbeSample is one timed request, as the samples artifact keeps it.
// Phases are in milliseconds; a phase that did not happen (a reused
// connection needs no DNS, connect or TLS) is 0. With redirects followed,
// the phases are those of the last hop and total covers the whole chain.
type ProbeSample struct {
	Target    string    `json:"target"`
	Seq       int       `json:"seq"`
	Start     time.Time `json:"start"`
	Status    int       `json:"status,omitempty"`
	ErrorKind string    `json:"error_kind,omitempty"` // timeout, dns, connect, tls, network, http_5xx, http_4xx
	Error     string    `json:"error,omitempty"`
	DNSMS     float64   `json:"dns_ms"`
	ConnectMS float64   `json:"connect_ms"`
	TLSMS     float64   `json:"tls_ms"`
	TTFBMS    float64   `json:"ttfb_ms"` // request start to first response byte
	TotalMS   float64   `json:"total_ms"`
	Reused    bool      `json:"reused_conn"`
	Bytes     int64     `json:"bytes"`
	Location  string    `json:"location,omitempty"`  // a redirect not followed
	FinalURL  string    `json:"final_url,omitempty"` // where followed redirects ended
	Redirects int       `json:"redirects,omitempty"` // redirects followed
	// OffHost is the first other host a redirect pointed to (followed or not).
	OffHost string `json:"off_host,omitempty"`
}

// OK reports whether the sample counts as a latency (not an error).
func (s *ProbeSample) OK() bool { return s.ErrorKind == "" }

// phaseTimer records httptrace events of one request.
type phaseTimer struct {
	mu                  sync.Mutex
	dnsStart, dnsDone   time.Time
	connStart, connDone time.Time
	tlsStart, tlsDone   time.Time
	firstByte           time.Time
	reused              bool
}

func (pt *phaseTimer) trace() *httptrace.ClientTrace {
	at := func(t *time.Time) { pt.mu.Lock(); *t = time.Now(); pt.mu.Unlock() }
	return &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { at(&pt.dnsStart) },
		DNSDone:           func(httptrace.DNSDoneInfo) { at(&pt.dnsDone) },
		ConnectStart:      func(string, string) { at(&pt.connStart) },
		ConnectDone:       func(string, string, error) { at(&pt.connDone) },
		TLSHandshakeStart: func() { at(&pt.tlsStart) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { at(&pt.tlsDone) },
		GotConn: func(info httptrace.GotConnInfo) {
			pt.mu.Lock()
			pt.reused = info.Reused
			pt.mu.Unlock()
		},
		GotFirstResponseByte: func() { at(&pt.firstByte) },
	}
}

func span(from, to time.Time) float64 {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	return durMS(to.Sub(from))
}

// probeOnce sends one GET to rawURL and times it. It never returns an
// error: a failed request is a sample with ErrorKind set. It returns false
// only when ctx (the whole probe) was cancelled.
func probeOnce(ctx context.Context, client *http.Client, rawURL string, timeout time.Duration) (ProbeSample, bool) {
	pt := &phaseTimer{}
	rl := &redirectLog{}
	rctx, cancel := context.WithTimeout(withRedirectLog(httptrace.WithClientTrace(ctx, pt.trace()), rl), timeout)
	defer cancel()
	s := ProbeSample{Start: time.Now().UTC()}
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, rawURL, nil)
	if err != nil {
		s.ErrorKind, s.Error = KindNetwork, httpErrorText(err)
		return s, true
	}
	req.Header.Set("User-Agent", httpUserAgent)
	start := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		s.Bytes, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes))
		resp.Body.Close()
	}
	end := time.Now()
	if ctx.Err() != nil {
		return s, false
	}
	pt.mu.Lock()
	s.DNSMS = span(pt.dnsStart, pt.dnsDone)
	s.ConnectMS = span(pt.connStart, pt.connDone)
	s.TLSMS = span(pt.tlsStart, pt.tlsDone)
	s.TTFBMS = span(start, pt.firstByte)
	s.Reused = pt.reused
	pt.mu.Unlock()
	s.TotalMS = durMS(end.Sub(start))
	home := hostOf(rawURL)
	for _, hop := range rl.list() {
		s.Redirects++
		if s.OffHost == "" && hop.Host != home {
			s.OffHost = hop.Host
		}
	}
	if resp != nil {
		s.Status = resp.StatusCode
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			if u, perr := resp.Request.URL.Parse(loc); perr == nil {
				s.Location = redactURL(u.String())
				if s.OffHost == "" && u.Host != home {
					s.OffHost = u.Host
				}
			}
		}
		if s.Redirects > 0 {
			s.FinalURL = redactURL(resp.Request.URL.String())
		}
	}
	if err != nil {
		s.ErrorKind, s.Error = classifyHTTPError(err), httpErrorText(err)
		return s, true
	}
	if k := statusKind(s.Status); k != "" {
		s.ErrorKind, s.Error = k, resp.Status
	}
	return s, true
}

// hostOf returns the host[:port] of a URL, lower case, or "".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
