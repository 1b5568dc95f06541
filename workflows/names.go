// Package workflows holds drillbook's deterministic workflow code only: no
// goldmark, pgx or fly-go, no wall clock, no map iteration.
package workflows

// TaskQueue is the task queue every drillbook worker polls.
const TaskQueue = "drillbook"

// Workflow type names, as the Temporal UI and CLI show them.
const (
	RunRunbookWorkflow = "RunRunbook"
)

// Activity names.
const (
	PingActivity = "Ping"
)
