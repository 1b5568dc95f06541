package activities

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	fly "github.com/superfly/fly-go"
)

// flyRules are what fly.inventory judges the estate against.
type flyRules struct {
	Now        time.Time
	OOMWindow  time.Duration // 0: every exit event the API still lists
	UnusedDays int
	Floors     map[string]int     // process group -> minimum memory (MB)
	Policies   []flyPolicy        // e.g. no Fly Postgres apps
	Prices     map[string]float64 // "shared-cpu-1x:256" -> USD per month
}

// flyPolicy is a policy rule given as an input, with the check it maps to.
type flyPolicy struct {
	Check string // flyPolicyNoFlyPostgres
	Rule  string // the rule as the operator wrote it
}

const flyPolicyNoFlyPostgres = "no_fly_postgres"

// flyParsePolicy maps an operator's rule to a check this action knows.
func flyParsePolicy(rule string) (flyPolicy, error) {
	norm := strings.ToLower(strings.Join(strings.Fields(rule), " "))
	switch {
	case norm == flyPolicyNoFlyPostgres,
		strings.Contains(norm, "fly postgres") && strings.HasPrefix(norm, "no"),
		strings.Contains(norm, "supabase only"):
		return flyPolicy{Check: flyPolicyNoFlyPostgres, Rule: strings.TrimSpace(rule)}, nil
	}
	return flyPolicy{}, fmt.Errorf("policy %q: not a rule this action can check (known: %q, e.g. \"no Fly Postgres apps; Supabase only\")", rule, flyPolicyNoFlyPostgres)
}

var flySeverityRank = map[Severity]int{SeverityCritical: 0, SeverityHigh: 1, SeverityMedium: 2, SeverityLow: 3, SeverityInfo: 4}

// flyAnalyze returns the findings for apps, most severe first, and short
// notes per app for the report's table.
func flyAnalyze(apps []FlyAppReport, rules flyRules) ([]Finding, map[string][]string) {
	var out []Finding
	notes := map[string][]string{}
	for _, app := range apps {
		if app.Error != "" {
			out = append(out, Finding{
				Severity:   SeverityMedium,
				Category:   "fly",
				Title:      fmt.Sprintf("Could not inventory %s", app.Name),
				Subject:    app.Name,
				Impact:     "Its machines, memory and exit events are unknown, so this audit says nothing about them.",
				Resolution: fmt.Sprintf("fly status -a %s", app.Name),
				Evidence:   app.Error,
			})
			continue
		}
		for _, pol := range rules.Policies {
			if f, ok := flyPolicyFinding(app, pol); ok {
				out = append(out, f)
				notes[app.Name] = append(notes[app.Name], "breaks policy: "+pol.Rule)
			}
		}
		if f, ok := flyUnusedFinding(app, rules); ok {
			out = append(out, f)
			note := "unused: destroy candidate"
			if cost, _, ok := flyYearlyCost(app.Machines, rules.Prices); ok {
				note += fmt.Sprintf(" (~$%.2f/year)", cost)
			}
			notes[app.Name] = append(notes[app.Name], note)
			continue // an app to destroy needs no advice about its machines
		}
		for _, m := range app.Machines {
			out = append(out, flyMachineFindings(app, m, rules)...)
		}
		out = append(out, flyStoppedFindings(app)...)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(flySeverityRank[a.Severity], flySeverityRank[b.Severity]), cmp.Compare(a.Subject, b.Subject))
	})
	return out, notes
}

// flyPolicyFinding checks app against one policy rule.
func flyPolicyFinding(app FlyAppReport, p flyPolicy) (Finding, bool) {
	if p.Check != flyPolicyNoFlyPostgres || !app.FlyPostgres {
		return Finding{}, false
	}
	return Finding{
		Severity: SeverityMedium,
		Category: "fly",
		Title:    fmt.Sprintf("Fly Postgres app %s breaks the policy %q", app.Name, p.Rule),
		Subject:  app.Name,
		Impact: "Fly Postgres is not a managed database: backups, failover, upgrades and disk " +
			"space are the team's job, and the policy says databases belong on Supabase.",
		// Only the safe first step is runnable; destroying comes after the move.
		Resolution: fmt.Sprintf("fly proxy 15432:5432 -a %s  # then pg_dump through localhost:15432, restore into Supabase, "+
			"repoint the apps, and only then: fly apps destroy %s --yes", app.Name, app.Name),
		Evidence: fmt.Sprintf("Fly Postgres image or role on %s", flyMachineList(app.Machines)),
	}, true
}

// flyUnusedFinding reports a suspended app, or one with no started machine for
// rules.UnusedDays days, with a yearly cost when prices are configured.
func flyUnusedFinding(app FlyAppReport, rules flyRules) (Finding, bool) {
	var last time.Time
	started := false
	for _, m := range app.Machines {
		started = started || m.State == "started"
		if m.LastEventAt != nil && m.LastEventAt.After(last) {
			last = *m.LastEventAt
		}
	}
	idle := time.Duration(rules.UnusedDays) * 24 * time.Hour
	why := ""
	switch {
	case app.Status == "suspended":
		why = "suspended"
	case started:
		return Finding{}, false
	case len(app.Machines) == 0 && app.Status != "pending":
		why = "no machines"
	case len(app.Machines) > 0 && !last.IsZero() && rules.Now.Sub(last) >= idle:
		why = fmt.Sprintf("no started machine for %d days", int(rules.Now.Sub(last).Hours()/24))
	default:
		return Finding{}, false
	}
	evidence := []string{"status " + app.Status}
	if !last.IsZero() {
		evidence = append(evidence, fmt.Sprintf("last machine event %s (%d days before this audit)",
			last.Format(time.RFC3339), int(rules.Now.Sub(last).Hours()/24)))
	}
	for _, m := range app.Machines {
		evidence = append(evidence, fmt.Sprintf("%s %s %s", m.ID, m.State, flySizeName(m)))
	}
	impact := "Nobody uses it, yet it keeps its IPs, certificates, volumes and images, and stays one more thing to patch and watch."
	if cost, detail, ok := flyYearlyCost(app.Machines, rules.Prices); ok {
		impact += fmt.Sprintf(" Estimated $%.2f/year at the configured prices (%s, billed as if running).", cost, detail)
	}
	return Finding{
		Severity:   SeverityLow,
		Category:   "cost",
		Title:      fmt.Sprintf("Unused app %s (%s)", app.Name, why),
		Subject:    app.Name,
		Impact:     impact,
		Resolution: fmt.Sprintf("fly apps destroy %s --yes", app.Name),
		Evidence:   strings.Join(evidence, "; "),
	}, true
}

func flyMachineFindings(app FlyAppReport, m FlyMachineReport, rules flyRules) []Finding {
	var out []Finding
	subject := fmt.Sprintf("%s/%s", app.Name, m.ID)
	floor := rules.Floors[m.ProcessGroup]
	ooms, kills := flyRecentExits(m, rules)
	target := 0
	if len(ooms) > 0 {
		target = flyOOMTarget(m, rules)
		evidence := fmt.Sprintf("oom_killed exits at %s", strings.Join(ooms, ", "))
		if len(kills) > 0 {
			evidence += fmt.Sprintf("; %d exit(s) with code 137 but no oom_killed (plain kills, not counted) at %s", len(kills), strings.Join(kills, ", "))
		}
		if floor > 0 {
			evidence += fmt.Sprintf("; the %s floor is %d MB", m.ProcessGroup, floor)
		}
		out = append(out, Finding{
			Severity: SeverityHigh,
			Category: "fly",
			Title: fmt.Sprintf("%s %s machine %s was OOM-killed %d time(s) with %d MB",
				app.Name, flyGroupLabel(m.ProcessGroup), m.ID, len(ooms), m.MemoryMB),
			Subject: subject,
			Impact: "The kernel killed the process for running out of memory: work in flight " +
				"(requests, background jobs) was lost and the machine restarted.",
			Resolution: flyScaleCommand(app.Name, m, target),
			Evidence:   evidence,
		})
	}
	if floor > 0 && m.MemoryMB < floor && target < floor {
		out = append(out, Finding{
			Severity:   SeverityMedium,
			Category:   "fly",
			Title:      fmt.Sprintf("%s %s machine %s has %d MB, below the %d MB floor", app.Name, flyGroupLabel(m.ProcessGroup), m.ID, m.MemoryMB, floor),
			Subject:    subject,
			Impact:     fmt.Sprintf("The %s process group is configured to need at least %d MB.", m.ProcessGroup, floor),
			Resolution: flyScaleCommand(app.Name, m, floor),
			Evidence:   fmt.Sprintf("%s, state %s", flySizeName(m), m.State),
		})
	}
	if m.State == "started" {
		var failing []string
		sev := Severity("")
		for _, c := range m.Checks {
			switch c.Status {
			case string(fly.Critical):
				sev = SeverityHigh
			case string(fly.Warning):
				if sev == "" {
					sev = SeverityMedium
				}
			default:
				continue
			}
			failing = append(failing, fmt.Sprintf("%s is %s: %s", c.Name, c.Status, flyOneLine(c.Output)))
		}
		if len(failing) > 0 {
			out = append(out, Finding{
				Severity:   sev,
				Category:   "health",
				Title:      fmt.Sprintf("%s machine %s fails %d health check(s)", app.Name, m.ID, len(failing)),
				Subject:    subject,
				Impact:     "Fly's proxy stops routing to a machine whose checks fail; with critical checks on every machine the app is down.",
				Resolution: fmt.Sprintf("fly checks list -a %s && fly logs -a %s -i %s --no-tail", app.Name, app.Name, m.ID),
				Evidence:   strings.Join(failing, "; "),
			})
		}
	}
	return out
}

// flyStoppedFindings reports stopped machines of an app in use, per process
// group, unless they stop on purpose (autostop).
func flyStoppedFindings(app FlyAppReport) []Finding {
	type group struct{ total, started int }
	groups := map[string]*group{}
	stopped := map[string][]FlyMachineReport{}
	var names []string
	for _, m := range app.Machines {
		g := groups[m.ProcessGroup]
		if g == nil {
			g = &group{}
			groups[m.ProcessGroup] = g
			names = append(names, m.ProcessGroup)
		}
		g.total++
		switch {
		case m.State == "started":
			g.started++
		case (m.State == "stopped" || m.State == "suspended") && !m.Autostop:
			stopped[m.ProcessGroup] = append(stopped[m.ProcessGroup], m)
		}
	}
	var out []Finding
	for _, name := range names {
		ms := stopped[name]
		if len(ms) == 0 {
			continue
		}
		g := groups[name]
		sev, impact := SeverityLow, "Less capacity and no redundancy: one more failure takes the process group down."
		if g.started == 0 {
			sev, impact = SeverityMedium, "No machine of this process group runs, and autostop is off, so nothing starts it on demand."
		}
		var cmds, evidence []string
		for _, m := range ms {
			cmds = append(cmds, fmt.Sprintf("fly machine start %s -a %s", m.ID, app.Name))
			since := "unknown"
			if m.LastEventAt != nil {
				since = m.LastEventAt.Format(time.RFC3339)
			}
			evidence = append(evidence, fmt.Sprintf("%s %s since %s (restart policy %s)", m.ID, m.State, since, m.RestartPolicy))
		}
		out = append(out, Finding{
			Severity:   sev,
			Category:   "fly",
			Title:      fmt.Sprintf("%d of %d %s machines of %s are stopped", len(ms), g.total, flyGroupLabel(name), app.Name),
			Subject:    app.Name,
			Impact:     impact,
			Resolution: strings.Join(cmds, "\n"),
			Evidence:   strings.Join(evidence, "; "),
		})
	}
	return out
}

// flyNextMemorySize is the next of Fly's power-of-two sizes above mb.
func flyNextMemorySize(mb int) int {
	next := fly.MIN_MEMORY_MB_PER_SHARED_CPU
	for next <= mb {
		next *= 2
	}
	return next
}

// flyCPUsFor returns the CPU count a machine needs to hold mb of memory.
func flyCPUsFor(kind string, cpus, mb int) int {
	perCPU := fly.MAX_MEMORY_MB_PER_SHARED_CPU
	if kind == "performance" {
		perCPU = fly.MAX_MEMORY_MB_PER_CPU
	}
	need := max(cpus, 1)
	for need*perCPU < mb {
		need *= 2
	}
	return need
}

// flyScaleCommand is the flyctl command setting m's memory to mb (with more CPUs
// when the current count cannot hold it).
func flyScaleCommand(app string, m FlyMachineReport, mb int) string {
	cmd := fmt.Sprintf("fly machine update %s --memory %d", m.ID, mb)
	if c := flyCPUsFor(m.CPUKind, m.CPUs, mb); c != m.CPUs {
		cmd += fmt.Sprintf(" --cpus %d", c)
	}
	return cmd + " -a " + app
}

// flyYearlyCost sums the configured monthly prices of machines, times 12.
func flyYearlyCost(ms []FlyMachineReport, prices map[string]float64) (float64, string, bool) {
	if len(prices) == 0 || len(ms) == 0 {
		return 0, "", false
	}
	total, parts := 0.0, []string{}
	for _, m := range ms {
		key := flyPriceKey(m)
		p, ok := prices[key]
		if !ok {
			return 0, "", false
		}
		total += p * 12
		parts = append(parts, fmt.Sprintf("%s at $%.2f/month", key, p))
	}
	return total, strings.Join(parts, ", "), true
}

// flyPriceKey names a machine size for the price table: "shared-cpu-1x:256".
func flyPriceKey(m FlyMachineReport) string {
	g := fly.MachineGuest{CPUKind: m.CPUKind, CPUs: m.CPUs}
	return fmt.Sprintf("%s:%d", g.ToSize(), m.MemoryMB)
}

func flySizeName(m FlyMachineReport) string {
	return fmt.Sprintf("%s %s", (&fly.MachineGuest{CPUKind: m.CPUKind, CPUs: m.CPUs}).ToSize(), flyMemoryText(m.MemoryMB))
}

func flyMemoryText(mb int) string {
	if mb >= 1024 && mb%1024 == 0 {
		return fmt.Sprintf("%d GB", mb/1024)
	}
	return fmt.Sprintf("%d MB", mb)
}

func flyGroupLabel(group string) string {
	if group == "" {
		return "(no process group)"
	}
	return group
}

func flyMachineList(ms []FlyMachineReport) string {
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	if len(ids) == 0 {
		return "the app"
	}
	return "machine " + strings.Join(ids, ", ")
}

func flyOneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
