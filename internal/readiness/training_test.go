package readiness

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAddMonths(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		from   string
		months int
		want   string
	}{
		{"2024-02-29", 12, "2025-02-28"}, // a leap day, then a common year
		{"2024-02-29", 48, "2028-02-29"}, // leap year to leap year
		{"2023-02-28", 12, "2024-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2023-01-31", 1, "2023-02-28"},
		{"2025-03-31", 12, "2026-03-31"},
		{"2025-12-15", 12, "2026-12-15"},
		{"2025-08-31", 6, "2026-02-28"},
		{"2019-02-28", 60, "2024-02-28"}, // five years for a background check
	} {
		if got := AddMonths(day(tt.from), tt.months); !got.Equal(day(tt.want)) {
			t.Errorf("AddMonths(%s, %d) = %s, want %s", tt.from, tt.months,
				got.Format(time.DateOnly), tt.want)
		}
	}
}

// policy is a small program: two courses for responders, a check rule.
func policy() *Policy {
	p := &Policy{Courses: []Course{
		{ID: "basics", Title: "Basics", Kind: KindBasics, Changes: []ProcedureChange{
			{Date: NewDate(day("2025-03-01")), Note: "new phase gate"},
			{Date: NewDate(day("2025-09-01")), Note: "approvals"}}},
		{ID: "handbook", Title: "Handbook", Kind: KindRoleSpecific},
		{ID: "privacy", Title: "Privacy", Kind: KindPrivacy},
	}, Roles: map[string][]string{"responder": {"handbook", "basics"}, "legal": {"privacy"}},
		BackgroundChecks: []CheckRule{{Environment: "production", MaxAgeYears: 5}}}
	p.setDefaults()
	if err := p.Check(); err != nil {
		panic(err)
	}
	return p
}

// TestTrainingDue checks due dates and statuses: onboarding for people who
// joined mid-year and in leap years, refreshers after a leap day, due soon
// and overdue, and the procedure changes a refresher covers.
func TestTrainingDue(t *testing.T) {
	t.Parallel()
	p := policy()
	tests := []struct {
		name        string
		joined      string
		completions map[string]string // course → day
		now         string
		want        map[string]string // course → "due status"
	}{
		{"joined mid-year in a leap year", "2024-02-15", nil, "2024-03-02",
			map[string]string{"basics": "2024-03-16 due_soon", "handbook": "2024-03-16 due_soon"}},
		{"joined mid-year in a common year", "2023-02-15", nil, "2023-03-18",
			map[string]string{"basics": "2023-03-17 overdue", "handbook": "2023-03-17 overdue"}},
		{"joined on a leap day", "2024-02-29", nil, "2024-02-29",
			map[string]string{"basics": "2024-03-30 ok", "handbook": "2024-03-30 ok"}},
		{"joined at the end of the year", "2025-12-15", nil, "2026-01-14",
			map[string]string{"basics": "2026-01-14 due_soon"}},
		{"refresher after a leap-day completion", "2020-01-06",
			map[string]string{"basics": "2024-02-29", "handbook": "2024-03-01"}, "2025-02-28",
			map[string]string{"basics": "2025-02-28 due_soon", "handbook": "2025-03-01 due_soon"}},
		{"refresher one day late", "2020-01-06",
			map[string]string{"basics": "2024-02-29"}, "2025-03-01",
			map[string]string{"basics": "2025-02-28 overdue", "handbook": "2020-02-05 overdue"}},
		{"refresher far off", "2020-01-06", map[string]string{"basics": "2025-06-30",
			"handbook": "2025-06-30"}, "2025-07-01",
			map[string]string{"basics": "2026-06-30 ok", "handbook": "2026-06-30 ok"}},
	}
	for _, tt := range tests {
		person := Person{Name: "ana", Roles: []string{"responder"}, Joined: NewDate(day(tt.joined))}
		var cs []Completion
		for course, d := range tt.completions {
			cs = append(cs, Completion{Person: "ana", Course: course, Completed: NewDate(day(d))},
				// Another person's completion never counts for ana.
				Completion{Person: "bob", Course: course, Completed: NewDate(day(tt.now))})
		}
		got := map[string]string{}
		for _, it := range p.Status(person, nil, cs, day(tt.now).Add(15*time.Hour)) {
			if tt.want[it.Requirement] != "" {
				got[it.Requirement] = it.Due.Format(time.DateOnly) + " " + string(it.Status)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestRefresherCovers(t *testing.T) {
	t.Parallel()
	p := policy()
	person := Person{Name: "ana", Roles: []string{"responder"}, Joined: NewDate(day("2020-01-01"))}
	cs := []Completion{{Person: "ana", Course: "basics", Completed: NewDate(day("2025-01-10")),
		Evidence: "C-1"}, {Person: "ana", Course: "basics",
		Completed: NewDate(day("2025-05-10")), Evidence: "C-2"}}
	items := p.Status(person, []string{"sirt"}, cs, day("2025-06-01"))
	if len(items) != 2 || items[0].Requirement != "basics" {
		t.Fatalf("items = %+v, want basics then handbook (the program's order)", items)
	}
	b := items[0]
	if b.Basis != BasisRefresher || b.Evidence != "C-2" || !b.LastDone.Equal(day("2025-05-10")) {
		t.Errorf("basics: basis %s, evidence %s, last %v; want the latest completion", b.Basis,
			b.Evidence, b.LastDone)
	}
	if diff := cmp.Diff([]string{"2025-09-01: approvals"}, b.Covers); diff != "" {
		t.Errorf("covers: only the changes after the last completion (-want +got):\n%s", diff)
	}
	if items[1].Basis != BasisOnboarding || items[1].DaysOverdue != 1948 {
		t.Errorf("handbook: %+v, want onboarding, 1948 days overdue", items[1])
	}
}

func TestBackgroundChecks(t *testing.T) {
	t.Parallel()
	p := policy()
	p.BackgroundChecks = append(p.BackgroundChecks, CheckRule{Environment: "customer-data",
		Roles: []string{"legal"}, MaxAgeYears: 3})
	check := func(d string, s CheckStatus) BackgroundCheck {
		return BackgroundCheck{Date: NewDate(day(d)), Status: s, Reference: "BC-" + d}
	}
	tests := []struct {
		name   string
		envs   []string
		roles  []string
		checks []BackgroundCheck
		now    string
		want   []string // requirement due status (note)
	}{
		{"no access, no requirement", nil, []string{"responder"}, nil, "2025-01-01", nil},
		{"access without a check is overdue from joining", []string{"production"},
			[]string{"responder"}, nil, "2024-01-02",
			[]string{"production 2024-01-01 overdue"}},
		{"five years from a leap-day check", []string{"production"}, []string{"responder"},
			[]BackgroundCheck{check("2020-02-29", CheckPassed)}, "2025-02-20",
			[]string{"production 2025-02-28 due_soon"}},
		{"a later failed check does not count, and is noted", []string{"production"},
			[]string{"responder"}, []BackgroundCheck{check("2019-06-01", CheckPassed),
				check("2024-05-01", CheckFailed)}, "2024-06-03",
			[]string{"production 2024-06-01 overdue (last check failed on 2024-05-01)"}},
		{"pending renewal", []string{"production"}, []string{"responder"},
			[]BackgroundCheck{check("2021-06-01", CheckPassed), check("2025-05-01",
				CheckPending)}, "2025-05-02",
			[]string{"production 2026-06-01 ok (last check pending on 2025-05-01)"}},
		{"a rule narrowed to roles", []string{"production", "customer-data"},
			[]string{"legal"}, []BackgroundCheck{check("2022-01-10", CheckPassed)}, "2025-01-01",
			[]string{"production 2027-01-10 ok", "customer-data 2025-01-10 due_soon"}},
		{"the narrowed rule skips other roles", []string{"customer-data"},
			[]string{"responder"}, nil, "2025-01-01", nil},
	}
	for _, tt := range tests {
		person := Person{Name: "ana", Roles: tt.roles, Environments: tt.envs, Checks: tt.checks,
			Joined: NewDate(day("2024-01-01"))}
		var got []string
		for _, it := range p.Status(person, nil, nil, day(tt.now)) {
			if it.Kind != ItemBackgroundCheck {
				continue
			}
			s := it.Requirement + " " + it.Due.Format(time.DateOnly) + " " + string(it.Status)
			if it.Note != "" {
				s += " (" + it.Note + ")"
			}
			got = append(got, s)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	p := policy()
	people := []Person{
		{Name: "ana", Roles: []string{"responder"}, Teams: []string{"sirt"},
			Joined: NewDate(day("2025-01-01"))},
		{Name: "bob", Roles: []string{"legal"}, Teams: []string{"legal", "sirt"},
			Joined: NewDate(day("2025-05-20"))},
		{Name: "cy", Roles: []string{"auditor"}, Joined: NewDate(day("2025-01-01"))},
	}
	teamsOf := func(p Person) []string {
		if len(p.Teams) == 0 {
			return []string{NoTeam}
		}
		return p.Teams
	}
	now := day("2025-06-10")
	items := p.Statuses(people, nil, teamsOf, now)
	rep := BuildReport(items, people, teamsOf, now, 3)
	type row struct {
		Team                     string
		People, Overdue, DueSoon int
		Members                  []string
	}
	var got []row
	for _, tr := range rep.Teams {
		r := row{tr.Team, tr.People, tr.Overdue, tr.DueSoon, nil}
		for _, m := range tr.Members {
			r.Members = append(r.Members, m.Name)
		}
		got = append(got, r)
	}
	want := []row{
		{"legal", 1, 0, 1, []string{"bob"}},
		{"sirt", 2, 2, 1, []string{"ana", "bob"}},
		{NoTeam, 1, 0, 0, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report teams (-want +got):\n%s", diff)
	}
	if rep.People != 3 || rep.Overdue != 2 || rep.DueSoon != 1 || rep.PolicyVersion != 3 {
		t.Errorf("totals: %d people, %d overdue, %d due soon, policy %d; want 3, 2, 1, 3",
			rep.People, rep.Overdue, rep.DueSoon, rep.PolicyVersion)
	}

	var csv strings.Builder
	if err := WriteItemsCSV(&csv, items); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 1+len(items) || !strings.HasPrefix(lines[0], "person,teams,kind") ||
		!strings.HasPrefix(lines[1], "ana,sirt,course,basics,Basics,onboarding,,,2025-01-31,"+
			"overdue,130,") {
		t.Errorf("CSV:\n%s", csv.String())
	}
}

func TestCSVFormulaGuard(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	err := WriteItemsCSV(&b, []Item{{Person: "=cmd|'/c calc'!A1", Evidence: "+1", Title: "@x"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\n=") || !strings.Contains(b.String(), "'=cmd") ||
		!strings.Contains(b.String(), "'+1") {
		t.Errorf("formula-like cells not neutralized:\n%s", b.String())
	}
}

func TestParsePolicy(t *testing.T) {
	t.Parallel()
	d := DefaultPolicy()
	if d.OnboardingDays != 30 || d.RefresherMonths != 12 || len(d.Courses) < 4 ||
		d.FindingDeadlines[SeverityCritical] != 7 || len(d.Required([]string{"responder"})) < 3 {
		t.Errorf("default policy: %+v", d)
	}
	tests := []struct{ yaml, want string }{
		{"", "empty document"},
		{"onboarding_days: 30\ncolour: red\n", "line 2: field colour not found"},
		{"courses:\n  - {id: a, title: A, kind: basics}\n  - {id: a, title: B, kind: basics}\n",
			`courses[1].id "a": given twice`},
		{"courses:\n  - {id: a, title: A, kind: lecture}\n", `kind "lecture"`},
		{"roles:\n  responder: [nope]\n", `roles.responder[0]: unknown course "nope"`},
		{"onboarding_days: -3\n", "onboarding_days -3"},
		{"background_checks:\n  - {environment: prod}\n", "background_checks[0]"},
		{"finding_deadlines: {critical: 7}\n", "high needs a positive number"},
		{"finding_deadlines: {urgent: 1, critical: 7, high: 1, medium: 1, low: 1, none: 1}\n",
			`unknown severity "urgent"`},
		{"courses:\n  - {id: a, title: A, kind: basics, changes: [{date: 2025-13-01, note: x}]}\n",
			"line 2"},
		{"a: 1\n---\nb: 2\n", "field a not found"},
		{"onboarding_days: 1\n---\nrefresher_months: 2\n", "more than one YAML document"},
	}
	for _, tt := range tests {
		_, err := ParsePolicy(strings.NewReader(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePolicy(%q) = %v, want an error with %q", tt.yaml, err, tt.want)
		}
	}
	// JSON is YAML: the API's PUT takes either.
	p, err := ParsePolicy(strings.NewReader(`{"onboarding_days": 10, "courses": [{"id": "a",
		"title": "A", "kind": "privacy", "changes": [{"date": "2025-01-02", "note": "n"}]}],
		"roles": {"legal": ["a"]}}`))
	if err != nil || p.OnboardingDays != 10 || p.RefresherMonths != 12 ||
		!p.Courses[0].Changes[0].Date.Equal(day("2025-01-02")) {
		t.Errorf("JSON policy: %+v, %v", p, err)
	}
}

func TestTrackingMoves(t *testing.T) {
	t.Parallel()
	now := day("2025-06-01")
	tr := Tracking{State: StateOpen, Due: day("2025-05-31"), History: []StateChange{}}
	if !tr.Overdue(now) || tr.Closed(now) {
		t.Errorf("open past due: overdue %v, closed %v", tr.Overdue(now), tr.Closed(now))
	}
	if tr.Overdue(day("2025-05-31").Add(23 * time.Hour)) {
		t.Error("overdue on its due day, want only from the next day")
	}
	if err := tr.Move(StateVerified, "a", "", time.Time{}, now); !errors.Is(err, ErrBadMove) {
		t.Errorf("open to verified = %v, want ErrBadMove", err)
	}
	if err := tr.Move(StateRiskAccepted, "a", "", now.AddDate(0, 1, 0), now); !errors.Is(err,
		ErrRiskTerms) {
		t.Errorf("risk accepted without a reason = %v, want ErrRiskTerms", err)
	}
	if err := tr.Move(StateRiskAccepted, "a", "why", now, now); !errors.Is(err, ErrRiskTerms) {
		t.Errorf("risk accepted expiring now = %v, want ErrRiskTerms", err)
	}
	steps := []struct {
		to      State
		overdue bool
		closed  bool
	}{
		{StateInProgress, true, false}, {StateFixed, false, false},
		{StateOpen, true, false}, {StateFixed, false, false}, {StateVerified, false, true},
	}
	for _, s := range steps {
		if err := tr.Move(s.to, "user:ana", "", time.Time{}, now); err != nil {
			t.Fatalf("move to %s: %v", s.to, err)
		}
		if tr.Overdue(now) != s.overdue || tr.Closed(now) != s.closed {
			t.Errorf("%s: overdue %v closed %v, want %v %v", s.to, tr.Overdue(now),
				tr.Closed(now), s.overdue, s.closed)
		}
	}
	if err := tr.Move(StateOpen, "user:ana", "regressed", time.Time{}, now); err != nil {
		t.Fatal(err)
	}
	expires := now.AddDate(0, 3, 0)
	if err := tr.Move(StateRiskAccepted, "user:cso", "compensating control", expires,
		now); err != nil {
		t.Fatal(err)
	}
	if tr.Overdue(now) || !tr.Closed(now) || !tr.Overdue(expires) || tr.Closed(expires) {
		t.Errorf("risk acceptance: overdue before expiry %v, after %v", tr.Overdue(now),
			tr.Overdue(expires))
	}
	if len(tr.History) != 7 || tr.History[6].Reason != "compensating control" ||
		tr.History[5].From != StateVerified {
		t.Errorf("history: %+v", tr.History)
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	d := DefaultDeadlines()
	found := time.Date(2024, 2, 22, 23, 30, 0, 0, time.FixedZone("X", -3*3600)) // 02:30Z 23rd
	for sev, want := range map[Severity]string{SeverityCritical: "2024-03-01",
		SeverityHigh: "2024-03-24", SeverityMedium: "2024-05-23", SeverityLow: "2024-08-21",
		SeverityNone: "2025-02-22"} {
		if got := d.Due(sev, found); !got.Equal(day(want)) {
			t.Errorf("Due(%s) = %s, want %s", sev, got.Format(time.DateOnly), want)
		}
	}
	bad := Deadlines{SeverityCritical: 7}
	if err := bad.Check(); err == nil {
		t.Error("Check of a policy without high: nil")
	}
}

func TestFindingNormalize(t *testing.T) {
	t.Parallel()
	score := func(v float64) *float64 { return &v }
	tests := []struct {
		in    Finding
		sev   Severity
		field string // error field, "" for none
	}{
		{Finding{Title: "x", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			Severity: SeverityLow}, SeverityCritical, ""},
		{Finding{Title: "x", CVSSScore: score(5.0)}, SeverityMedium, ""},
		{Finding{Title: "x", Severity: SeverityHigh}, SeverityHigh, ""},
		{Finding{Title: " "}, "", "title"},
		{Finding{Title: "x"}, "", "severity"},
		{Finding{Title: "x", CVSSScore: score(11)}, "", "cvss_score"},
		{Finding{Title: "x", CVSSVector: "CVSS:3.1/AV:N", Severity: SeverityLow}, "",
			"cvss_vector"},
		{Finding{Title: "x", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			CVSSScore: score(5)}, "", "cvss_score"},
		{Finding{Title: "x", Severity: SeverityLow, Source: "rumour"}, "", "source"},
	}
	for i, tt := range tests {
		f := tt.in
		err := f.Normalize()
		var fe *FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%d: %v", i, err)
		case tt.field == "" && f.Severity != tt.sev:
			t.Errorf("%d: severity %s, want %s", i, f.Severity, tt.sev)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field ||
			!errors.Is(err, ErrInvalid)):
			t.Errorf("%d: %v, want a FieldError on %s", i, err, tt.field)
		}
	}
}
