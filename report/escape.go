package report

import (
	"strings"
)

// text returns s as inline Markdown text on one line (line breaks folded
// into spaces) that renders as written. It escapes what could start inline
// syntax: * ` < [ | ~ always (| matters in table cells); \ before
// punctuation or at the end; _ unless inside a word; & before a possible
// entity; # first or in a trailing run (heading markers). It leaves the
// rest alone so that the Markdown file stays readable as text.
func text(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		escape := false
		switch c {
		case '*', '`', '<', '[', '|', '~':
			escape = true
		case '\\':
			escape = i+1 == len(s) || isPunct(s[i+1])
		case '_':
			escape = i == 0 || i+1 == len(s) || !isWord(s[i-1]) || !isWord(s[i+1])
		case '&':
			escape = i+1 < len(s) && (isLetter(s[i+1]) || s[i+1] == '#')
		case '#':
			escape = i == 0 || strings.Trim(s[i:], "# ") == ""
		}
		if escape {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isWord reports whether c is part of a word: ASCII letters and digits,
// and any byte of a non-ASCII character.
func isWord(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' || c >= 0x80 }

// isPunct reports whether c is ASCII punctuation (what a backslash escapes).
func isPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// oneLine folds runs of whitespace (line breaks included) into one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// para returns s as a one-line paragraph: like text, with a leading list,
// heading or setext marker escaped too ("- x", "1. x", "+ x", "= x").
func para(s string) string {
	t := text(s)
	if t == "" {
		return t
	}
	switch t[0] {
	case '-', '+', '=', '>':
		return `\` + t
	}
	i := 0
	for i < len(t) && i < 9 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i < len(t) && (t[i] == '.' || t[i] == ')') {
		return t[:i] + `\` + t[i:]
	}
	return t
}

// code returns s as an inline code span on one line, with a backtick fence
// longer than any backtick run inside (CommonMark), padded when needed.
// Inside table cells use cellCode.
func code(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// cellCode is code for a table cell: GFM tables cannot hold "|" in a code
// span portably, so such values fall back to escaped text.
func cellCode(s string) string {
	if strings.ContainsAny(s, "|`") {
		return text(s)
	}
	return code(s)
}

// fenced returns s as a fenced code block with the given info string. The
// fence is longer than any backtick run in s, so no line of s can close it.
func fenced(s, info string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + info + "\n" + s + fence + "\n"
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
