package web

import (
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/metrics"
)

// dashboardData is the data of the response metrics dashboard.
type dashboardData struct {
	Report  metrics.Report
	Query   url.Values
	QS      string // the query string of the API calls, for the CSV links
	Charts  []template.HTML
	Groups  []string
	Periods []string
	Tables  []metrics.Table
	Error   string
}

func (dashboardData) pageTitle() string { return "Dashboard" }

// The colours of the series.
var (
	meanColor    = "#2454c5"
	p50Color     = "#6b9bf2"
	p90Color     = "#b9cdf8"
	metColor     = "#17803d"
	missedColor  = "#b42318"
	pendingColor = "#98a2b3"
)

// dashboard shows the response metrics of the API, drawn as SVG charts:
// the times overall, the incidents and median time to contain per group,
// notification deadlines, false-positive rates and open follow-ups by age.
func (s *server) dashboard(w http.ResponseWriter, r *http.Request, se *session) {
	d := dashboardData{Query: url.Values{}, Groups: []string{"", "period", "severity",
		"category", "service"}, Periods: []string{"week", "month"}, Tables: metrics.Tables()}
	in := r.URL.Query()
	for _, k := range []string{"from", "to", "group", "period", "exercises"} {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			d.Query.Set(k, v)
		}
	}
	d.QS = d.Query.Encode()
	err := se.api.get(r.Context(), "/api/v1/response-metrics?"+d.QS, &d.Report)
	var ae *apiError
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
		d.Error = ae.Msg
		s.render(w, r, http.StatusBadRequest, "dashboard", se, d)
		return
	default:
		s.fail(w, r, se, err)
		return
	}
	d.Charts = dashboardCharts(&d.Report)
	s.render(w, r, http.StatusOK, "dashboard", se, d)
}

// dashboardCharts draws the report's charts.
func dashboardCharts(rep *metrics.Report) []template.HTML {
	var out []template.HTML
	o := rep.Overall
	// Detection runs from the attack's first event, the others from the
	// detection: two charts, each on its own scale.
	for _, part := range []struct {
		title    string
		measures []metrics.Measure
	}{{"Time to detect", metrics.Measures()[:1]},
		{"Times of the response", metrics.Measures()[1:]}} {
		out = append(out, timesChart(part.title, o.Times, part.measures))
	}
	if len(rep.Groups) > 0 {
		out = append(out, groupCharts(rep)...)
	}
	var dl []barRow
	for _, k := range sortedKeys(o.Deadlines) {
		c := o.Deadlines[k]
		dl = append(dl, barRow{Label: k + " notifications", Values: []float64{float64(c.Met),
			float64(c.Missed), float64(c.Pending)}})
	}
	if len(dl) > 0 {
		out = append(out, barChart("Notification deadlines", []series{{"met", metColor},
			{"missed", missedColor}, {"pending", pendingColor}}, dl, 900, count))
	}
	var fp []barRow
	for _, r := range rep.Rules {
		if r.Rate != nil && len(fp) < 12 {
			fp = append(fp, barRow{Label: r.Title, Values: []float64{*r.Rate * 100}})
		}
	}
	if len(fp) > 0 {
		out = append(out, barChart("False-positive rate per rule (% of decided alerts)",
			[]series{{"false positives", missedColor}}, fp, 900, func(v float64) string {
				return strconv.FormatFloat(v, 'f', 0, 64) + " %"
			}))
	}
	var ages []barRow
	for _, b := range metrics.AgeBuckets {
		ages = append(ages, barRow{Label: b.Label, Values: []float64{float64(
			o.FollowUps.ByAge[b.Label])}})
	}
	out = append(out, barChart(fmt.Sprintf("Open follow-ups by age (%d open, %d overdue)",
		o.FollowUps.Open, o.FollowUps.Overdue), []series{{"open", meanColor}}, ages, 900, count))
	return out
}

// groupCharts draws the incidents of each group and their median times
// to contain and to recover.
func groupCharts(rep *metrics.Report) []template.HTML {
	var inc, times []barRow
	maxSec := 0.0
	for _, g := range rep.Groups {
		inc = append(inc, barRow{Label: g.Key, Values: []float64{float64(g.Incidents)}})
		c, rc := g.Times[metrics.Contain], g.Times[metrics.Recover]
		maxSec = max(maxSec, c.P50, rc.P50)
		times = append(times, barRow{Label: g.Key, Values: []float64{c.P50, rc.P50}})
	}
	div, unit := durationUnit(maxSec)
	for i := range times {
		for j := range times[i].Values {
			times[i].Values[j] /= div
		}
	}
	by := string(rep.GroupBy)
	return []template.HTML{
		barChart("Incidents per "+by, []series{{"incidents", meanColor}}, inc, 900, count),
		barChart("Median time to contain and to recover per "+by+" ("+unit+")", []series{
			{"contain p50", meanColor}, {"recover p50", p90Color}}, times, 900,
			func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit }),
	}
}

// count formats a count.
func count(v float64) string { return strconv.Itoa(int(v)) }

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// timesChart draws the mean, p50 and p90 of measures, in the unit that
// suits the largest.
func timesChart(title string, times map[metrics.Measure]metrics.Stats,
	measures []metrics.Measure) template.HTML {
	maxSec := 0.0
	for _, m := range measures {
		maxSec = max(maxSec, times[m].P90, times[m].Mean)
	}
	div, unit := durationUnit(maxSec)
	var rows []barRow
	for _, m := range measures {
		st := times[m]
		rows = append(rows, barRow{Label: fmt.Sprintf("%s (%d incidents)", m, st.Count),
			Values: []float64{st.Mean / div, st.P50 / div, st.P90 / div}})
	}
	return barChart(title+", all incidents ("+unit+")", []series{{"mean", meanColor},
		{"p50", p50Color}, {"p90", p90Color}}, rows, 900, func(v float64) string {
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
	})
}
