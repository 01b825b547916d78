package team

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testRules = `rules:
  - name: privacy
    teams: [legal]
    when:
      categories: [data-exfiltration]
  - name: severe-payments
    teams: [legal, comms-exec]
    when:
      max_severity: 1
      services: [payments]
  - name: actor
    teams: [intel]
    when:
      keywords: [Ransomware]
`

func TestRulesSelect(t *testing.T) {
	t.Parallel()
	rs, err := ParseRules([]byte(testRules), "rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		facts Facts
		want  []string // team/rule
	}{
		{"nothing matches", Facts{Category: "malware", Severity: 3}, nil},
		{"category", Facts{Category: "data-exfiltration", Severity: -1},
			[]string{"legal/privacy"}},
		{"severity and service", Facts{Severity: 0, Services: []string{"web", "payments"}},
			[]string{"legal/severe-payments", "comms-exec/severe-payments"}},
		{"severity too low", Facts{Severity: 2, Services: []string{"payments"}}, nil},
		{"no severity decided", Facts{Severity: -1, Services: []string{"payments"}}, nil},
		{"keyword ignores case, in summary", Facts{Severity: -1, Title: "odd",
			Summary: "a RANSOMWARE note"}, []string{"intel/actor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, s := range rs.Select(tt.facts) {
				got = append(got, s.Team+"/"+s.Rule)
				if !strings.HasPrefix(s.Reason, "rule "+s.Rule+": ") {
					t.Errorf("reason %q does not name the rule", s.Reason)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Select (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultRules(t *testing.T) {
	t.Parallel()
	rs := DefaultRules()
	if len(rs.List()) == 0 {
		t.Fatal("no built-in rules")
	}
	got := rs.Select(Facts{Category: "data-exfiltration", Severity: 1})
	teams := map[string]bool{}
	for _, s := range got {
		teams[s.Team] = true
	}
	for _, want := range []string{"legal", "threat-intelligence", "security-response"} {
		if !teams[want] {
			t.Errorf("default rules do not engage %s for a severe exfiltration: %v", want, got)
		}
	}
}

func TestParseRulesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "rules:\n  - name: a\n    teams: [x]\n    wen: {}\n",
			"r.yaml:4: rules[0].wen: unknown key"},
		{"bad severity", "rules:\n  - name: a\n    teams: [x]\n    when:\n      max_severity: 7\n",
			"r.yaml:5: rules[0].when.max_severity: want a level from 0 to 4"},
		{"no teams", "rules:\n  - name: a\n", "r.yaml:2: rules[0]: a rule needs a name and teams"},
		{"repeated", "rules:\n  - {name: a, teams: [x]}\n  - {name: a, teams: [y]}\n",
			"r.yaml:3: rules[1].name: rule \"a\" appears twice"},
		{"not yaml", "rules: [\n", "r.yaml:0: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRules([]byte(tt.yaml), "r.yaml")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("ParseRules: %v, want %q...", err, tt.want)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	rs, err := ParseRules([]byte(testRules), "rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	shift := func(u string) []Shift {
		return []Shift{{User: u, Start: now.Add(-time.Hour), End: now.Add(time.Hour)}}
	}
	teams := []Team{
		{ID: "sirt", Kind: KindSecurityResponse, EscalationContact: "lead", Roster: shift("sam")},
		{ID: "comms", Kind: KindCommunications, EscalationContact: "cora"},
		{ID: "pay", Kind: KindService, Services: []string{"payments"}, EscalationContact: "pat",
			Roster: shift("pia")},
		{ID: "legal", Kind: KindLegal, EscalationContact: "lena"},
		{ID: "intel", Kind: KindThreatIntel, EscalationContact: "ivo", Roster: shift("ida")},
	}
	esc := Escalation{IncidentID: 7, Teams: teams, Rules: rs, By: "ana", At: now,
		Facts: Facts{Category: "malware", Severity: -1, Services: []string{"payments"}}}
	first := Plan(esc)
	want := []string{"commander ana  escalated the incident", "scribe sam sirt on call for sirt",
		"communications cora comms communications join every escalation; no shift covers the" +
			" time, so the escalation contact",
		"service pia pay owns affected service payments"}
	if diff := cmp.Diff(want, summarize(first)); diff != "" {
		t.Errorf("first Plan (-want +got):\n%s", diff)
	}

	// The incident changes: exfiltration now; legal joins, nobody leaves or
	// joins twice.
	for i := range first {
		first[i].ID = int64(i + 1)
	}
	esc.Current = first
	esc.Facts.Category = "data-exfiltration"
	esc.Facts.Summary = "ransomware"
	second := Plan(esc)
	want = []string{"expert lena legal rule privacy: category data-exfiltration; no shift" +
		" covers the time, so the escalation contact",
		"expert ida intel rule actor: \"Ransomware\" in title or summary"}
	if diff := cmp.Diff(want, summarize(second)); diff != "" {
		t.Errorf("re-evaluation (-want +got):\n%s", diff)
	}

	// A disengaged team is not re-engaged by the same rule.
	esc.Current = append(esc.Current, second...)
	for i := range esc.Current {
		if esc.Current[i].Team == "legal" {
			if err := esc.Current[i].Disengage("ana", "not needed", now); err != nil {
				t.Fatal(err)
			}
		}
	}
	if third := Plan(esc); len(third) != 0 {
		t.Errorf("third Plan engaged %v, want nobody", summarize(third))
	}
}

func summarize(es []Engagement) []string {
	var out []string
	for _, e := range es {
		out = append(out, strings.Join([]string{string(e.Role), e.User, e.Team, e.Reason}, " "))
	}
	return out
}

func TestDisengage(t *testing.T) {
	t.Parallel()
	e := Engagement{User: "ana"}
	if err := e.Disengage("bo", " ", time.Now()); err == nil {
		t.Error("Disengage without a reason: no error")
	}
	if err := e.Disengage("bo", "done", time.Now()); err != nil || e.Active() {
		t.Fatalf("Disengage: %v, active %t", err, e.Active())
	}
	if err := e.Disengage("bo", "again", time.Now()); err == nil {
		t.Error("second Disengage: no error")
	}
}
