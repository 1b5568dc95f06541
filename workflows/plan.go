package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// stage is a run of consecutive steps: either sequential, or a parallel group
// whose lead steps run first and whose branches then run concurrently.
type stage struct {
	lead     []int   // step positions run in order before the branches
	branches [][]int // each branch's step positions, in document order
}

// plan groups the runbook's non-cleanup steps into stages, in document order.
func (r *runner) plan() []stage {
	var stages []stage
	group := ""
	for i, s := range r.rb.Steps {
		if s.Options.Cleanup {
			continue
		}
		if s.ParallelGroup == "" {
			group = ""
			stages = append(stages, stage{lead: []int{i}})
			continue
		}
		if s.ParallelGroup != group {
			group = s.ParallelGroup
			stages = append(stages, stage{})
		}
		st := &stages[len(stages)-1]
		if s.Branch == "" {
			st.lead = append(st.lead, i)
			continue
		}
		if n := len(st.branches); n > 0 && r.rb.Steps[st.branches[n-1][0]].Branch == s.Branch {
			st.branches[n-1] = append(st.branches[n-1], i)
		} else {
			st.branches = append(st.branches, []int{i})
		}
	}
	return stages
}

// run executes every stage; it stops starting steps once one has aborted
// the run or the run is cancelled.
func (r *runner) run(ctx workflow.Context) error {
	for _, st := range r.plan() {
		if err := r.runSequence(ctx, st.lead); err != nil {
			return err
		}
		if len(st.branches) == 0 {
			continue
		}
		wg := workflow.NewWaitGroup(ctx)
		errs := make([]error, len(st.branches))
		for b, branch := range st.branches {
			wg.Add(1)
			workflow.Go(ctx, func(ctx workflow.Context) {
				defer wg.Done()
				errs[b] = r.runSequence(ctx, branch)
			})
		}
		wg.Wait(ctx)
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// runSequence runs steps in order until one aborts the run.
func (r *runner) runSequence(ctx workflow.Context, steps []int) error {
	for _, i := range steps {
		if r.failed {
			return nil
		}
		if err := r.runStep(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// runCleanup runs the cleanup steps in reverse document order, like defer,
// whatever happened before.
func (r *runner) runCleanup(ctx workflow.Context) {
	for i := len(r.rb.Steps) - 1; i >= 0; i-- {
		if r.rb.Steps[i].Options.Cleanup {
			_ = r.runStep(ctx, i)
		}
	}
}
