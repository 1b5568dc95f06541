package workflows

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// DrillRunbook is the runbook RestoreDrill runs.
const DrillRunbook = "backup-restore"

// RestoreDrillInput starts a backup-and-restore drill. Every field is
// optional: `{}` drills env:DATABASE_URL with the runbook's budgets.
type RestoreDrillInput struct {
	// Source is the database to back up: env:NAME, read by the worker (a
	// connection string with a password would enter workflow history and is
	// refused).
	Source string `json:"source,omitempty"`
	// RTOBudget is the longest acceptable restore, e.g. "30m".
	RTOBudget string `json:"rto_budget,omitempty"`
	// RPOBudget is the most data the business accepts to lose, e.g. "1h".
	RPOBudget string `json:"rpo_budget,omitempty"`
	// KeepScratch keeps the restored scratch database for inspection.
	KeepScratch bool `json:"keep_scratch,omitempty"`
	// Operator is who started the drill, for the report.
	Operator string `json:"operator,omitempty"`
}

// restoreDrillFields are the known input fields, for messages.
const restoreDrillFields = "source, rto_budget, rpo_budget, keep_scratch, operator"

var envRefPattern = regexp.MustCompile(`^env:[A-Za-z_][A-Za-z0-9_]*$`)

// DecodeRestoreDrillInput reads a raw workflow input strictly, like
// DecodeRunRunbookInput: null, no payload and {} mean defaults; unknown
// fields, wrong types, unparseable budgets and a source with a password in
// it are all reported in one error.
//
//workflowcheck:ignore
func DecodeRestoreDrillInput(raw converter.RawValue) (RestoreDrillInput, error) {
	var in RestoreDrillInput
	data, err := rawJSON(raw)
	if err != nil || data == nil {
		return in, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return in, badInput([]string{`input must be a JSON object such as {"source": "env:DATABASE_URL"}, got ` + describeJSON(data)})
	}
	var problems []string
	for _, name := range sortedKeys(fields) {
		var target any
		want := "a string"
		switch name {
		case "source":
			target = &in.Source
		case "rto_budget":
			target = &in.RTOBudget
		case "rpo_budget":
			target = &in.RPOBudget
		case "keep_scratch":
			target, want = &in.KeepScratch, "true or false"
		case "operator":
			target = &in.Operator
		default:
			problems = append(problems, fmt.Sprintf("unknown field %q (known: %s)", name, restoreDrillFields))
			continue
		}
		if err := json.Unmarshal(fields[name], target); err != nil {
			problems = append(problems, fmt.Sprintf("field %q: want %s, got %s", name, want, describeJSON(fields[name])))
		}
	}
	problems = append(problems, in.check()...)
	if len(problems) > 0 {
		return in, badInput(problems)
	}
	return in, nil
}

// check validates the values: budgets are positive durations, the source
// is a reference or a connection string without a password.
func (in RestoreDrillInput) check() []string {
	var problems []string
	for _, b := range []struct{ name, v string }{{"rto_budget", in.RTOBudget}, {"rpo_budget", in.RPOBudget}} {
		if b.v == "" {
			continue
		}
		if d, err := time.ParseDuration(b.v); err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("field %q: want a positive duration such as 30m or 1h, got %q", b.name, b.v))
		}
	}
	s := strings.TrimSpace(in.Source)
	switch {
	case in.Source == "":
	case s == "":
		problems = append(problems, `field "source": empty; give env:NAME (e.g. env:DATABASE_URL)`)
	case strings.HasPrefix(s, "env:") && !envRefPattern.MatchString(s):
		problems = append(problems, fmt.Sprintf(`field "source": %q is not env:NAME with a variable name`, s))
	case !strings.HasPrefix(s, "env:") && hasPassword(s):
		problems = append(problems, `field "source": holds a password; pass the connection string through the worker's environment as env:NAME (the value would enter workflow history)`)
	}
	return problems
}

// hasPassword reports whether a connection string carries a password.
func hasPassword(dsn string) bool {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	return strings.Contains(dsn, "password=")
}

// runbookInput is the RunRunbook input the drill amounts to: only the
// fields that were given override the runbook's defaults.
func (in RestoreDrillInput) runbookInput() RunRunbookInput {
	inputs := map[string]any{"keep_scratch": in.KeepScratch}
	for _, kv := range []struct{ name, v string }{{"source", in.Source}, {"rto_budget", in.RTOBudget}, {"rpo_budget", in.RPOBudget}} {
		if kv.v != "" {
			inputs[kv.name] = strings.TrimSpace(kv.v)
		}
	}
	return RunRunbookInput{Runbook: DrillRunbook, Inputs: inputs, Operator: in.Operator}
}

// RestoreDrill runs runbooks/backup-restore.md: preflight, backup, restore
// into a scratch database, verification with RTO and RPO against budgets,
// and the scratch database dropped at the end (unless keep_scratch). Its
// input is RestoreDrillInput, read strictly; a bad input still leaves a run
// that answers the progress query.
func RestoreDrill(ctx workflow.Context, raw converter.RawValue) (RunRunbookResult, error) {
	in, err := DecodeRestoreDrillInput(raw)
	return runRunbook(ctx, in.runbookInput(), err)
}
