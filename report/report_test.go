package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	gmtext "github.com/yuin/goldmark/text"

	"github.com/hotdash/drillbook/runs"
)

var update = flag.Bool("update", false, "rewrite report/testdata/*.golden.*")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "<eof>", "<eof>"
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(run go test ./report -update and review the diff)", path, i+1, g, w)
			}
		}
	}
}

func fixtureNames() []string {
	names := make([]string, 0, len(fixtures))
	for n := range fixtures {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func TestMarkdownGolden(t *testing.T) {
	for _, name := range fixtureNames() {
		t.Run(name, func(t *testing.T) {
			opts := Options{}
			if name == "escaping" {
				opts.MaxTail = 40
				opts.Artifacts = []runs.Artifact{{Path: "journal.md", Bytes: 1536, SHA256: "cccc"}}
			}
			got := Markdown(fixtures[name], opts)
			if again := Markdown(fixtures[name], opts); again != got {
				t.Fatal("two renderings of the same run differ")
			}
			golden(t, name+".golden.md", got)
		})
	}
}

func TestHTMLGolden(t *testing.T) {
	p := fixtures["audit-failed"]
	got, err := HTML(Markdown(p, Options{}), Title(p))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "audit-failed.golden.html", got)
	for _, s := range []string{"<table>", "<style>", "<title>Reliability Audit Summary</title>", `<pre><code class="language-sh">`} {
		if !strings.Contains(got, s) {
			t.Errorf("html lacks %q", s)
		}
	}
	for _, s := range []string{"<script", "http://", "https://fonts", "<link"} {
		if strings.Contains(strings.ReplaceAll(got, "https://staging.example.com", ""), s) {
			t.Errorf("html holds %q: it must be self-contained", s)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	p := fixtures["escaping"]
	got, err := HTML(Markdown(p, Options{}), "<title> & \"quotes\"")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "<script>") || strings.Contains(got, "<b>bold</b>") {
		t.Error("markup from the run reached the page")
	}
	if !strings.Contains(got, "<title>&lt;title&gt; &amp; &#34;quotes&#34;</title>") {
		t.Errorf("title not escaped:\n%.400s", got)
	}
	if !strings.Contains(got, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the output tail lost its text")
	}
}

// TestMarkdownStructure parses the escaping report back and checks that
// the hostile text stayed inside its cells and code blocks.
func TestMarkdownStructure(t *testing.T) {
	src := []byte(Markdown(fixtures["escaping"], Options{}))
	doc := md.Parser().Parse(gmtext.NewReader(src))
	var tables []*east.Table
	var blocks []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *east.Table:
			tables = append(tables, n)
		case *ast.FencedCodeBlock:
			var b bytes.Buffer
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				b.Write(seg.Value(src))
			}
			blocks = append(blocks, b.String())
		}
		return ast.WalkContinue, nil
	})
	// run facts, inputs, steps, outputs, 2 step tables
	if len(tables) != 6 {
		t.Fatalf("%d tables, want 6", len(tables))
	}
	pipes := tables[4] // "Pipes | and newlines"
	if n := pipes.FirstChild().ChildCount(); n != 3 {
		t.Errorf("pipes table has %d columns, want 3", n)
	}
	html, err := HTML(string(src), "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range []string{"<td>1 | 2</td>", `<td>back\slash\|</td>`, "<td>line1 line2</td>", "<td>`tick`</td>",
		"<th>a|b</th>", "<td>extra</td>"} {
		if !strings.Contains(html, cell) {
			t.Errorf("rendered table lacks %s", cell)
		}
	}
	want := "```\nnot a fence end\n````\n<script>alert(1)</script>\n"
	if !slices.Contains(blocks, want) {
		t.Errorf("tail block not intact; blocks: %q", blocks)
	}
	if !slices.Contains(blocks, "cat <<'EOF'\n```\nEOF\n") {
		t.Errorf("resolution block not intact; blocks: %q", blocks)
	}
}

func TestMarkdownMasksSecretsDefensively(t *testing.T) {
	got := Markdown(fixtures["escaping"], Options{})
	if strings.Contains(got, "tok-leaked-123456") {
		t.Error("a secret input value reached the report")
	}
	if !strings.Contains(got, "| `token` | \\*\\*\\* |") || !strings.Contains(got, "| `database` | \\*\\*\\* |") {
		t.Error("secret inputs not shown as ***")
	}
}

func TestFencedAndCode(t *testing.T) {
	tests := []struct{ in, info, want string }{
		{"plain", "text", "```text\nplain\n```\n"},
		{"a ``` b\n", "sh", "````sh\na ``` b\n````\n"},
		{"x\r\ny", "", "```\nx\ny\n```\n"},
	}
	for _, tt := range tests {
		if got := fenced(tt.in, tt.info); got != tt.want {
			t.Errorf("fenced(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	codes := map[string]string{"id": "`id`", "a`b": "``a`b``", "`x": "`` `x ``", "": "", "a\nb": "`a b`"}
	for in, want := range codes {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
	paras := map[string]string{"- x": `\- x`, "12. y": `12\. y`, "1) z": `1\) z`, "ok 1.": "ok 1.", "# h": `\# h`}
	for in, want := range paras {
		if got := para(in); got != want {
			t.Errorf("para(%q) = %q, want %q", in, got, want)
		}
	}
}
