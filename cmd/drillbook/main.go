// Command drillbook runs Markdown runbooks as durable Temporal workflows.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command (DESIGN.md, "The command line").
const (
	exitOK       = 0
	exitFailed   = 1 // the run failed, lint found errors or a budget was breached
	exitBadUsage = 2 // bad usage or bad input
)

// exitError carries an exit code out of a command's RunE.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is an error that exits with code 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitBadUsage, err: fmt.Errorf(format, args...)}
}

// failedErrorf is an error that exits with code 1.
func failedErrorf(format string, args ...any) error {
	return &exitError{code: exitFailed, err: fmt.Errorf(format, args...)}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "drillbook",
		Short: "Run Markdown runbooks as durable Temporal workflows",
		Long: `drillbook runs an operations team's Markdown runbooks as durable Temporal
workflows: every step is a retryable activity, risky steps wait for approval,
and a run interrupted anywhere resumes where it stopped.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          usageArgs(cobra.NoArgs),
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitBadUsage, err: err}
	})
	for _, newCmd := range []func() *cobra.Command{
		newVersionCmd,
		newDevCmd,
		newDemoCmd,
		newWorkerCmd,
		newSandboxCmd,
		newLintCmd, newParseCmd,
		newRunCmd, newDrillCmd, newStatusCmd, newApproveCmd, newDecideCmd, newCompleteCmd, newReportCmd,
		newCheckCmd, newScheduleCmd,
	} {
		root.AddCommand(newCmd())
	}
	return root
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and maps errors to exit codes.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "drillbook:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailed
}

// usageArgs wraps a positional-argument check so that its error exits with code 2.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &exitError{code: exitBadUsage, err: err}
		}
		return nil
	}
}
