package metrics

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
)

// Measure names one of the response times.
type Measure string

// The response times. Each runs between two moments of an incident
// (Fact.Duration): detect from the first event of its alerts to its
// detection; the others from its detection to the milestone.
const (
	Detect      Measure = "detect"
	Acknowledge Measure = "acknowledge"
	Confirm     Measure = "confirm"
	Contain     Measure = "contain"
	Eradicate   Measure = "eradicate"
	Recover     Measure = "recover"
	Close       Measure = "close"
)

// measures lists every measure in the order of a response.
var measures = [...]Measure{Detect, Acknowledge, Confirm, Contain, Eradicate, Recover, Close}

// Measures lists every measure in the order of a response.
func Measures() []Measure { return slices.Clone(measures[:]) }

// Dims are what an incident is grouped by: its severity (the word the
// opening alert set: critical, high, medium, low), its category and the
// services it touched. An incident with several services counts in the
// group of each.
type Dims struct {
	Severity string   `json:"severity"`
	Category string   `json:"category"`
	Services []string `json:"services"`
}

// Fact is one incident as the metrics see it: its dimensions, the first
// event time of its alerts, and its milestones.
type Fact struct {
	IncidentID int64 `json:"incident_id"`
	Dims
	// Exercise is the exercise whose events opened the incident (0: real).
	Exercise   int64     `json:"exercise,omitempty"`
	FirstEvent time.Time `json:"first_event,omitzero"`
	incident.Milestones
}

// Duration returns how long measure m took for the incident, and false
// when one of its two moments is not known (not reached yet). A negative
// time (an event stamped after its detection, by a skewed clock) counts as
// zero.
func (f *Fact) Duration(m Measure) (time.Duration, bool) {
	from, to := f.Detected, time.Time{}
	switch m {
	case Detect:
		from, to = f.FirstEvent, f.Detected
	case Acknowledge:
		to = f.Acknowledged
	case Confirm:
		to = f.Confirmed
	case Contain:
		to = f.Contained
	case Eradicate:
		to = f.Eradicated
	case Recover:
		to = f.Recovered
	case Close:
		to = f.Closed
	}
	if from.IsZero() || to.IsZero() {
		return 0, false
	}
	return max(to.Sub(from), 0), true
}

// Stats summarize a set of durations, in seconds: how many, their mean, and
// the 50th and 90th percentiles by the nearest-rank method (the smallest
// value that at least p percent of the values do not exceed). Zero values
// when Count is 0.
type Stats struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_seconds"`
	P50   float64 `json:"p50_seconds"`
	P90   float64 `json:"p90_seconds"`
}

// Summarize returns the Stats of ds; ds is sorted in place.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	slices.Sort(ds)
	var sum float64
	for _, d := range ds {
		sum += d.Seconds()
	}
	return Stats{Count: len(ds), Mean: round(sum / float64(len(ds))),
		P50: round(Percentile(ds, 50).Seconds()), P90: round(Percentile(ds, 90).Seconds())}
}

// summarize returns the Stats of ds as Summarize does, without sorting: the
// two ranks are selected (ds is reordered) and the mean is the exact sum
// of whole seconds and nanoseconds, rounded once.
func summarize(ds []time.Duration) Stats {
	n := len(ds)
	if n == 0 {
		return Stats{}
	}
	var sec, nsec int64
	for _, d := range ds {
		sec += int64(d / time.Second)
		nsec += int64(d % time.Second)
	}
	mean := (float64(sec) + float64(nsec)/1e9) / float64(n)
	r90, r50 := rank(90, n)-1, rank(50, n)-1
	nth(ds, r90)
	nth(ds[:r90+1], r50)
	return Stats{Count: n, Mean: round(mean), P50: round(ds[r50].Seconds()),
		P90: round(ds[r90].Seconds())}
}

// rank returns the nearest rank ⌈p/100 × n⌉ of the p-th percentile of n
// values, within [1, n].
func rank(p float64, n int) int {
	return min(max(int(math.Ceil(p/100*float64(n))), 1), n)
}

// nth reorders s so that s[k] holds the value a sort would put there, with
// no greater value before it and no smaller one after (quickselect with a
// median of three; a slice that partitions badly is sorted instead).
func nth(s []time.Duration, k int) {
	lo, hi := 0, len(s)-1
	for budget := 2 * bits.Len(uint(len(s))); hi-lo > 16; budget-- {
		if budget == 0 {
			slices.Sort(s[lo : hi+1])
			return
		}
		mid := lo + (hi-lo)/2
		if s[mid] < s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] < s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[hi] < s[mid] {
			s[hi], s[mid] = s[mid], s[hi]
		}
		p := s[mid]
		i, j := lo, hi
		for i <= j {
			for s[i] < p {
				i++
			}
			for s[j] > p {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return // j < k < i: s[k] equals the pivot
		}
	}
	slices.Sort(s[lo : hi+1])
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the value at rank ⌈p/100 × n⌉. It returns 0 for an
// empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[rank(p, len(sorted))-1]
}

// round keeps milliseconds.
func round(s float64) float64 { return math.Round(s*1000) / 1000 }

// GroupBy says how a report groups its rows.
type GroupBy string

// The groupings. GroupNone gives the overall figures only.
const (
	GroupNone     GroupBy = ""
	GroupPeriod   GroupBy = "period"
	GroupSeverity GroupBy = "severity"
	GroupCategory GroupBy = "category"
	GroupService  GroupBy = "service"
)

// GroupBys lists the groupings a report accepts.
func GroupBys() []GroupBy {
	return []GroupBy{GroupNone, GroupPeriod, GroupSeverity, GroupCategory, GroupService}
}

// Period is the length of the periods of GroupPeriod.
type Period string

// The periods: ISO 8601 weeks ("2026-W49") and calendar months ("2026-12"),
// in UTC.
const (
	Week  Period = "week"
	Month Period = "month"
)

// PeriodKey returns the period of t: "2026-W49" or "2026-12".
func PeriodKey(p Period, t time.Time) string {
	t = t.UTC()
	if p == Month {
		return t.Format("2006-01")
	}
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// none is the key of rows that have no value for the grouping.
const none = "(none)"

// keys returns the group keys of a row with dims d at time t.
func keys(g GroupBy, p Period, d Dims, t time.Time) []string {
	var out []string
	switch g {
	case GroupNone:
		return nil
	case GroupPeriod:
		if !t.IsZero() {
			out = []string{PeriodKey(p, t)}
		}
	case GroupSeverity:
		out = []string{d.Severity}
	case GroupCategory:
		out = []string{d.Category}
	case GroupService:
		out = slices.Clone(d.Services)
		slices.Sort(out)
		out = slices.Compact(out)
	}
	out = slices.DeleteFunc(out, func(s string) bool { return strings.TrimSpace(s) == "" })
	if len(out) == 0 {
		return []string{none}
	}
	return out
}
