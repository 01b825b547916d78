package team

import (
	"strings"
	"testing"
	"time"
)

const teamsYAML = `teams:
  - id: legal
    name: Legal
    kind: legal
    members: [lena, luis]
    escalation_contact: lena
    time_zone: Europe/Paris
    roster:
      - user: luis
        start: 2026-03-29 00:00
        end: 2026-03-29 08:00
  - id: payments
    name: Payments service team
    kind: service
    members: [pia]
    escalation_contact: pia
    services: [payments]
`

func TestParseTeams(t *testing.T) {
	t.Parallel()
	mustZone(t, "Europe/Paris")
	ts, err := ParseTeams([]byte(teamsYAML), "teams.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].ID != "legal" || ts[1].Services[0] != "payments" {
		t.Fatalf("ParseTeams = %+v", ts)
	}
	s := ts[0].Roster[0]
	if s.TimeZone != "Europe/Paris" || s.End.Sub(s.Start) != 7*time.Hour {
		t.Errorf("shift %+v: want Europe/Paris, 7h long across the DST change", s)
	}
}

func TestParseTeamsErrors(t *testing.T) {
	t.Parallel()
	base := "teams:\n  - id: legal\n    name: Legal\n    kind: legal\n    members: [lena]\n" +
		"    escalation_contact: lena\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", base + "    colour: red\n", "t.yaml:7: teams[0].colour: unknown key"},
		{"bad time", base + "    roster:\n" +
			"      - {user: lena, start: soon, end: 2026-01-01 08:00}\n",
			"t.yaml:8: teams[0].roster[0].start:"},
		{"bad zone", base + "    roster:\n      - {user: lena, start: 2026-01-01 00:00," +
			" end: 2026-01-01 08:00, time_zone: Mars/Olympus}\n",
			"t.yaml:8: teams[0].roster[0].time_zone:"},
		{"not a member", base + "    roster:\n      - {user: zed, start: 2026-01-01 00:00," +
			" end: 2026-01-01 08:00}\n", "t.yaml:2: teams[0]: team legal: roster[0]"},
		{"bad kind", strings.Replace(base, "kind: legal", "kind: lawyers", 1),
			"t.yaml:2: teams[0]: team legal: kind"},
		{"twice", base + strings.TrimPrefix(base, "teams:\n"),
			"t.yaml:7: teams[1].id: team \"legal\" appears twice"},
		{"no list", "teams: 3\n", "t.yaml:1: teams: want a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseTeams([]byte(tt.yaml), "t.yaml")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("ParseTeams: %v\nwant prefix %q", err, tt.want)
			}
		})
	}
}

func FuzzParseTeams(f *testing.F) {
	f.Add([]byte(teamsYAML))
	f.Add([]byte(testRules))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := ParseTeams(data, "f.yaml")
		if err != nil {
			return
		}
		for _, tm := range ts {
			if err := tm.Validate(); err != nil {
				t.Fatalf("ParseTeams returned an invalid team: %v", err)
			}
			tm.OnCall(time.Now())
		}
		_, _ = ParseRules(data, "f.yaml")
	})
}
