package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hotdash/drillbook/runs"
)

// writeTable writes a table a step returned as a GFM table under its title.
// Cells are escaped ("|", Markdown syntax) and folded onto one line; rows
// shorter or longer than the header are padded to the widest.
func writeTable(b *strings.Builder, t runs.Table) {
	width := len(t.Columns)
	for _, r := range t.Rows {
		width = max(width, len(r))
	}
	if width == 0 {
		return
	}
	if title := oneLine(t.Title); title != "" {
		fmt.Fprintf(b, "#### %s\n\n", text(title))
	}
	row := func(cells []string) {
		b.WriteString("|")
		for i := range width {
			c := ""
			if i < len(cells) {
				c = text(cells[i])
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	row(t.Columns)
	b.WriteString("|" + strings.Repeat("---|", width) + "\n")
	for _, r := range t.Rows {
		row(r)
	}
	b.WriteString("\n")
	if len(t.Rows) == 0 {
		b.WriteString("_No rows._\n\n")
	}
}

// tailOf returns the last n bytes of s, starting at a character boundary.
func tailOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for i := 0; i < utf8.UTFMax && s != "" && !utf8.RuneStart(s[0]); i++ {
		s = s[1:]
	}
	return s
}
