package runbooks

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const sample = `---
id: backup-restore
title: Backup and restore drill
inputs:
  source: {default: "env:DATABASE_URL", secret: true, description: database to back up}
  rto_budget: {default: 30m}
  org: hotdash
---
# Backup and restore drill

## Preflight
Checks that the pg_dump client can dump this server.

'''drill postgres.preflight {id=preflight timeout=2m retries=3}
database: ${inputs.source}
'''

## Take the backup
'''sh {id=dump timeout=30m heartbeat=30s on_failure=pause}
pg_dump --format=custom --file "$DRILLBOOK_ARTIFACTS/db.dump" "$SOURCE"
'''

- [ ] Tell #ops the drill has started
`

func TestParseDesignExample(t *testing.T) {
	rb := mustParse(t, md(sample))
	if rb.ID != "backup-restore" || rb.Title != "Backup and restore drill" {
		t.Errorf("id, title = %q, %q", rb.ID, rb.Title)
	}
	wantInputs := []Input{
		{Name: "source", Default: "env:DATABASE_URL", Secret: true, Description: "database to back up", Line: 5},
		{Name: "rto_budget", Default: "30m", Line: 6},
		{Name: "org", Default: "hotdash", Line: 7},
	}
	if !reflect.DeepEqual(rb.Inputs, wantInputs) {
		t.Errorf("inputs = %+v", rb.Inputs)
	}
	type brief struct {
		ID, Title, Desc string
		Kind            Kind
		Action          string
		Line, Col       int
	}
	var got []brief
	for _, s := range rb.Steps {
		got = append(got, brief{s.ID, s.Title, s.Description, s.Kind, s.Action, s.Line, s.Col})
	}
	want := []brief{
		{"preflight", "Preflight", "Checks that the pg_dump client can dump this server.", KindAction, "postgres.preflight", 14, 1},
		{"dump", "Take the backup", "", KindShell, "", 19, 1},
		{"tell-ops-the-drill-has-started", "Tell #ops the drill has started", "", KindManual, "", 23, 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps:\n got %+v\nwant %+v", got, want)
	}
	pf := rb.Steps[0]
	if pf.Params["database"] != "${inputs.source}" || pf.Options.Timeout.String() != "2m0s" || *pf.Options.Retries != 3 {
		t.Errorf("preflight = %+v", pf)
	}
	if d := rb.Steps[1].Options; d.Heartbeat.String() != "30s" || d.OnFailure != "pause" {
		t.Errorf("dump options = %+v", d)
	}
	if diags := Lint(rb); len(diags) != 0 {
		t.Errorf("lint:%s", dumpDiags(diags))
	}
}

// TestNormalisation checks that CRLF, lone CR and a BOM give the same steps
// and hash as LF input.
func TestNormalisation(t *testing.T) {
	lf := strings.TrimRight(md(sample), "\n") + "\n"
	base := mustParse(t, lf)
	variants := map[string]string{
		"crlf":         strings.ReplaceAll(lf, "\n", "\r\n"),
		"cr":           strings.ReplaceAll(lf, "\n", "\r"),
		"bom":          "\ufeff" + lf,
		"bom+crlf":     "\ufeff" + strings.ReplaceAll(lf, "\n", "\r\n"),
		"no final eol": strings.TrimSuffix(lf, "\n"),
	}
	for name, src := range variants {
		t.Run(name, func(t *testing.T) {
			rb := mustParse(t, src)
			if rb.Hash != base.Hash {
				t.Errorf("hash %s, want %s", rb.Hash, base.Hash)
			}
			a, _ := json.Marshal(rb)
			b, _ := json.Marshal(base)
			if string(a) != string(b) {
				t.Errorf("parsed differently:\n%s\n%s", a, b)
			}
		})
	}
	if other := mustParse(t, lf+"\nmore\n"); other.Hash == base.Hash {
		t.Error("a changed runbook has the same hash")
	}
}

func TestTabsAndSetextHeadings(t *testing.T) {
	rb := mustParse(t, md(
		"Title",
		"=====",
		"",
		"Section",
		"-------",
		"-\titem:",
		"",
		"\t'''sh {id=a}",
		"\tcat <<-EOF",
		"\t\tindented with a tab",
		"\tEOF",
		"\t'''",
	))
	if rb.Title != "Title" {
		t.Errorf("title = %q", rb.Title)
	}
	if len(rb.Steps) != 1 {
		t.Fatalf("steps = %+v diags = %s", rb.Steps, dumpDiags(Lint(rb)))
	}
	st := rb.Steps[0]
	if st.Title != "Section" || !reflect.DeepEqual(st.SectionPath, []string{"Title", "Section"}) {
		t.Errorf("title %q path %q", st.Title, st.SectionPath)
	}
	if !strings.Contains(st.Body, "\tindented with a tab") {
		t.Errorf("body lost its tab: %q", st.Body)
	}
	if diags := Lint(rb); len(diags) != 0 {
		t.Errorf("lint:%s", dumpDiags(diags))
	}
}

func TestTranscriptsAndExpectedOutput(t *testing.T) {
	rb := mustParse(t, md(
		"# T",
		"'''console",
		"$ display only",
		"'''",
		"'''sh",
		"$ kubectl get pods \\",
		"    -n web",
		"NAME   READY",
		"web-1  1/1",
		"$ echo done",
		"done",
		"'''",
		"'''bash {id=plain}",
		"echo hi",
		"'''",
		"'''output",
		"hi",
		"'''",
		"'''text",
		"not output: the step already has one",
		"'''",
		"'''sql {id=q}",
		"select 1",
		"'''",
		"",
		"Some prose.",
		"",
		"'''",
		"not right after the step",
		"'''",
	))
	if len(rb.Steps) != 3 {
		t.Fatalf("steps = %+v", rb.Steps)
	}
	tr := rb.Steps[0]
	if tr.Body != "kubectl get pods \\\n    -n web\necho done\n" || tr.ExpectedOutput != "NAME   READY\nweb-1  1/1\ndone\n" {
		t.Errorf("transcript body %q output %q", tr.Body, tr.ExpectedOutput)
	}
	if rb.Steps[1].ExpectedOutput != "hi\n" || rb.Steps[2].ExpectedOutput != "" {
		t.Errorf("expected outputs %q %q", rb.Steps[1].ExpectedOutput, rb.Steps[2].ExpectedOutput)
	}
	var reasons []string
	for _, b := range rb.Skipped {
		reasons = append(reasons, b.Reason)
	}
	want := []string{
		`language "console" is display-only`,
		"expected output of the step at line 13",
		`language "text" is display-only`,
		"no language: display-only",
	}
	if !reflect.DeepEqual(reasons, want) {
		t.Errorf("skipped = %q", reasons)
	}
}

func TestStepsAnywhereInDocumentOrder(t *testing.T) {
	rb := mustParse(t, md(
		"# Top",
		"'''sh",
		"echo 1",
		"'''",
		"> quoted:",
		"> '''sql",
		"> select 2",
		"> '''",
		"1. first",
		"   - [ ] nested task",
		"     '''sh",
		"     echo 3",
		"     '''",
		"2. second",
		"   > - [x] task in a quote in a list",
		"| table | '''sh not a fence''' |",
		"|---|---|",
		"| a | b |",
		"<details>",
		"",
		"'''sh",
		"echo 4",
		"'''",
		"",
		"</details>",
	))
	var got []string
	for _, s := range rb.Steps {
		got = append(got, string(s.Kind)+":"+strings.TrimSpace(s.Body))
	}
	want := []string{"shell:echo 1", "sql:select 2", "manual:nested task", "shell:echo 3", "manual:task in a quote in a list", "shell:echo 4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps = %q", got)
	}
	if !rb.Steps[4].Checked || rb.Steps[2].Checked {
		t.Error("checked flags wrong")
	}
	if diags := Lint(rb); len(diags) != 0 {
		t.Errorf("lint:%s", dumpDiags(diags))
	}
}

func TestStepIDs(t *testing.T) {
	rb := mustParse(t, md(
		"# Deploy it",
		"'''sh", "a", "'''",
		"'''sh", "b", "'''",
		"'''sh {id=deploy-it-2}", "c", "'''",
		"'''sh {name=\"Say Hello\"}", "d", "'''",
		"'''sh", "e", "'''",
		"'''sh {\"id\":\"01HF7BT3HD84\"}", "f", "'''",
	))
	var ids []string
	for _, s := range rb.Steps {
		ids = append(ids, s.ID)
	}
	want := []string{"deploy-it", "deploy-it-3", "deploy-it-2", "say-hello", "deploy-it-4", "01HF7BT3HD84"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("ids = %q, want %q", ids, want)
	}
	again := mustParse(t, md("# Deploy it", "'''sh", "a", "'''", "'''sh", "b", "'''", "'''sh {id=deploy-it-2}", "c", "'''"))
	if again.Steps[1].ID != "deploy-it-3" {
		t.Errorf("generated ids are not stable: %q", again.Steps[1].ID)
	}
}

func TestSectionsAndParallelGroups(t *testing.T) {
	rb := mustParse(t, md(
		"# Audit",
		"## Priorities {parallel=true}",
		"'''sh {id=pre}", "ls", "'''",
		"### Fly {#fly-inv}",
		"'''sh {id=fly}", "ls", "'''",
		"#### Detail",
		"'''sh {id=detail}", "ls", "'''",
		"### Probe",
		"'''sh {id=probe}", "ls", "'''",
		"## Report",
		"'''sh {id=report}", "ls", "'''",
	))
	type where struct{ Section, Group, Branch string }
	var got []where
	for _, s := range rb.Steps {
		got = append(got, where{s.Section, s.ParallelGroup, s.Branch})
	}
	want := []where{
		{"priorities", "priorities", ""},
		{"fly-inv", "priorities", "fly-inv"},
		{"detail", "priorities", "fly-inv"},
		{"probe", "priorities", "probe"},
		{"report", "", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("placement = %+v", got)
	}
	if p := rb.Sections[1]; !p.Parallel || p.Title != "Priorities" || p.Parent != "audit" {
		t.Errorf("section = %+v", p)
	}
	if got := rb.Steps[2].SectionPath; !reflect.DeepEqual(got, []string{"Audit", "Priorities", "Fly", "Detail"}) {
		t.Errorf("path = %q", got)
	}
}

func TestFrontMatterKeepsFileLines(t *testing.T) {
	rb := mustParse(t, md(
		"---",
		"title: Kube",
		"weight: 20",
		"runme:",
		"  id: 01HF",
		"---",
		"",
		"'''sh {timeout=nope}",
		"ls",
		"'''",
	))
	if rb.ID != "t" || rb.Title != "Kube" {
		t.Errorf("id %q title %q", rb.ID, rb.Title)
	}
	diags := Lint(rb)
	if len(diags) != 1 || diags[0].Line != 8 || diags[0].Col != 8 {
		t.Errorf("diagnostics:%s", dumpDiags(diags))
	}
	// Not front matter: a thematic break and a setext heading.
	rb = mustParse(t, md("---", "Just text", "---", "'''sh", "ls", "'''"))
	if rb.Title != "t" || len(rb.Steps) != 1 || rb.Steps[0].Line != 4 {
		t.Errorf("title %q steps %+v", rb.Title, rb.Steps)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rb := mustParse(t, md(sample))
	b, err := json.Marshal(rb)
	if err != nil {
		t.Fatal(err)
	}
	var back Runbook
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(&back)
	if string(b) != string(b2) {
		t.Errorf("round trip changed the runbook:\n%s\n%s", b, b2)
	}
	if diags := Lint(&back); len(diags) != 0 {
		t.Errorf("lint after round trip:%s", dumpDiags(diags))
	}
}
