package activities

import (
	"context"
	"testing"
)

// A cleanup step of an audit run without a database configured succeeds:
// there is no scratch database of ours anywhere.
func TestPostgresDropScratchWithoutDatabaseIsANoop(t *testing.T) {
	a := New(Options{ArtifactsDir: t.TempDir(), Env: func(string) string { return "" }})
	res, err := a.PostgresDropScratch(context.Background(), ActionRequest{StepID: "drop",
		Params: map[string]any{"database": "env:DATABASE_URL"}})
	if err != nil || res.Outputs["count"] != "0" {
		t.Fatalf("got %+v, %v; want a no-op", res, err)
	}
	if _, err := a.PostgresDropScratch(context.Background(), ActionRequest{StepID: "drop",
		Params: map[string]any{"database": "env:DATABASE_URL", "scratch": "drill_x_1"}}); err == nil {
		t.Fatal("a named scratch database with no server to reach must still be an error")
	}
}
