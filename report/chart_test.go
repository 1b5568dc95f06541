package report

import (
	"fmt"
	"strings"
	"testing"
)

// samplesJSON is a samples artifact as http.probe writes it: run fields,
// targets, then every sample in the order the requests were sent.
func samplesJSON(targets []string, n int, fail map[int]bool) string {
	var ts, ss []string
	for i, t := range targets {
		budget := 0
		if i == 1 {
			budget = 500 // a target with a budget of its own
		}
		ts = append(ts, fmt.Sprintf(`{"name": %q, "url": "https://x/%d", "budget_ms": %d, "pass": true}`, t, i, budget))
	}
	for seq := n - 1; seq >= 0; seq-- { // any order: the chart sorts by seq
		for _, t := range targets {
			kind := ""
			if fail[seq] {
				kind = `, "error_kind": "timeout", "error": "deadline exceeded"`
			}
			ss = append(ss, fmt.Sprintf(`{"target": %q, "seq": %d, "start": "2026-12-03T13:00:00Z", "total_ms": %d%s, "dns_ms": 1}`,
				t, seq, 300+seq*10, kind))
		}
	}
	return fmt.Sprintf(`{"started_at": "2026-12-03T13:00:00Z", "percentile": "p95", "budget_ms": 800, "targets": [%s], "samples": [%s]}`,
		strings.Join(ts, ","), strings.Join(ss, ","))
}

func TestReportParseSyntheticCheck(t *testing.T) {
	c, err := ParseSyntheticCheck("monitoring/synthetic-check-1.json", []byte(samplesJSON([]string{"staging", "chatwoot-api"}, 5, map[int]bool{2: true})))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Series) != 2 || c.Series[0].Target != "staging" || c.Series[0].BudgetMS != 800 || c.Series[1].BudgetMS != 500 {
		t.Fatalf("series = %+v", c.Series)
	}
	if got := fmt.Sprint(c.Series[0].MS); got != "[300 310 330 340]" {
		t.Errorf("staging samples = %s, want in seq order without the failed one", got)
	}
	if _, err := ParseSyntheticCheck("bad.json", []byte("{")); err == nil {
		t.Error("a broken file parsed")
	}
}

func TestReportHTMLWithChart(t *testing.T) {
	c, err := ParseSyntheticCheck("monitoring/synthetic-check-1.json", []byte(samplesJSON([]string{"staging", "<script>alert(1)</script>"}, 50, nil)))
	if err != nil {
		t.Fatal(err)
	}
	p := auditSucceeded()
	page, err := HTMLWithCharts(Markdown(p, Options{}), Title(p), c)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := HTMLWithCharts(Markdown(p, Options{}), Title(p), c); again != page {
		t.Error("two renderings of the same chart differ")
	}
	perf := strings.Index(page, `<h2 id="performance-baseline">`)
	health := perf + 1 + strings.Index(page[perf+1:], "<h2")
	fig := strings.Index(page, `<figure class="chart">`)
	if perf < 0 || fig < perf || fig > health || !strings.HasPrefix(page[health:], `<h2 id="health-endpoints`) {
		t.Fatalf("the chart is not in the Performance Baseline section (heading %d, figure %d, next heading %d)", perf, fig, health)
	}
	svg := page[fig:strings.Index(page, "</figure>")]
	for _, want := range []string{
		`<svg role="img"`, "</svg>",
		`stroke-dasharray="6.0, 4.0"`, "stroke:rgba(207,34,46,1.0)", // the budget lines, dashed and red
		">budget 800 ms</text>", ">budget 500 ms</text>", ">staging</text>",
		"<figcaption>Latency of every successful synthetic request",
		"<title>HotDash Reliability Audit Summary</title>", "figure.chart svg",
	} {
		if !strings.Contains(svg, want) && !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(svg, `stroke-dasharray`); n != 4 {
		t.Errorf("%d dashed lines, want a line and its legend key per budget (4)", n)
	}
	for _, bad := range []string{"<script", "http://", "<link"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	if !strings.Contains(svg, "&lt;script&gt;") {
		t.Error("the hostile target name is not shown escaped")
	}
}

func TestReportLatencySVGEdges(t *testing.T) {
	svg, _, err := LatencySVG(LatencyChart{Series: []LatencySeries{{Target: "down", BudgetMS: 800}}})
	if err != nil || svg != "" {
		t.Errorf("no samples: svg %d bytes, err %v; want none", len(svg), err)
	}
	page, err := HTMLWithCharts("# t\n", "t", LatencyChart{Series: []LatencySeries{{Target: "one", BudgetMS: 800, MS: []float64{412}}}})
	if err != nil || !strings.Contains(page, "<svg") || strings.Index(page, "<figure") > strings.Index(page, "</main>") {
		t.Errorf("a single sample without the section: err %v, chart missing or misplaced", err)
	}
	long := make([]float64, 10_000)
	long[7777] = 5000
	ys, k := downsample(long, maxChartPoints)
	if len(ys) > maxChartPoints || k != 10 || ys[777] != 5000 {
		t.Errorf("downsample: %d points, bucket %d, spike %v", len(ys), k, ys[777])
	}
	_, caption, err := LatencySVG(LatencyChart{Series: []LatencySeries{{Target: "t", BudgetMS: 800, MS: long}}})
	if err != nil || !strings.Contains(caption, "the slowest of 10 requests") {
		t.Errorf("caption %q, err %v", caption, err)
	}
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{{0, 840, "0 200 400 600 800 1000"}, {1, 50, "1 10 20 30 40 50"}, {0, 1, "0 1"}} {
		var got []string
		for _, tk := range ticks(tc.lo, tc.hi) {
			got = append(got, tk.Label)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("ticks(%v, %v) = %v, want %s", tc.lo, tc.hi, got, tc.want)
		}
	}
}
