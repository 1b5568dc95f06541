package runbooks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// StepAttributes are the attributes drillbook reads from a step's info
// string (DESIGN.md, "The runbook format"). `name` is Runme's name for a
// block; drillbook uses it for the step id when `id` is missing. `database`
// and `dbname` say where a sql step runs: a connection (env:NAME or an
// input) and optionally another database name on the same server.
var StepAttributes = []string{
	"id", "name", "timeout", "retries", "backoff", "heartbeat",
	"on_failure", "approval", "cleanup", "when", "write", "database", "dbname",
}

// sqlAttributes apply to sql steps only.
var sqlAttributes = []string{"write", "database", "dbname"}

// runmeAttributes are attributes Runme writes that drillbook ignores; they
// get a warning rather than an unknown-attribute error so that Runme
// documents lint usefully.
var runmeAttributes = []string{
	"tag", "category", "interactive", "background", "cwd", "terminalRows",
	"excludeFromRunAll", "promptEnv", "closeTerminalOnSuccess", "interpreter",
	"mimeType", "skipPrompts", "cwdRelative",
}

// HeadingAttributes are the heading attributes drillbook knows; id and class
// are goldmark's own.
var HeadingAttributes = []string{"id", "class", "parallel"}

var (
	onFailureValues = []string{"abort", "continue", "pause"}
	approvalValues  = []string{"required", "none"}
	stepIDRE        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
)

// checkAttr validates one attribute value and returns a message when it is
// wrong (the attribute name must be known).
func checkAttr(key, value string) string {
	switch key {
	case "id":
		if !stepIDRE.MatchString(value) || len(value) > 128 {
			return fmt.Sprintf("id %q: use letters, digits, - and _ (it is used in ${steps.ID.outputs.KEY})", value)
		}
	case "timeout", "backoff", "heartbeat":
		d, err := time.ParseDuration(value)
		if err != nil {
			return fmt.Sprintf("%s %q is not a duration: write it like 90s, 5m or 1h30m", key, value)
		}
		if d <= 0 {
			return fmt.Sprintf("%s %q must be positive", key, value)
		}
	case "retries":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return fmt.Sprintf("retries %q is not a number of retries (0 or more)", value)
		}
		if n > 1000 {
			return fmt.Sprintf("retries %q is more than 1000", value)
		}
	case "on_failure":
		if !oneOf(value, onFailureValues) {
			return fmt.Sprintf("on_failure %q: use %s", value, strings.Join(onFailureValues, ", "))
		}
	case "approval":
		if !oneOf(value, approvalValues) {
			return fmt.Sprintf("approval %q: use %s", value, strings.Join(approvalValues, " or "))
		}
	case "cleanup", "write":
		if _, ok := parseBool(value); !ok {
			return fmt.Sprintf("%s %q: use true or false", key, value)
		}
	case "when":
		if strings.TrimSpace(value) == "" {
			return "when needs an expression"
		}
	case "database":
		if !strings.HasPrefix(value, "env:") && !strings.HasPrefix(value, "${") {
			return fmt.Sprintf("database %q: use env:NAME or ${inputs.NAME}; a connection string written in the runbook would enter workflow history", value)
		}
	case "dbname":
		if strings.TrimSpace(value) == "" {
			return "dbname needs a database name"
		}
	}
	return ""
}

// parseOptions reads the typed options from attributes, skipping values
// that checkAttr rejects.
func parseOptions(attrs []Attr) Options {
	var o Options
	for _, a := range attrs {
		if checkAttr(a.Key, a.Value) != "" {
			continue
		}
		switch a.Key {
		case "timeout":
			o.Timeout = mustDuration(a.Value)
		case "backoff":
			o.Backoff = mustDuration(a.Value)
		case "heartbeat":
			o.Heartbeat = mustDuration(a.Value)
		case "retries":
			n, _ := strconv.Atoi(a.Value)
			o.Retries = &n
		case "on_failure":
			o.OnFailure = a.Value
		case "approval":
			o.Approval = a.Value
		case "cleanup":
			o.Cleanup, _ = parseBool(a.Value)
		case "write":
			o.Write, _ = parseBool(a.Value)
		case "when":
			o.When = a.Value
		case "database":
			o.Database = a.Value
		case "dbname":
			o.DBName = a.Value
		}
	}
	return o
}

func mustDuration(s string) Duration {
	d, _ := time.ParseDuration(s)
	return Duration(d)
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func oneOf(s string, values []string) bool {
	for _, v := range values {
		if s == v {
			return true
		}
	}
	return false
}
