package activities

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/hotdash/drillbook/runs"
)

var journalAt = time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)

func TestFormatJournalEntry(t *testing.T) {
	now := func() time.Time { return journalAt.Add(time.Hour) }
	tests := []struct {
		name string
		e    runs.JournalEntry
		want string
	}{
		{"plain", runs.JournalEntry{WorkflowID: "wf-1", Step: "dump", Status: "succeeded", At: journalAt, Attempt: 1},
			"- 2026-12-03T13:00:00Z · wf-1 · dump · succeeded (attempt 1)\n"},
		{"no attempt, zero time, note", runs.JournalEntry{WorkflowID: "wf-1", Step: "tell-ops", Status: "skipped", Note: "not\nneeded "},
			"- 2026-12-03T14:00:00Z · wf-1 · tell-ops · skipped — not needed\n"},
		{"local time", runs.JournalEntry{WorkflowID: "wf", Step: "s", Status: "failed", At: journalAt.In(time.FixedZone("CET", 3600)), Attempt: 2},
			"- 2026-12-03T13:00:00Z · wf · s · failed (attempt 2)\n"},
		{"tail", runs.JournalEntry{WorkflowID: "wf", Step: "s", Status: "failed", At: journalAt, Attempt: 3,
			Tail: "line 1\r\n\n```\nerror: boom\n\n"},
			"- 2026-12-03T13:00:00Z · wf · s · failed (attempt 3)\n\n      line 1\n\n      ```\n      error: boom\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatJournalEntry(tt.e, now); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}

	long := formatJournalEntry(runs.JournalEntry{Tail: strings.Repeat("0123456789\n", 500) + "last"}, now)
	if len(long) > 2*JournalTailBytes || !strings.Contains(long, "      …\n") || !strings.HasSuffix(long, "      last\n\n") {
		t.Errorf("long tail not bounded to its end (%d bytes):\n%s", len(long), long)
	}
}

func TestAppendJournalConcurrent(t *testing.T) {
	a := &Activities{ArtifactsDir: filepath.Join(t.TempDir(), "artifacts")}
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := runs.JournalEntry{WorkflowID: "wf", Step: fmt.Sprintf("s%02d", i), Status: "succeeded", At: journalAt,
				Attempt: 1, Tail: strings.Repeat(fmt.Sprintf("%02d", i), 400)}
			if err := a.AppendJournal(t.Context(), e); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	checkJournal(t, filepath.Join(a.ArtifactsDir, JournalFile), n)
}

// checkJournal checks the header comes once and each of n entries is whole.
func checkJournal(t *testing.T, path string, n int) {
	t.Helper()
	data := readFile(t, path)
	if !strings.HasPrefix(data, journalHeader) || strings.Count(data, "# drillbook journal") != 1 {
		t.Errorf("journal header missing or repeated:\n%.300s", data)
	}
	entries := strings.Split(strings.TrimPrefix(data, journalHeader), "- 2026-")
	if len(entries)-1 != n {
		t.Fatalf("%d entries, want %d", len(entries)-1, n)
	}
	for _, e := range entries[1:] {
		head, tail, _ := strings.Cut(e, "\n\n      ")
		m := regexp.MustCompile(` · s(\d\d) · `).FindStringSubmatch(head)
		if m == nil || strings.TrimSpace(tail) != strings.Repeat(m[1], 400) {
			t.Errorf("entry %q is not whole: %.80q", head, tail)
		}
	}
}

// TestAppendJournalProcesses appends from several processes at once (this
// test binary, re-run as a helper).
func TestAppendJournalProcesses(t *testing.T) {
	if dir := os.Getenv("DRILLBOOK_JOURNAL_HELPER"); dir != "" {
		a := &Activities{ArtifactsDir: dir}
		for i := range 25 {
			id := os.Getenv("DRILLBOOK_JOURNAL_ID")
			e := runs.JournalEntry{WorkflowID: "wf-" + fmt.Sprint(i), Step: "s" + id, Status: "failed", At: journalAt,
				Tail: strings.Repeat(id, 400)}
			if err := a.AppendJournal(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for p := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAppendJournalProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DRILLBOOK_JOURNAL_HELPER="+dir, fmt.Sprintf("DRILLBOOK_JOURNAL_ID=%02d", p))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	checkJournal(t, filepath.Join(dir, JournalFile), 100)
}

func TestAppendJournalAsLocalActivity(t *testing.T) {
	a := &Activities{ArtifactsDir: t.TempDir()}
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(a.AppendJournal)
	e := runs.JournalEntry{WorkflowID: "wf", Step: "dump", Status: "succeeded", At: journalAt, Attempt: 1}
	if _, err := env.ExecuteLocalActivity(a.AppendJournal, e); err != nil {
		t.Fatal(err)
	}
	want := journalHeader + "- 2026-12-03T13:00:00Z · wf · dump · succeeded (attempt 1)\n"
	if got := readFile(t, filepath.Join(a.ArtifactsDir, JournalFile)); got != want {
		t.Errorf("journal = %q, want %q", got, want)
	}
}
