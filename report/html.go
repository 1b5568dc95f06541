package report

import (
	"bytes"
	_ "embed" // style.css
	"fmt"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

//go:embed style.css
var styleCSS string

// md is the Markdown converter: CommonMark plus GitHub's tables, task
// lists, strikethrough and autolinks. Raw HTML in the input is not passed
// through (goldmark's default), so step output cannot inject markup.
var md = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
)

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="drillbook">
<title>{{.Title}}</title>
<style>
{{.CSS}}</style>
</head>
<body>
<main>
{{.Body}}</main>
</body>
</html>
`))

// HTML renders a report's Markdown as one self-contained HTML page with a
// small embedded stylesheet: no scripts, fonts or other external assets.
func HTML(markdown string, title string) (string, error) {
	var body bytes.Buffer
	if err := md.Convert([]byte(markdown), &body); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	var out bytes.Buffer
	err := page.Execute(&out, struct {
		Title string
		CSS   template.CSS
		Body  template.HTML
	}{title, template.CSS(styleCSS), template.HTML(body.String())}) // goldmark escapes text and drops raw HTML
	if err != nil {
		return "", fmt.Errorf("render html page: %w", err)
	}
	return out.String(), nil
}
