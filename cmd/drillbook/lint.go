package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hotdash/drillbook/runbooks"
)

func newLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check runbooks and print path:line:col: severity: message",
		Long: `lint parses each runbook and prints every problem as
path:line:col: severity: message. Warnings and notes do not fail the command.

Exit status: 0 no errors, 1 some runbook has errors, 2 a file cannot be read.
The rules are listed in docs/runbook-format.md.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			files, errs := 0, 0
			var unreadable []string
			for _, path := range args {
				diags, err := lintFile(path)
				if err != nil {
					unreadable = append(unreadable, err.Error())
					continue
				}
				if runbooks.HasErrors(diags) {
					files++
				}
				for _, d := range diags {
					fmt.Fprintln(out, d)
					if d.Severity == runbooks.SeverityError {
						errs++
					}
				}
			}
			if len(unreadable) > 0 {
				return usageErrorf("%s", strings.Join(unreadable, "\n"))
			}
			if errs > 0 {
				return failedErrorf("%d errors in %d of %d runbooks", errs, files, len(args))
			}
			return nil
		},
	}
}

// lintFile lints one file. A file that is not a text runbook (binary, not
// UTF-8, too large) yields one error diagnostic; an error means the file
// could not be read at all.
func lintFile(path string) ([]runbooks.Diagnostic, error) {
	rb, err := runbooks.LoadFile(path)
	var pe *runbooks.ParseError
	switch {
	case errors.As(err, &pe):
		return []runbooks.Diagnostic{pe.Diagnostic()}, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file", path)
	case err != nil:
		return nil, err
	}
	return runbooks.Lint(rb), nil
}
