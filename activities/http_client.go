package activities

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Error types of the http.* actions (temporal.ApplicationError types).
// Timeouts, connection failures, temporary DNS failures and 5xx answers are
// retryable; bad parameters, unknown host names and TLS failures are not.
const (
	HTTPErrBadParams = "HTTPBadParams"   // the step's parameters are wrong
	HTTPErrTimeout   = "HTTPTimeout"     // no complete answer within the timeout
	HTTPErrDNS       = "HTTPDNS"         // the host name does not resolve
	HTTPErrConnect   = "HTTPConnect"     // connection refused or reset
	HTTPErrTLS       = "HTTPTLS"         // certificate or handshake failure
	HTTPErrNetwork   = "HTTPNetwork"     // any other transport failure
	HTTPErrServer    = "HTTPServerError" // a 5xx answer
	HTTPErrRateLimit = "HTTPRateLimited" // a 429 answer (retried after Retry-After)
)

// Kinds of failed requests, as samples and findings name them.
const (
	KindTimeout = "timeout"
	KindDNS     = "dns"
	KindConnect = "connect"
	KindTLS     = "tls"
	KindNetwork = "network"
	Kind5xx     = "http_5xx"
	Kind4xx     = "http_4xx"
)

// httpUserAgent identifies drillbook's synthetic requests in access logs.
const httpUserAgent = "drillbook-synthetic/1 (+https://github.com/hotdash/drillbook)"

// maxBodyBytes bounds what a probe or health check reads of a body.
const maxBodyBytes = 1 << 20

// httpClientOptions configure newHTTPClient.
type httpClientOptions struct {
	Insecure    bool          // skip certificate verification
	Follow      bool          // follow up to 10 redirects
	Concurrency int           // requests in flight at once: bounds the sockets
	DialTimeout time.Duration // connect and TLS handshake
}

// redirectLog collects the redirects one request followed; put it in the
// request's context with withRedirectLog.
type redirectLog struct {
	mu   sync.Mutex
	hops []*url.URL
}

type redirectLogKey struct{}

func withRedirectLog(ctx context.Context, rl *redirectLog) context.Context {
	return context.WithValue(ctx, redirectLogKey{}, rl)
}

// list returns the URLs redirected to, in order.
func (rl *redirectLog) list() []*url.URL {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return slices.Clone(rl.hops)
}

// newHTTPClient returns a client with its own transport, sized so that
// `Concurrency` requests in flight reuse connections instead of opening and
// closing one per request (which would leave thousands of sockets in
// TIME_WAIT). The caller closes idle connections when done.
func newHTTPClient(o httpClientOptions) *http.Client {
	conc := max(o.Concurrency, 1)
	dial := o.DialTimeout
	if dial <= 0 {
		dial = 10 * time.Second
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(2*conc, 100),
		MaxIdleConnsPerHost:   conc,
		MaxConnsPerHost:       conc,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   dial,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: o.Insecure, //nolint:gosec // opt-in per step: insecure=true
		},
	}
	c := &http.Client{Transport: tr}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !o.Follow {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if rl, ok := req.Context().Value(redirectLogKey{}).(*redirectLog); ok {
			rl.mu.Lock()
			rl.hops = append(rl.hops, req.URL)
			rl.mu.Unlock()
		}
		return nil
	}
	return c
}

// closeHTTPClient releases the client's idle connections.
func closeHTTPClient(c *http.Client) {
	if tr, ok := c.Transport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
}

// classifyHTTPError names the kind of a failed request: dns, timeout, tls,
// connect or network. DNS comes first: a DNS timeout is a DNS failure.
func classifyHTTPError(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return KindDNS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidCert), errors.As(err, &recordErr), errors.As(err, &alertErr),
		strings.Contains(err.Error(), "tls: "):
		return KindTLS
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return KindConnect
	}
	return KindNetwork
}

// dnsNotFound reports whether err is a DNS answer that the name does not exist
// (retrying cannot help), as opposed to a DNS server that did not answer.
func dnsNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// httpErrorText is a failed request's error without Go's `Get "URL":`
// prefix, which would repeat the target (and could carry a resolved
// env: secret).
func httpErrorText(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// statusKind is the kind of an answer that counts as failed, or "".
func statusKind(status int) string {
	switch {
	case status >= 500:
		return Kind5xx
	case status >= 400:
		return Kind4xx
	}
	return ""
}

// redactURL returns u without user info and query values, safe to show.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.Fragment = ""
	return u.String()
}
