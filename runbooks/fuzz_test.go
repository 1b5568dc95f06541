package runbooks

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzParse checks that Parse and Lint never panic or hang, that what they
// return always encodes as JSON, and that line endings never change a
// runbook. Its seed corpus (fixtures, shipped runbooks, tricky snippets)
// runs in every normal test run.
func FuzzParse(f *testing.F) {
	for _, src := range goldenInputs(f) {
		f.Add(src)
	}
	seeds := []string{
		"",
		"---\n",
		"---\nid: x\n---\n",
		"---\ninputs: {a: {default: *x}}\n---\n",
		"```sh {id=a timeout=5m}\n$ echo hi\nhi\n```\n```output\nhi\n```\n",
		"```drill http.probe {\"id\":\"p\"}\ntargets: [a, b]\nbudget: 800ms\n```\n",
		"```drill postgres.backup\ndatabase: [\n```\n",
		"# T {parallel=true}\n## A\n- [ ] x\n  ```sql\n  select 1\n  ```\n",
		"> ```sh\n> ls\n",
		"1. a\n\n        ```sh\n        ls\n        ```\n",
		"```sh {name=\"unterminated\n```\n",
		"```sh {\"id\":\n```\n",
		"~~~bash\r\necho ${steps.x.outputs.y} <APP> YOUR_TOKEN\r\n~~~\r\n",
		"Title\n=====\n\n\t- [x] tab\n",
		"| a | b |\n|---|---|\n| `x` | y |\n",
		"```drill fly.scale_memory {approval=required}\napp: &a x\nmachine: *a\nmemory_mb: .nan\nextra: 2001-02-03\n```\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		start := time.Now()
		rb, err := Parse("fuzz.md", src)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("Parse returned %T, want *ParseError: %v", err, err)
			}
			return
		}
		diags := Lint(rb)
		for _, d := range diags {
			if d.Line < 1 || d.Col < 1 || d.Message == "" || d.Rule == "" {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
		for _, st := range rb.Steps {
			if st.ID == "" || st.Line < 1 {
				t.Fatalf("bad step %+v", st)
			}
		}
		js, err := json.Marshal(rb)
		if err != nil {
			t.Fatalf("runbook does not encode as JSON: %v", err)
		}
		var back Runbook
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("runbook JSON does not decode: %v", err)
		}
		_ = Lint(&back)
		if !bytes.ContainsRune(src, '\r') {
			crlf, err := Parse("fuzz.md", bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n")))
			if err != nil {
				t.Fatalf("CRLF copy fails: %v", err)
			}
			if crlf.Hash != rb.Hash || len(crlf.Steps) != len(rb.Steps) {
				t.Fatalf("CRLF copy differs: hash %s/%s steps %d/%d", crlf.Hash, rb.Hash, len(crlf.Steps), len(rb.Steps))
			}
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}
