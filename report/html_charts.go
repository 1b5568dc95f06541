package report

import (
	_ "embed" // audit.css
	"html"
	"strings"
)

//go:embed audit.css
var auditCSS string

// chartAnchor is the id goldmark gives the "Performance Baseline" heading:
// the charts end that section.
const chartAnchor = `<h2 id="performance-baseline">`

// HTMLWithCharts is HTML plus the latency charts, drawn with go-chart as
// inline SVG figures at the end of the Performance Baseline section (at
// the end of the page when there is none), and the styles of the audit
// summary (figures, checklists). Charts without samples are left out.
func HTMLWithCharts(markdown, title string, charts ...LatencyChart) (string, error) {
	page, err := HTML(markdown, title)
	if err != nil {
		return "", err
	}
	page = strings.Replace(page, "</style>", auditCSS+"</style>", 1)
	var figures strings.Builder
	for _, c := range charts {
		svg, caption, err := LatencySVG(c)
		if err != nil {
			return "", err
		}
		if svg == "" {
			continue
		}
		figures.WriteString("<figure class=\"chart\">\n" + svg + "\n<figcaption>" + html.EscapeString(caption) + "</figcaption>\n</figure>\n")
	}
	if figures.Len() == 0 {
		return page, nil
	}
	at := strings.LastIndex(page, "</main>")
	if start := strings.Index(page, chartAnchor); start >= 0 {
		if next := strings.Index(page[start+len(chartAnchor):], "<h2"); next >= 0 {
			at = start + len(chartAnchor) + next
		}
	}
	return page[:at] + figures.String() + page[at:], nil
}
