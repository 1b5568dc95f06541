package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/superfly/fly-go/flaps"
	"github.com/superfly/fly-go/tokens"
	"go.temporal.io/sdk/temporal"
)

// Error types of the fly.* actions, for retry policies and reports.
const (
	FlyErrBadParams    = "FlyBadParams"    // the step's parameters are wrong
	FlyErrTokenMissing = "FlyTokenMissing" // the token variable is unset on the worker
	FlyErrUnauthorized = "FlyUnauthorized" // 401: the token is invalid or expired
	FlyErrForbidden    = "FlyForbidden"    // 403: the token may not do this
	FlyErrNotFound     = "FlyNotFound"     // 404
	FlyErrBadRequest   = "FlyBadRequest"   // 400/422: the API refused the request
	FlyErrBadResponse  = "FlyBadResponse"  // an answer fly-go cannot decode
	FlyErrRateLimited  = "FlyRateLimited"  // 429 beyond the in-process budget (retryable)
	FlyErrServer       = "FlyServerError"  // 5xx (retryable)
	FlyErrUnavailable  = "FlyUnavailable"  // network errors, timeouts, lease conflicts (retryable)
	FlyErrAppRunning   = "FlyAppRunning"   // destroy_app refused: machines are running
)

// flyCall is one activity call's view of the Machines API.
type flyCall struct {
	client   *flaps.Client
	stats    *flyCallStats
	baseURL  string
	tokenEnv string
}

// newFlyCall resolves the token and base URL and builds a flaps client whose
// requests go through a flyTransport. The token value is only handed to
// fly-go; it never enters errors, logs or results.
func (a *Activities) newFlyCall(ctx context.Context, p flyCommonParams) (*flyCall, error) {
	cfg := a.Fly.withDefaults()
	envName := cfg.TokenEnv
	if p.TokenEnv != "" {
		envName = p.TokenEnv
	}
	token := strings.TrimSpace(a.flyEnv(envName))
	if token == "" {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("fly api token: environment variable %s is empty or unset on the worker", envName),
			FlyErrTokenMissing, nil)
	}
	raw := flyFirstNonEmpty(p.BaseURL, cfg.BaseURL, a.flyEnv(flyBaseURLEnv), DefaultFlyBaseURL)
	base, err := flyParseBaseURL(raw)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), FlyErrBadParams, nil)
	}
	stats := &flyCallStats{}
	tr := &flyTransport{base: base, next: cfg.Transport, limits: a.flyState(), cfg: cfg, stats: stats}
	client, err := flaps.NewWithOptions(ctx, flaps.NewClientOpts{
		UserAgent: cfg.UserAgent,
		Tokens:    tokens.Parse(token),
		Transport: tr,
		// No Logger: fly-go's logging transport would copy request and
		// response bodies into the log.
	})
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("fly api client: %v", err), FlyErrBadParams, err)
	}
	return &flyCall{client: client, stats: stats, baseURL: base.String(), tokenEnv: envName}, nil
}

// flyParseBaseURL accepts https URLs, and http only for loopback hosts (the
// emulator), so a token is never sent in clear over a network.
func flyParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("fly base url %q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("fly base url %q: plain http is only allowed for loopback addresses", raw)
		}
	default:
		return nil, fmt.Errorf("fly base url %q: scheme must be https", raw)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u, nil
}

func (a *Activities) flyEnv(name string) string {
	if a.Env != nil {
		return a.Env(name)
	}
	return ""
}

func flyFirstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// flyStatus returns the HTTP status behind err, or 0.
func flyStatusOf(err error) int {
	var se *flyStatusError
	if errors.As(err, &se) {
		return se.Status
	}
	var fe *flaps.FlapsError
	if errors.As(err, &fe) {
		return fe.ResponseStatusCode
	}
	return 0
}

// flyError turns a Machines API failure during what into a Temporal error:
// non-retryable for what retrying cannot fix (401, 403, 404, 400, 422, an
// undecodable answer), retryable otherwise, with Retry-After as the next delay.
func (c *flyCall) flyError(what string, err error) error {
	if err == nil {
		return nil
	}
	if flyStatusOf(err) == 0 && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := fmt.Sprintf("%s: %s", what, flyErrorText(err))
	switch status := flyStatusOf(err); {
	case status == http.StatusUnauthorized:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s: the fly api rejected the token in %s (401 unauthorized); create a new one with `fly tokens create org` and set it on the worker", what, c.tokenEnv),
			FlyErrUnauthorized, err)
	case status == http.StatusForbidden:
		return temporal.NewNonRetryableApplicationError(msg+fmt.Sprintf(" (403 forbidden: the token in %s may not do this)", c.tokenEnv), FlyErrForbidden, err)
	case status == http.StatusNotFound:
		return temporal.NewNonRetryableApplicationError(msg+" (404 not found)", FlyErrNotFound, err)
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return temporal.NewNonRetryableApplicationError(msg, FlyErrBadRequest, err)
	case status == http.StatusTooManyRequests:
		var se *flyStatusError
		errors.As(err, &se)
		return temporal.NewApplicationErrorWithOptions(msg, FlyErrRateLimited,
			temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: se.RetryAfter})
	case status >= 500:
		return temporal.NewApplicationErrorWithCause(msg, FlyErrServer, err)
	case strings.Contains(err.Error(), "failed decoding response"):
		return temporal.NewNonRetryableApplicationError(msg, FlyErrBadResponse, err)
	}
	return temporal.NewApplicationErrorWithCause(msg, FlyErrUnavailable, err)
}

// flyErrorText is a short, readable form of a fly-go error: the transport's
// own message, or fly-go's without the request URL.
func flyErrorText(err error) string {
	var se *flyStatusError
	if errors.As(err, &se) {
		return se.Error()
	}
	var fe *flaps.FlapsError
	if errors.As(err, &fe) {
		text := strings.TrimSpace(fe.Error())
		if text == "" {
			text = strings.ToLower(http.StatusText(fe.ResponseStatusCode))
		}
		return fmt.Sprintf("fly api answered %d: %s", fe.ResponseStatusCode, text)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s %s: %v", strings.ToLower(ue.Op), ue.URL, ue.Err)
	}
	return err.Error()
}
