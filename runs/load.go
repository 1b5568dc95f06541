package runs

// LoadRunbookRequest names the runbook a run executes.
type LoadRunbookRequest struct {
	Runbook string `json:"runbook"`
}
