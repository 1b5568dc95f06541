package integration

import (
	"os"
	"path/filepath"
	"testing"
)

// saveHistory writes a run's history to workflows/testdata when
// DRILLBOOK_RECORD=1, for the replay tests that guard determinism.
func saveHistory(t *testing.T, name string, history []byte) {
	t.Helper()
	if os.Getenv("DRILLBOOK_RECORD") != "1" {
		return
	}
	path := filepath.Join("..", "workflows", "testdata", "history-"+name+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, history, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", path)
}
