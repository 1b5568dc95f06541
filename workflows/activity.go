package workflows

import (
	"errors"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/runbooks"
	"github.com/hotdash/drillbook/runs"
)

// Defaults for steps whose attributes say nothing.
const (
	defaultStepTimeout   = 10 * time.Minute
	defaultHeartbeat     = 30 * time.Second
	defaultBackoff       = time.Second
	maxBackoff           = 5 * time.Minute
	defaultActionRetries = 2 // actions talk to networks; shell and sql steps retry only when asked
	// maxInfraRetries bounds re-runs after a worker died or the step timed
	// out: the interrupted step runs again, the run never loops forever.
	maxInfraRetries = 3
)

// attempt runs a step's activity until it succeeds or its retries are spent.
// The engine retries itself (each activity has one attempt) so that every
// attempt shows in the progress query and `decide retry` fits in naturally.
func (r *runner) attempt(ctx workflow.Context, i int) error {
	step := &r.rb.Steps[i]
	sp := &r.progress.Steps[i]
	retries := retriesOf(step)
	actx := workflow.WithActivityOptions(ctx, activityOptions(step))
	failures, infra := 0, 0
	for {
		sp.Attempts++
		r.setStatus(ctx, i, runs.StatusRunning, "")
		var res runs.ActionResult
		err := workflow.ExecuteActivity(actx, activityName(step), r.request(ctx, step)).Get(ctx, &res)
		if err == nil {
			r.record(i, &res)
			return nil
		}
		r.recordFailure(i, err)
		if ctx.Err() != nil {
			return err
		}
		var appErr *temporal.ApplicationError
		var timeoutErr *temporal.TimeoutError
		switch {
		case errors.As(err, &appErr) && appErr.NonRetryable():
			return err
		case errors.As(err, &timeoutErr) && timeoutErr.TimeoutType() == enumspb.TIMEOUT_TYPE_HEARTBEAT && infra < maxInfraRetries:
			infra++ // the worker died mid-step: run the step again
			continue
		}
		failures++
		if failures > retries {
			return err
		}
		if err := workflow.Sleep(ctx, backoffFor(step, failures, appErr)); err != nil {
			return err
		}
	}
}

// request is what the step's activity gets: variables expanded, env
// references and secret values left for the worker.
func (r *runner) request(ctx workflow.Context, step *runbooks.Step) runs.ActionRequest {
	req := runs.ActionRequest{
		WorkflowID: r.progress.WorkflowID,
		StepID:     step.ID,
		Kind:       string(step.Kind),
		Apply:      r.in.Apply,
		Env:        map[string]string{},
		Write:      step.Options.Write,
		Attempt:    r.progress.Steps[r.index[step.ID]].Attempts,
	}
	for _, in := range r.rb.Inputs {
		req.Env[envName(in.Name)] = r.scope.inputs[in.Name]
		if in.Secret {
			req.Secrets = append(req.Secrets, envName(in.Name))
		}
	}
	switch step.Kind {
	case runbooks.KindShell:
		req.Body = r.scope.expandShell(step.Body)
	case runbooks.KindSQL:
		req.Body = r.scope.expand(step.Body)
		req.Database = r.sqlTarget(step)
		if db, ok := step.Attr("dbname"); ok {
			req.Params = map[string]any{"dbname": r.scope.expand(db)}
		}
	default:
		if params, ok := r.scope.expandParams(step.Params).(map[string]any); ok {
			req.Params = params
		}
	}
	return req
}

// sqlTarget is the database a sql step runs against: its `database`
// attribute, else the `database` or `source` input, else $DATABASE_URL.
func (r *runner) sqlTarget(step *runbooks.Step) string {
	if v, ok := step.Attr("database"); ok {
		return r.scope.expand(v)
	}
	for _, name := range []string{"database", "source"} {
		if v := r.scope.inputs[name]; v != "" {
			return v
		}
	}
	return "env:DATABASE_URL"
}

func activityName(step *runbooks.Step) string {
	switch step.Kind {
	case runbooks.KindShell:
		return RunShellActivity
	case runbooks.KindSQL:
		return RunSQLActivity
	}
	return step.Action
}

func activityOptions(step *runbooks.Step) workflow.ActivityOptions {
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: defaultStepTimeout,
		HeartbeatTimeout:    defaultHeartbeat,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	}
	if t := step.Options.Timeout.D(); t > 0 {
		opts.StartToCloseTimeout = t
	}
	if h := step.Options.Heartbeat.D(); h > 0 {
		opts.HeartbeatTimeout = h
	}
	if opts.HeartbeatTimeout > opts.StartToCloseTimeout {
		opts.HeartbeatTimeout = 0
	}
	return opts
}

func retriesOf(step *runbooks.Step) int {
	if step.Options.Retries != nil {
		return *step.Options.Retries
	}
	if step.Kind == runbooks.KindAction {
		return defaultActionRetries
	}
	return 0
}

// backoffFor is the wait before retry n: the step's backoff doubled per
// failure, capped, or what the error asked for (e.g. a Retry-After).
func backoffFor(step *runbooks.Step, n int, appErr *temporal.ApplicationError) time.Duration {
	if appErr != nil && appErr.NextRetryDelay() > 0 {
		return appErr.NextRetryDelay()
	}
	d := step.Options.Backoff.D()
	if d <= 0 {
		d = defaultBackoff
	}
	for k := 1; k < n && d < maxBackoff; k++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// record keeps a successful attempt's result and outputs.
func (r *runner) record(i int, res *runs.ActionResult) {
	sp := &r.progress.Steps[i]
	sp.Error = ""
	if sp.Result != nil { // keep findings added by the engine (e.g. approval)
		res.Findings = append(sp.Result.Findings, res.Findings...)
	}
	sp.Result = res
	sp.Findings = len(res.Findings)
	sp.OutputTail = res.OutputTail
	r.scope.outputs[sp.ID] = res.Outputs
}

// recordFailure keeps what a failed attempt left: its error and, when the
// activity attached its partial result, the output tail. A final
// (non-retryable) failure also keeps the partial result's findings, tables
// and artifacts for the report (e.g. the client a version mismatch needs);
// its outputs never reach later steps.
func (r *runner) recordFailure(i int, err error) {
	sp := &r.progress.Steps[i]
	sp.Error = errorMessage(err)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.HasDetails() {
		var partial runs.ActionResult
		if appErr.Details(&partial) != nil {
			return
		}
		if partial.OutputTail != "" {
			sp.OutputTail = partial.OutputTail
		}
		if appErr.NonRetryable() && (len(partial.Findings) > 0 || len(partial.Tables) > 0) {
			kept := &runs.ActionResult{Summary: partial.Summary, Findings: partial.Findings, Tables: partial.Tables,
				Artifacts: partial.Artifacts, OutputTail: partial.OutputTail}
			if sp.Result != nil { // findings the engine added (approval) stay
				kept.Findings = append(sp.Result.Findings, kept.Findings...)
			}
			sp.Result = kept
			sp.Findings = len(kept.Findings)
		}
	}
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// errorMessage is what people read about a failed attempt: the cause's own
// message, without the activity envelope (ids, worker identity).
func errorMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return "timed out (" + strings.ToLower(strings.TrimPrefix(timeoutErr.TimeoutType().String(), "TimeoutType")) + ")"
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return "cancelled"
	}
	return err.Error()
}
