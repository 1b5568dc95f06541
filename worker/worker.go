// Package worker builds the drillbook worker: the one place where every
// workflow and activity is registered.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/workflows"
)

// New builds a worker on the drillbook task queue with every workflow and
// activity registered. The caller starts and stops it.
func New(c client.Client, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{
		Interceptors: []interceptor.WorkerInterceptor{&notWritableInterceptor{}},
	})
	Register(w, acts)
	return w
}

// Registry is what workflows and activities are registered with: a worker,
// a replayer or a test environment.
type Registry interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}

// Register adds every drillbook workflow and activity to r.
func Register(r Registry, acts *activities.Activities) {
	RegisterWorkflows(r)
	for name, fn := range map[string]any{
		workflows.PingActivity:          acts.Ping,
		workflows.LoadRunbookActivity:   acts.LoadRunbook,
		workflows.RunShellActivity:      acts.RunShell,
		workflows.RunSQLActivity:        acts.RunSQL,
		workflows.RenderReportActivity:  acts.RenderReport,
		workflows.AppendJournalActivity: acts.AppendJournal,
		// Built-in actions, named as runbooks call them (`drill ACTION`).
		"fly.inventory":         acts.FlyInventory,
		"fly.scale_memory":      acts.FlyScaleMemory,
		"fly.destroy_app":       acts.FlyDestroyApp,
		"postgres.preflight":    acts.PostgresPreflight,
		"postgres.backup":       acts.PostgresBackup,
		"postgres.restore":      acts.PostgresRestore,
		"postgres.verify":       acts.PostgresVerify,
		"postgres.drop_scratch": acts.PostgresDropScratch,
		"http.probe":            acts.HTTPProbe,
		"http.health":           acts.HTTPHealth,
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// RegisterWorkflows adds every drillbook workflow to r (replayers need only these).
func RegisterWorkflows(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(workflows.RunRunbook, workflow.RegisterOptions{Name: workflows.RunRunbookWorkflow})
	r.RegisterWorkflowWithOptions(workflows.RestoreDrill, workflow.RegisterOptions{Name: workflows.RestoreDrillWorkflow})
	r.RegisterWorkflowWithOptions(workflows.ReliabilityAudit, workflow.RegisterOptions{Name: workflows.ReliabilityAuditWorkflow})
}
