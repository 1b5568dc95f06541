package activities

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

var (
	// envNameRE matches names a step's environment variables may have.
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// outputKeyRE matches output keys (the KEY of ${steps.ID.outputs.KEY}).
	outputKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

// MaxOutputFileBytes bounds the $DRILLBOOK_OUTPUT file: outputs travel in
// workflow history, large data belongs in $DRILLBOOK_ARTIFACTS.
const MaxOutputFileBytes = 64 << 10

// The variables every shell step gets besides its inputs.
const (
	EnvArtifacts  = "DRILLBOOK_ARTIFACTS"   // absolute artifacts directory of the run
	EnvOutput     = "DRILLBOOK_OUTPUT"      // file to append KEY=VALUE output lines to
	EnvWorkflowID = "DRILLBOOK_WORKFLOW_ID" // the run's workflow id
	EnvStep       = "DRILLBOOK_STEP"        // the step id
)

// shellEnv builds a step's environment: the worker's environment, then each
// input of req.Env (env:NAME and ${env.NAME} resolved here, inside the
// worker), then the DRILLBOOK_* variables; later entries replace earlier
// ones. An input that refers to an unset or empty variable is left out (and
// removed from the inherited environment), so that `set -u` reports the
// script's first use of it instead of running on with an empty value. It
// also returns the redactor for the resolved values of req.Secrets.
func (a *Activities) shellEnv(req runs.ActionRequest, runDir, outputPath string) ([]string, *redactor, error) {
	secret := map[string]bool{}
	for _, s := range req.Secrets {
		secret[strings.ToUpper(s)] = true
	}
	names := make([]string, 0, len(req.Env))
	for name := range req.Env {
		names = append(names, name)
	}
	slices.Sort(names)
	own := map[string]string{
		EnvArtifacts:  runDir,
		EnvOutput:     outputPath,
		EnvWorkflowID: req.WorkflowID,
		EnvStep:       req.StepID,
	}
	replaced := map[string]bool{}
	var inputs, secrets []string
	for _, name := range names {
		if !envNameRE.MatchString(name) {
			return nil, nil, fmt.Errorf("input %q is not a valid environment variable name", name)
		}
		if _, ok := own[name]; ok {
			return nil, nil, fmt.Errorf("input %s would hide drillbook's own variable of that name", name)
		}
		v, fromEnv := a.resolveRef(req.Env[name])
		if strings.ContainsRune(v, 0) {
			return nil, nil, fmt.Errorf("input %s contains a NUL byte", name)
		}
		if secret[strings.ToUpper(name)] {
			secrets = append(secrets, secretForms(v)...)
		}
		replaced[name] = true
		if fromEnv && v == "" {
			continue
		}
		inputs = append(inputs, name+"="+v)
	}
	for name := range own {
		replaced[name] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !replaced[name] {
			env = append(env, kv)
		}
	}
	env = append(env, inputs...)
	for _, name := range []string{EnvArtifacts, EnvOutput, EnvWorkflowID, EnvStep} {
		env = append(env, name+"="+own[name])
	}
	return env, newRedactor(secrets...), nil
}

// parseOutputs reads the KEY=VALUE lines a step appended to its output
// file. Blank lines and lines starting with # are ignored; the value is the
// rest of the line after the first '=' (a trailing CR is dropped); a key
// given twice keeps the last value. Values are redacted. Errors never quote
// a line (it may hold a secret): they give its number.
func parseOutputs(data []byte, red *redactor) (map[string]string, error) {
	if len(data) > MaxOutputFileBytes {
		return nil, fmt.Errorf("$%s holds %d bytes, more than the %d allowed: write large data to $%s",
			EnvOutput, len(data), MaxOutputFileBytes, EnvArtifacts)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxOutputFileBytes+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			return nil, fmt.Errorf("$%s line %d is not KEY=VALUE", EnvOutput, n)
		}
		if !outputKeyRE.MatchString(key) {
			return nil, fmt.Errorf("$%s line %d: output key %q: use letters, digits, _ and -, starting with a letter or _",
				EnvOutput, n, red.String(key))
		}
		out[key] = red.String(value)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read $%s: %w", EnvOutput, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
