package integration

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotdash/drillbook/workflows"
)

// TestSecretInputNeverLeaks: a secret read from env:NAME is used by the step
// but is absent from the history, the worker's logs, the journal, the report
// and every artifact.
func TestSecretInputNeverLeaks(t *testing.T) {
	const secret = "s3cr3t-Pa55word-do-not-leak"
	h := newHarness(t, map[string]string{"DRILLBOOK_TEST_SECRET": secret})
	h.writeRunbook("secretive", `---
inputs:
  password: {default: "env:DRILLBOOK_TEST_SECRET", secret: true, description: a password}
---
# Secretive

`+"```sh {id=use}\n"+`test "$PASSWORD" = "`+secret[:6]+`"* || test -n "$PASSWORD"
echo "the password is $PASSWORD"
echo "again: ${inputs.password}" >&2
echo "length=${#PASSWORD}" >> "$DRILLBOOK_OUTPUT"
`+"```\n")
	run := h.start("secretive-1", workflows.RunRunbookInput{Runbook: "secretive"})
	var res workflows.RunRunbookResult
	if err := run.Get(context.Background(), &res); err != nil {
		t.Fatalf("run: %v", err)
	}
	p := h.progress("secretive-1")
	use := stepByID(t, p, "use")
	if use.Result == nil || use.Result.Outputs["length"] != "27" {
		t.Fatalf("the step did not see the secret: %+v", use.Result)
	}
	if !strings.Contains(use.OutputTail, "the password is ***") {
		t.Errorf("output tail not redacted as expected: %q", use.OutputTail)
	}

	places := map[string]string{
		"workflow history": readable(h.history("secretive-1")),
		"worker logs":      h.logs.String(),
	}
	_ = filepath.WalkDir(h.artifacts, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			places[path] = string(b)
		}
		return nil
	})
	for _, want := range []string{"journal.md", "report.md", "report.html", "use.log"} {
		found := false
		for name := range places {
			found = found || strings.HasSuffix(name, want)
		}
		if !found {
			t.Errorf("no %s among the artifacts: the check would be hollow", want)
		}
	}
	for name, content := range places {
		if strings.Contains(content, secret) {
			t.Errorf("the secret leaked into %s", name)
		}
	}
	saveHistory(t, "secret", h.history("secretive-1"))
}
