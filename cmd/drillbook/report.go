package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hotdash/drillbook/report"
)

// reportFlags are the flags of `drillbook report`.
type reportFlags struct {
	client clientFlags
	html   bool
	output string
}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report WORKFLOW_ID [--html] [-o FILE]",
		Short: "Render the report of a run (Markdown, or HTML with --html)",
		Long: `Render the report of a run from its progress, here and now: the run's facts,
its inputs (secret values as ***), the steps at a glance, the findings by
severity with the commands that resolve them, and each step's details.

It works on running runs too (a report so far) and needs no access to the
worker's artifacts directory, where a finished run's report.md and
report.html already are. Writes to stdout unless -o is given.`,
		Example: `  drillbook report backup-restore-20250101T120000-3f2a
  drillbook report backup-restore-20250101T120000-3f2a -o drill.md
  drillbook report backup-restore-20250101T120000-3f2a --html -o drill.html`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd, args[0], &f)
		},
	}
	f.client.bind(cmd)
	cmd.Flags().BoolVar(&f.html, "html", false, "render HTML (a standalone page) instead of Markdown")
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of stdout")
	return cmd
}

// runReport queries the run's progress and renders it.
func runReport(cmd *cobra.Command, workflowID string, f *reportFlags) error {
	if f.output != "" {
		if info, err := os.Stat(f.output); err == nil && info.IsDir() {
			return usageErrorf("-o %s: is a directory, want a file name", f.output)
		}
		if dir := filepath.Dir(f.output); dir != "" {
			if _, err := os.Stat(dir); err != nil {
				return usageErrorf("-o %s: %v", f.output, err)
			}
		}
	}
	c, err := dialClient(cmd, &f.client)
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := queryProgress(cmd.Context(), c, workflowID)
	if err != nil {
		return err
	}
	doc := report.Markdown(p, report.Options{})
	if f.html {
		if doc, err = report.HTML(doc, report.Title(p)); err != nil {
			return failedErrorf("render the HTML report of %s: %w", workflowID, err)
		}
	}
	if f.output == "" {
		_, err := io.WriteString(cmd.OutOrStdout(), doc)
		return err
	}
	if err := writeFileAtomic(f.output, []byte(doc)); err != nil {
		return failedErrorf("write report: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d bytes)\n", f.output, len(doc))
	return nil
}

// writeFileAtomic writes data to a temporary file next to name and renames
// it into place, so that a reader never sees half a report.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
