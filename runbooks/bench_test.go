package runbooks

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// generated builds a runbook of n steps: a mix of shell, sql, action and
// manual steps in sections of ten, with inputs and step references, like a
// long real runbook.
func generated(n int) []byte {
	var b strings.Builder
	b.WriteString("---\nid: big\ntitle: Generated\ninputs:\n  db: {default: \"env:DATABASE_URL\", secret: true}\n  url: {default: \"https://example.com\"}\n---\n# Generated runbook\n\n")
	for i := 0; i < n; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&b, "## Section %d\n\nThis section checks part %d of the estate.\n\n", i/10, i/10)
		}
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "Run the check.\n\n```sh {id=s%d timeout=5m retries=2}\necho step %d >> \"$DRILLBOOK_OUTPUT\"\n```\n\n", i, i)
		case 1:
			fmt.Fprintf(&b, "```sql {id=s%d timeout=1m}\nSELECT count(*) FROM t%d;\n```\n\n", i, i)
		case 2:
			fmt.Fprintf(&b, "```drill http.health {id=s%d timeout=1m}\nurl: ${inputs.url}/%d\nexpect_status: 200\nexpect:\n  status: ok\n```\n\n", i, i)
		default:
			fmt.Fprintf(&b, "- [ ] Confirm step s%d looks right (see ${steps.s%d.outputs.x})\n\n", i-1, i-1)
		}
	}
	return []byte(b.String())
}

func BenchmarkParseLint10k(b *testing.B) {
	src := generated(10000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rb, err := Parse("big.md", src)
		if err != nil {
			b.Fatal(err)
		}
		if diags := Lint(rb); len(diags) != 0 || len(rb.Steps) != 10000 {
			b.Fatalf("steps %d, diagnostics:%s", len(rb.Steps), dumpDiags(diags[:min(len(diags), 5)]))
		}
	}
	ms := float64(time.Since(start).Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(ms, "parse_10k_steps_ms")
	benchLine = fmt.Sprintf("parse_10k_steps_ms: %.1f", ms) // the last run (largest b.N) wins
}

// benchLine is printed once after all tests and benchmarks, as a plain
// `name: value` line that does not interleave with the benchmark table.
var benchLine string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchLine != "" {
		fmt.Println(benchLine)
	}
	os.Exit(code)
}
