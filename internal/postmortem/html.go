package postmortem

import (
	"html/template"
	"io"
	"strings"
)

// htmlPage is the layout of the HTML export: one self-contained page with
// its style inline and no script; the timeline chart is inline SVG.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"lines": func(s string) []string { return strings.Split(s, "\n") },
	"chart": func(c *Chart) template.HTML {
		// SVG escapes every text it draws (Chart.SVG).
		return template.HTML(c.SVG(900))
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} .sub{color:#555;margin-top:0}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.2em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f4f7} dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dt{font-weight:600} svg{max-width:100%;height:auto;border:1px solid #ddd}
</style></head>
<body>
<h1>{{.Title}}</h1>
{{with .Subtitle}}<p class="sub">{{.}}</p>{{end}}
<p class="sub">Generated {{.Generated.UTC.Format "2006-01-02 15:04:05"}} UTC by Vigil.</p>
{{range .Sections}}
{{if eq .Level 3}}<h3>{{.Title}}</h3>{{else}}<h2>{{.Title}}</h2>{{end}}
{{range .Text}}<p>{{range $i, $l := lines .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>{{end}}
{{with .Fields}}<dl>{{range .}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl>{{end}}
{{with .List}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .Chart}}<figure>{{chart .}}</figure>{{end}}
{{with .Table}}<table><thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td>{{template "cell" .}}</td>{{end}}</tr>
{{end}}</tbody></table>{{end}}
{{end}}
</body></html>
{{define "cell"}}{{range $i, $l := lines .}}{{if $i}}<br>{{end}}{{$l}}{{end}}{{end}}
`))

// WriteHTML writes d as one HTML page: text escaped, style inline, no
// script, the timeline chart as inline SVG.
func WriteHTML(w io.Writer, d Document) error { return htmlPage.Execute(w, d) }
