package runbooks

import (
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
)

// inlineText returns the plain text of a block's inline content: soft line
// breaks become spaces, code spans keep their backticks, links keep their
// text, raw HTML and task checkboxes are dropped.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	writeInline(&b, n, src)
	return strings.TrimSpace(b.String())
}

func writeInline(b *strings.Builder, n ast.Node, src []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			switch {
			case c.HardLineBreak():
				b.WriteByte('\n')
			case c.SoftLineBreak():
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.CodeSpan:
			b.WriteByte('`')
			writeInline(b, c, src)
			b.WriteByte('`')
		case *ast.AutoLink:
			b.Write(c.Label(src))
		case *ast.RawHTML, *east.TaskCheckBox:
		default:
			writeInline(b, c, src)
		}
	}
}

// slug turns a title into an id: lower-case ASCII letters and digits joined
// by single dashes, at most 48 characters, cut at a dash.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() > 64 {
			break
		}
	}
	s := b.String()
	if len(s) > 48 {
		s = s[:48]
		if i := strings.LastIndexByte(s, '-'); i > 16 {
			s = s[:i]
		}
		s = strings.TrimRight(s, "-")
	}
	return s
}

// ids hands out unique ids: base, then base-2, base-3 ... for repeats.
type ids struct {
	used map[string]bool
	next map[string]int // next suffix to try per base
}

func newIDs() *ids { return &ids{used: map[string]bool{}, next: map[string]int{}} }

// take returns base or the first free base-N and marks it used.
func (a *ids) take(base string) string {
	id := base
	n := max(a.next[base], 2)
	for a.used[id] {
		id = base + "-" + strconv.Itoa(n)
		n++
	}
	a.next[base] = n
	a.used[id] = true
	return id
}

// truncate shortens s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
