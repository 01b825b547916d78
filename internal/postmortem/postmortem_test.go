package postmortem

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/readiness"
)

// t0 is when the fixture's first event happened.
var t0 = time.Date(2026, 3, 29, 0, 40, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// sources returns an incident that went from detection to post-incident
// with one of each source of the timeline.
func sources() Sources {
	paris, _ := time.LoadLocation("Europe/Paris")
	r := incident.Record{Number: "INC-2026-0007", Title: "LSASS dump on WKS-0142",
		Summary: "comsvcs.dll MiniDump of lsass.exe.", Cause: "A phishing HTA.",
		Phase: incident.PhasePostIncident, Status: incident.StatusOpen,
		Classification: incident.Confirmed, Detected: at(2 * time.Minute),
		Confirmed:  at(20 * time.Minute),
		Indicators: []incident.Indicator{{Kind: incident.KindHost, Value: "wks-0142"}},
		Actions: []incident.Action{{By: "user:rita", At: at(30 * time.Minute),
			What: "isolated WKS-0142", Result: "done"}},
		Comments: []incident.Comment{{By: "user:sam", At: at(40 * time.Minute),
			Text: "credentials must be rotated"}}}
	for i, pc := range []struct {
		from, to incident.Phase
		d        time.Duration
	}{{incident.PhaseDetected, incident.PhaseAnalysis, 10 * time.Minute},
		{incident.PhaseAnalysis, incident.PhaseContainment, 25 * time.Minute},
		{incident.PhaseContainment, incident.PhaseEradication, 2 * time.Hour},
		{incident.PhaseEradication, incident.PhaseRecovery, 5 * time.Hour},
		{incident.PhaseRecovery, incident.PhasePostIncident, 26 * time.Hour}} {
		r.PhaseChanges = append(r.PhaseChanges, incident.PhaseChange{From: pc.from, To: pc.to,
			At: at(pc.d).In(paris), Location: "Europe/Paris", By: "user:rita",
			Reason: map[bool]string{true: "confirmed", false: ""}[i == 1]})
	}
	return Sources{IncidentID: 7, Record: r,
		Gates: incident.Gates{Approvals: []incident.Approval{{By: "user:eve",
			Role: incident.RoleExecutive, At: at(90 * time.Minute), Step: "task-3",
			Note: "tonight"}}},
		Alerts: []Alert{{ID: 4, RuleID: "r-lsass", RuleTitle: "LSASS Memory Dump",
			Level: "critical", EventTime: at(0), Created: at(2 * time.Minute)}},
		Audit: []audit.Entry{
			{Seq: 11, Time: at(2 * time.Minute), Actor: "system", Action: audit.IncidentOpened,
				ObjectType: "incident", ObjectID: "7",
				Details: json.RawMessage(`{"alert_ids":[4],"number":"INC-2026-0007"}`)},
			{Seq: 12, Time: at(10 * time.Minute), Actor: "user:rita",
				Action: audit.IncidentPhaseChanged, ObjectType: "incident", ObjectID: "7",
				Details: json.RawMessage(`{"from":"detected","to":"analysis"}`)},
			{Seq: 13, Time: at(15 * time.Minute), Actor: "user:rita",
				Action: audit.IncidentEscalated, ObjectType: "incident", ObjectID: "7",
				Details: json.RawMessage(`{"reason":"credential theft","version":3}`)},
		},
		Evidence: []evidence.Evidence{{ID: 2, IncidentID: 7, FileName: "lsass.dmp.sha",
			SHA256: strings.Repeat("ab", 32), AcquiredBy: "user:sam",
			AcquiredAt: at(50 * time.Minute)}},
		Notifications: []notify.Notification{{ID: 9, Channel: notify.ChannelEmail,
			Recipient: "eve@example.com", Subject: "Approval needed", IncidentID: 7,
			Trigger: notify.TriggerApproval, Created: at(80 * time.Minute),
			State: notify.StateSent}},
	}
}

// TestAssemble checks that each source becomes entries linked to it, in
// time order, phase changes in the mover's zone, and that audit entries
// whose change has its own source are left out.
func TestAssemble(t *testing.T) {
	pm := New(sources(), "user:rita", at(27*time.Hour))
	var got []string
	for _, e := range pm.Ordered() {
		got = append(got, e.At.Sub(t0).String()+" "+string(e.Kind)+" "+e.Source.String()+
			" "+e.Zone)
	}
	want := []string{
		"0s alert alert/4#event_time UTC",
		"2m0s alert alert/4 UTC",
		"2m0s audit audit#11 UTC",
		"10m0s phase incident/7#phase_changes[0] Europe/Paris",
		"15m0s audit audit#13 UTC",
		"25m0s phase incident/7#phase_changes[1] Europe/Paris",
		"30m0s action incident/7#actions[0] UTC",
		"40m0s comment incident/7#comments[0] UTC",
		"50m0s evidence evidence/2 UTC",
		"1h20m0s notification notification/9 UTC",
		"1h30m0s approval incident/7#approvals[0] UTC",
		"2h0m0s phase incident/7#phase_changes[2] Europe/Paris",
		"5h0m0s phase incident/7#phase_changes[3] Europe/Paris",
		"26h0m0s phase incident/7#phase_changes[4] Europe/Paris",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if pm.Revision != 1 || pm.Summary != "comsvcs.dll MiniDump of lsass.exe.\n\nCause: A "+
		"phishing HTA." || len(pm.Indicators) != 1 {
		t.Errorf("pre-filled: revision %d, summary %q, %d indicators", pm.Revision, pm.Summary,
			len(pm.Indicators))
	}
	if diff := cmp.Diff([]string{"user:eve", "user:rita", "user:sam"}, pm.Responders); diff != "" {
		t.Errorf("responders (-want +got):\n%s", diff)
	}
	for _, e := range pm.Timeline {
		if e.Source.Type == "audit" && e.Source.AuditSeq == 13 &&
			(e.Text != "incident.escalated (R004) on incident/7: reason=credential theft" ||
				e.Actor != "user:rita") {
			t.Errorf("audit entry: %q by %s", e.Text, e.Actor)
		}
		if e.Kind == KindPhase && e.Local().Format("15:04 MST") == "" {
			t.Errorf("phase entry without a zone")
		}
	}

	// Refreshing adds only what is new, after the existing entries.
	src := sources()
	src.Record.Actions = append(src.Record.Actions, incident.Action{By: "user:sam",
		At: at(27 * time.Hour), What: "rotated the credentials"})
	n := len(pm.Timeline)
	if added := pm.Refresh(src); added != 1 || len(pm.Timeline) != n+1 ||
		pm.Timeline[n].ID != n+1 || pm.Timeline[n].Source.Part != "actions[1]" ||
		pm.Revision != 2 {
		t.Errorf("refresh added %d, timeline %d entries, revision %d", added, len(pm.Timeline),
			pm.Revision)
	}
	if added := pm.Refresh(src); added != 0 || pm.Revision != 2 {
		t.Errorf("second refresh added %d, revision %d", added, pm.Revision)
	}
}

// TestEditsAppendOnly adds, annotates, hides and shows entries, checks
// that each change is a new revision, and that CheckUpdate refuses an
// update that drops or rewrites what is append-only.
func TestEditsAppendOnly(t *testing.T) {
	pm := New(sources(), "user:rita", at(27*time.Hour))
	before := clonePM(t, pm)
	now := at(28 * time.Hour)
	e, err := pm.AddEntry(at(5*time.Minute), "Europe/Berlin", "SOC phoned the on-call",
		"user:sam", now)
	if err != nil || e.Kind != KindManual || e.Zone != "Europe/Berlin" || pm.Revision != 2 {
		t.Fatalf("AddEntry: %+v, %v, revision %d", e, err, pm.Revision)
	}
	if _, err := pm.Annotate(e.ID, "time from the phone log", "user:rita", now); err != nil {
		t.Fatal(err)
	}
	if _, err := pm.SetHidden(3, true, "duplicate of the alert", "user:rita", now); err != nil {
		t.Fatal(err)
	}
	if _, err := pm.SetHidden(3, true, "again", "user:rita", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("hiding a hidden entry: %v, want ErrInvalid", err)
	}
	if pm.Revision != 4 {
		t.Errorf("revision %d after three changes, want 4", pm.Revision)
	}
	if err := CheckUpdate(before, pm); err != nil {
		t.Errorf("legal update refused: %v", err)
	}
	for _, tt := range []struct {
		name string
		bad  func(p *PostMortem)
	}{
		{"entry dropped", func(p *PostMortem) { p.Timeline = p.Timeline[:len(p.Timeline)-1] }},
		{"text changed", func(p *PostMortem) { p.Timeline[0].Text = "nothing happened" }},
		{"time changed", func(p *PostMortem) { p.Timeline[1].At = p.Timeline[1].At.Add(1) }},
		{"note dropped", func(p *PostMortem) { p.Timeline[len(p.Timeline)-1].Notes = nil }},
		{"unhidden silently", func(p *PostMortem) { p.Timeline[2].Hidden = false }},
		{"visibility dropped", func(p *PostMortem) {
			p.Timeline[2].Visibility, p.Timeline[2].Hidden = nil, false
		}},
		{"sign-off dropped", func(p *PostMortem) { p.SignOffs = nil }},
	} {
		after := clonePM(t, pm)
		if tt.name == "sign-off dropped" {
			_ = pm.SignOff(RoleCommander, "user:rita", "", now)
			before2 := clonePM(t, pm)
			after = clonePM(t, pm)
			tt.bad(after)
			if err := CheckUpdate(before2, after); !errors.Is(err, ErrRewritten) {
				t.Errorf("%s: %v, want ErrRewritten", tt.name, err)
			}
			continue
		}
		tt.bad(after)
		if err := CheckUpdate(pm, after); !errors.Is(err, ErrRewritten) {
			t.Errorf("%s: %v, want ErrRewritten", tt.name, err)
		}
	}
	if _, err := pm.AddEntry(time.Time{}, "", "x", "u", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("entry without a time: %v", err)
	}
	if _, err := pm.AddEntry(now, "Mars/Olympus", "x", "u", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown zone: %v", err)
	}
	if _, err := pm.Annotate(99, "x", "u", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("note on a missing entry: %v", err)
	}
}

// clonePM deep-copies a post-mortem through JSON, as a store would.
func clonePM(t *testing.T, pm *PostMortem) *PostMortem {
	t.Helper()
	b, err := json.Marshal(pm)
	if err != nil {
		t.Fatal(err)
	}
	var c PostMortem
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// TestSignOff checks that both roles must sign the same revision, that a
// change voids the sign-offs, and that a role signs a revision once.
func TestSignOff(t *testing.T) {
	pm := New(sources(), "user:rita", at(27*time.Hour))
	now := at(30 * time.Hour)
	if pm.SignedOff() || len(pm.Pending()) != 2 {
		t.Fatalf("new post-mortem signed off: %v, pending %v", pm.SignedOff(), pm.Pending())
	}
	if err := pm.SignOff(RoleCommander, "user:rita", "reviewed", now); err != nil {
		t.Fatal(err)
	}
	if err := pm.SignOff(RoleCommander, "user:sam", "", now); !errors.Is(err, ErrSignOff) {
		t.Errorf("second commander sign-off: %v, want ErrSignOff", err)
	}
	if err := pm.SignOff("auditor", "user:aldo", "", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown role: %v, want ErrInvalid", err)
	}
	err := pm.SetSummary("A phishing HTA dumped LSASS.", []string{" FIN7 ", "FIN7", ""})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"FIN7"}, pm.Actors); diff != "" {
		t.Errorf("actors (-want +got):\n%s", diff)
	}
	if err := pm.SignOff(RoleExecutive, "user:eve", "", now); err != nil {
		t.Fatal(err)
	}
	if pm.SignedOff() || !cmp.Equal(pm.Pending(), []string{RoleCommander}) {
		t.Errorf("the commander signed an older revision: signed %v, pending %v",
			pm.SignedOff(), pm.Pending())
	}
	if err := pm.SignOff(RoleCommander, "user:rita", "", now); err != nil || !pm.SignedOff() {
		t.Errorf("both signed revision %d: %v, signed %v", pm.Revision, err, pm.SignedOff())
	}
}

// TestFindingsAndFollowUps checks the checks of findings and follow-ups and
// the link of a detection-rule follow-up to a rule version.
func TestFindingsAndFollowUps(t *testing.T) {
	pm := New(sources(), "user:rita", at(27*time.Hour))
	ok := Finding{Category: UnknownAttackVector, Title: "HTA from a mail link",
		Evidence: []Ref{{Type: "timeline", ID: "1"}, {Type: "alert", ID: "4"}}}
	if f, err := pm.AddFinding(ok); err != nil || f.ID != 1 {
		t.Fatalf("AddFinding: %+v, %v", f, err)
	}
	for _, bad := range []Finding{
		{Category: "bad-luck", Title: "x", Evidence: ok.Evidence},
		{Category: ManualError, Title: " ", Evidence: ok.Evidence},
		{Category: ManualError, Title: "no evidence"},
		{Category: ManualError, Title: "x", Evidence: []Ref{{Type: "timeline", ID: "99"}}},
		{Category: ManualError, Title: "x", Evidence: []Ref{{Type: "rumour", ID: "1"}}},
		{Category: ManualError, Title: "x", Evidence: []Ref{{Type: "alert", ID: "x"}}},
	} {
		if _, err := pm.AddFinding(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddFinding(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	now := at(30 * time.Hour)
	f, err := NewFollowUp(7, KindDetectionRule, "Alert on HTA spawning PowerShell", "",
		"dana", now.AddDate(0, 0, 14), 1, "user:rita", now)
	if err != nil {
		t.Fatal(err)
	}
	if f.State != readiness.StateOpen || !f.Due.Equal(readiness.Day(now.AddDate(0, 0, 14))) {
		t.Errorf("new follow-up: state %s, due %v", f.State, f.Due)
	}
	rule := RuleVersion{ID: "r-hta", Title: "HTA spawns PowerShell", File: "rules/hta.yml",
		SHA256: strings.Repeat("c", 64)}
	if err := f.LinkRule(rule, "user:dana", now); err != nil || f.Rule.SHA256 != rule.SHA256 {
		t.Errorf("LinkRule: %v, %+v", err, f.Rule)
	}
	bug, _ := NewFollowUp(7, KindBug, "Fix the mail filter", "", "dana", now, 0, "u", now)
	if err := bug.LinkRule(rule, "u", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a bug linked to a rule: %v, want ErrInvalid", err)
	}
	if _, err := NewFollowUp(7, KindBug, "x", "", "", now, 0, "u", now); !errors.Is(err,
		ErrInvalid) {
		t.Errorf("no owner: %v, want ErrInvalid", err)
	}
	after := *f
	after.History = nil
	f.History = []readiness.StateChange{{From: "open", To: "in_progress", At: now, By: "dana"}}
	if err := CheckFollowUpUpdate(f, &after); !errors.Is(err, ErrRewritten) {
		t.Errorf("history dropped: %v, want ErrRewritten", err)
	}
	if c, ok := NewCatalog([]RuleVersion{rule, {ID: "r-hta", Title: "dup"}}).Rule("r-hta"); !ok ||
		c.Title != rule.Title {
		t.Errorf("catalog: %+v %v, want the first rule", c, ok)
	}
}

// TestRespondersLeaveOutTheIngestToken checks that the token whose events
// made detection open the incident is no responder, while a person who
// opened one from alerts, and a token that acted otherwise, are.
func TestRespondersLeaveOutTheIngestToken(t *testing.T) {
	opened := func(actor, details string) audit.Entry {
		return audit.Entry{Actor: actor, Action: audit.IncidentOpened,
			Details: json.RawMessage(details)}
	}
	for _, tt := range []struct {
		name  string
		audit []audit.Entry
		want  []string
	}{
		{"ingest token", []audit.Entry{opened("token:ingest", `{"alert_ids":[3]}`),
			{Actor: "token:ingest", Action: audit.AlertRaised}}, []string{}},
		{"person confirming alerts", []audit.Entry{opened("user:rita", `{"alert_ids":[3]}`)},
			[]string{"user:rita"}},
		{"token opening without alerts", []audit.Entry{opened("token:ops", `{"case":4}`)},
			[]string{"token:ops"}},
		{"ingest token acting later", []audit.Entry{opened("token:ingest", `{"alert_ids":[3]}`),
			{Actor: "token:ingest", Action: audit.IncidentClassified}},
			[]string{"token:ingest"}},
	} {
		got := Responders(Sources{Audit: tt.audit})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
