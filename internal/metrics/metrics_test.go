package metrics

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/incident"
)

// t0 is a Monday, 9 March 2026 (ISO week 2026-W11).
var t0 = time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
)

// fixture returns four incidents with known times (see each comment).
func fixture() []Fact {
	return []Fact{
		// A: every milestone: detected 10 min after the first event, then
		// acknowledged 5 min, confirmed 20 min, contained 2 h, eradicated
		// 5 h, recovered 1 day and closed 2 days after detection.
		{IncidentID: 1, Dims: Dims{Severity: "high", Category: "malware",
			Services: []string{"web", "payments", "web"}}, FirstEvent: at(0),
			Milestones: incident.Milestones{Detected: at(10 * minute),
				Acknowledged: at(15 * minute), Confirmed: at(30 * minute),
				Contained: at(10*minute + 2*hour), Eradicated: at(10*minute + 5*hour),
				Recovered: at(10*minute + day), Closed: at(10*minute + 2*day)}},
		// B: still in eradication: detected 30 min after its event,
		// acknowledged and confirmed after 1 h, contained after 4 h.
		{IncidentID: 2, Dims: Dims{Severity: "critical", Category: "malware",
			Services: []string{"web"}}, FirstEvent: at(hour),
			Milestones: incident.Milestones{Detected: at(90 * minute),
				Acknowledged: at(150 * minute), Confirmed: at(150 * minute),
				Contained: at(330 * minute)}},
		// C: only detected; no event time, no service, no category.
		{IncidentID: 3, Dims: Dims{Severity: "low"},
			Milestones: incident.Milestones{Detected: at(2 * day)}},
		// D: next week, a false positive closed an hour after detection.
		{IncidentID: 4, Dims: Dims{Severity: "high", Services: []string{"payments"}},
			Milestones: incident.Milestones{Detected: at(7 * day),
				Acknowledged: at(7*day + 10*minute), Closed: at(7*day + hour)}},
	}
}

// TestTimesOnFixture checks every measure of the overall group against
// values worked out by hand, then the groups per service and per week.
func TestTimesOnFixture(t *testing.T) {
	rep := Compute(Input{Facts: fixture()}, Options{GroupBy: GroupService, Now: at(30 * day)})
	s := func(n int, mean, p50, p90 float64) Stats {
		return Stats{Count: n, Mean: mean, P50: p50, P90: p90}
	}
	want := map[Measure]Stats{
		Detect:      s(2, 1200, 600, 1800),     // 10 and 30 min
		Acknowledge: s(3, 1500, 600, 3600),     // 5, 10 and 60 min
		Confirm:     s(2, 2400, 1200, 3600),    // 20 and 60 min
		Contain:     s(2, 10800, 7200, 14400),  // 2 and 4 h
		Eradicate:   s(1, 18000, 18000, 18000), // 5 h
		Recover:     s(1, 86400, 86400, 86400), // 1 day
		Close:       s(2, 88200, 3600, 172800), // 1 h and 2 days
	}
	if diff := cmp.Diff(want, rep.Overall.Times); diff != "" {
		t.Errorf("overall times (-want +got):\n%s", diff)
	}
	if rep.Overall.Incidents != 4 {
		t.Errorf("overall incidents %d, want 4", rep.Overall.Incidents)
	}
	var keys []string
	byKey := map[string]Group{}
	for _, g := range rep.Groups {
		keys = append(keys, g.Key)
		byKey[g.Key] = g
	}
	if diff := cmp.Diff([]string{"(none)", "payments", "web"}, keys); diff != "" {
		t.Fatalf("service groups (-want +got):\n%s", diff)
	}
	// A counts once in web although it lists web twice; D's close is 1 h.
	if g := byKey["web"]; g.Incidents != 2 || g.Times[Contain] != s(2, 10800, 7200, 14400) {
		t.Errorf("web: %d incidents, contain %+v", g.Incidents, g.Times[Contain])
	}
	if g := byKey["payments"]; g.Times[Close] != s(2, 88200, 3600, 172800) ||
		g.Times[Detect] != s(1, 600, 600, 600) {
		t.Errorf("payments: close %+v, detect %+v", g.Times[Close], g.Times[Detect])
	}

	rep = Compute(Input{Facts: fixture()}, Options{GroupBy: GroupPeriod, Now: at(30 * day)})
	if len(rep.Groups) != 2 || rep.Groups[0].Key != "2026-W11" || rep.Groups[0].Incidents != 3 ||
		rep.Groups[1].Key != "2026-W12" || rep.Groups[1].Incidents != 1 {
		t.Errorf("weeks: %+v", rep.Groups)
	}
}

// TestPercentile checks the nearest-rank method on small sets and a
// negative time counted as zero.
func TestPercentile(t *testing.T) {
	ds := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {90, 9}, {91, 10}, {10, 1}, {1, 1}, {100, 10}} {
		if got := Percentile(ds, tt.p); got != tt.want {
			t.Errorf("p%v of 1..10 = %v, want %v", tt.p, got, tt.want)
		}
	}
	if Percentile(nil, 50) != 0 || Summarize(nil) != (Stats{}) {
		t.Error("empty set: want zero")
	}
	f := Fact{FirstEvent: at(hour), Milestones: incident.Milestones{Detected: at(0)}}
	if d, ok := f.Duration(Detect); !ok || d != 0 {
		t.Errorf("event after detection: %v %v, want 0 true", d, ok)
	}
}

// TestPeriodKeys checks ISO weeks across a year's end (2026 has 53 weeks)
// and months.
func TestPeriodKeys(t *testing.T) {
	for _, tt := range []struct {
		p    Period
		t    time.Time
		want string
	}{
		{Week, time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC), "2026-W53"},
		{Week, time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), "2027-W01"},
		{Week, time.Date(2026, 3, 9, 0, 30, 0, 0, time.FixedZone("x", 3600)), "2026-W10"},
		{Month, time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("x", 3600)), "2026-02"},
	} {
		if got := PeriodKey(tt.p, tt.t); got != tt.want {
			t.Errorf("PeriodKey(%s, %v) = %s, want %s", tt.p, tt.t, got, tt.want)
		}
	}
}

// TestDeadlinesRulesFollowUps checks deadline outcomes, false-positive
// rates and the ages of open follow-ups.
func TestDeadlinesRulesFollowUps(t *testing.T) {
	now := at(10 * day)
	due := at(day)
	dl := []Deadline{
		{Kind: "people", Due: due, Done: due},                  // met, on the minute
		{Kind: "people", Due: due, Done: due.Add(time.Second)}, // missed, late
		{Kind: "people", Due: due, Failed: true},               // missed, dead
		{Kind: "people", Due: now.Add(hour)},                   // pending
		{Kind: "people", Due: now.Add(-hour)},                  // missed, past due
		{Kind: "tenant", Due: due, Done: due.Add(-hour)},       // met
	}
	rules := []RuleCount{
		{RuleID: "r1", Title: "One", Alerts: 10, Confirmed: 3, FalsePositive: 1},
		{RuleID: "r2", Title: "Two", Alerts: 5},
		{RuleID: "r3", Title: "Three", Alerts: 4, FalsePositive: 2},
	}
	fus := []FollowUpRow{
		{Kind: "bug", Created: now.Add(-2 * day)},
		{Kind: "bug", Created: now.Add(-8 * day), Overdue: true},
		{Kind: "training", Created: now.Add(-100 * day), Overdue: true},
		{Kind: "sop", Created: now.Add(-7*day - hour)},
	}
	rep := Compute(Input{Deadlines: dl, Rules: rules, FollowUps: fus}, Options{Now: now})
	wantCounts := map[string]Counts{"people": {Met: 1, Missed: 3, Pending: 1},
		"tenant": {Met: 1}}
	if diff := cmp.Diff(wantCounts, rep.Overall.Deadlines); diff != "" {
		t.Errorf("deadlines (-want +got):\n%s", diff)
	}
	var order []string
	for _, r := range rep.Rules {
		order = append(order, r.RuleID)
	}
	if diff := cmp.Diff([]string{"r3", "r1", "r2"}, order); diff != "" ||
		*rep.Rules[0].Rate != 1 || *rep.Rules[1].Rate != 0.25 || rep.Rules[2].Rate != nil {
		t.Errorf("rules: %v %+v", order, rep.Rules)
	}
	wantAges := FollowUpAges{Open: 4, Overdue: 2, ByAge: map[string]int{"0-7 days": 2,
		"8-30 days": 1, "over 90 days": 1}, ByKind: map[string]int{"bug": 2, "training": 1,
		"sop": 1}}
	if diff := cmp.Diff(wantAges, rep.Overall.FollowUps); diff != "" {
		t.Errorf("follow-ups (-want +got):\n%s", diff)
	}
}

// TestCSV writes each table and reads it back.
func TestCSV(t *testing.T) {
	rep := Compute(Input{Facts: fixture(), Rules: []RuleCount{{RuleID: "=cmd|x", Title: "-2+3",
		Alerts: 1, FalsePositive: 1}}}, Options{GroupBy: GroupSeverity, Now: at(30 * day)})
	for _, tb := range Tables() {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, &rep, tb); err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(rows) < 1 {
			t.Fatalf("%s: %d rows, %v", tb, len(rows), err)
		}
		switch tb {
		case TableTimes:
			// all + critical, high, low: 4 groups of 7 measures, and a header.
			if len(rows) != 1+4*7 || strings.Join(rows[1], ",") !=
				"all,,4,detect,2,1200,600,1800" {
				t.Errorf("times: %d rows, first %v", len(rows), rows[1])
			}
		case TableRules:
			if rows[1][0] != "'=cmd|x" || rows[1][1] != "'-2+3" || rows[1][5] != "1" {
				t.Errorf("rules row %v: want formulas defused and rate 1", rows[1])
			}
		}
	}
	if err := WriteCSV(&bytes.Buffer{}, &rep, "nope"); err == nil {
		t.Error("unknown table: no error")
	}
}
