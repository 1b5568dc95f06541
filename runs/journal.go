package runs

import "time"

// JournalEntry is one line of the artifacts directory's journal.md, the
// append-only log of every step of every run: when, which run and step,
// what status, and the tail of the step's output.
type JournalEntry struct {
	WorkflowID string    `json:"workflow_id"`
	Step       string    `json:"step"`
	Status     string    `json:"status"`
	At         time.Time `json:"at"`
	Attempt    int       `json:"attempt,omitempty"`
	// Tail is the end of the step's output (already redacted); the journal
	// keeps its last KiB.
	Tail string `json:"tail,omitempty"`
	// Note says why (skipped, approved by, error message).
	Note string `json:"note,omitempty"`
}
