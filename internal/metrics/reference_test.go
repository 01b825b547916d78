package metrics

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/incident"
)

// randomInput returns n incidents, deadlines and follow-ups with random
// dimensions (blank, repeated and odd ones included) and random times over
// about a year, some milestones missing, some events after detection.
func randomInput(r *rand.Rand, n int) Input {
	pick := func(ss ...string) string { return ss[r.IntN(len(ss))] }
	start := time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC)
	dims := func() Dims {
		d := Dims{Severity: pick("low", "medium", "high", "critical", "", " "),
			Category: pick("malware", "phishing", "", "dos", "unauthorized-access")}
		for range r.IntN(4) {
			d.Services = append(d.Services, pick("web", "payments", "mail", "", "web", "dns"))
		}
		return d
	}
	// after returns a time up to max after t, or zero one time in four.
	after := func(t time.Time, max time.Duration) time.Time {
		if t.IsZero() || r.IntN(4) == 0 {
			return time.Time{}
		}
		return t.Add(time.Duration(r.Int64N(int64(max)))).Truncate(time.Microsecond)
	}
	var in Input
	for i := range n {
		detected := start.Add(time.Duration(r.Int64N(int64(400 * day)))).
			Truncate(time.Microsecond)
		f := Fact{IncidentID: int64(i + 1), Dims: dims(),
			FirstEvent: after(detected.Add(-3*hour), 4*hour)}
		f.Detected = detected
		f.Acknowledged = after(detected, hour)
		f.Confirmed = after(f.Acknowledged, 3*hour)
		f.Contained = after(f.Confirmed, day)
		f.Eradicated = after(f.Contained, 3*day)
		f.Recovered = after(f.Eradicated, 5*day)
		f.Closed = after(f.Recovered, 30*day)
		if r.IntN(50) == 0 {
			f.Milestones = incident.Milestones{Detected: detected, Closed: detected}
		}
		in.Facts = append(in.Facts, f)
	}
	now := start.Add(420 * day)
	for range n / 5 {
		due := start.Add(time.Duration(r.Int64N(int64(430 * day))))
		d := Deadline{Kind: pick("people", "tenant"), Dims: dims(), Due: due,
			Done: after(due.Add(-2*hour), 4*hour), Failed: r.IntN(10) == 0}
		in.Deadlines = append(in.Deadlines, d)
	}
	for i := range n / 10 {
		in.FollowUps = append(in.FollowUps, FollowUpRow{ID: int64(i + 1), Dims: dims(),
			Kind: pick("bug", "training", "sop-change"), Overdue: r.IntN(3) == 0,
			Created: now.Add(-time.Duration(r.Int64N(int64(200 * day))))})
	}
	for i := range 12 {
		a := r.IntN(100)
		c := r.IntN(a + 1)
		in.Rules = append(in.Rules, RuleCount{RuleID: "r" + string(rune('a'+i)),
			Title: "Rule", Alerts: a, Confirmed: c, FalsePositive: r.IntN(a - c + 1)})
	}
	return in
}

// referenceKeys is the grouping of a row written out plainly.
func referenceKeys(g GroupBy, p Period, d Dims, t time.Time) []string {
	var ks []string
	switch g {
	case GroupNone:
		return nil
	case GroupPeriod:
		if !t.IsZero() {
			ks = append(ks, PeriodKey(p, t))
		}
	case GroupSeverity:
		ks = append(ks, d.Severity)
	case GroupCategory:
		ks = append(ks, d.Category)
	case GroupService:
		seen := map[string]bool{}
		for _, s := range d.Services {
			if !seen[s] {
				seen[s] = true
				ks = append(ks, s)
			}
		}
	}
	var out []string
	for _, k := range ks {
		if strings.TrimSpace(k) != "" {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}

// reference computes the report the straightforward way: the rows of each
// group gathered first, every duration list sorted (Summarize), counts
// made group by group.
func reference(in Input, opts Options) Report {
	if opts.Period == "" {
		opts.Period = Week
	}
	type rows struct {
		facts []Fact
		dl    []Deadline
		fus   []FollowUpRow
	}
	all := &rows{}
	byKey := map[string]*rows{}
	get := func(k string) *rows {
		if byKey[k] == nil {
			byKey[k] = &rows{}
		}
		return byKey[k]
	}
	for _, f := range in.Facts {
		all.facts = append(all.facts, f)
		for _, k := range referenceKeys(opts.GroupBy, opts.Period, f.Dims, f.Detected) {
			get(k).facts = append(get(k).facts, f)
		}
	}
	for _, d := range in.Deadlines {
		all.dl = append(all.dl, d)
		for _, k := range referenceKeys(opts.GroupBy, opts.Period, d.Dims, d.Due) {
			get(k).dl = append(get(k).dl, d)
		}
	}
	for _, f := range in.FollowUps {
		all.fus = append(all.fus, f)
		for _, k := range referenceKeys(opts.GroupBy, opts.Period, f.Dims, f.Created) {
			get(k).fus = append(get(k).fus, f)
		}
	}
	group := func(key string, rs *rows) Group {
		g := Group{Key: key, Incidents: len(rs.facts), Times: map[Measure]Stats{},
			Deadlines: map[string]Counts{}, FollowUps: FollowUpAges{ByAge: map[string]int{},
				ByKind: map[string]int{}}}
		for _, m := range Measures() {
			var ds []time.Duration
			for _, f := range rs.facts {
				if d, ok := f.Duration(m); ok {
					ds = append(ds, d)
				}
			}
			g.Times[m] = Summarize(ds)
		}
		for _, d := range rs.dl {
			c := g.Deadlines[d.Kind]
			switch d.Outcome(opts.Now) {
			case Met:
				c.Met++
			case Missed:
				c.Missed++
			case Pending:
				c.Pending++
			}
			g.Deadlines[d.Kind] = c
		}
		for _, f := range rs.fus {
			g.FollowUps.Open++
			if f.Overdue {
				g.FollowUps.Overdue++
			}
			g.FollowUps.ByAge[bucket(opts.Now.Sub(f.Created))]++
			g.FollowUps.ByKind[f.Kind]++
		}
		return g
	}
	rep := Report{From: opts.From, To: opts.To, GroupBy: opts.GroupBy, Now: opts.Now,
		Overall: group("all", all), Groups: []Group{}, Rules: rates(in.Rules)}
	if opts.GroupBy == GroupPeriod {
		rep.Period = opts.Period
	}
	var keys []string
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rep.Groups = append(rep.Groups, group(k, byKey[k]))
	}
	return rep
}

// TestComputeMatchesReference compares Compute (the Builder's one pass,
// selection instead of sorting) with the straightforward computation on
// random inputs, for every grouping and both periods.
func TestComputeMatchesReference(t *testing.T) {
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 5))
		in := randomInput(r, []int{0, 1, 37, 3000}[seed])
		now := time.Date(2027, 2, 12, 0, 0, 0, 0, time.UTC)
		for _, g := range GroupBys() {
			for _, p := range []Period{Week, Month} {
				opts := Options{From: now.AddDate(-2, 0, 0), To: now, GroupBy: g, Period: p,
					Now: now}
				want := reference(in, opts)
				got := Compute(Input{Facts: slices.Clone(in.Facts), Deadlines: in.Deadlines,
					FollowUps: in.FollowUps, Rules: in.Rules}, opts)
				if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Group{})); diff != "" {
					t.Errorf("seed %d, group %q by %s (-reference +compute):\n%s", seed, g, p,
						diff)
				}
			}
		}
	}
}

// TestSummarizeSelection compares the selection of summarize with a sort
// on sets full of ties and on sorted and reversed ones, of every size up
// to 300.
func TestSummarizeSelection(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		for _, shape := range []string{"random", "ties", "sorted", "reversed"} {
			ds := make([]time.Duration, n)
			for i := range ds {
				switch shape {
				case "random":
					ds[i] = time.Duration(r.Int64N(int64(day)))
				case "ties":
					ds[i] = time.Duration(r.IntN(3)) * time.Minute
				default:
					ds[i] = time.Duration(i) * time.Second
				}
			}
			if shape == "reversed" {
				slices.Reverse(ds)
			}
			want := Summarize(slices.Clone(ds))
			if got := summarize(ds); got != want {
				t.Fatalf("%s set of %d: summarize %+v, Summarize %+v", shape, n, got, want)
			}
		}
	}
}
