package activities

import (
	"encoding/json"
	"fmt"
	"slices"
)

// PercentileMethod names how http.probe computes percentiles.
//
// Nearest rank: the p-th percentile of n latencies sorted ascending is the
// value at rank ceil(p·n/100) (1-based): always a latency that was actually
// measured, never an interpolation.
//
// A percentile is reported only when its rank is below n, that is when at
// least one sample lies above it; otherwise the "percentile" would just be
// the slowest sample, a guess about the tail that the data cannot support.
// So p50 needs n ≥ 2, p90 n ≥ 10, p95 n ≥ 20 and p99 n ≥ 100
// (n ≥ 100/(100−p)); below that it is n/a (null in JSON).
const PercentileMethod = "nearest-rank"

// Percentile returns the p-th percentile (0 < p < 100, whole numbers) of
// sorted by the nearest-rank method, and false when n is too small for it
// (see PercentileMethod).
func Percentile(sorted []float64, p int) (float64, bool) {
	n := len(sorted)
	if p <= 0 || p >= 100 || n == 0 {
		return 0, false
	}
	rank := (p*n + 99) / 100 // ceil(p·n/100) without floating point
	if rank >= n {
		return 0, false
	}
	return sorted[rank-1], true
}

// MinSamples is the smallest n for which Percentile reports the p-th
// percentile.
func MinSamples(p int) int {
	if p <= 0 || p >= 100 {
		return 0
	}
	return (100 + (100 - p) - 1) / (100 - p)
}

// optMS is a latency in milliseconds that may be n/a (JSON null).
type optMS struct {
	V  float64
	OK bool
}

// MarshalJSON implements json.Marshaler: null when n/a.
func (o optMS) MarshalJSON() ([]byte, error) {
	if !o.OK {
		return []byte("null"), nil
	}
	return json.Marshal(round3(o.V))
}

// String is the figure for tables: "412 ms" or "n/a".
func (o optMS) String() string {
	if !o.OK {
		return "n/a"
	}
	return formatMS(o.V)
}

// LatencyStats summarises the successful samples of one target, in ms.
type LatencyStats struct {
	N   int   `json:"n"`
	Min optMS `json:"min_ms"`
	Max optMS `json:"max_ms"`
	Avg optMS `json:"avg_ms"`
	P50 optMS `json:"p50_ms"`
	P90 optMS `json:"p90_ms"`
	P95 optMS `json:"p95_ms"`
	P99 optMS `json:"p99_ms"`
}

// computeStats summarises latencies (ms, any order).
func computeStats(latencies []float64) LatencyStats {
	s := LatencyStats{N: len(latencies)}
	if s.N == 0 {
		return s
	}
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	sum := 0.0
	for _, v := range sorted {
		sum += v
	}
	s.Min = optMS{sorted[0], true}
	s.Max = optMS{sorted[s.N-1], true}
	s.Avg = optMS{sum / float64(s.N), true}
	for _, q := range []struct {
		p   int
		dst *optMS
	}{{50, &s.P50}, {90, &s.P90}, {95, &s.P95}, {99, &s.P99}} {
		v, ok := Percentile(sorted, q.p)
		*q.dst = optMS{v, ok}
	}
	return s
}

// judged returns the statistic the budget is judged on ("p50", "p90",
// "p95", "p99" or "avg"), and what was used instead when it is n/a: the
// maximum, which bounds every percentile from above. basis names what the
// value is ("p95", or "max (p95 n/a: n=10 < 20)").
func (s LatencyStats) judged(percentile string) (value optMS, basis string) {
	var v optMS
	p := 0
	switch percentile {
	case "avg":
		return s.Avg, "average"
	case "p50":
		v, p = s.P50, 50
	case "p90":
		v, p = s.P90, 90
	case "p99":
		v, p = s.P99, 99
	default:
		v, p, percentile = s.P95, 95, "p95"
	}
	if v.OK || s.N == 0 {
		return v, percentile
	}
	return s.Max, fmt.Sprintf("max (%s n/a: n=%d < %d)", percentile, s.N, MinSamples(p))
}

// averageAgainstBudget says how the average compares with the budget the
// way audits write it: "521 ms average, 35% under the 800 ms target".
func averageAgainstBudget(avgMS, budgetMS float64) string {
	if budgetMS <= 0 {
		return formatMS(avgMS) + " average"
	}
	pct := (avgMS - budgetMS) / budgetMS * 100
	switch {
	case pct < -0.5:
		return fmt.Sprintf("%s average, %.0f%% under the %s target", formatMS(avgMS), -pct, formatMS(budgetMS))
	case pct > 0.5:
		return fmt.Sprintf("%s average, %.0f%% over the %s target", formatMS(avgMS), pct, formatMS(budgetMS))
	}
	return fmt.Sprintf("%s average, on the %s target", formatMS(avgMS), formatMS(budgetMS))
}

// median returns the lower median of values (0 when empty): the phase
// breakdown uses it.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return sorted[(len(sorted)-1)/2]
}

func round3(v float64) float64 {
	return float64(int64(v*1000+0.5)) / 1000
}
