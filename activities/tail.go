package activities

import (
	"strings"
	"unicode/utf8"
)

// TailBytes bounds the output tail a step returns (and that enters history).
const TailBytes = 4 << 10

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

// Write keeps the end of p; it never fails.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max { // trim now and then, not on every write
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// String returns the last max bytes, starting at a character boundary and
// with invalid UTF-8 replaced (results travel as JSON).
func (t *tailBuffer) String() string {
	return tailString(string(t.buf), t.max)
}

// tailString returns the last max bytes of s, starting at a character
// boundary, as valid UTF-8.
func tailString(s string, max int) string {
	if len(s) > max {
		s = s[len(s)-max:]
		for n := 0; n < utf8.UTFMax && s != "" && !utf8.RuneStart(s[0]); n++ {
			s = s[1:]
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// lastLine returns the last non-blank line of s, at most max bytes long.
func lastLine(s string, max int) string {
	lines := strings.Split(strings.TrimRight(s, " \t\r\n"), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > max {
		l = tailString(l, max-len("…")) // keep the end: errors end with the cause
		l = "…" + l
	}
	return l
}
