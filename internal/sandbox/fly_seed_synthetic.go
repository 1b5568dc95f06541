package sandbox

import (
	"encoding/json"
	"fmt"
	"time"
)

// SyntheticFlySeed builds a large, deterministic estate for load tests: apps
// apps named synth-0000... in org "personal", each with machinesPerApp
// machines. Every 10th app has a worker that was OOM-killed, every 25th app is
// suspended with its machines stopped, and every 7th machine of the rest is
// stopped; memory sizes cycle through 256 MB to 2 GB.
func SyntheticFlySeed(apps, machinesPerApp int) *FlySeed {
	base := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	seed := &FlySeed{}
	serial := 0
	for i := range apps {
		name := fmt.Sprintf("synth-%04d", i)
		app := FlySeedApp{
			ID:           fmt.Sprintf("synthapp%08d", i),
			Name:         name,
			Status:       "deployed",
			Organization: FlySeedOrg{Name: "Synthetic", Slug: "personal"},
			Network:      "default",
		}
		suspended := i%25 == 24
		if suspended {
			app.Status = "suspended"
		}
		for j := range machinesPerApp {
			serial++
			group := "app"
			if j%2 == 1 {
				group = "worker"
			}
			state := "started"
			if suspended || serial%7 == 0 {
				state = "stopped"
			}
			created := base.Add(time.Duration(serial) * time.Minute)
			events := []map[string]any{
				{"type": "start", "status": "started", "source": "flyd", "timestamp": created.Add(3 * time.Second).UnixMilli()},
				{"type": "launch", "status": "created", "source": "user", "timestamp": created.UnixMilli()},
			}
			if state == "stopped" {
				stop := created.Add(time.Hour)
				events = append([]map[string]any{exitEvent(stop, 0, false, true)}, events...)
			}
			if i%10 == 3 && group == "worker" {
				oom := created.Add(24 * time.Hour)
				events = append([]map[string]any{
					{"type": "start", "status": "started", "source": "flyd", "timestamp": oom.Add(4 * time.Second).UnixMilli()},
					exitEvent(oom, 137, true, false),
				}, events...)
			}
			m := map[string]any{
				"id":          fmt.Sprintf("%014x", 0x5e000000000+serial),
				"name":        fmt.Sprintf("%s-%s-%d", name, group, j),
				"state":       state,
				"region":      []string{"iad", "ord", "cdg", "nrt"}[serial%4],
				"instance_id": fmt.Sprintf("01K%023d", serial),
				"private_ip":  fmt.Sprintf("fdaa:9:3c1e:a7b:%x::2", serial),
				"created_at":  created.Format(time.RFC3339),
				"updated_at":  created.Format(time.RFC3339),
				"config": map[string]any{
					"image":    "registry.fly.io/" + name + ":deployment-synthetic",
					"init":     map[string]any{},
					"metadata": map[string]any{"fly_platform_version": "v2", "fly_process_group": group},
					"restart":  map[string]any{"policy": "on-failure", "max_retries": 10},
					"guest":    map[string]any{"cpu_kind": "shared", "cpus": 1, "memory_mb": 256 << (serial % 4)},
				},
				"image_ref": map[string]any{"registry": "registry.fly.io", "repository": name, "tag": "deployment-synthetic"},
				"events":    events,
			}
			if state == "started" {
				m["checks"] = []map[string]any{{"name": "servicecheck-00-http-8080", "status": "passing", "output": "Success", "updated_at": created.Add(time.Minute).Format(time.RFC3339)}}
			}
			raw, err := json.Marshal(m)
			if err != nil {
				panic(fmt.Sprintf("sandbox: synthetic machine: %v", err))
			}
			app.Machines = append(app.Machines, raw)
		}
		seed.Apps = append(seed.Apps, app)
	}
	return seed
}

func exitEvent(at time.Time, code int, oom, requested bool) map[string]any {
	signal := -1
	if code == 137 {
		signal = 9
	}
	return map[string]any{
		"type":   "exit",
		"status": "stopped",
		"source": "flyd",
		"request": map[string]any{
			"exit_event": map[string]any{
				"exit_code":       code,
				"exited_at":       at.Format(time.RFC3339Nano),
				"guest_exit_code": 0,
				"guest_signal":    -1,
				"oom_killed":      oom,
				"requested_stop":  requested,
				"restarting":      !requested,
				"signal":          signal,
			},
			"restart_count": 0,
		},
		"timestamp": at.Add(120 * time.Millisecond).UnixMilli(),
	}
}
