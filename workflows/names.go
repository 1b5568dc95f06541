// Package workflows holds drillbook's deterministic workflow code only: no
// goldmark, pgx or fly-go calls, no wall clock, no map iteration.
package workflows

// TaskQueue is the task queue every drillbook worker polls.
const TaskQueue = "drillbook"

// Workflow type names, as the Temporal UI and CLI show them.
const (
	RunRunbookWorkflow       = "RunRunbook"
	ReliabilityAuditWorkflow = "ReliabilityAudit"
	RestoreDrillWorkflow     = "RestoreDrill"
)

// Activity names.
const (
	PingActivity          = "Ping"
	LoadRunbookActivity   = "LoadRunbook"
	RunShellActivity      = "RunShell"
	RunSQLActivity        = "RunSQL"
	RenderReportActivity  = "RenderReport"
	AppendJournalActivity = "AppendJournal"
)

// ProgressQuery answers a run's runs.Progress.
const ProgressQuery = "progress"

// Operator operations. Each is both an Update (validated, for the CLI) and a
// Signal of the same name (for the Temporal UI), with the same payload.
const (
	ApproveOp  = "approve"  // payload ApproveRequest
	DecideOp   = "decide"   // payload DecideRequest
	CompleteOp = "complete" // payload CompleteRequest
)

// Search attributes every run sets (keyword).
const (
	RunbookIDAttribute   = "RunbookID"
	RunbookHashAttribute = "RunbookHash"
)

// Error types of the non-retryable errors a run fails with.
const (
	ErrBadInput      = "BadInput"
	ErrRunbookFailed = "RunbookFailed"
)
