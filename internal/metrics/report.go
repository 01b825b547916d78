package metrics

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
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
	// durations holds the known durations of each measure, in the order
	// of measures.
	durations [len(measures)][]time.Duration
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
		FollowUps: FollowUpAges{ByAge: map[string]int{}, ByKind: map[string]int{}}}
}

// Compute builds the report of in with opts (a Builder fed with in).
func Compute(in Input, opts Options) Report {
	b := NewBuilder(opts)
	for i := range in.Facts {
		b.AddFact(&in.Facts[i])
	}
	for i := range in.Deadlines {
		b.AddDeadline(&in.Deadlines[i])
	}
	for i := range in.FollowUps {
		b.AddFollowUp(&in.FollowUps[i])
	}
	return b.Report(in.Rules)
}

// Builder computes a Report one row at a time, so that the rows of a large
// window need not be held: each fact leaves only its durations, in the
// groups it falls in. A Builder is not safe for concurrent use.
type Builder struct {
	opts    Options
	overall *Group
	groups  map[string]*Group
	// keys is the scratch slice of groupKeys; periods caches the period
	// key of each day (Unix days).
	keys    []string
	periods map[int64]string
}

// NewBuilder returns an empty Builder for opts.
func NewBuilder(opts Options) *Builder {
	if opts.Period == "" {
		opts.Period = Week
	}
	return &Builder{opts: opts, overall: newGroup("all"), groups: map[string]*Group{},
		periods: map[int64]string{}}
}

// group returns the group of key, made on first use.
func (b *Builder) group(key string) *Group {
	g := b.groups[key]
	if g == nil {
		g = newGroup(key)
		b.groups[key] = g
	}
	return g
}

// groupKeys returns the keys of a row with dims d at time t, as keys does,
// in a slice that the next call reuses.
func (b *Builder) groupKeys(d *Dims, t time.Time) []string {
	out := b.keys[:0]
	switch b.opts.GroupBy {
	case GroupNone:
		return nil
	case GroupPeriod:
		if !t.IsZero() {
			day := t.Unix()
			if r := day % 86400; r < 0 {
				day -= 86400 + r
			} else {
				day -= r
			}
			k, ok := b.periods[day]
			if !ok {
				k = PeriodKey(b.opts.Period, t)
				b.periods[day] = k
			}
			out = append(out, k)
		}
	case GroupSeverity:
		out = append(out, d.Severity)
	case GroupCategory:
		out = append(out, d.Category)
	case GroupService:
		out = append(out, d.Services...)
		if len(out) > 1 {
			slices.Sort(out)
			out = slices.Compact(out)
		}
	default:
		return keys(b.opts.GroupBy, b.opts.Period, *d, t)
	}
	n := 0
	for _, k := range out {
		if strings.TrimSpace(k) != "" {
			out[n] = k
			n++
		}
	}
	out = out[:n]
	if len(out) == 0 {
		out = append(out, none)
	}
	b.keys = out
	return out
}

// AddFact counts incident f in the overall group and in its groups. f is
// not kept: the caller may reuse it.
func (b *Builder) AddFact(f *Fact) {
	var ds [len(measures)]time.Duration
	var known [len(measures)]bool
	for i, m := range measures {
		ds[i], known[i] = f.Duration(m)
	}
	b.overall.addFact(&ds, &known)
	for _, k := range b.groupKeys(&f.Dims, f.Detected) {
		b.group(k).addFact(&ds, &known)
	}
}

// addFact adds an incident's durations to g.
func (g *Group) addFact(ds *[len(measures)]time.Duration, known *[len(measures)]bool) {
	g.Incidents++
	for i, d := range ds {
		if known[i] {
			g.durations[i] = append(g.durations[i], d)
		}
	}
}

// AddDeadline counts deadline d by its outcome at the report's time.
func (b *Builder) AddDeadline(d *Deadline) {
	out := d.Outcome(b.opts.Now)
	b.overall.Deadlines[d.Kind] = count(b.overall.Deadlines[d.Kind], out)
	for _, k := range b.groupKeys(&d.Dims, d.Due) {
		g := b.group(k)
		g.Deadlines[d.Kind] = count(g.Deadlines[d.Kind], out)
	}
}

// AddFollowUp counts open follow-up f by its age at the report's time.
func (b *Builder) AddFollowUp(f *FollowUpRow) {
	age := bucket(b.opts.Now.Sub(f.Created))
	b.overall.addFollowUp(f, age)
	for _, k := range b.groupKeys(&f.Dims, f.Created) {
		b.group(k).addFollowUp(f, age)
	}
}

func (g *Group) addFollowUp(f *FollowUpRow, age string) {
	g.FollowUps.Open++
	if f.Overdue {
		g.FollowUps.Overdue++
	}
	g.FollowUps.ByAge[age]++
	g.FollowUps.ByKind[f.Kind]++
}

// Report returns the report of the rows added, with the false-positive
// rates of rules. The Builder is spent: add nothing after.
func (b *Builder) Report(rules []RuleCount) Report {
	opts := b.opts
	rep := Report{From: opts.From, To: opts.To, GroupBy: opts.GroupBy, Now: opts.Now}
	if opts.GroupBy == GroupPeriod {
		rep.Period = opts.Period
	}
	rep.Overall = b.overall.finish()
	rep.Groups = make([]Group, 0, len(b.groups))
	for _, k := range slices.Sorted(maps.Keys(b.groups)) {
		rep.Groups = append(rep.Groups, b.groups[k].finish())
	}
	rep.Rules = rates(rules)
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
	for i, m := range measures {
		g.Times[m] = summarize(g.durations[i])
		g.durations[i] = nil
	}
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
