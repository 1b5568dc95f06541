package runbooks

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark/ast"
	"gopkg.in/yaml.v3"
)

// runnableLanguages maps info-string languages to step kinds.
var runnableLanguages = map[string]Kind{
	"sh": KindShell, "bash": KindShell, "shell": KindShell,
	"sql":   KindSQL,
	"drill": KindAction,
}

var runnableNames = []string{"sh", "bash", "shell", "sql", "drill"}

// outputLanguages are display-only languages that, right after a runnable
// block, hold its expected output.
var outputLanguages = map[string]bool{
	"": true, "output": true, "text": true, "txt": true, "plain": true, "plaintext": true,
	"console": true, "json": true, "log": true, "logs": true, "stdout": true, "stderr": true,
	"result": true, "terminal": true, "shell-session": true, "sh-session": true,
}

// displayLanguages are display-only languages common in runbooks that need
// no diagnostic: data, config and documentation formats.
var displayLanguages = map[string]bool{
	"yaml": true, "yml": true, "toml": true, "ini": true, "xml": true, "html": true,
	"markdown": true, "md": true, "diff": true, "patch": true, "csv": true, "mermaid": true,
}

// fenced handles a fenced code block: a step, expected output or display-only.
func (p *parseState) fenced(n *ast.FencedCodeBlock) {
	start := blockStart(n)
	at := p.pos(start)
	info, infoOff := "", 0
	if n.Info != nil {
		info, infoOff = string(n.Info.Segment.Value(p.md)), n.Info.Segment.Start
	}
	is := parseInfo(info)
	if !p.fenceClosed(n, start) {
		p.diagAt(at, SeverityError, "unclosed-fence",
			"code fence is never closed: everything after it, to the end of its list item, quote or document, is part of the block")
	}
	kind, ok := runnableLanguages[is.Lang]
	if !ok {
		p.displayOnly(n, is.Lang, at)
		return
	}
	st := Step{Kind: kind, Language: is.Lang, Line: at.Line, Col: at.Col}
	for _, pr := range is.Problems {
		p.diagAt(p.pos(infoOff+pr.Off), SeverityError, "info-string", pr.Msg)
	}
	words := is.Words
	if kind == KindAction {
		if len(words) == 0 {
			p.diagAt(at, SeverityError, "unknown-action", "drill block without an action: write ```drill postgres.backup")
		} else {
			st.Action, words = words[0].Text, words[1:]
		}
	}
	for _, w := range words {
		p.diagAt(p.pos(infoOff+w.Off), SeverityWarning, "info-string",
			fmt.Sprintf("%q in the info string is ignored: attributes go in braces, e.g. {id=check timeout=5m}", w.Text))
	}
	for _, a := range is.Attrs {
		st.Attrs = append(st.Attrs, Attr{Key: a.Key, Value: a.Value, Col: p.pos(infoOff + a.Off).Col})
	}
	st.Options = parseOptions(st.Attrs)
	body, lines := p.codeLines(n)
	st.Body = body
	st.lines = lines
	if kind == KindShell {
		st.Body, st.ExpectedOutput, st.lines = transcript(body, lines)
	}
	if kind == KindAction {
		st.Params, st.paramPos = p.params(body, lines, at)
	}
	p.place(st)
	p.lastFence = n
}

// codeLines returns a code block's text and the file position of each line.
func (p *parseState) codeLines(n ast.Node) (string, []pos) {
	segs := n.Lines()
	var b strings.Builder
	lines := make([]pos, 0, segs.Len())
	for i := range segs.Len() {
		seg := segs.At(i)
		b.Write(seg.Value(p.md))
		lines = append(lines, p.pos(seg.Start))
	}
	return b.String(), lines
}

// fenceClosed reports whether a closing fence follows the block. goldmark
// silently ends an unclosed fence at the end of its container, so the line
// after the block's last line must be a fence of the same character, at least
// as long, with nothing after it (container markers `>` and indentation are
// skipped).
func (p *parseState) fenceClosed(n *ast.FencedCodeBlock, start int) bool {
	fo := p.base + start
	if fo >= len(p.src) || (p.src[fo] != '`' && p.src[fo] != '~') {
		return true // not where we expect a fence: do not guess
	}
	c := p.src[fo]
	length := 0
	for fo+length < len(p.src) && p.src[fo+length] == c {
		length++
	}
	last := p.idx.line(fo)
	if segs := n.Lines(); segs.Len() > 0 {
		last = p.idx.line(p.base + segs.At(segs.Len()-1).Start)
	}
	t, ok := p.idx.text(last + 1)
	if !ok {
		return false
	}
	t = bytes.TrimLeft(t, " \t>")
	k := 0
	for k < len(t) && t[k] == c {
		k++
	}
	return k >= length && len(bytes.TrimSpace(t[k:])) == 0
}

// displayOnly records a block that does not run: as the expected output of
// the step right before it, or as skipped with the reason.
func (p *parseState) displayOnly(n *ast.FencedCodeBlock, lang string, at pos) {
	if outputLanguages[lang] && p.lastFence != nil && n.PreviousSibling() == p.lastFence {
		st := &p.rb.Steps[len(p.rb.Steps)-1]
		if st.ExpectedOutput == "" {
			st.ExpectedOutput, _ = p.codeLines(n)
			p.skip(lang, at, fmt.Sprintf("expected output of the step at line %d", st.Line))
			return
		}
	}
	switch {
	case lang == "":
		p.skip(lang, at, "no language: display-only")
	case outputLanguages[lang] || displayLanguages[lang]:
		p.skip(lang, at, fmt.Sprintf("language %q is display-only", lang))
	default:
		if s := didYouMean(lang, runnableNames); s != "" {
			msg := fmt.Sprintf("language %q does not run (did you mean %q?)", lang, s)
			p.skip(lang, at, msg)
			p.diagAt(at, SeverityWarning, "unknown-language", msg)
			return
		}
		msg := fmt.Sprintf("language %q does not run: drillbook runs sh, bash, shell, sql and drill blocks", lang)
		p.skip(lang, at, msg)
		p.diagAt(at, SeverityInfo, "display-only", msg)
	}
}

func (p *parseState) skip(lang string, at pos, reason string) {
	p.rb.Skipped = append(p.rb.Skipped, Block{Language: lang, Reason: reason, Line: at.Line, Col: at.Col})
}

// indented handles an indented code block. One whose first line is a fence
// is a fence indented so far that it stopped being one.
func (p *parseState) indented(n *ast.CodeBlock) {
	segs := n.Lines()
	if segs.Len() == 0 {
		return
	}
	seg := segs.At(0)
	first := seg.Value(p.md)
	trimmed := bytes.TrimLeft(first, " \t")
	at := p.pos(seg.Start)
	if !bytes.HasPrefix(trimmed, []byte("```")) && !bytes.HasPrefix(trimmed, []byte("~~~")) {
		p.skip("", at, "indented code block: display-only")
		return
	}
	line, _ := p.idx.text(at.Line - 1)
	indent := indentWidth(line)
	at = pos{Line: at.Line, Col: at.Col + len(first) - len(trimmed)}
	lang := parseInfo(string(bytes.TrimLeft(bytes.TrimSpace(trimmed), "`~"))).Lang
	p.skip(lang, at, "fence indented too far: an indented code block, never run")
	p.diagAt(at, SeverityError, "indented-fence", fmt.Sprintf(
		"code fence is indented %d spaces, so Markdown reads it as an indented code block and it never runs: "+
			"indent it at most 3 spaces past the text it belongs to", indent))
}

// indentWidth is the width of a line's leading whitespace, tabs to stops of 4.
func indentWidth(line []byte) int {
	w := 0
	for _, c := range line {
		switch c {
		case ' ':
			w++
		case '\t':
			w += 4 - w%4
		default:
			return w
		}
	}
	return w
}

// transcript splits a shell block written as a terminal session: when its
// first non-blank line starts with `$ `, the `$ ` lines (and their `\`
// continuations) are the commands and the other lines the expected output.
func transcript(body string, lines []pos) (cmds, output string, cmdLines []pos) {
	text := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	isPrompt := func(l string) bool {
		l = strings.TrimLeft(l, " \t")
		return l == "$" || strings.HasPrefix(l, "$ ")
	}
	firstNonBlank := ""
	for _, l := range text {
		if strings.TrimSpace(l) != "" {
			firstNonBlank = l
			break
		}
	}
	if !isPrompt(firstNonBlank) {
		return body, "", lines
	}
	var cb, ob strings.Builder
	cont := false
	for i, l := range text {
		at := pos{}
		if i < len(lines) {
			at = lines[i]
		}
		switch {
		case cont:
			cb.WriteString(l + "\n")
			cmdLines = append(cmdLines, at)
		case isPrompt(l):
			trimmed := strings.TrimLeft(l, " \t")
			cmd := strings.TrimPrefix(strings.TrimPrefix(trimmed, "$"), " ")
			at.Col += len([]rune(l)) - len([]rune(cmd))
			cb.WriteString(cmd + "\n")
			cmdLines = append(cmdLines, at)
			l = cmd
		default:
			ob.WriteString(l + "\n")
			continue
		}
		cont = strings.HasSuffix(strings.TrimRight(l, " \t"), "\\")
	}
	return cb.String(), ob.String(), cmdLines
}

// params parses an action block's YAML parameters. YAML errors are reported
// at the file line they are on.
func (p *parseState) params(body string, lines []pos, at pos) (map[string]any, map[string]pos) {
	where := func(line, col int) pos {
		if line >= 1 && line <= len(lines) {
			l := lines[line-1]
			return pos{Line: l.Line, Col: l.Col + max(col, 1) - 1}
		}
		return at
	}
	root, err := parseYAML([]byte(body))
	if err != nil {
		ye := err.(*yamlError)
		p.diagAt(where(ye.Line, ye.Col), SeverityError, "yaml", "parameters: "+ye.Msg)
		return nil, nil
	}
	if root == nil {
		return map[string]any{}, nil // empty or comments only
	}
	if root.Kind != yaml.MappingNode {
		p.diagAt(where(root.Line, root.Column), SeverityError, "yaml", "parameters must be a YAML mapping of name: value")
		return nil, nil
	}
	v, err := yamlToValue(root)
	if err != nil {
		ye := err.(*yamlError)
		p.diagAt(where(ye.Line, ye.Col), SeverityError, "yaml", "parameters: "+ye.Msg)
		return nil, nil
	}
	positions := make(map[string]pos, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		positions[k.Value] = where(k.Line, k.Column)
	}
	return v.(map[string]any), positions
}
