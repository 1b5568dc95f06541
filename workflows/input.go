package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// DefaultRunbook is what `{}` runs.
const DefaultRunbook = "reliability-audit"

// RunRunbookInput starts a run of one runbook. Every field is optional.
type RunRunbookInput struct {
	// Runbook is an embedded runbook id or a file in the worker's --runbooks dir.
	Runbook string `json:"runbook,omitempty"`
	// Inputs override the runbook's input defaults. Values are strings,
	// numbers or booleans; `env:NAME` is resolved by the worker.
	Inputs map[string]any `json:"inputs,omitempty"`
	// Apply lets risky actions change things (they still need approval).
	Apply bool `json:"apply,omitempty"`
	// Manual is "wait" (default: manual steps wait for `complete`) or "skip"
	// (they are recorded as not run).
	Manual string `json:"manual,omitempty"`
	// ApprovalTimeout, when set (e.g. "1h"), skips a gated step with a
	// finding if nobody decides in time.
	ApprovalTimeout string `json:"approval_timeout,omitempty"`
	// Operator is who started the run, for the report.
	Operator string `json:"operator,omitempty"`
}

// DecodeRunRunbookInput reads a raw workflow input strictly: null, no payload
// and {} mean defaults; unknown fields and wrong types are all reported in
// one error. (encoding/json is deterministic for the same bytes; the
// checker only sees reflection deep inside it.)
//
//workflowcheck:ignore
func DecodeRunRunbookInput(raw converter.RawValue) (RunRunbookInput, error) {
	var in RunRunbookInput
	data, err := rawJSON(raw)
	if err != nil || data == nil {
		return in, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return in, badInput([]string{"input must be a JSON object such as {\"runbook\": \"backup-restore\"}, got " + describeJSON(data)})
	}
	var problems []string
	for _, name := range sortedKeys(fields) {
		value := fields[name]
		var target any
		switch name {
		case "runbook":
			target = &in.Runbook
		case "inputs":
			target = &in.Inputs
		case "apply":
			target = &in.Apply
		case "manual":
			target = &in.Manual
		case "approval_timeout":
			target = &in.ApprovalTimeout
		case "operator":
			target = &in.Operator
		default:
			problems = append(problems, fmt.Sprintf("unknown field %q (known: runbook, inputs, apply, manual, approval_timeout, operator)", name))
			continue
		}
		if err := json.Unmarshal(value, target); err != nil {
			problems = append(problems, fmt.Sprintf("field %q: want %s, got %s", name, wantType(name), describeJSON(value)))
		}
	}
	problems = append(problems, checkInputValues(in.Inputs)...)
	if in.Manual != "" && in.Manual != "wait" && in.Manual != "skip" {
		problems = append(problems, fmt.Sprintf("field \"manual\": want \"wait\" or \"skip\", got %q", in.Manual))
	}
	if len(problems) > 0 {
		return in, badInput(problems)
	}
	return in, nil
}

func rawJSON(raw converter.RawValue) ([]byte, error) {
	p := raw.Payload()
	if p == nil || len(p.GetData()) == 0 {
		return nil, nil
	}
	switch enc := string(p.GetMetadata()["encoding"]); enc {
	case "json/plain":
		if bytes.Equal(bytes.TrimSpace(p.GetData()), []byte("null")) {
			return nil, nil
		}
		return p.GetData(), nil
	case "binary/null":
		return nil, nil
	default:
		return nil, badInput([]string{fmt.Sprintf("input must be JSON, got a payload encoded as %q", enc)})
	}
}

func checkInputValues(inputs map[string]any) []string {
	var problems []string
	for _, name := range sortedKeys(inputs) {
		switch inputs[name].(type) {
		case string, float64, bool, nil:
		default:
			problems = append(problems, fmt.Sprintf("inputs.%s: want a string, number or boolean", name))
		}
	}
	return problems
}

func wantType(field string) string {
	switch field {
	case "inputs":
		return "an object of input names to values"
	case "apply":
		return "true or false"
	default:
		return "a string"
	}
}

func describeJSON(data []byte) string {
	s := strings.TrimSpace(string(data))
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

// badInput is the one non-retryable error listing every problem of an input.
func badInput(problems []string) error {
	msg := "bad workflow input: " + strings.Join(problems, "; ")
	return temporal.NewNonRetryableApplicationError(msg, ErrBadInput, nil, problems)
}
