package activities

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Parameters of the http.* actions arrive after ${inputs.*} substitution,
// so a number, a boolean or a duration may come as a string ("50", "true",
// "800ms"). The flex types below accept both forms.

// flexInt is an integer given as a number or a numeric string.
type flexInt int

// UnmarshalJSON implements json.Unmarshaler.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		if f != float64(int(f)) {
			return fmt.Errorf("want a whole number, got %v", f)
		}
		*n = flexInt(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a whole number")
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("want a whole number, got %q", s)
	}
	*n = flexInt(v)
	return nil
}

// flexBool is a boolean given as true/false or as a string ("true", "yes").
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *flexBool) UnmarshalJSON(b []byte) error {
	var x bool
	if err := json.Unmarshal(b, &x); err == nil {
		*v = flexBool(x)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want true or false")
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1":
		*v = true
	case "false", "no", "off", "0", "":
		*v = false
	default:
		return fmt.Errorf("want true or false, got %q", s)
	}
	return nil
}

// flexDuration is a Go duration string such as "800ms" or "10s". A bare
// number is refused: "800" could mean milliseconds or seconds.
type flexDuration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *flexDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration with a unit, such as \"800ms\" or \"10s\"")
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return fmt.Errorf("want a duration such as \"800ms\" or \"10s\", got %q", s)
	}
	*d = flexDuration(v)
	return nil
}

// decodeHTTPParams decodes an http.* action's params (see decodeParams).
func decodeHTTPParams(action string, params map[string]any, out any, extra func() []string) error {
	return decodeParams(action, HTTPErrBadParams, params, out, extra)
}

// checkHTTPURL reports what is wrong with a target URL, or "".
func checkHTTPURL(field, raw string) string {
	u, err := url.Parse(raw)
	switch {
	case strings.TrimSpace(raw) == "":
		return field + ": empty URL"
	case err != nil:
		return fmt.Sprintf("%s: %q is not a URL", field, raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%s: %q: want an http:// or https:// URL", field, redactURL(raw))
	case u.Host == "":
		return fmt.Sprintf("%s: %q has no host", field, redactURL(raw))
	}
	return ""
}

// formatMS renders a duration in milliseconds the way people read them:
// "412 ms", "1.24 s", "8.3 ms".
func formatMS(ms float64) string {
	switch {
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	case ms >= 100:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
}

// msString is a millisecond figure for outputs: whole ms above 100, else
// one decimal.
func msString(ms float64) string {
	if ms >= 100 {
		return strconv.FormatFloat(ms, 'f', 0, 64)
	}
	return strconv.FormatFloat(ms, 'f', 1, 64)
}

// durMS is d in (fractional) milliseconds.
func durMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
