// Package runs holds the plain, JSON-serialisable types that describe a run:
// what a step asks for, what it returns, its findings, and the progress of a run.
// Workflows, activities and the report share them; it imports nothing of ours.
package runs

// Severity ranks a finding, most urgent first.
type Severity string

// The severities a finding may carry.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// Finding is one thing an action found wrong (or worth knowing), shaped like a
// line of a hand-written audit: what, why it matters, and the command that fixes it.
type Finding struct {
	Severity   Severity `json:"severity"`
	Category   string   `json:"category,omitempty"` // e.g. "fly", "latency", "health", "dr"
	Title      string   `json:"title"`
	Subject    string   `json:"subject,omitempty"` // app, machine, target or database concerned
	Impact     string   `json:"impact,omitempty"`
	Resolution string   `json:"resolution,omitempty"` // a command an operator can paste
	Evidence   string   `json:"evidence,omitempty"`
}

// Table is a small, bounded table an action hands to the report.
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Artifact is a file an action wrote under the artifacts directory.
type Artifact struct {
	Path   string `json:"path"` // relative to the artifacts directory
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ActionRequest is what the engine passes to every built-in action
// (`drill ACTION` blocks). Params are the block's YAML parameters after
// ${inputs.*} and ${steps.*} substitution; `env:NAME` values and ${env.*}
// references are still unresolved: actions resolve them inside the worker so
// that secret values never enter workflow history.
type ActionRequest struct {
	WorkflowID string         `json:"workflow_id"`
	StepID     string         `json:"step_id"`
	Params     map[string]any `json:"params"`
	// Attempt counts the step's runs, from 1, when the engine retries a step
	// itself; 0 means "use the activity's attempt". Logs show it.
	Attempt int `json:"attempt,omitempty"`
	// Apply is true when the run was started with apply=true; risky actions
	// are dry-run unless it is set (and they still need approval).
	Apply bool `json:"apply"`
	// Kind is "shell", "sql" or "action"; Body is the script or the query.
	Kind string `json:"kind,omitempty"`
	Body string `json:"body,omitempty"`
	// Env holds the run's inputs by upper-case name, as given: a value may be
	// an `env:NAME` reference that only the worker resolves.
	Env map[string]string `json:"env,omitempty"`
	// Secrets names the Env entries whose resolved values must never appear
	// in output, logs or artifacts: the worker redacts them.
	Secrets []string `json:"secrets,omitempty"`
	// Database is the target of a sql step (a DSN or an `env:NAME` reference)
	// and Write allows it to change data.
	Database string `json:"database,omitempty"`
	Write    bool   `json:"write,omitempty"`
}

// ActionResult is what every built-in action returns. It travels in workflow
// history, so it stays small (well under 256 KiB): large data goes to artifacts.
type ActionResult struct {
	Summary   string            `json:"summary,omitempty"`
	Outputs   map[string]string `json:"outputs,omitempty"`
	Findings  []Finding         `json:"findings,omitempty"`
	Tables    []Table           `json:"tables,omitempty"`
	Artifacts []Artifact        `json:"artifacts,omitempty"`
	// OutputTail is the last few KiB of a command's output (secrets redacted).
	OutputTail string `json:"output_tail,omitempty"`
	// ExitCode is a shell step's exit status.
	ExitCode int `json:"exit_code,omitempty"`
}
