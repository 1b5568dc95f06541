package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// inputsFlag collects repeated `--input NAME=VALUE` flags. Values stay
// strings: the runbook's front matter gives them meaning, and an
// `env:NAME` value passes through untouched, to be resolved by the worker
// (so a secret never leaves the worker's environment).
//
// A malformed flag (no `=`, an empty name, a name given twice) is a flag
// error, which exits with code 2 before anything contacts the server.
type inputsFlag struct {
	values map[string]string
}

// bindInputs adds --input (short -i) to cmd.
func bindInputs(cmd *cobra.Command, f *inputsFlag) {
	cmd.Flags().VarP(f, "input", "i", "runbook input NAME=VALUE (repeatable); VALUE env:VAR is read from the worker's environment")
}

// Set parses one NAME=VALUE pair; it implements pflag.Value.
func (f *inputsFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want NAME=VALUE, e.g. source=env:DATABASE_URL")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return fmt.Errorf("empty input name in %q: want NAME=VALUE", s)
	}
	if strings.ContainsAny(name, " \t\n") {
		return fmt.Errorf("input name %q contains white space", name)
	}
	if f.values == nil {
		f.values = map[string]string{}
	}
	if _, dup := f.values[name]; dup {
		return fmt.Errorf("input %q given twice", name)
	}
	f.values[name] = value
	return nil
}

// String shows the inputs sorted by name; it implements pflag.Value.
func (f *inputsFlag) String() string {
	names := make([]string, 0, len(f.values))
	for name := range f.values {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + f.values[name]
	}
	return strings.Join(parts, ",")
}

// Type names the flag's value in --help; it implements pflag.Value.
func (f *inputsFlag) Type() string { return "NAME=VALUE" }

// Map is the inputs as the workflow input wants them (nil when none).
func (f *inputsFlag) Map() map[string]any {
	if len(f.values) == 0 {
		return nil
	}
	m := make(map[string]any, len(f.values))
	for name, value := range f.values {
		m[name] = value
	}
	return m
}
