package metrics

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"
)

// Deadline is one notification that had to be done by a time: a message to
// a person of the response (kind "people"), a regulatory notice to a
// tenant (kind "tenant") or to an authority or another party (kind
// "regulatory"; internal/obligation).
type Deadline struct {
	Kind       string `json:"kind"`
	IncidentID int64  `json:"incident_id,omitempty"`
	// Ref names what was due: "notification/12", "obligation/4".
	Ref   string `json:"ref"`
	Label string `json:"label"`
	Dims
	Exercise int64     `json:"exercise,omitempty"`
	Due      time.Time `json:"due"`
	// Done is when it was done (a notification accepted by its channel);
	// zero while it is not. Failed marks one that will not be done (a dead
	// notification).
	Done   time.Time `json:"done,omitzero"`
	Failed bool      `json:"failed,omitempty"`
}

// Outcome says how a deadline went at a given time.
type Outcome string

// The outcomes: met (done by the due time), missed (done late, failed, or
// not done and past due), pending (not done, not due yet).
const (
	Met     Outcome = "met"
	Missed  Outcome = "missed"
	Pending Outcome = "pending"
)

// Outcome returns how d went at now.
func (d *Deadline) Outcome(now time.Time) Outcome {
	switch {
	case !d.Done.IsZero() && !d.Done.After(d.Due):
		return Met
	case !d.Done.IsZero(), d.Failed, now.After(d.Due):
		return Missed
	}
	return Pending
}

// DeadlineSource lists deadlines: those due in [from, to) (with the
// exercises' ones when exercises is true), and those of one incident.
// People notifications are one source; the regulatory obligations
// (internal/obligation.Deadlines) are another.
type DeadlineSource interface {
	Deadlines(ctx context.Context, from, to time.Time, exercises bool) ([]Deadline, error)
	IncidentDeadlines(ctx context.Context, incidentID int64) ([]Deadline, error)
}

// RuleCount is how triage judged the alerts of one rule: all of them, and
// those confirmed (into an incident) or marked false positive.
type RuleCount struct {
	RuleID        string `json:"rule_id"`
	Title         string `json:"title"`
	Alerts        int    `json:"alerts"`
	Confirmed     int    `json:"confirmed"`
	FalsePositive int    `json:"false_positive"`
}

// RuleRate is a RuleCount with its false-positive rate: false positives
// among the alerts triage decided (confirmed or false positive), nil when
// none was decided.
type RuleRate struct {
	RuleCount
	Rate *float64 `json:"false_positive_rate"`
}

// FollowUpRow is one open follow-up item of a post-mortem, with the
// dimensions of its incident.
type FollowUpRow struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	Kind       string `json:"kind"`
	Dims
	Created time.Time `json:"created"`
	Overdue bool      `json:"overdue"`
}

// AgeBuckets are the bounds (in days, inclusive) of the age groups of open
// follow-ups: 0–7, 8–30, 31–90 and more than 90 days.
var AgeBuckets = []struct {
	Label   string
	MaxDays int // -1: no bound
}{{"0-7 days", 7}, {"8-30 days", 30}, {"31-90 days", 90}, {"over 90 days", -1}}

// bucket returns the label of an age.
func bucket(age time.Duration) string {
	days := int(age.Hours() / 24)
	for _, b := range AgeBuckets {
		if b.MaxDays < 0 || days <= b.MaxDays {
			return b.Label
		}
	}
	return AgeBuckets[len(AgeBuckets)-1].Label
}

// Input is everything a report is computed from.
type Input struct {
	// Facts are the incidents detected in the window.
	Facts []Fact
	// Deadlines are the deadlines due in the window.
	Deadlines []Deadline
	// Rules count the alerts created in the window.
	Rules []RuleCount
	// FollowUps are the follow-ups open now, whatever their age.
	FollowUps []FollowUpRow
}

// Options choose the grouping of a report and its clock.
type Options struct {
	From, To time.Time
	GroupBy  GroupBy
	// Period is the length of GroupPeriod's periods; default Week.
	Period Period
	// Now dates the report and decides pending deadlines and ages.
	Now time.Time
}

// Report is the response metrics of a window.
type Report struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	GroupBy GroupBy   `json:"group_by"`
	Period  Period    `json:"period,omitempty"`
	Now     time.Time `json:"generated"`
	// Overall holds every row; Groups one group per key, by key (none
	// without a grouping).
	Overall Group   `json:"overall"`
	Groups  []Group `json:"groups"`
	// Rules holds every rule with alerts, highest false-positive rate first.
	Rules []RuleRate `json:"rules"`
}

// Group is the metrics of one group of rows.
type Group struct {
	Key       string            `json:"key"`
	Incidents int               `json:"incidents"`
	Times     map[Measure]Stats `json:"times"`
	Deadlines map[string]Counts `json:"deadlines"`
	FollowUps FollowUpAges      `json:"follow_ups"`
	durations map[Measure][]time.Duration
}

// Counts are the outcomes of the deadlines of one kind.
type Counts struct {
	Met     int `json:"met"`
	Missed  int `json:"missed"`
	Pending int `json:"pending"`
}

// FollowUpAges count open follow-ups by age and by kind.
type FollowUpAges struct {
	Open    int            `json:"open"`
	Overdue int            `json:"overdue"`
	ByAge   map[string]int `json:"by_age"`
	ByKind  map[string]int `json:"by_kind"`
}

func newGroup(key string) *Group {
	return &Group{Key: key, Times: map[Measure]Stats{}, Deadlines: map[string]Counts{},
		FollowUps: FollowUpAges{ByAge: map[string]int{}, ByKind: map[string]int{}},
		durations: map[Measure][]time.Duration{}}
}

// Compute builds the report of in with opts.
func Compute(in Input, opts Options) Report {
	if opts.Period == "" {
		opts.Period = Week
	}
	rep := Report{From: opts.From, To: opts.To, GroupBy: opts.GroupBy, Now: opts.Now}
	if opts.GroupBy == GroupPeriod {
		rep.Period = opts.Period
	}
	overall := newGroup("all")
	groups := map[string]*Group{}
	each := func(d Dims, t time.Time, fn func(g *Group)) {
		fn(overall)
		for _, k := range keys(opts.GroupBy, opts.Period, d, t) {
			g := groups[k]
			if g == nil {
				g = newGroup(k)
				groups[k] = g
			}
			fn(g)
		}
	}
	for i := range in.Facts {
		f := &in.Facts[i]
		each(f.Dims, f.Detected, func(g *Group) {
			g.Incidents++
			for _, m := range Measures() {
				if d, ok := f.Duration(m); ok {
					g.durations[m] = append(g.durations[m], d)
				}
			}
		})
	}
	for i := range in.Deadlines {
		d := &in.Deadlines[i]
		out := d.Outcome(opts.Now)
		each(d.Dims, d.Due, func(g *Group) {
			g.Deadlines[d.Kind] = count(g.Deadlines[d.Kind], out)
		})
	}
	for _, f := range in.FollowUps {
		each(f.Dims, f.Created, func(g *Group) {
			g.FollowUps.Open++
			if f.Overdue {
				g.FollowUps.Overdue++
			}
			g.FollowUps.ByAge[bucket(opts.Now.Sub(f.Created))]++
			g.FollowUps.ByKind[f.Kind]++
		})
	}
	rep.Overall = overall.finish()
	rep.Groups = []Group{}
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		rep.Groups = append(rep.Groups, groups[k].finish())
	}
	rep.Rules = rates(in.Rules)
	return rep
}

// count adds one outcome to c.
func count(c Counts, o Outcome) Counts {
	switch o {
	case Met:
		c.Met++
	case Missed:
		c.Missed++
	default:
		c.Pending++
	}
	return c
}

// finish turns the collected durations into Stats.
func (g *Group) finish() Group {
	for _, m := range Measures() {
		g.Times[m] = Summarize(g.durations[m])
	}
	g.durations = nil
	return *g
}

// rates computes the false-positive rates, highest first, then by rule.
func rates(rc []RuleCount) []RuleRate {
	out := make([]RuleRate, 0, len(rc))
	for _, c := range rc {
		r := RuleRate{RuleCount: c}
		if decided := c.Confirmed + c.FalsePositive; decided > 0 {
			v := round(float64(c.FalsePositive) / float64(decided))
			r.Rate = &v
		}
		out = append(out, r)
	}
	rate := func(r RuleRate) float64 {
		if r.Rate == nil {
			return -1
		}
		return *r.Rate
	}
	slices.SortStableFunc(out, func(a, b RuleRate) int {
		if c := cmp.Compare(rate(b), rate(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.RuleID, b.RuleID)
	})
	return out
}
