package activities

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/superfly/fly-go/flaps"
	"go.temporal.io/sdk/activity"
)

// History bounds: the full inventory is in the artifact.
const (
	flyMaxFindingsInHistory = 100
	flyMaxRowsInHistory     = 250
	flyDefaultUnusedDays    = 30
)

// flyInventoryParams are fly.inventory's parameters.
type flyInventoryParams struct {
	flyCommonParams
	// Org is the organization slug whose apps are listed ("personal").
	Org string `json:"org"`
	// Apps, when given, limits the inventory to these apps (no listing).
	Apps flyStrings `json:"apps"`
	// OOMWindow limits OOM counting to recent exits (e.g. "168h", "30d");
	// by default every exit event the API still lists counts.
	OOMWindow flyDuration `json:"oom_window"`
	// UnusedDays: an app with no started machine for this long is unused (30).
	UnusedDays *flyInt `json:"unused_days"`
	// MemoryFloors: minimum memory per process group, e.g. {worker: 2GB}.
	MemoryFloors map[string]flyMemory `json:"memory_floors"`
	// Policies: rules such as "no Fly Postgres apps; Supabase only"; blank
	// entries (an empty runbook input) are ignored.
	Policies flyStrings `json:"policies"`
	// Prices: USD per month per machine size ("shared-cpu-1x:256": 1.94),
	// for the yearly cost of unused apps.
	Prices map[string]float64 `json:"prices"`
}

// FlyInventory lists the apps of an org (or the given apps) with their
// machines, writes the full inventory to fly/inventory-<ts>.json and returns
// a summary, the "Fly apps" table and findings: OOM kills, unused and
// suspended apps, policy breaches, memory below a floor, failing health checks
// and stopped machines. An app that cannot be read is reported as "unknown"
// with its error; the others are still inventoried. A 401 fails the activity.
// The oom_* and unused_* outputs name the first machine to scale and the
// first app to destroy, for the remediation steps (flyRemedyOutputs).
func (a *Activities) FlyInventory(ctx context.Context, req ActionRequest) (ActionResult, error) {
	var p flyInventoryParams
	var rules flyRules
	err := flyDecodeParams("fly.inventory", req.Params, &p, func() []string {
		problems := p.check()
		for _, rule := range p.Policies {
			if strings.TrimSpace(rule) == "" {
				continue
			}
			pol, err := flyParsePolicy(rule)
			if err != nil {
				problems = append(problems, err.Error())
			}
			rules.Policies = append(rules.Policies, pol)
		}
		if p.UnusedDays != nil && *p.UnusedDays < 1 {
			problems = append(problems, "unused_days: must be at least 1")
		}
		for k, v := range p.Prices {
			if !strings.Contains(k, ":") || v < 0 {
				problems = append(problems, fmt.Sprintf("prices: %q: want \"shared-cpu-1x:256\": USD per month", k))
			}
		}
		return problems
	})
	if err != nil {
		return ActionResult{}, err
	}
	cfg := a.Fly.withDefaults()
	now := cfg.Now().UTC()
	rules.Now, rules.OOMWindow, rules.Prices = now, time.Duration(p.OOMWindow), p.Prices
	rules.UnusedDays = flyDefaultUnusedDays
	if p.UnusedDays != nil {
		rules.UnusedDays = int(*p.UnusedDays)
	}
	rules.Floors = map[string]int{}
	for g, mb := range p.MemoryFloors {
		rules.Floors[g] = int(mb)
	}
	org := flyFirstNonEmpty(p.Org, DefaultFlyOrg)

	call, err := a.newFlyCall(ctx, p.flyCommonParams)
	if err != nil {
		return ActionResult{}, err
	}
	names := []string(p.Apps)
	if len(names) == 0 {
		apps, err := call.client.ListApps(ctx, flaps.ListAppsRequest{OrgSlug: org})
		if err != nil {
			return ActionResult{}, call.flyError("list the apps of org "+org, err)
		}
		for _, app := range apps {
			names = append(names, app.Name)
		}
	}
	sort.Strings(names)
	names = slices.Compact(names)
	a.flyLogger().Info("fly inventory started", "org", org, "apps", len(names), "api", call.baseURL)

	apps, fatal := a.flyInventoryApps(ctx, call, names, cfg.Concurrency)
	if fatal != nil {
		return ActionResult{}, fatal
	}
	findings, notes := flyAnalyze(apps, rules)
	report := FlyInventoryReport{GeneratedAt: now, API: call.baseURL, Org: org, Apps: apps, Findings: findings}
	name := fmt.Sprintf("fly/inventory-%s.json", now.Format("20060102T150405Z"))
	art, err := a.flyWriteArtifact(name, report)
	if err != nil {
		return ActionResult{}, err
	}
	result := flyInventoryResult(org, apps, findings, notes, art)
	maps.Copy(result.Outputs, flyRemedyOutputs(apps, rules))
	result.Outputs["api_requests"] = strconv.FormatInt(call.stats.Attempts.Load(), 10)
	result.Outputs["rate_limited"] = strconv.FormatInt(call.stats.RateLimited.Load(), 10)
	a.flyLogger().Info("fly inventory done", "org", org, "apps", len(apps), "findings", len(findings),
		"failed_apps", result.Outputs["failed_apps"], "requests", result.Outputs["api_requests"],
		"rate_limited", result.Outputs["rate_limited"], "artifact", art.Path)
	return result, nil
}

// flyInventoryApps reads every app with at most `workers` at a time. A failing
// app gets an error row. What concerns every app stops the whole inventory:
// a 401 (the token is bad), a rate limit beyond the in-process budget (the
// activity retries after Retry-After) or a cancelled context.
func (a *Activities) flyInventoryApps(ctx context.Context, call *flyCall, names []string, workers int) ([]FlyAppReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]FlyAppReport, len(names))
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		fatal      error
		wg         sync.WaitGroup
	)
	heartbeat := activity.IsActivity(ctx)
	for range min(workers, len(names)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) || ctx.Err() != nil {
					return
				}
				report, err := flyInventoryApp(ctx, call, names[i])
				if st := flyStatusOf(err); st == http.StatusUnauthorized || st == http.StatusTooManyRequests {
					mu.Lock()
					if fatal == nil {
						fatal = call.flyError("read app "+names[i], err)
					}
					mu.Unlock()
					cancel()
					return
				}
				out[i] = report
				if n := done.Add(1); heartbeat {
					activity.RecordHeartbeat(ctx, n)
				}
			}
		})
	}
	wg.Wait()
	if fatal != nil {
		return nil, fatal
	}
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil && int(done.Load()) < len(names) {
		return nil, fmt.Errorf("fly inventory interrupted after %d of %d apps: %w", done.Load(), len(names), err)
	}
	return out, nil
}

// inventoryApp reads one app and its machines.
func flyInventoryApp(ctx context.Context, call *flyCall, name string) (FlyAppReport, error) {
	failed := func(what string, err error) (FlyAppReport, error) {
		return FlyAppReport{Name: name, Status: "unknown", Error: what + ": " + flyErrorText(err)}, err
	}
	app, err := call.client.GetApp(ctx, name)
	if err != nil {
		return failed("get app", err)
	}
	machines, err := call.client.List(ctx, name, "")
	if err != nil {
		return failed("list machines", err)
	}
	return flyAppReport(app, machines), nil
}

// flyInventoryResult builds what goes into history: summary, outputs, the
// bounded findings and the "Fly apps" table.
func flyInventoryResult(org string, apps []FlyAppReport, findings []Finding, notes map[string][]string, art Artifact) ActionResult {
	machines, started, stopped := 0, 0, 0
	var failed []string
	for _, app := range apps {
		if app.Error != "" {
			failed = append(failed, app.Name)
		}
		for _, m := range app.Machines {
			machines++
			switch m.State {
			case "started":
				started++
			case "stopped", "suspended":
				stopped++
			}
		}
	}
	bySev := map[Severity]int{}
	for _, f := range findings {
		bySev[f.Severity]++
	}
	var sevs []string
	for _, s := range []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo} {
		if bySev[s] > 0 {
			sevs = append(sevs, fmt.Sprintf("%d %s", bySev[s], s))
		}
	}
	summary := fmt.Sprintf("Inventoried %d apps with %d machines (%d started, %d stopped) in org %s: %d findings",
		len(apps), machines, started, stopped, org, len(findings))
	if len(sevs) > 0 {
		summary += " (" + strings.Join(sevs, ", ") + ")"
	}
	summary += "."
	if len(failed) > 0 {
		summary += fmt.Sprintf(" %d app(s) could not be read: %s.", len(failed), strings.Join(failed, ", "))
	}
	summary += " Full inventory: " + art.Path + "."

	inHistory := findings
	if len(findings) > flyMaxFindingsInHistory {
		inHistory = append(findings[:flyMaxFindingsInHistory:flyMaxFindingsInHistory], Finding{
			Severity: SeverityInfo,
			Category: "fly",
			Title:    fmt.Sprintf("%d more findings in %s", len(findings)-flyMaxFindingsInHistory, art.Path),
			Evidence: "only the first findings, most severe first, travel in workflow history",
		})
	}
	return ActionResult{
		Summary: summary,
		Outputs: map[string]string{
			"org":              org,
			"apps":             strconv.Itoa(len(apps)),
			"machines":         strconv.Itoa(machines),
			"machines_started": strconv.Itoa(started),
			"findings":         strconv.Itoa(len(findings)),
			"failed_apps":      strconv.Itoa(len(failed)),
			"artifact":         art.Path,
		},
		Findings:  inHistory,
		Tables:    []Table{flyAppsTable(apps, notes, art.Path)},
		Artifacts: []Artifact{art},
	}
}
