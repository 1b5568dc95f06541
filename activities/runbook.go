package activities

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/hotdash/drillbook/runbooks"
	"github.com/hotdash/drillbook/runs"
)

// Error types of LoadRunbook's non-retryable errors.
const (
	ErrRunbookNotFound = "RunbookNotFound"
	ErrRunbookInvalid  = "RunbookInvalid"
)

// LoadRunbookResult is a parsed, lint-clean runbook, pinned into the run.
type LoadRunbookResult struct {
	Runbook runbooks.Runbook `json:"runbook"`
	// Warnings are lint warnings, as path:line:col: severity: message.
	Warnings []string `json:"warnings,omitempty"`
	// SearchAttributes is true when the namespace has drillbook's search
	// attributes, so the run may set them.
	SearchAttributes bool `json:"search_attributes"`
}

// LoadRunbook reads and parses a runbook (from --runbooks, then the embedded
// ones) and lints it. Lint errors and a missing runbook are non-retryable.
func (a *Activities) LoadRunbook(_ context.Context, req runs.LoadRunbookRequest) (LoadRunbookResult, error) {
	rb, err := runbooks.Loader{Dir: a.RunbooksDir}.Load(req.Runbook)
	if err != nil {
		if errors.Is(err, runbooks.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return LoadRunbookResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("runbook %q not found (embedded: %s)", req.Runbook, strings.Join(runbooks.Embedded(), ", ")),
				ErrRunbookNotFound, err)
		}
		return LoadRunbookResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("load runbook %q: %v", req.Runbook, err), ErrRunbookInvalid, err)
	}
	var errs, warnings []string
	for _, d := range runbooks.Lint(rb) {
		if d.Severity == runbooks.SeverityError {
			errs = append(errs, d.String())
		} else {
			warnings = append(warnings, d.String())
		}
	}
	if len(errs) > 0 {
		return LoadRunbookResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("runbook %q has lint errors:\n%s", req.Runbook, strings.Join(errs, "\n")), ErrRunbookInvalid, nil, errs)
	}
	rb.Diagnostics = nil
	for i := range rb.Inputs {
		if v, ok := a.InputDefaults[rb.Inputs[i].Name]; ok {
			rb.Inputs[i].Default = v
		}
	}
	return LoadRunbookResult{Runbook: *rb, Warnings: warnings, SearchAttributes: a.SearchAttributes}, nil
}
