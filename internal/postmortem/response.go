package postmortem

import (
	"time"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/metrics"
)

// Response is how the response to one incident went: the time of each
// measure of internal/metrics (from the same milestones), and each
// notification against its deadline.
type Response struct {
	FirstEvent time.Time           `json:"first_event,omitzero"`
	Milestones incident.Milestones `json:"milestones"`
	Times      []Timing            `json:"times"`
	Notices    []Notice            `json:"notices"`
}

// Timing is one measure of one incident: the two moments it runs between
// and how long it took; Known is false while one of them is not reached.
type Timing struct {
	Measure metrics.Measure `json:"measure"`
	From    time.Time       `json:"from,omitzero"`
	To      time.Time       `json:"to,omitzero"`
	Seconds float64         `json:"seconds"`
	Known   bool            `json:"known"`
}

// Notice is one deadline of the incident with how it went.
type Notice struct {
	metrics.Deadline
	Outcome metrics.Outcome `json:"outcome"`
	// Seconds is how long after the due time it was done (negative: early);
	// 0 when not done.
	Seconds float64 `json:"seconds_after_due"`
}

// ResponseOf measures the response of an incident from its record, the
// first event of its alerts and its deadlines, at now.
func ResponseOf(r *incident.Record, firstEvent time.Time, deadlines []metrics.Deadline,
	now time.Time) Response {
	f := metrics.Fact{FirstEvent: firstEvent.UTC(), Milestones: r.Milestones()}
	resp := Response{FirstEvent: f.FirstEvent, Milestones: f.Milestones, Times: []Timing{},
		Notices: []Notice{}}
	for _, m := range metrics.Measures() {
		from, to := moments(&f, m)
		d, ok := f.Duration(m)
		resp.Times = append(resp.Times, Timing{Measure: m, From: from, To: to,
			Seconds: d.Seconds(), Known: ok})
	}
	for _, d := range deadlines {
		n := Notice{Deadline: d, Outcome: d.Outcome(now)}
		if !d.Done.IsZero() {
			n.Seconds = d.Done.Sub(d.Due).Seconds()
		}
		resp.Notices = append(resp.Notices, n)
	}
	return resp
}

// moments returns the two moments measure m runs between.
func moments(f *metrics.Fact, m metrics.Measure) (time.Time, time.Time) {
	switch m {
	case metrics.Detect:
		return f.FirstEvent, f.Detected
	case metrics.Acknowledge:
		return f.Detected, f.Acknowledged
	case metrics.Confirm:
		return f.Detected, f.Confirmed
	case metrics.Contain:
		return f.Detected, f.Contained
	case metrics.Eradicate:
		return f.Detected, f.Eradicated
	case metrics.Recover:
		return f.Detected, f.Recovered
	}
	return f.Detected, f.Closed
}
