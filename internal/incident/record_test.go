package incident

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func validRecord() Record {
	return Record{
		Number: "INC-2026-0042", Title: "Credential stuffing on the login service",
		Phase: PhaseContainment, Status: StatusOpen, Classification: Confirmed,
		Category: CategoryUnauthorizedAccess, AttackVector: VectorAttrition,
		Factors:  Factors{FunctionalLow, InformationPrivacy, RecoverySupplemented},
		Priority: P2,
		Severity: []SeverityDecision{{Suggested: Level1, Decided: Level1, By: "sam", At: t0}},
		Indicators: []Indicator{{Kind: KindIP, Value: "198.51.100.7", Source: "rule-7",
			FirstSeen: t0, LastSeen: t0.Add(time.Hour)}},
		Resources: Resources{Hosts: []string{"web-01"}, Services: []string{"login"},
			Regions: []string{"eu-west"}},
		Actions:  []Action{{By: "ana", At: t0, What: "blocked 198.51.100.7", Result: "done"}},
		Evidence: []EvidenceRef{{SHA256: strings.Repeat("0a", 32), Name: "access.log"}},
		PhaseChanges: []PhaseChange{{From: PhaseDetected, To: PhaseAnalysis, At: t0,
			Location: "UTC", By: "ana"}},
	}
}

func TestRecordValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Record)
		want []string // substrings of the joined error; nil for valid
	}{
		{"valid", func(*Record) {}, nil},
		{"empty optional fields", func(r *Record) {
			r.Category, r.AttackVector, r.Priority, r.Classification = "", "", 0, ""
		}, nil},
		{"no title", func(r *Record) { r.Title = " " }, []string{"title: missing field"}},
		{"bad phase and status", func(r *Record) { r.Phase, r.Status = "triage", "paused" },
			[]string{`phase: "triage"`, `status: "paused"`}},
		{"bad category and vector", func(r *Record) { r.Category, r.AttackVector = "spam", "usb" },
			[]string{`category: "spam"`, `attack_vector: "usb"`}},
		{"bad priority", func(r *Record) { r.Priority = 9 }, []string{"priority: 9"}},
		{"severity without reason", func(r *Record) { r.Severity[0].Decided = Level3 },
			[]string{"severity[0]", "reason required"}},
		{"indicator not normalized", func(r *Record) {
			r.Indicators = append(r.Indicators, Indicator{Kind: KindDomain, Value: "EVIL.com"})
		}, []string{"indicators[1]", `want "evil.com"`}},
		{"bad indicator", func(r *Record) { r.Indicators[0].Value = "999.1.1.1" },
			[]string{"indicators[0]", "invalid indicator"}},
		{"action without what", func(r *Record) { r.Actions[0].What = "" },
			[]string{"actions[0]: what: missing field"}},
		{"bad evidence hash", func(r *Record) { r.Evidence[0].SHA256 = strings.Repeat("A", 64) },
			[]string{"evidence[0]: sha256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRecord()
			tt.edit(&r)
			err := r.Validate()
			if tt.want == nil {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestAppendActionAndCheckAppendOnly(t *testing.T) {
	t.Parallel()
	before := validRecord()
	after := validRecord()
	err := after.AppendAction(Action{By: "bo", At: t0.Add(time.Minute), What: "reset"})
	if err != nil {
		t.Fatal(err)
	}
	if err := after.AppendAction(Action{By: "bo", What: "no time"}); !errors.Is(err,
		ErrMissingField) {
		t.Errorf("AppendAction without At = %v, want ErrMissingField", err)
	}
	if err := CheckAppendOnly(&before, &after); err != nil {
		t.Errorf("CheckAppendOnly after an append = %v", err)
	}

	edited := validRecord()
	edited.Actions[0].Result = "failed"
	dropped := validRecord()
	dropped.PhaseChanges = nil
	sameInstant := validRecord()
	sameInstant.Actions[0].At = t0.In(time.FixedZone("X", 3600))
	for _, tt := range []struct {
		name  string
		after Record
		want  error
	}{
		{"edited action", edited, ErrRewritten},
		{"dropped phase change", dropped, ErrRewritten},
		{"same instant elsewhere", sameInstant, nil},
	} {
		if err := CheckAppendOnly(&before, &tt.after); !errors.Is(err, tt.want) ||
			(err == nil) != (tt.want == nil) {
			t.Errorf("%s: CheckAppendOnly = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := validRecord()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, key := range []string{`"attack_vector":"attrition"`, `"potential_impact"`,
		`"functional_impact":"low"`, `"phase_changes"`, `"priority":"P2"`} {
		if key == `"potential_impact"` {
			if strings.Contains(string(data), key) {
				t.Errorf("empty potential_impact not omitted: %s", data)
			}
			continue
		}
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
}
