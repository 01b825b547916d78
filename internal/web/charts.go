package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// series is one kind of bar of a chart: its name and colour.
type series struct {
	Name  string
	Color string
}

// barRow is one group of bars: a label and one value per series.
type barRow struct {
	Label  string
	Values []float64
}

// barChart draws horizontal grouped bars as SVG, w pixels wide: one row
// per label, one bar per series, the value written after each bar with
// format. It uses presentation attributes only (the pages' policy allows
// no inline style) and escapes every text it draws.
func barChart(title string, ss []series, rows []barRow, w int,
	format func(float64) string) template.HTML {
	const (
		barH   = 12.0
		gap    = 10.0
		left   = 190.0
		right  = 90.0
		top    = 28.0
		legend = 22.0
	)
	maxV := 0.0
	for _, r := range rows {
		for _, v := range r.Values {
			maxV = math.Max(maxV, v)
		}
	}
	if maxV == 0 {
		maxV = 1
	}
	rowH := barH*float64(len(ss)) + gap
	h := top + rowH*float64(len(rows)) + legend
	plot := float64(w) - left - right
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" `+
		`height="%.0f" viewBox="0 0 %d %.0f" role="img" font-family="sans-serif" font-size="12">`+
		`<title>%s</title><text x="0" y="16" font-weight="bold" fill="#1d2430">%s</text>`,
		w, h, w, h, html.EscapeString(title), html.EscapeString(title))
	for i, r := range rows {
		y := top + rowH*float64(i)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#344054">%s</text>`,
			left-8, y+rowH/2, html.EscapeString(clipLabel(r.Label, 25)))
		for j, v := range r.Values {
			if j >= len(ss) {
				break
			}
			by := y + barH*float64(j)
			bw := plot * v / maxV
			fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="%s">`+
				`<title>%s %s: %s</title></rect>`, left, by, bw, barH-2, ss[j].Color,
				html.EscapeString(r.Label), html.EscapeString(ss[j].Name),
				html.EscapeString(format(v)))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#667085" font-size="11">%s</text>`,
				left+bw+4, by+barH-3, html.EscapeString(format(v)))
		}
	}
	x := left
	for _, s := range ss {
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/>`+
			`<text x="%.0f" y="%.0f" fill="#344054">%s</text>`, x, h-12, s.Color, x+14, h-3,
			html.EscapeString(s.Name))
		x += 24 + float64(len(s.Name))*7
	}
	b.WriteString(`</svg>`)
	// Every text above is escaped, the numbers are formatted by the code.
	return template.HTML(b.String())
}

// clipLabel shortens a label to n runes.
func clipLabel(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

// durationUnit picks the unit that shows seconds up to maxSec best.
func durationUnit(maxSec float64) (float64, string) {
	switch {
	case maxSec < 2*60*60:
		return 60, "min"
	case maxSec < 72*60*60:
		return 3600, "h"
	}
	return 86400, "d"
}
