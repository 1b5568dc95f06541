package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"slices"
	"strings"

	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// Chart bounds: a page stays light and a chart readable whatever the probe.
const (
	maxChartTargets = 12
	maxChartPoints  = 1000 // per target; beyond, each point is the slowest of a bucket
)

// LatencySeries is one synthetic target's successful requests, in the
// order they were sent, with the target's budget.
type LatencySeries struct {
	Target   string    `json:"target"`
	BudgetMS float64   `json:"budget_ms"`
	MS       []float64 `json:"ms"`
}

// LatencyChart is the samples of one synthetic check, as the HTML report
// draws them: one line per target and a dashed line per budget.
type LatencyChart struct {
	// Source names where the samples come from (the artifact's path).
	Source string          `json:"source"`
	Series []LatencySeries `json:"series"`
}

// ParseSyntheticCheck reads the samples artifact http.probe writes
// (monitoring/synthetic-check-<ts>.json): the targets with their budgets
// and every sample. Failed requests are left out, as in the statistics.
func ParseSyntheticCheck(source string, data []byte) (LatencyChart, error) {
	var doc struct {
		BudgetMS float64 `json:"budget_ms"`
		Targets  []struct {
			Name     string  `json:"name"`
			BudgetMS float64 `json:"budget_ms"`
		} `json:"targets"`
		Samples []struct {
			Target    string  `json:"target"`
			Seq       int     `json:"seq"`
			ErrorKind string  `json:"error_kind"`
			TotalMS   float64 `json:"total_ms"`
		} `json:"samples"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return LatencyChart{}, fmt.Errorf("read synthetic check %s: %w", source, err)
	}
	c := LatencyChart{Source: source}
	index := map[string]int{}
	for _, t := range doc.Targets {
		if _, dup := index[t.Name]; dup {
			continue
		}
		index[t.Name] = len(c.Series)
		c.Series = append(c.Series, LatencySeries{Target: t.Name, BudgetMS: cmpOr(t.BudgetMS, doc.BudgetMS)})
	}
	seqs := make([][]int, len(c.Series))
	for _, s := range doc.Samples {
		i, ok := index[s.Target]
		if !ok || s.ErrorKind != "" || s.TotalMS < 0 || math.IsNaN(s.TotalMS) {
			continue
		}
		c.Series[i].MS = append(c.Series[i].MS, s.TotalMS)
		seqs[i] = append(seqs[i], s.Seq)
	}
	for i := range c.Series { // in the order the requests were sent
		order := make([]int, len(seqs[i]))
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(a, b int) int { return seqs[i][a] - seqs[i][b] })
		ms := make([]float64, len(order))
		for j, k := range order {
			ms[j] = c.Series[i].MS[k]
		}
		c.Series[i].MS = ms
	}
	return c, nil
}

func cmpOr(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}

// seriesColors tell the targets apart; the budget lines are red.
var seriesColors = []drawing.Color{
	{R: 9, G: 105, B: 218, A: 255}, {R: 26, G: 127, B: 55, A: 255}, {R: 130, G: 80, B: 223, A: 255},
	{R: 191, G: 135, B: 0, A: 255}, {R: 27, G: 124, B: 131, A: 255}, {R: 87, G: 96, B: 106, A: 255},
}

var budgetColor = drawing.Color{R: 207, G: 34, B: 46, A: 255}

// LatencySVG draws the chart with go-chart as an inline <svg> element
// (no XML namespace attributes, which HTML does not need), with a caption
// for the <figure> around it. It returns "" when no target has a sample.
func LatencySVG(c LatencyChart) (svg, caption string, err error) {
	var series []chart.Series
	var budgets []float64
	maxX, maxY, bucket, shown := 1.0, 0.0, 1, 0
	for _, s := range c.Series {
		if len(s.MS) == 0 || shown == maxChartTargets {
			continue
		}
		ys, k := downsample(s.MS, maxChartPoints)
		bucket = max(bucket, k)
		xs := make([]float64, len(ys))
		for i := range xs {
			xs[i] = float64(i*k + 1)
			maxY = max(maxY, ys[i])
		}
		maxX = max(maxX, xs[len(xs)-1])
		style := chart.Style{StrokeColor: seriesColors[shown%len(seriesColors)], StrokeWidth: 1.5}
		if len(ys) <= 100 {
			style.DotColor, style.DotWidth = style.StrokeColor, 2
		}
		series = append(series, chart.ContinuousSeries{Name: html.EscapeString(s.Target), Style: style, XValues: xs, YValues: ys})
		if s.BudgetMS > 0 && !slices.Contains(budgets, s.BudgetMS) {
			budgets = append(budgets, s.BudgetMS)
		}
		shown++
	}
	if len(series) == 0 {
		return "", "", nil
	}
	for _, bms := range budgets {
		maxY = max(maxY, bms)
		series = append(series, chart.ContinuousSeries{Name: html.EscapeString("budget " + msText(bms)),
			Style:   chart.Style{StrokeColor: budgetColor, StrokeWidth: 2, StrokeDashArray: []float64{6, 4}},
			XValues: []float64{1, maxX}, YValues: []float64{bms, bms}})
	}
	xTicks, yTicks := ticks(1, max(maxX, 2)), ticks(0, maxY*1.05)
	graph := chart.Chart{
		Width: 960, Height: 380,
		Background: chart.Style{Padding: chart.Box{Top: 20, Left: 10, Right: 20, Bottom: 10}},
		XAxis: chart.XAxis{Name: "request", Ticks: xTicks,
			Range: &chart.ContinuousRange{Min: 1, Max: max(maxX, 2)}},
		YAxis: chart.YAxis{Name: "latency (ms)", Ticks: yTicks,
			Range: &chart.ContinuousRange{Min: 0, Max: yTicks[len(yTicks)-1].Value}},
		Series: series,
	}
	graph.Elements = []chart.Renderable{chart.Legend(&graph)}
	var out bytes.Buffer
	if err := graph.Render(chart.SVG, &out); err != nil {
		return "", "", fmt.Errorf("draw latency chart: %w", err)
	}
	svg = strings.Replace(out.String(), `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" `,
		`<svg role="img" aria-label="`+html.EscapeString("Latency of every successful request, with the budget")+`" `, 1)
	caption = "Latency of every successful synthetic request, in the order sent, per target; the dashed red line is the budget."
	if bucket > 1 {
		caption = fmt.Sprintf("Latency of the synthetic requests per target, each point the slowest of %d requests in a row; the dashed red line is the budget.", bucket)
	}
	if n := len(c.Series); shown < n {
		caption += fmt.Sprintf(" The first %d of %d targets are drawn.", shown, n)
	}
	if c.Source != "" {
		caption += " Samples: " + c.Source + "."
	}
	return svg, caption, nil
}

// ticks returns round tick values from lo to at least hi, about six
// steps of 1, 2 or 5 times a power of ten (whole numbers: both axes count
// milliseconds or requests); the first tick is lo.
func ticks(lo, hi float64) []chart.Tick {
	span := max(hi-lo, 1)
	step := math.Pow(10, math.Floor(math.Log10(span/6)))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(step*m) <= 7 {
			step *= m
			break
		}
	}
	step = max(step, 1)
	out := []chart.Tick{{Value: lo, Label: fmt.Sprintf("%.0f", lo)}}
	for v := math.Floor(lo/step)*step + step; ; v += step {
		if v-lo >= step/2 { // not crowding the first tick
			out = append(out, chart.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
		}
		if v >= hi {
			return out
		}
	}
}

// downsample keeps at most n points: each the largest of k values in a
// row, so that no spike above the budget disappears from the chart.
func downsample(ms []float64, n int) ([]float64, int) {
	if len(ms) <= n {
		return ms, 1
	}
	k := (len(ms) + n - 1) / n
	out := make([]float64, 0, n)
	for i := 0; i < len(ms); i += k {
		out = append(out, slices.Max(ms[i:min(i+k, len(ms))]))
	}
	return out, k
}
