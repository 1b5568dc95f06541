package activities

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/sandbox"
)

// BenchmarkFlyInventory2000Machines inventories 500 apps with 2,000 machines
// against the emulator limited to 20 requests/s (bursts of 20, 429 +
// Retry-After beyond), and prints `name: value` lines: the time, the floor
// (requests the API served ÷ its rate), their ratio (goal ≤ 1.25), failed
// apps (goal 0) and the size of the result in history (goal ≤ 256 KiB).
// Run it with: go test ./activities -run '^$' -bench FlyInventory2000 -benchtime 1x
func BenchmarkFlyInventory2000Machines(b *testing.B) {
	const apps, perApp, rate = 500, 4, 20.0
	seed := sandbox.SyntheticFlySeed(apps, perApp)
	for b.Loop() {
		b.StopTimer()
		e := newFlyTestEnv(b, seed)
		e.emu.SetRateLimit(rate, int(rate))
		b.StartTimer()
		start := time.Now()
		res, err := e.inventory(b, map[string]any{"memory_floors": map[string]any{"worker": 512}})
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st := e.emu.Stats()
		raw, err := json.Marshal(res)
		if err != nil {
			b.Fatal(err)
		}
		floor := float64(st.Served) / rate
		ratio := elapsed.Seconds() / floor
		fmt.Printf("inventory_2000_machines_s: %.2f\n", elapsed.Seconds())
		fmt.Printf("inventory_2000_machines_floor_s: %.2f\n", floor)
		fmt.Printf("inventory_2000_machines_ratio: %.3f\n", ratio)
		fmt.Printf("inventory_2000_machines_requests: %d\n", st.Served)
		fmt.Printf("inventory_2000_machines_rate_limited: %d\n", st.RateLimited)
		fmt.Printf("inventory_2000_machines_failed_apps: %s\n", res.Outputs["failed_apps"])
		fmt.Printf("inventory_2000_machines_result_bytes: %d\n", len(raw))
		fmt.Printf("inventory_2000_machines_peak_rss_mb: %d (this process: the activity and the emulator together)\n", peakRSSMB())
		b.ReportMetric(ratio, "ratio")
		if res.Outputs["machines"] != fmt.Sprint(apps*perApp) || res.Outputs["failed_apps"] != "0" {
			b.Errorf("outputs = %v", res.Outputs)
		}
		if len(raw) > 256<<10 {
			b.Errorf("result is %d bytes, over 256 KiB", len(raw))
		}
		b.StartTimer()
	}
}

// peakRSSMB is this process's peak resident set (VmHWM) in MiB.
func peakRSSMB() int {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	return 0
}
