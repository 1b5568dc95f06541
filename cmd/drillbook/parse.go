package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hotdash/drillbook/runbooks"
)

func newParseCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "parse FILE",
		Short: "Show the steps drillbook finds in a runbook",
		Long: `parse prints the runbook's steps in the order they run: #, id, kind, title,
line and attributes, then the code blocks that do not run and why.

With --json it prints the parsed runbook as it travels in workflow history;
the fields are described in docs/runbook-format.md. parse does not lint: run
drillbook lint for that.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			rb, err := runbooks.LoadFile(args[0])
			var pe *runbooks.ParseError
			switch {
			case errors.As(err, &pe):
				return usageErrorf("%s", pe.Diagnostic())
			case errors.Is(err, fs.ErrNotExist):
				return usageErrorf("%s: no such file", args[0])
			case err != nil:
				return usageErrorf("%v", err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rb)
			}
			printSteps(cmd, rb)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the parsed runbook as JSON")
	return cmd
}

func printSteps(cmd *cobra.Command, rb *runbooks.Runbook) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s: %s (sha256 %s)\n", rb.ID, rb.Title, rb.Hash)
	if len(rb.Inputs) > 0 {
		names := make([]string, len(rb.Inputs))
		for i, in := range rb.Inputs {
			names[i] = in.Name
		}
		fmt.Fprintf(out, "inputs: %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tID\tKIND\tTITLE\tLINE\tATTRIBUTES")
	for i, st := range rb.Steps {
		kind := string(st.Kind)
		if st.Action != "" {
			kind += " " + st.Action
		}
		group := ""
		if st.ParallelGroup != "" {
			group = " [parallel " + st.ParallelGroup + "]"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", i+1, st.ID, kind, clip(st.Title, 50)+group, st.Line, attrText(st.Attrs))
	}
	tw.Flush()
	if len(rb.Steps) == 0 {
		fmt.Fprintln(out, "(no steps)")
	}
	if len(rb.Skipped) > 0 {
		fmt.Fprintln(out, "\nnot run:")
		for _, b := range rb.Skipped {
			fmt.Fprintf(out, "  line %d: %s\n", b.Line, b.Reason)
		}
	}
}

func attrText(attrs []runbooks.Attr) string {
	parts := make([]string, 0, len(attrs))
	for _, a := range attrs {
		if a.Key == "id" {
			continue
		}
		v := a.Value
		if v == "" || strings.ContainsAny(v, " \t\"") {
			v = fmt.Sprintf("%q", v)
		}
		parts = append(parts, a.Key+"="+v)
	}
	return strings.Join(parts, " ")
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
