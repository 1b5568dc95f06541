// Package activities holds every Temporal activity drillbook runs: one file per
// integration, all methods on the Activities struct, which holds the clients.
package activities

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
	// Apply is true when the run was started with apply=true; risky actions
	// are dry-run unless it is set (and they still need approval).
	Apply bool `json:"apply"`
}

// ActionResult is what every built-in action returns. It travels in workflow
// history, so it stays small (well under 256 KiB): large data goes to artifacts.
type ActionResult struct {
	Summary   string            `json:"summary,omitempty"`
	Outputs   map[string]string `json:"outputs,omitempty"`
	Findings  []Finding         `json:"findings,omitempty"`
	Tables    []Table           `json:"tables,omitempty"`
	Artifacts []Artifact        `json:"artifacts,omitempty"`
}
