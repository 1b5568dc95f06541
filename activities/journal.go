package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hotdash/drillbook/runs"
)

// JournalFile is the journal's name in the artifacts directory.
const JournalFile = "journal.md"

// JournalTailBytes bounds the output tail of one journal entry.
const JournalTailBytes = 1 << 10

const journalHeader = "# drillbook journal\n\n" +
	"Append-only log of every step of every run: time · workflow · step · status (attempt).\n\n"

// journalMu serialises appends within this process; flock(2) serialises
// them between processes (several workers may share an artifacts directory).
var journalMu sync.Mutex

// AppendJournal appends one Markdown entry for e to <ArtifactsDir>/journal.md,
// creating the file with a header first. Each entry is a list item,
// "- 2026-12-03T13:00:00Z · <workflow-id> · <step> · <status> (attempt N) — <note>",
// followed, when e.Tail is set, by its last KiB as an indented code block.
// A zero e.At means now. The entry is written with one write to a file
// opened O_APPEND, under a mutex and an exclusive flock, so entries from
// concurrent goroutines and processes never interleave. The workflow calls
// it as a local activity; it is idempotent only in the sense that a retry
// appends the entry again (the journal is a log, not a record).
func (a *Activities) AppendJournal(ctx context.Context, e runs.JournalEntry) error {
	root, err := a.artifactsRoot()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("create artifacts directory: %w", err)
	}
	entry := formatJournalEntry(e, time.Now)

	journalMu.Lock()
	defer journalMu.Unlock()
	f, err := os.OpenFile(filepath.Join(root, JournalFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	if err := lockFile(ctx, f); err != nil {
		return fmt.Errorf("lock journal: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat journal: %w", err)
	}
	if fi.Size() == 0 {
		entry = journalHeader + entry
	}
	if _, err := f.WriteString(entry); err != nil {
		return fmt.Errorf("append to journal: %w", err)
	}
	if err := f.Close(); err != nil { // also releases the lock
		return fmt.Errorf("append to journal: %w", err)
	}
	return nil
}

// lockFile takes an exclusive flock on f, polling so that ctx can end the wait.
func lockFile(ctx context.Context, f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// formatJournalEntry renders e as a Markdown list item (see AppendJournal).
func formatJournalEntry(e runs.JournalEntry, now func() time.Time) string {
	at := e.At
	if at.IsZero() {
		at = now()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- %s · %s · %s · %s", at.UTC().Format(time.RFC3339),
		oneLine(e.WorkflowID), oneLine(e.Step), oneLine(e.Status))
	if e.Attempt > 0 {
		fmt.Fprintf(&b, " (attempt %d)", e.Attempt)
	}
	if note := oneLine(e.Note); note != "" {
		b.WriteString(" — " + note)
	}
	b.WriteString("\n")
	tail := strings.TrimRight(strings.ReplaceAll(e.Tail, "\r\n", "\n"), " \t\r\n")
	if tail == "" {
		return b.String()
	}
	if len(tail) > JournalTailBytes {
		tail = "…\n" + tailString(tail, JournalTailBytes)
	} else {
		tail = strings.ToValidUTF8(tail, "\uFFFD")
	}
	b.WriteString("\n")
	for _, line := range strings.Split(tail, "\n") {
		if strings.TrimSpace(line) == "" {
			b.WriteString("\n")
			continue
		}
		// Inside a list item (content at column 2) a code block is indented 4 more.
		b.WriteString("      " + strings.TrimRight(line, "\r") + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// oneLine folds s onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
