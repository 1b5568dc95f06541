package activities

import (
	"encoding/json"
	"strings"
	"testing"
)

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	for _, tc := range []struct {
		n, p int
		want float64
		ok   bool
	}{
		{0, 50, 0, false},
		{1, 50, 0, false}, // the only sample is the max: n/a
		{2, 50, 1, true},
		{10, 50, 5, true},
		{9, 90, 0, false},
		{10, 90, 9, true},
		{19, 95, 0, false},
		{20, 95, 19, true},
		{50, 95, 48, true}, // ceil(47.5) = 48
		{99, 99, 0, false},
		{100, 99, 99, true},
		{1000, 99, 990, true},
	} {
		got, ok := Percentile(seq(tc.n), tc.p)
		if got != tc.want || ok != tc.ok {
			t.Errorf("p%d of 1..%d = %v, %v; want %v, %v", tc.p, tc.n, got, ok, tc.want, tc.ok)
		}
	}
	for p, want := range map[int]int{50: 2, 90: 10, 95: 20, 99: 100} {
		if got := MinSamples(p); got != want {
			t.Errorf("MinSamples(%d) = %d, want %d", p, got, want)
		}
	}
}

func TestStatsSmallN(t *testing.T) {
	s := computeStats([]float64{120})
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"p50_ms":null`) || !strings.Contains(string(b), `"avg_ms":120`) {
		t.Errorf("n=1: %s", b)
	}
	if s.P50.String() != "n/a" {
		t.Errorf("n=1 p50 %q", s.P50)
	}
	v, basis := s.judged("p95")
	if v.V != 120 || basis != "max (p95 n/a: n=1 < 20)" {
		t.Errorf("judged %v on %q", v, basis)
	}
	if v, basis := computeStats(seq(20)).judged("p95"); v.V != 19 || basis != "p95" {
		t.Errorf("n=20: judged %v on %q", v, basis)
	}
	if v, basis := computeStats(seq(4)).judged("avg"); v.V != 2.5 || basis != "average" {
		t.Errorf("avg: judged %v on %q", v, basis)
	}
	if v, _ := computeStats(nil).judged("p95"); v.OK {
		t.Error("no samples: judged value must be n/a")
	}
}

func TestAverageAgainstBudget(t *testing.T) {
	for _, tc := range []struct {
		avg, budget float64
		want        string
	}{
		{521, 800, "521 ms average, 35% under the 800 ms target"},
		{1040, 800, "1.04 s average, 30% over the 800 ms target"},
		{800, 800, "800 ms average, on the 800 ms target"},
	} {
		if got := averageAgainstBudget(tc.avg, tc.budget); got != tc.want {
			t.Errorf("averageAgainstBudget(%v, %v) = %q, want %q", tc.avg, tc.budget, got, tc.want)
		}
	}
}
