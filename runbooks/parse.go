package runbooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// markdown is the one goldmark configuration drillbook reads runbooks with:
// GitHub Flavored Markdown (tables, task lists) and heading attributes.
var markdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAttribute()),
	)
})

// maxDescription bounds a step description: it travels in history.
const maxDescription = 4000

// Parse parses a runbook. name is the path used in diagnostics and, without
// front matter, the source of the runbook id. Parse fails only for input that
// is not a text runbook (see ParseError); everything else it finds wrong is
// kept in Runbook.Diagnostics for Lint.
func Parse(name string, src []byte) (*Runbook, error) {
	if len(src) > MaxSize {
		return nil, &ParseError{Path: name, Rule: "size",
			Msg: fmt.Sprintf("file is %s; a runbook may be at most %s", byteSize(len(src)), byteSize(MaxSize))}
	}
	src = Normalise(src)
	idx := newLineIndex(src)
	if err := checkInput(name, src, idx); err != nil {
		return nil, err
	}
	if err := checkComplexity(name, src, idx); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src)
	p := &parseState{
		src: src,
		idx: idx,
		rb:  &Runbook{Path: name, Hash: hex.EncodeToString(sum[:]), Steps: []Step{}},
	}
	fm, body := parseFrontMatter(src, p.diag)
	p.base = body
	p.md = src[body:]
	doc := markdown().Parser().Parse(text.NewReader(p.md))
	_ = ast.Walk(doc, p.visit)
	p.finish(fm, name)
	return p.rb, nil
}

// parseState is the state of one Parse call.
type parseState struct {
	src  []byte // normalised file
	md   []byte // the Markdown part (after front matter); goldmark offsets are into md
	base int    // offset of md in src
	idx  *lineIndex
	rb   *Runbook

	stack      []int    // indices into rb.Sections of the open sections, outermost first
	path       []string // titles of the open sections, built on first use
	heading    string   // title of the nearest heading above
	firstH1    string   // title of the first level-1 heading
	prose      []string // paragraphs since the last step or heading
	proseLen   int
	lastFence  ast.Node // the block of the last runnable step
	sectionIDs *ids
}

// pos returns the file position of an offset into md.
func (p *parseState) pos(off int) pos { return p.idx.pos(p.base + off) }

// diag records a parse diagnostic at a file line and column.
func (p *parseState) diag(line, col int, sev Severity, rule, msg string) {
	p.rb.Diagnostics = append(p.rb.Diagnostics, Diagnostic{
		Path: p.rb.Path, Line: line, Col: col, Severity: sev, Rule: rule, Message: msg,
	})
}

func (p *parseState) diagAt(at pos, sev Severity, rule, msg string) {
	p.diag(at.Line, at.Col, sev, rule, msg)
}

func (p *parseState) visit(n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	switch n := n.(type) {
	case *ast.Heading:
		p.openSection(n)
	case *ast.FencedCodeBlock:
		p.fenced(n)
	case *ast.CodeBlock:
		p.indented(n)
	case *ast.Paragraph, *ast.TextBlock:
		if cb, ok := n.FirstChild().(*east.TaskCheckBox); ok {
			p.manual(n, cb)
		} else {
			p.addProse(inlineText(n, p.md))
		}
	case *ast.HTMLBlock, *east.Table:
	default:
		return ast.WalkContinue, nil
	}
	return ast.WalkSkipChildren, nil
}

// blockStart returns the offset of a block node's first character.
func blockStart(n ast.Node) int {
	if p := n.Pos(); p >= 0 {
		return p
	}
	if n.Type() == ast.TypeBlock {
		if l := n.Lines(); l != nil && l.Len() > 0 {
			return l.At(0).Start
		}
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			return t.Segment.Start
		}
		if c.Type() == ast.TypeBlock {
			return blockStart(c)
		}
	}
	return 0
}

func (p *parseState) openSection(h *ast.Heading) {
	title := inlineText(h, p.md)
	at := p.pos(blockStart(h))
	sec := Section{Title: title, Level: h.Level, Line: at.Line}
	id := ""
	line, _ := p.idx.text(at.Line - 1)
	search := bytes.LastIndexByte(line, '{') // attributes are at the end
	for _, a := range h.Attributes() {
		key, value := string(a.Name), attrString(a.Value)
		col := at.Col
		if search >= 0 {
			if k := bytes.Index(line[search:], a.Name); k >= 0 {
				search += k
				col = p.pos(p.idx.starts[at.Line-1] - p.base + search).Col
				search += len(a.Name)
			}
		}
		sec.Attrs = append(sec.Attrs, Attr{Key: key, Value: value, Col: col})
		switch key {
		case "id":
			id = value
		case "parallel":
			sec.Parallel = value == "true"
		}
	}
	for len(p.stack) > 0 && p.rb.Sections[p.stack[len(p.stack)-1]].Level >= h.Level {
		p.stack = p.stack[:len(p.stack)-1]
	}
	if len(p.stack) > 0 {
		sec.Parent = p.rb.Sections[p.stack[len(p.stack)-1]].ID
	}
	if id == "" {
		id = slug(title)
	}
	if id == "" {
		id = "section"
	}
	if p.sectionIDs == nil {
		p.sectionIDs = newIDs()
	}
	sec.ID = p.sectionIDs.take(id)
	p.rb.Sections = append(p.rb.Sections, sec)
	p.stack = append(p.stack, len(p.rb.Sections)-1)
	p.path = nil
	p.heading = title
	if h.Level == 1 && p.firstH1 == "" {
		p.firstH1 = title
	}
	p.prose, p.proseLen = nil, 0
}

func attrString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

func (p *parseState) addProse(s string) {
	if s == "" || p.proseLen >= maxDescription {
		return
	}
	p.prose = append(p.prose, s)
	p.proseLen += len(s) + 2
}

// place fills in where a step sits: section, parallel group, title and the
// prose before it, and appends it.
func (p *parseState) place(st Step) *Step {
	st.Title = p.heading
	if len(p.stack) > 0 {
		secs := p.rb.Sections
		st.Section = secs[p.stack[len(p.stack)-1]].ID
		if p.path == nil { // shared by the steps of a section; reset by openSection
			p.path = make([]string, len(p.stack))
			for k, i := range p.stack {
				p.path[k] = secs[i].Title
			}
		}
		st.SectionPath = p.path
		for k, i := range p.stack {
			if secs[i].Parallel && st.ParallelGroup == "" {
				st.ParallelGroup = secs[i].ID
				if k+1 < len(p.stack) {
					st.Branch = secs[p.stack[k+1]].ID
				}
			}
		}
	}
	st.Description = truncate(strings.Join(p.prose, "\n\n"), maxDescription)
	p.prose, p.proseLen = nil, 0
	p.rb.Steps = append(p.rb.Steps, st)
	return &p.rb.Steps[len(p.rb.Steps)-1]
}

// manual turns a task-list item into a manual step.
func (p *parseState) manual(n ast.Node, cb *east.TaskCheckBox) {
	start := blockStart(n)
	if li := n.Parent(); li != nil && li.Kind() == ast.KindListItem && li.Pos() >= 0 {
		start = li.Pos()
	}
	at := p.pos(start)
	task := inlineText(n, p.md)
	st := p.place(Step{Kind: KindManual, Body: task, Checked: cb.IsChecked, Line: at.Line, Col: at.Col})
	st.Title = truncate(firstLine(task), 120)
	if st.Title == "" {
		p.diagAt(at, SeverityWarning, "empty-step", "task-list item has no text")
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// finish sets the runbook id and title and gives every step an id.
func (p *parseState) finish(fm frontMatter, name string) {
	rb := p.rb
	rb.ID = fm.ID
	if rb.ID == "" {
		rb.ID = fileID(name)
	}
	rb.Title = fm.Title
	if rb.Title == "" {
		rb.Title = p.firstH1
	}
	if rb.Title == "" {
		rb.Title = rb.ID
	}
	rb.Inputs = fm.Inputs
	used := newIDs()
	for i := range rb.Steps {
		if id, ok := rb.Steps[i].Attr("id"); ok && id != "" {
			rb.Steps[i].ID = id
			used.used[id] = true
		}
	}
	for i := range rb.Steps {
		st := &rb.Steps[i]
		if st.Title == "" {
			st.Title = rb.Title
		}
		if st.ID != "" {
			continue
		}
		base := ""
		if name, ok := st.Attr("name"); ok {
			base = slug(name)
		}
		if base == "" {
			base = slug(st.Title)
		}
		if base == "" {
			base = "step"
		}
		st.ID = used.take(base)
	}
	sortDiagnostics(rb.Diagnostics)
}

// fileID is the runbook id taken from a file name: the base name without
// its extension.
func fileID(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	for _, ext := range []string{".md", ".markdown"} {
		base = strings.TrimSuffix(base, ext)
	}
	if base == "" || base == "." || base == "/" {
		return "runbook"
	}
	return base
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
