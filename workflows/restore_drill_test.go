package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/runbooks"
	"github.com/hotdash/drillbook/runs"
)

func TestDecodeRestoreDrillInput(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		want    RestoreDrillInput
		wantErr []string
	}{
		{raw: "null"},
		{raw: "{}"},
		{raw: `{"source":"env:PROD_DB","rto_budget":"15m","rpo_budget":"2h","keep_scratch":true}`,
			want: RestoreDrillInput{Source: "env:PROD_DB", RTOBudget: "15m", RPOBudget: "2h", KeepScratch: true}},
		{raw: `{"source":"host=db user=app dbname=app"}`, want: RestoreDrillInput{Source: "host=db user=app dbname=app"}},
		{raw: `{"runbook":"x","keep_scratch":"yes","rto_budget":30}`,
			wantErr: []string{`unknown field "runbook"`, `field "keep_scratch": want true or false`, `field "rto_budget": want a string`}},
		{raw: `{"rto_budget":"soon","rpo_budget":"-1h"}`, wantErr: []string{`"rto_budget": want a positive duration`, `"rpo_budget": want a positive duration`}},
		{raw: `{"source":"postgres://app:hunter2@db/app"}`, wantErr: []string{`holds a password`}},
		{raw: `{"source":"env:not a name"}`, wantErr: []string{`is not env:NAME`}},
		{raw: `"env:DATABASE_URL"`, wantErr: []string{"must be a JSON object"}},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := DecodeRestoreDrillInput(jsonRaw(tc.raw))
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != ErrBadInput || !appErr.NonRetryable() {
				t.Fatalf("want a non-retryable BadInput error, got %v", err)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats the password: %v", err)
			}
		})
	}
}

// drillWorld fakes the postgres actions for RestoreDrill: it records what
// each step was asked, and preflight fails when mismatch is set.
type drillWorld struct {
	calls    []string
	params   map[string]map[string]any
	mismatch bool
}

func (d *drillWorld) action(name string) func(context.Context, runs.ActionRequest) (runs.ActionResult, error) {
	return func(_ context.Context, req runs.ActionRequest) (runs.ActionResult, error) {
		d.calls = append(d.calls, req.StepID)
		d.params[req.StepID] = req.Params
		switch name {
		case "postgres.preflight":
			if d.mismatch {
				res := runs.ActionResult{Findings: []runs.Finding{{Severity: runs.SeverityCritical, Title: "pg_dump 14.9 cannot dump PostgreSQL 15.18"}}}
				return res, temporal.NewApplicationErrorWithOptions("mismatch", "PostgresVersionMismatch",
					temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{res}})
			}
		case "postgres.backup":
			return runs.ActionResult{Outputs: map[string]string{"path": "backups/d/app-1.dump"}}, nil
		case "postgres.restore":
			return runs.ActionResult{Outputs: map[string]string{"scratch": "drill_app_1"}}, nil
		}
		return runs.ActionResult{}, nil
	}
}

func newDrillEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *drillWorld) {
	t.Helper()
	src, err := runbooks.EmbeddedSource(DrillRunbook)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := newEnv(t, string(src))
	d := &drillWorld{params: map[string]map[string]any{}}
	env.RegisterWorkflowWithOptions(RestoreDrill, workflow.RegisterOptions{Name: RestoreDrillWorkflow})
	for _, name := range []string{"postgres.preflight", "postgres.backup", "postgres.restore", "postgres.verify", "postgres.drop_scratch"} {
		env.RegisterActivityWithOptions(d.action(name), activity.RegisterOptions{Name: name})
	}
	env.RegisterActivityWithOptions(d.action("sql"), activity.RegisterOptions{Name: RunSQLActivity})
	return env, d
}

func TestRestoreDrillRunsTheRunbook(t *testing.T) {
	env, d := newDrillEnv(t)
	env.ExecuteWorkflow(RestoreDrillWorkflow, jsonRaw(`{"source":"env:PROD_DB","rpo_budget":"2h","keep_scratch":true}`))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.calls, ","); got != "preflight,backup,restore,verify,spot-check,drop-scratch" {
		t.Errorf("calls %s", got)
	}
	if d.params["backup"]["database"] != "env:PROD_DB" || d.params["verify"]["rpo_budget"] != "2h" ||
		d.params["verify"]["rto_budget"] != "30m" || d.params["drop-scratch"]["keep"] != "true" ||
		d.params["drop-scratch"]["scratch"] != "drill_app_1" || d.params["restore"]["backup"] != "backups/d/app-1.dump" {
		t.Errorf("params %v", d.params)
	}
}

func TestRestoreDrillStopsAtPreflight(t *testing.T) {
	env, d := newDrillEnv(t)
	d.mismatch = true
	env.ExecuteWorkflow(RestoreDrillWorkflow, jsonRaw(`{}`))
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != ErrRunbookFailed {
		t.Fatalf("want %s, got %v", ErrRunbookFailed, err)
	}
	if got := strings.Join(d.calls, ","); got != "preflight" {
		t.Errorf("calls %s", got)
	}
	p := progressOf(t, env)
	pre := stepOf(t, p, "preflight")
	if pre.Status != runs.StatusFailed || pre.Result == nil || len(pre.Result.Findings) != 1 || pre.Findings != 1 {
		t.Errorf("preflight kept no finding: %+v", pre)
	}
	if s := stepOf(t, p, "drop-scratch"); s.Status != runs.StatusSkipped {
		t.Errorf("drop-scratch: %s", s.Status)
	}
	if d.params["preflight"]["database"] != "env:DATABASE_URL" {
		t.Errorf("default source: %v", d.params["preflight"])
	}
}
