package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // phase changes name zones; CI images may lack a tz database

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// testRecords runs the tests of store.Records, each on its own database.
func testRecords(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"RoundTrip", testRecordRoundTrip},
		{"Versions", testRecordVersions},
		{"Concurrent", testRecordConcurrent},
		{"AppendOnly", testRecordAppendOnly},
		{"ListAndShare", testRecordListAndShare},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// getRecord reads an incident's record and fails the test on error.
func getRecord(t *testing.T, s store.Store, id int64) *store.IncidentRecord {
	t.Helper()
	rec, err := s.GetIncidentRecord(t.Context(), id)
	if err != nil {
		t.Fatalf("GetIncidentRecord(%d): %v", id, err)
	}
	return rec
}

// updateRecord saves rec and fails the test on error.
func updateRecord(t *testing.T, s store.Store, rec *store.IncidentRecord) {
	t.Helper()
	if err := s.UpdateIncidentRecord(t.Context(), rec); err != nil {
		t.Fatalf("UpdateIncidentRecord(%d, version %d): %v", rec.ID, rec.Version, err)
	}
}

// fillRecord sets every part of the record, as a responder would over time.
func fillRecord(t *testing.T, rec *store.IncidentRecord) {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := base.Truncate(time.Microsecond).Add(time.Hour)
	r := &rec.Record
	r.Title = "Credential theft on dc01"
	r.Summary = "LSASS memory read by an unsigned tool."
	r.PotentialImpact = "Domain admin credentials exposed."
	r.Category, r.AttackVector = incident.CategoryUnauthorizedAccess, incident.VectorEmail
	r.Classification = incident.Confirmed
	r.Factors = incident.Factors{Functional: "high", Information: "integrity",
		Recoverability: "supplemented"}
	r.Priority, r.PriorityExplanation = incident.DefaultPriorityPolicy().Derive(r.Factors)
	crit := incident.SeverityCriteria{Privacy: incident.PrivacyYes, Scope: incident.ScopeService,
		Tenants: 3}
	lvl, expl := incident.DefaultSeverityPolicy().Suggest(crit)
	r.Severity = []incident.SeverityDecision{{Criteria: crit, Suggested: lvl, Explanation: expl,
		Decided: lvl, By: "user:ana", At: at}}
	r.Indicators = []incident.Indicator{{Kind: incident.KindIP, Value: "203.0.113.9",
		FirstSeen: at, LastSeen: at, Source: "edr"}}
	r.Resources = incident.Resources{Hosts: []string{"dc01"}, Regions: []string{"eu-west"}}
	r.Contacts = []incident.Contact{{Name: "Ana", Role: "incident handler"}}
	r.NextSteps = []string{"rotate krbtgt"}
	r.Cause, r.BusinessImpact = "phishing", "none yet"
	r.Actions = append(r.Actions, incident.Action{By: "user:ana", At: at, What: "isolated dc01",
		Result: "done"})
	r.Comments = append(r.Comments, incident.Comment{By: "user:bo", At: at, Text: "seen before"})
	pc, err := incident.Change(r.Phase, incident.PhaseAnalysis, incident.GateFacts{}, "user:ana",
		at.In(paris))
	if err != nil {
		t.Fatal(err)
	}
	r.PhaseChanges = append(r.PhaseChanges, pc)
	r.Phase = incident.PhaseAnalysis
	rec.Gates = incident.Gates{
		EradicationSteps: []incident.EradicationStep{{ID: "reimage", Description: "reimage dc01",
			HighImpact: true}},
		Approvals: []incident.Approval{{By: "user:eve", Role: incident.RoleExecutive, At: at,
			Step: "reimage"}},
		RecoveryChecks: []incident.CheckItem{{Name: "logons normal"}},
	}
}

// testRecordRoundTrip creates an incident the foundation's way, reads its
// default record, fills every part and reads it back.
func testRecordRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := insertAlert(t, s, &detect.Alert{RuleID: "rule-1", Level: "high", Created: base})
	inc := createIncident(t, s, newIncident(base, a.ID))

	rec := getRecord(t, s, inc.ID)
	want := &store.IncidentRecord{ID: inc.ID, Version: 1, Severity: incident.SeverityHigh,
		AlertIDs: []int64{a.ID}, Opened: inc.Opened.Truncate(time.Microsecond).UTC(),
		Updated: inc.Updated.Truncate(time.Microsecond).UTC(),
		Record: incident.Record{Number: inc.Number, Title: inc.Title,
			Phase: incident.PhaseDetected, Status: incident.StatusOpen,
			Detected: inc.Opened.Truncate(time.Microsecond).UTC()}}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Fatalf("default record (-want +got):\n%s", diff)
	}

	fillRecord(t, rec)
	updateRecord(t, s, rec)
	if rec.Version != 2 {
		t.Errorf("version after update %d, want 2", rec.Version)
	}
	got := getRecord(t, s, inc.ID)
	if diff := cmp.Diff(rec, got); diff != "" {
		t.Errorf("record read back (-saved +got):\n%s", diff)
	}
	pc := got.Record.PhaseChanges[0]
	if pc.Location != "Europe/Paris" || pc.At.Location().String() != "Europe/Paris" {
		t.Errorf("phase change zone %q, time %v; want Europe/Paris", pc.Location, pc.At)
	}

	// The foundation's view follows the record's columns.
	old, err := s.GetIncident(t.Context(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.Title != rec.Record.Title || old.Phase != incident.PhaseAnalysis {
		t.Errorf("GetIncident title %q phase %q, want the record's", old.Title, old.Phase)
	}
}

// testRecordVersions checks optimistic concurrency: the right version wins
// and moves on by one, a stale one gets a ConflictError.
func testRecordVersions(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	inc := createIncident(t, s, newIncident(base))
	first := getRecord(t, s, inc.ID)
	second := getRecord(t, s, inc.ID)

	first.Record.Summary = "first"
	updateRecord(t, s, first)
	second.Record.Summary = "second"
	err := s.UpdateIncidentRecord(t.Context(), second)
	var ce *store.ConflictError
	if !errors.Is(err, store.ErrConflict) || !errors.As(err, &ce) || ce.Current != 2 ||
		ce.Version != 1 {
		t.Fatalf("stale update: %v, want ConflictError version 1, current 2", err)
	}
	if got := getRecord(t, s, inc.ID); got.Record.Summary != "first" || got.Version != 2 {
		t.Errorf("after stale update: summary %q version %d, want first, 2",
			got.Record.Summary, got.Version)
	}

	unknown := &store.IncidentRecord{ID: inc.ID + 1000, Version: 1}
	if err := s.UpdateIncidentRecord(t.Context(), unknown); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown: %v, want ErrNotFound", err)
	}
	if _, err := s.GetIncidentRecord(t.Context(), inc.ID+1000); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("get unknown: %v, want ErrNotFound", err)
	}
}

// testRecordConcurrent lets 8 goroutines update from the same version:
// exactly one wins.
func testRecordConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	inc := createIncident(t, s, newIncident(base))
	const workers = 8
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		wins, conflicts int
		start           = make(chan struct{})
	)
	for w := range workers {
		rec := getRecord(t, s, inc.ID)
		wg.Go(func() {
			<-start
			rec.Record.Summary = "worker"
			rec.Record.Comments = append(rec.Record.Comments, incident.Comment{By: "w",
				At: base, Text: "from a worker"})
			err := s.UpdateIncidentRecord(t.Context(), rec)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Errorf("worker %d: %v", w, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 || conflicts != workers-1 {
		t.Errorf("%d wins, %d conflicts; want 1 and %d", wins, conflicts, workers-1)
	}
	got := getRecord(t, s, inc.ID)
	if got.Version != 2 || len(got.Record.Comments) != 1 {
		t.Errorf("version %d with %d comments, want 2 and 1", got.Version,
			len(got.Record.Comments))
	}
}

// testRecordAppendOnly tries to rewrite each append-only part.
func testRecordAppendOnly(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	inc := createIncident(t, s, newIncident(base))
	rec := getRecord(t, s, inc.ID)
	fillRecord(t, rec)
	updateRecord(t, s, rec)

	tests := []struct {
		name string
		edit func(r *store.IncidentRecord)
	}{
		{"action changed", func(r *store.IncidentRecord) { r.Record.Actions[0].Result = "x" }},
		{"action dropped", func(r *store.IncidentRecord) { r.Record.Actions = nil }},
		{"comment changed", func(r *store.IncidentRecord) { r.Record.Comments[0].Text = "x" }},
		{"phase change dropped", func(r *store.IncidentRecord) { r.Record.PhaseChanges = nil }},
		{"phase change moved", func(r *store.IncidentRecord) {
			r.Record.PhaseChanges[0].At = r.Record.PhaseChanges[0].At.Add(time.Second)
		}},
		{"approval changed", func(r *store.IncidentRecord) { r.Gates.Approvals[0].By = "x" }},
	}
	for _, tt := range tests {
		r := getRecord(t, s, inc.ID)
		tt.edit(r)
		if err := s.UpdateIncidentRecord(t.Context(), r); !errors.Is(err, incident.ErrRewritten) {
			t.Errorf("%s: %v, want ErrRewritten", tt.name, err)
		}
	}
	if diff := cmp.Diff(rec, getRecord(t, s, inc.ID)); diff != "" {
		t.Errorf("record changed by refused updates (-want +got):\n%s", diff)
	}
}

// testRecordListAndShare checks that the listing filters follow updates of
// the record, and the lookups by indicator and by number.
func testRecordListAndShare(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := createIncident(t, s, newIncident(base))
	b := createIncident(t, s, newIncident(base.Add(time.Minute)))
	c := createIncident(t, s, newIncident(base.Add(2*time.Minute)))

	ip := incident.Indicator{Kind: "ip", Value: "198.51.100.7"}
	for _, inc := range []*incident.Incident{a, b} {
		rec := getRecord(t, s, inc.ID)
		rec.Record.Indicators = []incident.Indicator{ip}
		updateRecord(t, s, rec)
	}
	rec := getRecord(t, s, c.ID)
	rec.Record.Phase, rec.Record.Status = incident.PhaseClosed, incident.StatusClosed
	updateRecord(t, s, rec)

	page, err := s.ListIncidents(t.Context(), store.IncidentFilter{Status: incident.StatusClosed})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != c.ID || page.Total != 1 {
		t.Errorf("closed incidents %+v, want only %s", page.Items, c.Number)
	}

	// A differently written value of the same ip is the same indicator.
	others, err := s.IncidentRecordsSharing(t.Context(), a.ID,
		[]incident.Indicator{{Kind: "ip", Value: " 198.51.100.7 "}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(others) != 1 || others[0].ID != b.ID || others[0].Record.Number != b.Number {
		t.Errorf("sharing with %s: %d records, want only %s", a.Number, len(others), b.Number)
	}
	id, err := s.IncidentIDByNumber(t.Context(), b.Number)
	if err != nil || id != b.ID {
		t.Errorf("IncidentIDByNumber(%s) = %d, %v; want %d", b.Number, id, err, b.ID)
	}
	if _, err := s.IncidentIDByNumber(t.Context(), "INC-1999-0001"); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("IncidentIDByNumber(unknown): %v, want ErrNotFound", err)
	}
}
