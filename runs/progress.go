package runs

import "time"

// StepStatus is where a step stands in a run.
type StepStatus string

// The step statuses the progress query reports.
const (
	StatusPending         StepStatus = "pending"
	StatusRunning         StepStatus = "running"
	StatusWaitingApproval StepStatus = "waiting-approval"
	StatusWaitingDecision StepStatus = "waiting-decision"
	StatusWaitingManual   StepStatus = "waiting-manual"
	StatusSucceeded       StepStatus = "succeeded"
	StatusFailed          StepStatus = "failed"
	StatusSkipped         StepStatus = "skipped"
	StatusNotRun          StepStatus = "not-run"
)

// Waiting reports whether the step waits for an operator.
func (s StepStatus) Waiting() bool {
	return s == StatusWaitingApproval || s == StatusWaitingDecision || s == StatusWaitingManual
}

// Done reports whether the step reached a final status.
func (s StepStatus) Done() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusSkipped, StatusNotRun:
		return true
	}
	return false
}

// StepProgress is one step of a run as the progress query and the report see it.
type StepProgress struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Kind        string     `json:"kind"`
	Action      string     `json:"action,omitempty"`
	Section     []string   `json:"section,omitempty"`
	Cleanup     bool       `json:"cleanup,omitempty"`
	Status      StepStatus `json:"status"`
	Attempts    int        `json:"attempts"`
	StartedAt   time.Time  `json:"started_at,omitzero"`
	EndedAt     time.Time  `json:"ended_at,omitzero"`
	Error       string     `json:"error,omitempty"`
	// Note says why a step was skipped or not run, or what the operator noted.
	Note       string `json:"note,omitempty"`
	OutputTail string `json:"output_tail,omitempty"`
	// Approval records who approved or rejected the step, when and why.
	Approval *Approval     `json:"approval,omitempty"`
	Result   *ActionResult `json:"result,omitempty"`
	Findings int           `json:"findings"`
}

// Approval is an operator's decision on a gated step.
type Approval struct {
	Approved bool      `json:"approved"`
	By       string    `json:"by,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// RunStatus is where a whole run stands.
type RunStatus string

// The run statuses.
const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
	RunCanceled  RunStatus = "canceled"
)

// Progress is the answer of the `progress` query and the input of the report.
type Progress struct {
	WorkflowID string         `json:"workflow_id"`
	RunbookID  string         `json:"runbook_id"`
	Title      string         `json:"title"`
	Hash       string         `json:"hash"`
	Status     RunStatus      `json:"status"`
	StartedAt  time.Time      `json:"started_at"`
	EndedAt    time.Time      `json:"ended_at,omitzero"`
	Operator   string         `json:"operator,omitempty"`
	Apply      bool           `json:"apply"`
	Inputs     []InputValue   `json:"inputs,omitempty"`
	Steps      []StepProgress `json:"steps"`
	Error      string         `json:"error,omitempty"`
}

// InputValue is one input of a run as shown to people: secret values are "***".
type InputValue struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Secret bool   `json:"secret,omitempty"`
}
