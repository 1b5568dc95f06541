package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotdash/drillbook/runs"
)

// output returns a step's output key, trimmed, or "".
func output(s runs.StepProgress, key string) string {
	if s.Result == nil {
		return ""
	}
	return strings.TrimSpace(s.Result.Outputs[key])
}

// number reads a step's numeric output; false when absent, "n/a" or not a number.
func number(s runs.StepProgress, key string) (float64, bool) {
	v, err := strconv.ParseFloat(output(s, key), 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// count reads a step's whole-number output, 0 when absent.
func count(s runs.StepProgress, key string) int {
	v, _ := strconv.Atoi(output(s, key))
	return v
}

// parseMS reads a latency as the probe's tables print it ("412 ms",
// "1.20 s", "9.87 ms"); false for "n/a" and anything else.
func parseMS(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	scale := 1.0
	switch {
	case strings.HasSuffix(s, " ms"):
		s = strings.TrimSuffix(s, " ms")
	case strings.HasSuffix(s, " s"):
		s, scale = strings.TrimSuffix(s, " s"), 1000
	default:
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v * scale, err == nil
}

// msText formats a latency for people: "521 ms", "9.5 ms", "1.24 s".
func msText(ms float64) string {
	switch {
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

// againstBudget says how a figure compares with its budget the way audits
// write it: "35% under", "12% over", "on budget".
func againstBudget(ms, budgetMS float64) string {
	if budgetMS <= 0 {
		return "—"
	}
	pct := (ms - budgetMS) / budgetMS * 100
	switch {
	case pct <= -0.5:
		return fmt.Sprintf("%.0f%% under", -pct)
	case pct >= 0.5:
		return fmt.Sprintf("%.0f%% over", pct)
	}
	return "on budget"
}

// humanDuration formats a recovery time the way people write targets:
// "350 ms", "4.2 s", "42 s", "4 min 12 s", "30 min", "1 h", "2 h 5 min".
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d < 10*time.Minute && d.Round(time.Second)%time.Minute != 0:
		d = d.Round(time.Second)
		return fmt.Sprintf("%d min %d s", d/time.Minute, d%time.Minute/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%d min", d.Round(time.Minute)/time.Minute)
	}
	d = d.Round(time.Minute)
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", d/time.Hour)
	}
	return fmt.Sprintf("%d h %d min", d/time.Hour, d%time.Hour/time.Minute)
}

// outputDuration reads a duration output: seconds ("42.0") under secsKey,
// else a Go duration ("30m0s", "1m00s") under key.
func outputDuration(s runs.StepProgress, secsKey, key string) (time.Duration, bool) {
	if secsKey != "" {
		if v, ok := number(s, secsKey); ok {
			return time.Duration(v * float64(time.Second)), true
		}
	}
	if key != "" {
		if d, err := time.ParseDuration(output(s, key)); err == nil {
			return d, true
		}
	}
	return 0, false
}

// shorten folds s onto one line and cuts it to about n bytes at a word
// boundary, with an ellipsis.
func shorten(s string, n int) string {
	s = oneLine(s)
	if len(s) <= n {
		return s
	}
	cut := s[:n]
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	for cut != "" && !utf8.ValidString(cut) { // a character cut in two
		cut = cut[:len(cut)-1]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}

// firstLine is the first non-blank line of s, trimmed.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}

// capitalize upper-cases the first letter of an ASCII word.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// thousands formats n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// joinAnd joins items as people list them: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
