package activities

import (
	"fmt"
	"strconv"
	"time"
)

// flyRecentExits returns the times (RFC 3339) of m's OOM kills and plain
// kills (exit 137 without oom_killed) inside rules.OOMWindow and after the
// machine's last config update: kills under an older config (e.g. before
// the memory was scaled up) say nothing about the current size.
func flyRecentExits(m FlyMachineReport, rules flyRules) (ooms, kills []string) {
	for _, ev := range m.ExitEvents {
		if rules.OOMWindow > 0 && rules.Now.Sub(ev.At) > rules.OOMWindow {
			continue
		}
		if m.ConfigUpdatedAt != nil && !ev.At.After(*m.ConfigUpdatedAt) {
			continue
		}
		switch ev.Kind {
		case "oom":
			ooms = append(ooms, ev.At.Format(time.RFC3339))
		case "killed":
			kills = append(kills, ev.At.Format(time.RFC3339))
		}
	}
	return ooms, kills
}

// flyOOMTarget is the memory an OOM-killed machine should get: the next of
// Fly's sizes above its current one, and at least its process group's floor.
func flyOOMTarget(m FlyMachineReport, rules flyRules) int {
	return max(flyNextMemorySize(m.MemoryMB), rules.Floors[m.ProcessGroup])
}

// flyRemedyOutputs returns the outputs a runbook's remediation steps use,
// every key present and empty when there is nothing to fix:
//
//   - oom_app, oom_machine, oom_memory_mb, oom_recommended_mb: the first
//     machine (apps by name, machines by process group and name) OOM-killed
//     inside the window, its memory and the size its finding recommends;
//     oom_machines counts every such machine.
//   - unused_app, unused_yearly_usd: the first suspended or unused app and,
//     with a price table, what it costs a year; unused_apps counts them.
//
// It judges apps as flyAnalyze does: unreadable apps are left out, and an
// unused app gets no memory advice.
func flyRemedyOutputs(apps []FlyAppReport, rules flyRules) map[string]string {
	out := map[string]string{
		"oom_app": "", "oom_machine": "", "oom_memory_mb": "", "oom_recommended_mb": "", "oom_machines": "0",
		"unused_app": "", "unused_yearly_usd": "", "unused_apps": "0",
	}
	ooms, unused := 0, 0
	for _, app := range apps {
		if app.Error != "" {
			continue
		}
		if _, ok := flyUnusedFinding(app, rules); ok {
			if unused == 0 {
				out["unused_app"] = app.Name
				if cost, _, ok := flyYearlyCost(app.Machines, rules.Prices); ok {
					out["unused_yearly_usd"] = fmt.Sprintf("%.2f", cost)
				}
			}
			unused++
			continue
		}
		for _, m := range app.Machines {
			if o, _ := flyRecentExits(m, rules); len(o) == 0 {
				continue
			}
			if ooms == 0 {
				out["oom_app"], out["oom_machine"] = app.Name, m.ID
				out["oom_memory_mb"] = strconv.Itoa(m.MemoryMB)
				out["oom_recommended_mb"] = strconv.Itoa(flyOOMTarget(m, rules))
			}
			ooms++
		}
	}
	out["oom_machines"], out["unused_apps"] = strconv.Itoa(ooms), strconv.Itoa(unused)
	return out
}
