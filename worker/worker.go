// Package worker builds the drillbook worker: the one place where every
// workflow and activity is registered.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/workflows"
)

// New builds a worker on the drillbook task queue with every workflow and
// activity registered. The caller starts and stops it.
func New(c client.Client, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	Register(w, acts)
	return w
}

// Register adds every drillbook workflow and activity to a registry (a
// worker, a replayer or a test environment).
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.RunRunbook, workflow.RegisterOptions{Name: workflows.RunRunbookWorkflow})
	r.RegisterActivityWithOptions(acts.Ping, activity.RegisterOptions{Name: workflows.PingActivity})
}
