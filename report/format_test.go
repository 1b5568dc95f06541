package report

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/runs"
)

func TestDurationAndSize(t *testing.T) {
	durations := map[time.Duration]string{
		350 * time.Millisecond:                    "350ms",
		12340 * time.Millisecond:                  "12.3s",
		4*time.Minute + 12*time.Second + 400e6:    "4m12s",
		time.Hour + 2*time.Minute + 3*time.Second: "1h2m3s",
		-time.Second: "—",
	}
	for d, want := range durations {
		if got := duration(d); got != want {
			t.Errorf("duration(%s) = %q, want %q", d, got, want)
		}
	}
	sizes := map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 52_428_800: "50.0 MiB", 3 << 30: "3.0 GiB"}
	for n, want := range sizes {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestTailOf(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "def"},
		{"xé", 1, ""},   // the cut falls inside é: drop the partial character
		{"aéb", 2, "b"}, // likewise
		{"aéb", 3, "éb"},
	}
	for _, tt := range tests {
		if got := tailOf(tt.in, tt.n); got != tt.want {
			t.Errorf("tailOf(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestStepMarks(t *testing.T) {
	step := func(id string, st runs.StepStatus, started bool, cleanup bool) runs.StepProgress {
		s := runs.StepProgress{ID: id, Status: st, Cleanup: cleanup}
		if started {
			s.StartedAt = t0
		}
		return s
	}
	tests := []struct {
		name  string
		run   runs.RunStatus
		steps []runs.StepProgress
		icon  string
	}{
		{"failed, run stopped", runs.RunFailed, []runs.StepProgress{step("a", runs.StatusFailed, true, false), step("b", runs.StatusNotRun, false, false)}, IconFailed},
		{"failed, only cleanup ran", runs.RunFailed, []runs.StepProgress{step("a", runs.StatusFailed, true, false), step("c", runs.StatusSucceeded, true, true)}, IconFailed},
		{"failed, next step ran", runs.RunFailed, []runs.StepProgress{step("a", runs.StatusFailed, true, false), step("b", runs.StatusFailed, true, false)}, IconWarning},
		{"failed, run succeeded", runs.RunSucceeded, []runs.StepProgress{step("a", runs.StatusFailed, true, false)}, IconWarning},
		{"failed, next waits", runs.RunRunning, []runs.StepProgress{step("a", runs.StatusFailed, true, false), step("b", runs.StatusWaitingApproval, false, false)}, IconWarning},
		{"skipped with note", runs.RunSucceeded, []runs.StepProgress{{ID: "a", Status: runs.StatusSkipped, Note: "operator skipped"}}, IconWarning},
		{"skipped", runs.RunSucceeded, []runs.StepProgress{{ID: "a", Status: runs.StatusSkipped}}, IconSkipped},
		{"not run", runs.RunFailed, []runs.StepProgress{{ID: "a", Status: runs.StatusNotRun}}, IconSkipped},
		{"pending", runs.RunRunning, []runs.StepProgress{{ID: "a", Status: runs.StatusPending}}, IconWaiting},
		{"waiting manual", runs.RunRunning, []runs.StepProgress{{ID: "a", Status: runs.StatusWaitingManual}}, IconWaiting},
		{"succeeded", runs.RunRunning, []runs.StepProgress{{ID: "a", Status: runs.StatusSucceeded}}, IconSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			icon, _ := stepMark(runs.Progress{Status: tt.run, Steps: tt.steps}, 0)
			if icon != tt.icon {
				t.Errorf("icon = %s, want %s", icon, tt.icon)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := map[string]string{
		"pg_dump and snake_case": "pg_dump and snake_case",
		"_emph_ and *strong*":    `\_emph\_ and \*strong\*`,
		"a|b `c` <d> [e](f) ~g~": "a\\|b \\`c\\` \\<d> \\[e](f) \\~g\\~",
		`back\slash \* end\`:     `back\slash \\\* end\\`,
		"AT&T &amp; a & b":       `AT\&T \&amp; a & b`,
		"#1 is #1 ##":            `\#1 is #1 \#\#`,
		"multi\nline\r\n text":   "multi line text",
	}
	for in, want := range tests {
		if got := text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTextRendersAsWritten renders random punctuation-heavy strings as a
// paragraph and as a table cell and checks the page shows them as written.
func TestTextRendersAsWritten(t *testing.T) {
	const alphabet = "ab _*`<>[]()|~\\&#!-+=.1é;{}^$%"
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		n := rng.IntN(12) + 1
		var b strings.Builder
		for range n {
			r := []rune(alphabet)
			b.WriteRune(r[rng.IntN(len(r))])
		}
		s := b.String()
		want := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(oneLine(s))
		if want == "" {
			continue
		}
		var out bytes.Buffer
		if err := md.Convert([]byte(para(s)+"\n"), &out); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != "<p>"+want+"</p>\n" {
			t.Fatalf("paragraph %q (markdown %q) renders as %q", s, para(s), got)
		}
		out.Reset()
		if err := md.Convert([]byte("| h |\n|---|\n| "+text(s)+" |\n"), &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "<td>"+want+"</td>") {
			t.Fatalf("cell %q (markdown %q) renders as %q", s, text(s), out.String())
		}
	}
}
