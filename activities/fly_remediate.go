package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// More error types of the remediation actions.
const (
	FlyErrLeaseHeld         = "FlyLeaseHeld"         // another operation holds the machine's lease (retryable)
	FlyErrMachineNotStarted = "FlyMachineNotStarted" // updated, but did not start again: needs a human
)

const (
	flyLeaseTTL         = 120 // seconds
	flyDefaultStartWait = 60 * time.Second
)

// flyScaleParams are fly.scale_memory's parameters.
type flyScaleParams struct {
	flyCommonParams
	App          string      `json:"app"`
	Machine      string      `json:"machine"`       // one machine id, or
	ProcessGroup string      `json:"process_group"` // every machine of a group
	Memory       flyMemory   `json:"memory"`        // target, e.g. 2048 or "2GB"
	WaitTimeout  flyDuration `json:"wait_timeout"`  // for a started machine to start again (60s)
}

// FlyScaleMemory sets the guest memory of one machine, or of every machine of
// a process group, one machine at a time. It is a dry run unless req.Apply:
// the result then says what would change and nothing is sent but reads. Each
// update happens under a machine lease, re-reads the machine under the lease,
// and leaves a stopped machine stopped (it does not wait for it to start). A
// machine already at the target is left alone, so a retry changes nothing.
func (a *Activities) FlyScaleMemory(ctx context.Context, req ActionRequest) (ActionResult, error) {
	var p flyScaleParams
	err := flyDecodeParams("fly.scale_memory", req.Params, &p, func() []string {
		problems := p.check()
		if p.App == "" {
			problems = append(problems, "app: required")
		}
		if p.Machine == "" && p.ProcessGroup == "" {
			problems = append(problems, "give machine (an id) or process_group")
		}
		if p.Memory == 0 {
			problems = append(problems, "memory: required (MB, or a size like \"2GB\")")
		} else if p.Memory%256 != 0 {
			problems = append(problems, fmt.Sprintf("memory: %d MB is not a multiple of 256 MB", p.Memory))
		}
		return problems
	})
	if err != nil {
		return ActionResult{}, err
	}
	target := int(p.Memory)
	wait := time.Duration(p.WaitTimeout)
	if wait <= 0 {
		wait = flyDefaultStartWait
	}
	call, err := a.newFlyCall(ctx, p.flyCommonParams)
	if err != nil {
		return ActionResult{}, err
	}
	machines, err := flyScaleTargets(ctx, call, p)
	if err != nil {
		return ActionResult{}, err
	}
	table := Table{Title: "Memory changes", Columns: []string{"Machine", "Process group", "State", "Before", "After", "Result"}}
	var before []string
	changed, planned := 0, 0
	for i, m := range machines {
		if err := flyCheckGuest(p.App, m, target); err != nil {
			return ActionResult{}, err
		}
		cur := flyMemoryOf(m)
		before = append(before, strconv.Itoa(cur))
		row := []string{m.ID, flyGroupLabel(m.ProcessGroup()), m.State, flyMemoryText(cur), flyMemoryText(target), ""}
		switch {
		case cur == target:
			row[5] = "already at target: nothing to do"
		case !req.Apply:
			planned++
			row[5] = "dry run: would update (" + flyScaleCommand(p.App, flyMachineReport(m), target) + ")"
		default:
			res, err := a.flyUpdateMemory(ctx, call, p.App, m.ID, target, wait)
			if err != nil {
				return ActionResult{}, err
			}
			if res.changed {
				changed++
			}
			row[2], row[5] = res.state, res.note
		}
		table.Rows = append(table.Rows, row)
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, i+1)
		}
	}
	scope := fmt.Sprintf("%d machine(s) of %s", len(machines), p.App)
	var summary string
	switch {
	case !req.Apply && planned > 0:
		summary = fmt.Sprintf("Dry run: would set the memory of %d of %s to %s; nothing was changed. Run with apply=true (and approval) to change it.", planned, scope, flyMemoryText(target))
	case !req.Apply:
		summary = fmt.Sprintf("Dry run: %s already at %s; nothing to change.", scope, flyMemoryText(target))
	default:
		summary = fmt.Sprintf("Set the memory of %d of %s to %s (%d already at target).", changed, scope, flyMemoryText(target), len(machines)-changed)
	}
	a.flyLogger().Info("fly scale memory", "app", p.App, "machines", len(machines), "target_mb", target, "apply", req.Apply, "changed", changed)
	return ActionResult{
		Summary: summary,
		Outputs: map[string]string{
			"app":     p.App,
			"before":  strings.Join(before, ","),
			"after":   strconv.Itoa(target),
			"changed": strconv.Itoa(changed),
			"planned": strconv.Itoa(planned),
			"dry_run": strconv.FormatBool(!req.Apply),
		},
		Tables: []Table{table},
	}, nil
}

// flyScaleTargets reads the machines fly.scale_memory is about.
func flyScaleTargets(ctx context.Context, call *flyCall, p flyScaleParams) ([]*fly.Machine, error) {
	if p.Machine != "" {
		m, err := call.client.Get(ctx, p.App, p.Machine)
		if err != nil {
			return nil, call.flyError(fmt.Sprintf("get machine %s of %s", p.Machine, p.App), err)
		}
		if p.ProcessGroup != "" && m.ProcessGroup() != p.ProcessGroup {
			return nil, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("machine %s of %s is in process group %q, not %q", p.Machine, p.App, m.ProcessGroup(), p.ProcessGroup),
				FlyErrBadParams, nil)
		}
		return []*fly.Machine{m}, nil
	}
	all, err := call.client.List(ctx, p.App, "")
	if err != nil {
		return nil, call.flyError("list the machines of "+p.App, err)
	}
	var out []*fly.Machine
	for _, m := range all {
		if m.ProcessGroup() == p.ProcessGroup && m.State != "destroyed" && m.State != "destroying" {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("app %s has no machine in process group %q", p.App, p.ProcessGroup), FlyErrNotFound, nil)
	}
	return out, nil
}

type flyUpdateResult struct {
	changed bool
	state   string
	note    string
}

// flyUpdateMemory updates one machine under a lease; see FlyScaleMemory.
func (a *Activities) flyUpdateMemory(ctx context.Context, call *flyCall, app, id string, target int, wait time.Duration) (flyUpdateResult, error) {
	what := fmt.Sprintf("machine %s of %s", id, app)
	leaseCtx, cancel := flyWithFailFast(ctx)
	leaseWait := a.Fly.withDefaults().LeaseWait
	leaseCtx, cancelTimeout := context.WithTimeout(leaseCtx, leaseWait)
	ttl := flyLeaseTTL
	lease, err := call.client.AcquireLease(leaseCtx, app, id, &ttl)
	cause := context.Cause(leaseCtx)
	cancelTimeout()
	cancel(nil)
	if err != nil {
		var se *flyStatusError
		switch {
		case errors.As(cause, &se):
			return flyUpdateResult{}, call.flyError("lease "+what, se)
		case ctx.Err() != nil:
			return flyUpdateResult{}, fmt.Errorf("lease %s: %w", what, ctx.Err())
		case flyStatusOf(err) == http.StatusConflict || errors.Is(cause, context.DeadlineExceeded):
			return flyUpdateResult{}, temporal.NewApplicationErrorWithCause(
				fmt.Sprintf("lease %s: another operation has held it for %s; retrying later", what, leaseWait), FlyErrLeaseHeld, err)
		}
		return flyUpdateResult{}, call.flyError("lease "+what, err)
	}
	nonce := ""
	if lease.Data != nil {
		nonce = lease.Data.Nonce
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := call.client.ReleaseLease(rctx, app, id, nonce); err != nil {
			a.flyLogger().Warn("fly lease release failed; it expires by itself", "app", app, "machine", id, "ttl_s", flyLeaseTTL, "err", flyErrorText(err))
		}
	}()

	m, err := call.client.Get(ctx, app, id) // re-read under the lease
	if err != nil {
		return flyUpdateResult{}, call.flyError("get "+what, err)
	}
	before := flyMemoryOf(m)
	if before == target {
		return flyUpdateResult{state: m.State, note: "already at target (changed meanwhile): nothing to do"}, nil
	}
	if err := flyCheckGuest(app, m, target); err != nil {
		return flyUpdateResult{}, err
	}
	running := m.State == "started" || m.State == "starting" || m.State == "replacing"
	cfg := *m.Config
	guest := *cfg.Guest
	guest.MemoryMB = target
	cfg.Guest = &guest
	updated, err := call.client.Update(ctx, app, fly.LaunchMachineInput{
		ID:         id,
		Config:     &cfg,
		Region:     m.Region,
		SkipLaunch: !running, // a stopped machine stays stopped
	}, nonce)
	if err != nil {
		return flyUpdateResult{}, call.flyError("update "+what, err)
	}
	res := flyUpdateResult{changed: true, state: updated.State,
		note: fmt.Sprintf("updated %s -> %s", flyMemoryText(before), flyMemoryText(target))}
	if !running {
		res.note += "; left " + m.State
		return res, nil
	}
	err = call.client.Wait(ctx, app, id, flaps.WithWaitStates("started"), flaps.WithWaitTimeout(wait), flaps.WithWaitVersion(updated.InstanceID))
	if err != nil {
		if ctx.Err() != nil {
			return flyUpdateResult{}, fmt.Errorf("wait for %s: %w", what, ctx.Err())
		}
		return flyUpdateResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s was updated to %s but did not start within %s: %s; check `fly logs -a %s -i %s`",
				what, flyMemoryText(target), wait, flyErrorText(err), app, id), FlyErrMachineNotStarted, err)
	}
	res.state = "started"
	res.note += "; started again"
	return res, nil
}

// flyCheckGuest refuses a target the machine's CPUs cannot hold (Fly allows
// 2 GB per shared CPU, 8 GB per performance CPU) or a machine without a guest.
func flyCheckGuest(app string, m *fly.Machine, target int) error {
	if m.Config == nil || m.Config.Guest == nil {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("machine %s of %s has no guest configuration to change", m.ID, app), FlyErrBadResponse, nil)
	}
	g := m.Config.Guest
	if need := flyCPUsFor(g.CPUKind, g.CPUs, target); need != g.CPUs {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("machine %s of %s: %d MB needs %d %s CPUs, it has %d; scale its CPUs first (fly machine update %s --cpus %d -a %s)",
				m.ID, app, target, need, g.CPUKind, g.CPUs, m.ID, need, app), FlyErrBadParams, nil)
	}
	return nil
}

func flyMemoryOf(m *fly.Machine) int {
	if m.Config == nil || m.Config.Guest == nil {
		return 0
	}
	return m.Config.Guest.MemoryMB
}

// flyDestroyParams are fly.destroy_app's parameters.
type flyDestroyParams struct {
	flyCommonParams
	App   string `json:"app"`
	Force bool   `json:"force"` // destroy even if machines are running
}

// FlyDestroyApp destroys an app. It is a dry run unless req.Apply. It refuses
// an app with started machines unless force is set. An app that is already
// gone is a success (noted), so a retry after a lost answer is harmless.
func (a *Activities) FlyDestroyApp(ctx context.Context, req ActionRequest) (ActionResult, error) {
	var p flyDestroyParams
	err := flyDecodeParams("fly.destroy_app", req.Params, &p, func() []string {
		problems := p.check()
		if p.App == "" {
			problems = append(problems, "app: required")
		}
		return problems
	})
	if err != nil {
		return ActionResult{}, err
	}
	call, err := a.newFlyCall(ctx, p.flyCommonParams)
	if err != nil {
		return ActionResult{}, err
	}
	gone := ActionResult{
		Summary: fmt.Sprintf("App %s is already gone: nothing to destroy.", p.App),
		Outputs: map[string]string{"app": p.App, "destroyed": "false", "already_gone": "true", "dry_run": strconv.FormatBool(!req.Apply)},
	}
	app, err := call.client.GetApp(ctx, p.App)
	if flyStatusOf(err) == http.StatusNotFound {
		return gone, nil
	}
	if err != nil {
		return ActionResult{}, call.flyError("get app "+p.App, err)
	}
	machines, err := call.client.List(ctx, p.App, "")
	if err != nil {
		return ActionResult{}, call.flyError("list the machines of "+p.App, err)
	}
	started := 0
	for _, m := range machines {
		if m.State == "started" {
			started++
		}
	}
	desc := fmt.Sprintf("%s (status %s, %d machine(s), %d started)", p.App, app.Status, len(machines), started)
	outputs := map[string]string{"app": p.App, "status": app.Status, "machines": strconv.Itoa(len(machines)),
		"destroyed": "false", "already_gone": "false", "dry_run": strconv.FormatBool(!req.Apply)}
	refuse := started > 0 && !p.Force
	if !req.Apply {
		summary := fmt.Sprintf("Dry run: would destroy app %s; nothing was changed. Run with apply=true (and approval) to destroy it.", desc)
		if refuse {
			summary = fmt.Sprintf("Dry run: would refuse to destroy app %s: it has running machines (set force: true to destroy it anyway).", desc)
		}
		return ActionResult{Summary: summary, Outputs: outputs}, nil
	}
	if refuse {
		return ActionResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("refusing to destroy app %s: it has running machines; stop them or set force: true", desc), FlyErrAppRunning, nil)
	}
	if err := call.client.DeleteApp(ctx, p.App); err != nil {
		if flyStatusOf(err) == http.StatusNotFound {
			return gone, nil
		}
		return ActionResult{}, call.flyError("destroy app "+p.App, err)
	}
	a.flyLogger().Info("fly app destroyed", "app", p.App, "status", app.Status, "machines", len(machines))
	outputs["destroyed"] = "true"
	return ActionResult{Summary: fmt.Sprintf("Destroyed app %s.", desc), Outputs: outputs}, nil
}
