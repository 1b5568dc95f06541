package runbooks

import (
	"bytes"
	"fmt"
	"sort"
	"unicode/utf8"
)

// MaxSize is the largest runbook Parse accepts. A runbook travels in
// workflow history, where payloads stay well under this; anything bigger is
// almost certainly not a runbook.
const MaxSize = 4 << 20

var bom = []byte("\xef\xbb\xbf")

// Normalise returns src with a leading byte order mark removed, CRLF and lone
// CR line endings turned into LF, and a final newline added if missing. The
// runbook hash is taken over this form, so the same runbook saved on Windows
// or Unix has the same hash. Tabs and setext headings are left as written:
// goldmark already treats them as CommonMark says (tab stops of 4, setext
// headings as headings), and tabs inside code must survive (`<<-EOF`).
func Normalise(src []byte) []byte {
	src = bytes.TrimPrefix(src, bom)
	if bytes.IndexByte(src, '\r') < 0 {
		if len(src) > 0 && src[len(src)-1] != '\n' {
			return append(src[:len(src):len(src)], '\n')
		}
		return src
	}
	out := make([]byte, 0, len(src)+1)
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\r' {
			out = append(out, '\n')
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, c)
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out
}

// checkInput rejects input that is not a text runbook: too large, binary
// (a NUL byte) or not UTF-8. It runs on the normalised source so that
// positions match the file's lines.
func checkInput(path string, src []byte, idx *lineIndex) error {
	if i := bytes.IndexByte(src, 0); i >= 0 {
		p := idx.pos(i)
		return &ParseError{Path: path, Line: p.Line, Col: p.Col, Rule: "encoding",
			Msg: "binary file: NUL byte; a runbook is UTF-8 Markdown text"}
	}
	if !utf8.Valid(src) {
		off := 0
		for off < len(src) {
			r, n := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		p := idx.pos(off)
		return &ParseError{Path: path, Line: p.Line, Col: p.Col, Rule: "encoding",
			Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x); save the runbook as UTF-8", src[off])}
	}
	return nil
}

// pos is a 1-based line and column in the file.
type pos struct {
	Line, Col int
}

// lineIndex maps byte offsets of the normalised source to lines and columns.
type lineIndex struct {
	src    []byte
	starts []int // byte offset of the start of each line
	// The last position computed, so that columns of increasing offsets on
	// one long line are counted incrementally rather than from the line start.
	lastLine, lastOff, lastCol int
}

func newLineIndex(src []byte) *lineIndex {
	starts := make([]int, 1, bytes.Count(src, []byte{'\n'})+1)
	for i, c := range src {
		if c == '\n' && i+1 < len(src) {
			starts = append(starts, i+1)
		}
	}
	return &lineIndex{src: src, starts: starts, lastLine: -1}
}

// line returns the 0-based line holding off.
func (li *lineIndex) line(off int) int {
	return sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
}

// pos returns the 1-based line and column (in characters) of off.
func (li *lineIndex) pos(off int) pos {
	off = max(0, min(off, len(li.src)))
	l := max(0, li.line(off))
	var col int
	if l == li.lastLine && off >= li.lastOff {
		col = li.lastCol + utf8.RuneCount(li.src[li.lastOff:off])
	} else {
		col = utf8.RuneCount(li.src[li.starts[l]:off]) + 1
	}
	li.lastLine, li.lastOff, li.lastCol = l, off, col
	return pos{Line: l + 1, Col: col}
}

// text returns the content of the 0-based line l without its newline, or
// nil and false past the end.
func (li *lineIndex) text(l int) ([]byte, bool) {
	if l < 0 || l >= len(li.starts) {
		return nil, false
	}
	start := li.starts[l]
	end := len(li.src)
	if l+1 < len(li.starts) {
		end = li.starts[l+1]
	}
	return bytes.TrimSuffix(li.src[start:end], []byte{'\n'}), true
}
