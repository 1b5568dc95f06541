package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// flyCommonParams are accepted by every fly.* action.
type flyCommonParams struct {
	// TokenEnv names the worker's environment variable holding the token.
	TokenEnv string `json:"token_env"`
	// Token may only be an `env:NAME` reference (a literal token would
	// enter workflow history); it is the same as token_env: NAME.
	Token string `json:"token"`
	// BaseURL overrides the Machines API address.
	BaseURL string `json:"base_url"`
}

var flyEnvNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// check normalises Token into TokenEnv and reports problems.
func (p *flyCommonParams) check() []string {
	var problems []string
	if p.Token != "" {
		name, ok := strings.CutPrefix(p.Token, "env:")
		if !ok {
			problems = append(problems, "token: give an env:NAME reference, never the token itself (it would enter workflow history)")
		} else if p.TokenEnv != "" && p.TokenEnv != name {
			problems = append(problems, "token and token_env name different variables")
		} else {
			p.TokenEnv = name
		}
	}
	if p.TokenEnv != "" && !flyEnvNameRE.MatchString(p.TokenEnv) {
		problems = append(problems, fmt.Sprintf("token_env: %q is not an environment variable name", p.TokenEnv))
	}
	return problems
}

// flyDecodeParams decodes a fly.* action's params (see decodeParams).
func flyDecodeParams(action string, params map[string]any, out any, extra func() []string) error {
	return decodeParams(action, FlyErrBadParams, params, out, extra)
}

func flyJSONNames(t reflect.Type, into map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			flyJSONNames(f.Type, into)
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			into[name] = true
		}
	}
}

func flyTypeErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("expected %s, got %s", te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// flyMemory is a memory size in MB, given as a number of MB or a string such
// as "512", "512MB", "2GB" or "2 GiB".
type flyMemory int

// UnmarshalJSON implements json.Unmarshaler.
func (m *flyMemory) UnmarshalJSON(b []byte) error {
	var n float64
	if err := json.Unmarshal(b, &n); err == nil {
		if n <= 0 || n != float64(int(n)) {
			return fmt.Errorf("memory %v is not a positive whole number of MB", n)
		}
		*m = flyMemory(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("memory must be a number of MB or a string like \"2GB\"")
	}
	v, err := flyParseMemory(s)
	if err != nil {
		return err
	}
	*m = flyMemory(v)
	return nil
}

func flyParseMemory(s string) (int, error) {
	t := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"GIB", 1024}, {"GB", 1024}, {"G", 1024}, {"MIB", 1}, {"MB", 1}, {"M", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = rest, u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*float64(mult) != float64(int(f*float64(mult))) {
		return 0, fmt.Errorf("memory %q: want MB or a size like \"2GB\"", s)
	}
	return int(f * float64(mult)), nil
}

// flyDuration is a Go duration string ("72h", "30m") or a number of seconds;
// "d" is accepted as 24h ("30d"), and "" (an empty input) means not set.
type flyDuration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *flyDuration) UnmarshalJSON(b []byte) error {
	var n float64
	if err := json.Unmarshal(b, &n); err == nil {
		*d = flyDuration(time.Duration(n * float64(time.Second)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"72h\" or \"30d\"")
	}
	s = strings.TrimSpace(s)
	if s == "" { // an empty runbook input: not set
		*d = 0
		return nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return fmt.Errorf("duration %q: want a whole number of days", s)
		}
		*d = flyDuration(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: want e.g. \"72h\" or \"30d\"", s)
	}
	*d = flyDuration(v)
	return nil
}

// flyStrings is a list of strings that may also be given as one string.
type flyStrings []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *flyStrings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = flyStrings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*l = many
	return nil
}

// flyInt is a whole number given as a number or as a string of digits, the
// form a `${inputs.NAME}` reference takes after substitution.
type flyInt int

// UnmarshalJSON implements json.Unmarshaler.
func (n *flyInt) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		if f != float64(int(f)) {
			return fmt.Errorf("%v is not a whole number", f)
		}
		*n = flyInt(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a whole number")
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*n = flyInt(v)
	return nil
}
