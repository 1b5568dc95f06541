package main

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hotdash/drillbook/runbooks"
)

// steps turns the flags into the actions to run.
func (f *checkFlags) steps() ([]checkStep, error) {
	adhoc := len(f.targets) > 0 || len(f.health) > 0
	switch {
	case f.runbook != "" && adhoc:
		return nil, usageErrorf("give --runbook, or --target/--health, not both")
	case f.runbook != "":
		if len(f.expect.values) > 0 {
			return nil, usageErrorf("--expect goes with --health; a runbook's steps carry their own expectations")
		}
		return f.runbookSteps()
	case !adhoc:
		return nil, usageErrorf("nothing to check: give --runbook ID, --target URL or --health URL")
	}
	if len(f.inputs.values) > 0 {
		return nil, usageErrorf("--input goes with --runbook")
	}
	if len(f.expect.values) > 0 && len(f.health) == 0 {
		return nil, usageErrorf("--expect goes with --health")
	}
	var steps []checkStep
	if len(f.targets) > 0 {
		targets := make([]any, len(f.targets))
		for i, t := range f.targets {
			targets[i] = t
		}
		params := map[string]any{
			"targets": targets, "samples": f.samples, "budget": f.budget.String(), "percentile": f.percentile,
			"timeout": f.timeout.String(), "interval": f.interval.String(), "insecure": f.insecure, "follow_redirects": f.follow,
		}
		if f.concurrency != 0 {
			params["concurrency"] = f.concurrency
		}
		steps = append(steps, checkStep{action: "http.probe", params: params})
	}
	for _, u := range f.health {
		params := map[string]any{"url": u, "expect_status": f.expectStatus, "timeout": f.timeout.String(), "insecure": f.insecure}
		if m := f.expect.Map(); m != nil {
			params["expect"] = m
		}
		steps = append(steps, checkStep{action: "http.health", params: params})
	}
	return steps, nil
}

// runbookSteps loads the runbook and returns its http.* steps with the
// inputs substituted (defaults, then --input).
func (f *checkFlags) runbookSteps() ([]checkStep, error) {
	var rb *runbooks.Runbook
	var err error
	if strings.HasSuffix(f.runbook, ".md") && strings.ContainsAny(f.runbook, "/\\") {
		rb, err = runbooks.LoadFile(f.runbook)
	} else {
		rb, err = runbooks.Loader{Dir: f.runbooksDir}.Load(f.runbook)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErrorf("--runbook %s: no such file", f.runbook)
		}
		return nil, usageErrorf("--runbook %s: %v", f.runbook, err)
	}
	if diags := runbooks.Lint(rb); runbooks.HasErrors(diags) {
		var lines []string
		for _, d := range diags {
			if d.Severity == runbooks.SeverityError {
				lines = append(lines, d.String())
			}
		}
		return nil, usageErrorf("runbook %s does not lint:\n%s", rb.ID, strings.Join(lines, "\n"))
	}
	inputs := map[string]string{}
	for _, in := range rb.Inputs {
		inputs[in.Name] = defaultString(in.Default)
	}
	var unknown []string
	for name, v := range f.inputs.values {
		if rb.Input(name) == nil {
			unknown = append(unknown, name)
		}
		inputs[name] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := make([]string, len(rb.Inputs))
		for i, in := range rb.Inputs {
			known[i] = in.Name
		}
		return nil, usageErrorf("runbook %s has no input %s (inputs: %s)", rb.ID, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	for _, in := range rb.Inputs {
		if in.Required && inputs[in.Name] == "" {
			return nil, usageErrorf("runbook %s needs --input %s=VALUE", rb.ID, in.Name)
		}
	}
	var steps []checkStep
	for _, st := range rb.Steps {
		if st.Kind != runbooks.KindAction || (st.Action != "http.probe" && st.Action != "http.health") {
			continue
		}
		params, _ := expandInputs(st.Params, inputs).(map[string]any)
		steps = append(steps, checkStep{id: st.ID, action: st.Action, params: params})
	}
	if len(steps) == 0 {
		return nil, usageErrorf("runbook %s has no http.probe or http.health step", rb.ID)
	}
	return steps, nil
}

// inputRef matches ${inputs.NAME} and ${steps.ID.outputs.KEY} as the engine
// does; ${env.NAME} stays for the action to resolve.
var inputRef = regexp.MustCompile(`\$\{\s*(inputs|steps)\.([A-Za-z0-9_.\-]+)\s*\}`)

// expandInputs substitutes inputs in every string of v. A step output does
// not exist outside a run: it becomes empty, as a missing output does.
func expandInputs(v any, inputs map[string]string) any {
	switch t := v.(type) {
	case string:
		return inputRef.ReplaceAllStringFunc(t, func(m string) string {
			parts := inputRef.FindStringSubmatch(m)
			if parts[1] == "inputs" {
				return inputs[parts[2]]
			}
			return ""
		})
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = expandInputs(e, inputs)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = expandInputs(e, inputs)
		}
		return out
	}
	return v
}

// defaultString renders an input default as steps see it.
func defaultString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
