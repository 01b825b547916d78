package postmortem

import (
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
)

// rgb is a colour.
type rgb struct{ R, G, B int }

func (c rgb) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// kindColors are the colours of the lanes' dots.
var kindColors = map[Kind]rgb{
	KindAlert: {192, 57, 43}, KindPhase: {41, 98, 160}, KindAction: {39, 130, 76},
	KindApproval: {125, 60, 152}, KindComment: {110, 110, 110}, KindEvidence: {140, 90, 40},
	KindNotification: {211, 120, 0}, KindAudit: {70, 80, 100}, KindManual: {0, 128, 128},
}

// bandColors fill the phase bands in turn.
var bandColors = []rgb{{232, 240, 250}, {250, 240, 228}, {234, 246, 236}, {246, 236, 246},
	{250, 248, 226}, {236, 242, 244}, {240, 240, 240}}

// layout is the geometry of a timeline chart, in the units of its width:
// pixels for SVG, millimetres for PDF.
type layout struct {
	W, H                     float64
	Left, Right, Top, Bottom float64 // the plot area
	LaneH                    float64
	Lanes                    []lane
	Bands                    []band
	Ticks                    []tick
	Points                   []point
	Axis                     string
}

type lane struct {
	Kind Kind
	Y    float64
}

type band struct {
	X0, X1 float64
	Phase  string
	Color  rgb
}

type tick struct {
	X     float64
	Label string
}

type point struct {
	X, Y  float64
	ID    int
	Color rgb
	Title string
}

// tickSteps are the candidate spacings of the time axis.
var tickSteps = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second,
	30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	48 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour,
	91 * 24 * time.Hour, 365 * 24 * time.Hour}

// layoutChart places c's entries on a chart w wide, lanes laneH high.
func layoutChart(c *Chart, w, laneH float64) layout {
	l := layout{W: w, LaneH: laneH, Left: w * 0.13, Right: w - w*0.02, Top: laneH * 1.2}
	var kinds []Kind
	for _, k := range Kinds() {
		if slices.ContainsFunc(c.Entries, func(e Entry) bool { return e.Kind == k }) {
			kinds = append(kinds, k)
		}
	}
	for i, k := range kinds {
		l.Lanes = append(l.Lanes, lane{Kind: k, Y: l.Top + laneH*(float64(i)+0.5)})
	}
	l.Bottom = l.Top + laneH*float64(len(kinds))
	l.H = l.Bottom + laneH*1.4
	if len(c.Entries) == 0 {
		return l
	}
	from, to := c.Entries[0].At, c.Entries[0].At
	for _, e := range c.Entries {
		from, to = minTime(from, e.At), maxTime(to, e.At)
	}
	if span := to.Sub(from); span < time.Minute {
		from, to = from.Add(-30*time.Second), to.Add(30*time.Second)
	}
	pad := to.Sub(from) / 40
	from, to = from.Add(-pad), to.Add(pad)
	x := func(t time.Time) float64 {
		return l.Left + (l.Right-l.Left)*float64(t.Sub(from))/float64(to.Sub(from))
	}
	l.Bands = bands(c.Entries, x, l.Left, l.Right)
	l.Ticks, l.Axis = ticks(from, to, x)
	laneY := map[Kind]float64{}
	for _, ln := range l.Lanes {
		laneY[ln.Kind] = ln.Y
	}
	for _, e := range c.Entries {
		l.Points = append(l.Points, point{X: x(e.At), Y: laneY[e.Kind], ID: e.ID,
			Color: kindColors[e.Kind], Title: fmt.Sprintf("#%d %s: %s", e.ID,
				stamp(e.At, e.Zone), e.Text)})
	}
	return l
}

// bands returns the phases as bands: before the first phase entry the
// incident was detected; each phase entry starts the phase it moved to.
func bands(entries []Entry, x func(time.Time) float64, left, right float64) []band {
	var out []band
	start, phase := left, "detected"
	for _, e := range entries {
		if e.Kind != KindPhase || e.Phase == "" {
			continue
		}
		x0 := x(e.At)
		out = append(out, band{X0: start, X1: x0, Phase: phase})
		start, phase = x0, string(e.Phase)
	}
	out = append(out, band{X0: start, X1: right, Phase: phase})
	for i := range out {
		out[i].Color = bandColors[i%len(bandColors)]
	}
	return slices.DeleteFunc(out, func(b band) bool { return b.X1-b.X0 <= 0 })
}

// ticks returns at most about six ticks between from and to, and the
// axis title.
func ticks(from, to time.Time, x func(time.Time) float64) ([]tick, string) {
	span := to.Sub(from)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 6 {
			step = s
			break
		}
	}
	layout, axis := "15:04:05", "time (UTC)"
	switch {
	case step >= 24*time.Hour:
		layout, axis = "2006-01-02", "date (UTC)"
	case span >= 24*time.Hour:
		layout = "01-02 15:04"
	case step >= time.Minute:
		layout = "15:04"
	}
	var out []tick
	for t := from.UTC().Truncate(step); !t.After(to); t = t.Add(step) {
		if t.Before(from) {
			continue
		}
		out = append(out, tick{X: x(t), Label: t.Format(layout)})
	}
	return out, axis
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// SVG draws the chart as an SVG document w pixels wide, with presentation
// attributes only (no style attributes or scripts, so that a strict
// Content-Security-Policy shows it).
func (c *Chart) SVG(w int) string {
	l := layoutChart(c, float64(w), 26)
	var b strings.Builder
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="timeline-chart" `+
		`width="%d" height="%s" viewBox="0 0 %d %s" role="img" font-family="sans-serif" `+
		`font-size="11"><title>Timeline: %d entries by kind over time, phases as bands`+
		`</title>`, w, f(l.H), w, f(l.H), len(c.Entries))
	for _, bd := range l.Bands {
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, f(bd.X0),
			f(l.Top-l.LaneH*0.9), f(bd.X1-bd.X0), f(l.Bottom-l.Top+l.LaneH*0.9),
			bd.Color.hex())
		if float64(len(bd.Phase))*6.5+4 <= bd.X1-bd.X0 {
			fmt.Fprintf(&b, `<text x="%s" y="%s" fill="#333">%s</text>`, f(bd.X0+3),
				f(l.Top-l.LaneH*0.3), html.EscapeString(bd.Phase))
		}
	}
	for _, ln := range l.Lanes {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ccc"/>`, f(l.Left),
			f(ln.Y), f(l.Right), f(ln.Y))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#222">%s</text>`,
			f(l.Left-6), f(ln.Y+4), html.EscapeString(string(ln.Kind)))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444"/>`, f(l.Left),
		f(l.Bottom), f(l.Right), f(l.Bottom))
	for _, t := range l.Ticks {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444"/>`, f(t.X),
			f(l.Bottom), f(t.X), f(l.Bottom+4))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#222">%s</text>`,
			f(t.X), f(l.Bottom+16), html.EscapeString(t.Label))
	}
	fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#555">%s</text>`,
		f(l.Right), f(l.Bottom+30), html.EscapeString(l.Axis))
	for _, p := range l.Points {
		fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="5" fill="%s" stroke="#fff" `+
			`data-entry="%d"><title>%s</title></circle>`, f(p.X), f(p.Y), p.Color.hex(), p.ID,
			html.EscapeString(p.Title))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
