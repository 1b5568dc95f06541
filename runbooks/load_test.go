package runbooks

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestShippedRunbooksLintClean(t *testing.T) {
	if got, want := Embedded(), []string{"backup", "backup-restore", "reliability-audit"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Embedded() = %q, want %q", got, want)
	}
	for _, id := range Embedded() {
		t.Run(id, func(t *testing.T) {
			rb, err := LoadEmbedded(id)
			if err != nil {
				t.Fatal(err)
			}
			if rb.ID != id || rb.Path != "runbooks/"+id+".md" {
				t.Errorf("id %q path %q", rb.ID, rb.Path)
			}
			if diags := Lint(rb); len(diags) != 0 {
				t.Errorf("diagnostics:%s", dumpDiags(diags))
			}
			// The file on disk is the embedded one.
			disk, err := LoadFile(id + ".md")
			if err != nil || disk.Hash != rb.Hash {
				t.Errorf("disk copy: %v, hash %s vs %s", err, disk.Hash, rb.Hash)
			}
		})
	}
}

func TestReliabilityAuditShape(t *testing.T) {
	rb, err := LoadEmbedded("reliability-audit")
	if err != nil {
		t.Fatal(err)
	}
	branches := map[string][]string{}
	for _, st := range rb.Steps {
		if st.ParallelGroup == "priorities" {
			branches[st.Branch] = append(branches[st.Branch], st.Action)
		}
	}
	want := map[string][]string{
		"fly-inventory":        {"fly.inventory"},
		"synthetic-monitoring": {"http.probe"},
		"health-endpoints":     {"http.health", "http.health", "http.health"},
		"disaster-recovery":    {"postgres.preflight", "postgres.backup", "postgres.restore", "postgres.verify", "postgres.drop_scratch"},
	}
	if !reflect.DeepEqual(branches, want) {
		t.Errorf("parallel branches = %q", branches)
	}
	for _, id := range []string{"scale-oom-machine", "destroy-unused-app"} {
		if st := rb.Step(id); st == nil || st.Options.Approval != "required" || st.ParallelGroup != "" {
			t.Errorf("remediation step %s = %+v", id, st)
		}
	}
	if st := rb.Step("dr-drop-scratch"); st == nil || !st.Options.Cleanup {
		t.Error("drop_scratch is not a cleanup step")
	}
	if in := rb.Input("database"); in == nil || !in.Secret || in.Default != "env:DATABASE_URL" {
		t.Errorf("database input = %+v", in)
	}
	if in := rb.Input("org"); in == nil || in.Default != "personal" {
		t.Errorf("org input = %+v", in)
	}
}

func TestLoader(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "backup-restore.md"), []byte("# Local override\n```sh\nls\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra.md"), []byte("# Extra\n- [ ] check\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := Loader{Dir: dir}
	rb, err := l.Load("backup-restore")
	if err != nil || rb.Title != "Local override" {
		t.Errorf("dir runbook not preferred: %v %+v", err, rb)
	}
	if rb, err := l.Load("reliability-audit"); err != nil || rb.ID != "reliability-audit" {
		t.Errorf("embedded fallback: %v", err)
	}
	if rb, err := l.Load("extra.md"); err != nil || rb.ID != "extra" {
		t.Errorf("id with .md: %v", err)
	}
	ids, err := l.List()
	if err != nil || !reflect.DeepEqual(ids, []string{"backup", "backup-restore", "extra", "reliability-audit"}) {
		t.Errorf("List = %q, %v", ids, err)
	}
	for _, bad := range []string{"../etc/passwd", "a/b", "..", "", `a\b`} {
		if _, err := l.Load(bad); err == nil {
			t.Errorf("Load(%q) succeeded", bad)
		}
	}
	if _, err := (Loader{}).Load("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing runbook: %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.md")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestParseConcurrently: a worker parses runbooks in many activities at once
// with one shared goldmark parser.
func TestParseConcurrently(t *testing.T) {
	src, err := EmbeddedSource("reliability-audit")
	if err != nil {
		t.Fatal(err)
	}
	want := mustParse(t, string(src)).Hash
	done := make(chan string, 8)
	for range 8 {
		go func() {
			rb, err := Parse("x.md", src)
			if err != nil {
				done <- err.Error()
				return
			}
			Lint(rb)
			done <- rb.Hash
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("got %s", got)
		}
	}
}

func TestLoaderFindsFrontMatterID(t *testing.T) {
	dir := t.TempDir()
	src := "---\nid: nu-check\n---\n# Check\n\n```sh {id=hello}\necho hello\n```\n"
	if err := os.WriteFile(filepath.Join(dir, "good.md"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := Loader{Dir: dir}.Load("nu-check")
	if err != nil || rb.ID != "nu-check" {
		t.Fatalf("by front matter id: %v, %v", rb, err)
	}
	if rb, err := (Loader{Dir: dir}).Load("good"); err != nil || rb.ID != "nu-check" {
		t.Fatalf("by file name: %v, %v", rb, err)
	}
	_, err = Loader{Dir: dir}.Load("missing")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("missing: %v, want ErrNotFound naming %s", err, dir)
	}
}
