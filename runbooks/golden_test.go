package runbooks

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixturesDir holds public runbooks nobody on this team wrote. shared/ is a
// sibling of the repository clone, here and in CI.
const fixturesDir = "../../shared/fixtures/runbooks"

// goldenInputs returns the runbooks with golden files: every fixture and the
// shipped runbooks. A missing fixtures directory fails the test: skipping
// would hide that the parser is no longer checked against real runbooks.
func goldenInputs(t testing.TB) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(fixturesDir)
	if err != nil {
		abs, _ := filepath.Abs(fixturesDir)
		t.Fatalf("fixture runbooks not found at %s (%v): clone the shared repository next to this one so that ../shared/fixtures/runbooks exists", abs, err)
	}
	inputs := map[string][]byte{}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(fixturesDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		inputs[e.Name()] = b
	}
	if len(inputs) == 0 {
		t.Fatalf("no .md fixtures in %s", fixturesDir)
	}
	for _, id := range Embedded() {
		b, err := EmbeddedSource(id)
		if err != nil {
			t.Fatal(err)
		}
		inputs[id+".md"] = b
	}
	return inputs
}

func TestGolden(t *testing.T) {
	for name, src := range goldenInputs(t) {
		t.Run(name, func(t *testing.T) {
			rb, err := Parse(name, src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			js, err := json.MarshalIndent(rb, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			var lint strings.Builder
			for _, d := range Lint(rb) {
				lint.WriteString(d.String() + "\n")
			}
			base := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".md"))
			checkGolden(t, base+".json", string(js)+"\n")
			checkGolden(t, base+".lint.txt", lint.String())
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./runbooks -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the parser output (review, then go test ./runbooks -update):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
