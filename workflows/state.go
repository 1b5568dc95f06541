package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/runbooks"
	"github.com/hotdash/drillbook/runs"
)

const defaultLoadTimeout = 2 * time.Minute

// runner is one run of a runbook: the pinned runbook, the progress the query
// answers, and the operator decisions that waiting steps consume.
type runner struct {
	in       RunRunbookInput
	rb       runbooks.Runbook
	loaded   bool
	progress runs.Progress
	index    map[string]int // step id -> position in rb.Steps and progress.Steps
	scope    scope
	// pending holds an operator's decision for a waiting step until the step
	// takes it.
	pending map[string]*decision
	// failed is set when a step fails with on_failure=abort; failure says which.
	failed  bool
	failure string
}

// decision is what an operator said about a waiting step.
type decision struct {
	op       string // ApproveOp, DecideOp or CompleteOp
	approve  bool
	choice   string // retry, skip or abort
	skip     bool
	by, note string
	at       time.Time
}

func newRunner(ctx workflow.Context, in RunRunbookInput) *runner {
	if in.Runbook == "" {
		in.Runbook = DefaultRunbook
	}
	if in.Manual == "" {
		in.Manual = "wait"
	}
	info := workflow.GetInfo(ctx)
	return &runner{
		in:      in,
		index:   map[string]int{},
		pending: map[string]*decision{},
		progress: runs.Progress{
			WorkflowID: info.WorkflowExecution.ID,
			RunbookID:  in.Runbook,
			Status:     runs.RunRunning,
			StartedAt:  workflow.Now(ctx),
			Operator:   in.Operator,
			Apply:      in.Apply,
			Steps:      []runs.StepProgress{},
		},
	}
}

// pin fixes the runbook for the rest of the run and resolves its inputs.
// It returns the input problems (unknown or missing inputs), if any.
func (r *runner) pin(rb runbooks.Runbook) []string {
	r.rb = rb
	r.loaded = true
	r.progress.RunbookID = rb.ID
	r.progress.Title = rb.Title
	r.progress.Hash = rb.Hash
	r.scope = scope{inputs: map[string]string{}, secrets: map[string]bool{}, outputs: map[string]map[string]string{}}

	var problems []string
	for _, name := range sortedKeys(r.in.Inputs) {
		if rb.Input(name) == nil {
			problems = append(problems, fmt.Sprintf("inputs.%s: runbook %s has no such input", name, rb.ID))
		}
	}
	for _, input := range rb.Inputs {
		value := inputString(input.Default)
		if v, ok := r.in.Inputs[input.Name]; ok {
			value = inputString(v)
		}
		if input.Required && value == "" {
			problems = append(problems, fmt.Sprintf("inputs.%s is required (%s)", input.Name, input.Description))
		}
		r.scope.inputs[input.Name] = value
		r.scope.secrets[input.Name] = input.Secret
		shown := value
		if input.Secret && value != "" {
			shown = "***"
		}
		r.progress.Inputs = append(r.progress.Inputs, runs.InputValue{Name: input.Name, Value: shown, Secret: input.Secret})
	}
	for i, s := range rb.Steps {
		r.index[s.ID] = i
		r.progress.Steps = append(r.progress.Steps, runs.StepProgress{
			ID: s.ID, Title: s.Title, Description: s.Description, Kind: string(s.Kind), Action: s.Action,
			Section: s.SectionPath, Cleanup: s.Options.Cleanup, Status: runs.StatusPending,
		})
	}
	return problems
}

// markUnfinished records steps that never ran as not run.
func (r *runner) markUnfinished() {
	for i := range r.progress.Steps {
		if !r.progress.Steps[i].Status.Done() {
			r.progress.Steps[i].Status = runs.StatusNotRun
			if r.progress.Steps[i].Note == "" {
				r.progress.Steps[i].Note = "the run stopped before this step"
			}
		}
	}
}
