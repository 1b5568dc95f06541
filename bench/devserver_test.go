package bench

import (
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/testbin"
)

// BenchmarkDevserver prints devserver_ready_ms (process start to UI answering
// 200, median of 5 cold starts on fresh state dirs) and devserver_idle_rss_mb
// (RSS of an idle `drillbook dev` 10 s after it was ready).
func BenchmarkDevserver(b *testing.B) {
	bin := testbin.Drillbook(b)
	var readies []float64
	var rss float64
	for i := 0; i < 5; i++ {
		start := time.Now()
		dev := testbin.StartDev(b, bin, nil, "--state-dir", b.TempDir(), "--port", "0", "--ui-port", "0")
		for {
			resp, err := http.Get(dev.UIURL)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		readies = append(readies, float64(time.Since(start).Microseconds())/1000)
		if i == 4 {
			time.Sleep(10 * time.Second)
			rss = rssMB(b, dev.Cmd.Process.Pid)
		}
		dev.Kill()
	}
	sort.Float64s(readies)
	fmt.Printf("devserver_ready_ms: %.0f\n", readies[len(readies)/2])
	fmt.Printf("devserver_ready_ms_all: %v\n", readies)
	fmt.Printf("devserver_idle_rss_mb: %.0f\n", rss)
	b.ReportMetric(readies[len(readies)/2], "ready_ms")
	b.ReportMetric(rss, "idle_rss_MB")
}

func rssMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
