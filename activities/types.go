package activities

import "github.com/hotdash/drillbook/runs"

// Aliases of the shared run types, for the actions' convenience.
type (
	Severity      = runs.Severity
	Finding       = runs.Finding
	Table         = runs.Table
	Artifact      = runs.Artifact
	ActionRequest = runs.ActionRequest
	ActionResult  = runs.ActionResult
)

// The severities a finding may carry.
const (
	SeverityCritical = runs.SeverityCritical
	SeverityHigh     = runs.SeverityHigh
	SeverityMedium   = runs.SeverityMedium
	SeverityLow      = runs.SeverityLow
	SeverityInfo     = runs.SeverityInfo
)
