package workflows

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// varPattern matches ${inputs.NAME}, ${steps.ID.outputs.KEY} and ${env.NAME}.
var varPattern = regexp.MustCompile(`\$\{\s*(inputs|steps|env)\.([A-Za-z0-9_.\-]+)\s*\}`)

// scope is what variables resolve against. Env references are left for the
// worker to resolve, so that their values never enter history.
type scope struct {
	inputs  map[string]string
	secrets map[string]bool
	outputs map[string]map[string]string
}

// expand substitutes ${inputs.*} and ${steps.*} in s. ${env.*} stays.
func (sc *scope) expand(s string) string {
	return varPattern.ReplaceAllStringFunc(s, func(m string) string {
		parts := varPattern.FindStringSubmatch(m)
		switch parts[1] {
		case "inputs":
			return sc.inputs[parts[2]]
		case "steps":
			id, key, ok := strings.Cut(parts[2], ".outputs.")
			if !ok {
				return ""
			}
			return sc.outputs[id][key]
		}
		return m
	})
}

// expandShell substitutes variables in a shell script. Secret inputs and
// ${env.*} become shell variable references, so their values are only ever
// seen by the shell inside the worker.
func (sc *scope) expandShell(s string) string {
	return varPattern.ReplaceAllStringFunc(s, func(m string) string {
		parts := varPattern.FindStringSubmatch(m)
		switch {
		case parts[1] == "inputs" && sc.secrets[parts[2]]:
			return "${" + envName(parts[2]) + "}"
		case parts[1] == "env":
			return "${" + parts[2] + "}"
		}
		return sc.expand(m)
	})
}

// expandParams substitutes variables in every string of an action's parameters.
func (sc *scope) expandParams(v any) any {
	switch t := v.(type) {
	case string:
		return sc.expand(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for _, k := range sortedKeys(t) {
			out[k] = sc.expandParams(t[k])
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = sc.expandParams(e)
		}
		return out
	}
	return v
}

// envName is the environment variable a shell step sees an input as.
func envName(input string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(input))
}

// evalWhen evaluates a step's `when` expression after substitution:
// `A == B`, `A != B`, `!A` or `A`, where A is true unless it is empty,
// "false", "0", "no" or "off". Quotes around operands are ignored.
func (sc *scope) evalWhen(expr string) bool {
	s := strings.TrimSpace(sc.expand(expr))
	if l, r, ok := strings.Cut(s, "!="); ok {
		return unquote(l) != unquote(r)
	}
	if l, r, ok := strings.Cut(s, "=="); ok {
		return unquote(l) == unquote(r)
	}
	if rest, ok := strings.CutPrefix(s, "!"); ok {
		return !truthy(unquote(rest))
	}
	return truthy(unquote(s))
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no", "off":
		return false
	}
	return true
}

// inputString renders an input value as the string steps see.
func inputString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int:
		return strconv.Itoa(t)
	}
	return ""
}

// sortedKeys returns m's keys in sorted order: the one place workflow code
// ranges over a map, and the result does not depend on the map's order.
//
//workflowcheck:ignore
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
