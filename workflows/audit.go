package workflows

import (
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// AuditRunbook is the runbook ReliabilityAudit runs.
const AuditRunbook = "reliability-audit"

// ReliabilityAudit runs runbooks/reliability-audit.md: the Fly.io inventory,
// synthetic monitoring, health endpoints and disaster recovery, then the
// approval-gated remediation and the report. Its input is RunRunbookInput
// without "runbook": `{}` is a full audit with the default estate.
func ReliabilityAudit(ctx workflow.Context, raw converter.RawValue) (RunRunbookResult, error) {
	in, err := DecodeRunRunbookInput(raw)
	if err == nil && in.Runbook != "" && in.Runbook != AuditRunbook {
		err = badInput([]string{`field "runbook": ReliabilityAudit always runs ` + AuditRunbook + `; use RunRunbook for other runbooks`})
	}
	in.Runbook = AuditRunbook
	return runRunbook(ctx, in, err)
}
