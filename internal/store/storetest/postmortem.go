package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
)

// testPostMortems runs the post-mortem and metrics tests.
func testPostMortems(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"PostMortem", testPostMortem},
		{"FollowUps", testFollowUps},
		{"Facts", testFacts},
		{"NotificationTimes", testNotificationTimes},
		{"RuleCounts", testRuleCounts},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// newPostMortem returns a post-mortem of incidentID with two entries.
func newPostMortem(incidentID int64) *postmortem.PostMortem {
	src := postmortem.Sources{IncidentID: incidentID, Record: incident.Record{
		Number: "INC-2026-0001", Title: "t", Summary: "s",
		PhaseChanges: []incident.PhaseChange{{From: incident.PhaseDetected,
			To: incident.PhaseAnalysis, At: base, Location: "Europe/Paris", By: "user:ana"}},
		Actions: []incident.Action{{By: "user:ana", At: base.Add(time.Minute), What: "look"}}}}
	return postmortem.New(src, "user:ana", base.Truncate(time.Microsecond))
}

// inTx runs fn in a transaction and fails the test on error.
func inTx(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return s.Atomically(t.Context(), func(tx store.Tx) error { return fn(t.Context(), tx) })
}

// testPostMortem creates a post-mortem, refuses a second one and one for a
// missing incident, updates it at its version, and refuses a stale version
// and an update that drops a timeline entry, keeping nothing of either.
func testPostMortem(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	pm := newPostMortem(inc.ID)
	err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreatePostMortem(ctx, pm)
	})
	if err != nil || pm.ID == 0 || pm.Version != 1 {
		t.Fatalf("CreatePostMortem: %v (ID %d, version %d)", err, pm.ID, pm.Version)
	}
	got, err := s.GetPostMortem(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pm, got); diff != "" {
		t.Errorf("read back (-stored +read):\n%s", diff)
	}
	for _, tt := range []struct {
		incident int64
		want     error
	}{{inc.ID, store.ErrDuplicate}, {1 << 40, store.ErrNotFound}} {
		err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.CreatePostMortem(ctx, newPostMortem(tt.incident))
		})
		if !errors.Is(err, tt.want) {
			t.Errorf("CreatePostMortem(incident %d) = %v, want %v", tt.incident, err, tt.want)
		}
	}
	if _, err := s.GetPostMortem(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPostMortem(missing) = %v, want ErrNotFound", err)
	}

	if _, err := got.AddEntry(base, "UTC", "phoned the SOC", "user:bo", base); err != nil {
		t.Fatal(err)
	}
	stale := *got
	err = inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdatePostMortem(ctx, got)
	})
	if err != nil || got.Version != 2 || len(got.Timeline) != 3 {
		t.Fatalf("UpdatePostMortem: %v (version %d, %d entries)", err, got.Version,
			len(got.Timeline))
	}
	err = inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdatePostMortem(ctx, &stale)
	})
	wantConflict(t, "stale post-mortem", err, 2)
	dropped := *got
	dropped.Timeline = dropped.Timeline[:1]
	err = inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdatePostMortem(ctx, &dropped)
	})
	if !errors.Is(err, postmortem.ErrRewritten) {
		t.Errorf("UpdatePostMortem dropping entries = %v, want ErrRewritten", err)
	}
	again, err := s.GetPostMortem(ctx, inc.ID)
	if err != nil || again.Version != 2 || len(again.Timeline) != 3 {
		t.Errorf("after refused updates: %v, version %d, %d entries; want version 2 with 3",
			err, again.Version, len(again.Timeline))
	}
}

// testFollowUps creates follow-ups, lists them by incident, owner and
// openness, moves one along with its history, and refuses a stale version
// and a history rewritten.
func testFollowUps(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	other := createIncident(t, s, newIncident(base))
	var fs []*postmortem.FollowUp
	for i, spec := range []struct {
		incident int64
		kind     postmortem.FollowUpKind
		owner    string
	}{{inc.ID, postmortem.KindDetectionRule, "dana"}, {inc.ID, postmortem.KindBug, "bo"},
		{other.ID, postmortem.KindTraining, "dana"}} {
		f, err := postmortem.NewFollowUp(spec.incident, spec.kind, "item", "", spec.owner,
			base.AddDate(0, 0, 7+i), 0, "user:ana", base)
		if err != nil {
			t.Fatal(err)
		}
		if err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateFollowUp(ctx, f)
		}); err != nil || f.ID == 0 || f.Version != 1 {
			t.Fatalf("CreateFollowUp: %v (ID %d)", err, f.ID)
		}
		fs = append(fs, f)
	}
	f := fs[0]
	if err := f.Move(readiness.StateFixed, "dana", "rule added", time.Time{},
		base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_ = f.LinkRule(postmortem.RuleVersion{ID: "r1", Title: "R", File: "r.yml",
		SHA256: sha("e")}, "user:dana", base)
	stale := *f
	if err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateFollowUp(ctx, f)
	}); err != nil || f.Version != 2 {
		t.Fatalf("UpdateFollowUp: %v (version %d)", err, f.Version)
	}
	err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateFollowUp(ctx, &stale)
	})
	wantConflict(t, "stale follow-up", err, 2)
	rewritten := *f
	rewritten.History = nil
	if err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateFollowUp(ctx, &rewritten)
	}); !errors.Is(err, postmortem.ErrRewritten) {
		t.Errorf("history dropped: %v, want ErrRewritten", err)
	}
	got, err := s.GetFollowUp(ctx, f.ID)
	if err != nil || got.State != readiness.StateFixed || got.Rule == nil ||
		got.Rule.SHA256 != sha("e") || got.Version != 2 {
		t.Errorf("GetFollowUp = %+v, %v", got, err)
	}
	if err := f.Move(readiness.StateVerified, "ana", "", time.Time{},
		base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateFollowUp(ctx, f)
	}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		f    store.FollowUpFilter
		want []int64
	}{
		{"incident", store.FollowUpFilter{IncidentID: inc.ID}, []int64{fs[0].ID, fs[1].ID}},
		{"owner", store.FollowUpFilter{Owner: "dana"}, []int64{fs[0].ID, fs[2].ID}},
		{"open", store.FollowUpFilter{Open: true}, []int64{fs[1].ID, fs[2].ID}},
		{"state", store.FollowUpFilter{State: readiness.StateVerified}, []int64{fs[0].ID}},
	} {
		list, err := s.ListFollowUps(ctx, tt.f)
		var ids []int64
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		if err != nil || !cmp.Equal(ids, tt.want) {
			t.Errorf("ListFollowUps(%s) = %v, %v; want %v", tt.name, ids, err, tt.want)
		}
	}
	if _, err := s.GetFollowUp(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetFollowUp(missing) = %v", err)
	}
}

// testFacts checks the metrics' row of incidents through their life: made
// when the incident is created (detected when opened, the first event of
// its alerts), changed with the record, with links and unlinks of alerts,
// filtered by detection time and exercise.
func testFacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	ev := insertEvents(t, s, simpleEvent(1))[0]
	a1 := insertAlert(t, s, &detect.Alert{RuleID: "r1", Level: "high", EventIDs: []int64{ev},
		EventTime: base.Add(-10 * time.Minute), Created: base})
	a2 := insertAlert(t, s, &detect.Alert{RuleID: "r1", Level: "high", EventIDs: []int64{ev},
		EventTime: base.Add(-time.Hour), Created: base})
	inc := createIncident(t, s, newIncident(base.Add(time.Minute), a1.ID))
	late := createIncident(t, s, newIncident(base.AddDate(0, 1, 0)))
	want := metrics.Fact{IncidentID: inc.ID, Dims: metrics.Dims{Severity: "high",
		Services: []string{}}, FirstEvent: base.Add(-10 * time.Minute).Truncate(time.Microsecond),
		Milestones: incident.Milestones{Detected: base.Add(time.Minute).Truncate(
			time.Microsecond)}}
	checkFact(t, s, inc.ID, want, "created")

	rec := getRecord(t, s, inc.ID)
	rec.Record.Category = incident.CategoryMalware
	rec.Record.Resources.Services = []string{"payments", "web"}
	rec.Record.Confirmed = base.Add(20 * time.Minute)
	rec.Record.Phase = incident.PhaseEradication
	for i, to := range []incident.Phase{incident.PhaseAnalysis, incident.PhaseContainment,
		incident.PhaseEradication} {
		rec.Record.PhaseChanges = append(rec.Record.PhaseChanges, incident.PhaseChange{
			From: incident.Phases()[i], To: to, At: base.Add(time.Duration(i+1) * time.Hour),
			Location: "UTC", By: "user:ana"})
	}
	updateRecord(t, s, rec)
	want.Category, want.Services = "malware", []string{"payments", "web"}
	want.Confirmed = rec.Record.Confirmed.Truncate(time.Microsecond)
	want.Acknowledged, want.Contained = base.Add(time.Hour).Truncate(time.Microsecond),
		base.Add(3*time.Hour).Truncate(time.Microsecond)
	checkFact(t, s, inc.ID, want, "updated")

	if err := s.LinkAlerts(ctx, inc.ID, []int64{a2.ID}); err != nil {
		t.Fatal(err)
	}
	want.FirstEvent = base.Add(-time.Hour).Truncate(time.Microsecond)
	checkFact(t, s, inc.ID, want, "earlier alert linked")
	if err := s.UnlinkAlert(ctx, inc.ID, a2.ID); err != nil {
		t.Fatal(err)
	}
	want.FirstEvent = base.Add(-10 * time.Minute).Truncate(time.Microsecond)
	checkFact(t, s, inc.ID, want, "earlier alert unlinked")

	window := store.FactFilter{From: base, To: base.AddDate(0, 0, 7)}
	if ids := factIDs(t, s, window); !cmp.Equal(ids, []int64{inc.ID}) {
		t.Errorf("facts of the first week: %v, want [%d]", ids, inc.ID)
	}
	e := &readiness.Exercise{Name: "drill", Kind: readiness.ExerciseSimulation,
		Status: readiness.ExerciseRunning}
	if err := s.CreateExercise(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkExercise(ctx, store.MarkIncident, late.ID, e.ID); err != nil {
		t.Fatal(err)
	}
	if ids := factIDs(t, s, store.FactFilter{}); !cmp.Equal(ids, []int64{inc.ID}) {
		t.Errorf("facts without exercises: %v, want [%d]", ids, inc.ID)
	}
	all, err := s.IncidentFacts(ctx, store.FactFilter{Exercises: true})
	if err != nil || len(all) != 2 || all[1].Exercise != e.ID {
		t.Errorf("facts with exercises: %+v, %v; want both, the second marked", all, err)
	}
	if got, err := s.FactsOf(ctx, []int64{late.ID, 1 << 40}); err != nil || len(got) != 1 ||
		got[0].IncidentID != late.ID {
		t.Errorf("FactsOf = %+v, %v", got, err)
	}
	checkEachFact(t, s, []store.FactFilter{{}, {Exercises: true}, window,
		{From: base.AddDate(0, 0, 7), Exercises: true}})
}

// checkEachFact checks that EachIncidentFact streams the rows IncidentFacts
// returns for each filter, and that an error of its function stops it.
func checkEachFact(t *testing.T, s store.Store, filters []store.FactFilter) {
	t.Helper()
	for _, f := range filters {
		want, err := s.IncidentFacts(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		var got []metrics.Fact
		err = s.EachIncidentFact(t.Context(), f, func(fact *metrics.Fact) error {
			c := *fact
			c.Services = slices.Clone(fact.Services)
			got = append(got, c)
			return nil
		})
		sort.Slice(got, func(i, j int) bool { return got[i].IncidentID < got[j].IncidentID })
		if err != nil || len(got) != len(want) || !cmp.Equal(want, got) {
			t.Errorf("EachIncidentFact(%+v) = %+v, %v; want %+v", f, got, err, want)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := s.EachIncidentFact(t.Context(), store.FactFilter{Exercises: true},
		func(*metrics.Fact) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("EachIncidentFact stopped: %v after %d calls, want stop after 1", err, calls)
	}
}

func checkFact(t *testing.T, s store.Store, id int64, want metrics.Fact, when string) {
	t.Helper()
	got, err := s.FactsOf(t.Context(), []int64{id})
	if err != nil || len(got) != 1 {
		t.Fatalf("%s: FactsOf = %v, %v", when, got, err)
	}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("%s: facts (-want +got):\n%s", when, diff)
	}
}

func factIDs(t *testing.T, s store.Store, f store.FactFilter) []int64 {
	t.Helper()
	facts, err := s.IncidentFacts(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, f := range facts {
		ids = append(ids, f.IncidentID)
	}
	return ids
}

// testNotificationTimes checks notifications with their first successful
// delivery, by window and by incident.
func testNotificationTimes(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	n1 := enqueue(t, s, newNotification("k1", inc.ID))
	n2 := newNotification("k2", inc.ID)
	n2.Created = base.AddDate(0, 0, 10)
	enqueue(t, s, n2)
	sent := base.Add(3 * time.Minute)
	err := errors.Join(s.RecordAttempt(ctx, n1.ID, notify.Delivery{At: base.Add(time.Minute),
		Error: "refused"}, notify.StateFailed, 1, base),
		s.RecordAttempt(ctx, n1.ID, notify.Delivery{At: sent, OK: true}, notify.StateSent, 2,
			time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.NotificationTimes(ctx, store.FactFilter{From: base.Add(-time.Hour),
		To: base.AddDate(0, 0, 1)}, 0)
	if err != nil || len(got) != 1 || got[0].ID != n1.ID ||
		!got[0].Sent.Equal(sent.Truncate(time.Microsecond)) ||
		got[0].State != notify.StateSent || got[0].Severity != "high" {
		t.Errorf("NotificationTimes(first day) = %+v, %v", got, err)
	}
	got, err = s.NotificationTimes(ctx, store.FactFilter{}, inc.ID)
	if err != nil || len(got) != 2 || !got[1].Sent.IsZero() {
		t.Errorf("NotificationTimes(incident) = %+v, %v; want both, the second unsent", got,
			err)
	}
}

// testRuleCounts counts alerts by rule and state, in a window, without the
// alerts of exercises unless asked.
func testRuleCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	ev := insertEvents(t, s, simpleEvent(1))[0]
	mk := func(rule string, at time.Time, state string) *detect.Alert {
		a := insertAlert(t, s, &detect.Alert{RuleID: rule, RuleTitle: "Rule " + rule,
			Level: "high", EventIDs: []int64{ev}, Created: at})
		if state != "new" {
			if err := s.SetAlertTriage(ctx, a.ID, "new", store.AlertTriage{State: state,
				Updated: at}); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	mk("r1", base, "confirmed")
	mk("r1", base, "false_positive")
	mk("r1", base, "new")
	mk("r2", base, "false_positive")
	mk("r2", base.AddDate(0, 0, 30), "false_positive")
	ex := mk("r3", base, "false_positive")
	e := &readiness.Exercise{Name: "drill", Kind: readiness.ExerciseSimulation,
		Status: readiness.ExerciseRunning}
	if err := s.CreateExercise(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkExercise(ctx, store.MarkAlert, ex.ID, e.ID); err != nil {
		t.Fatal(err)
	}
	// r2 was retitled: its newest alert, in the window, carries the new
	// title, which is also the greatest.
	insertAlert(t, s, &detect.Alert{RuleID: "r2", RuleTitle: "Rule r2 (tuned)",
		Level: "high", EventIDs: []int64{ev}, Created: base.Add(time.Hour)})
	f := store.FactFilter{From: base, To: base.AddDate(0, 0, 1)}
	got, err := s.RuleCounts(ctx, f)
	want := []metrics.RuleCount{{RuleID: "r1", Title: "Rule r1", Alerts: 3, Confirmed: 1,
		FalsePositive: 1}, {RuleID: "r2", Title: "Rule r2 (tuned)", Alerts: 2,
		FalsePositive: 1}}
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("RuleCounts (-want +got): %v\n%s", err, diff)
	}
	f.Exercises = true
	if got, err := s.RuleCounts(ctx, f); err != nil || len(got) != 3 {
		t.Errorf("RuleCounts with exercises = %+v, %v; want three rules", got, err)
	}
}

// storePostMortem stores a post-mortem of incidentID and a follow-up, for
// the transaction tests.
func storePostMortem(t *testing.T, s store.Store, incidentID int64) (*postmortem.PostMortem,
	*postmortem.FollowUp) {
	t.Helper()
	pm := newPostMortem(incidentID)
	f, err := postmortem.NewFollowUp(incidentID, postmortem.KindBug, "fix", "", "bo",
		base.AddDate(0, 0, 7), 0, "user:ana", base)
	if err != nil {
		t.Fatal(err)
	}
	if err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(tx.CreatePostMortem(ctx, pm), tx.CreateFollowUp(ctx, f))
	}); err != nil {
		t.Fatalf("store a post-mortem and a follow-up: %v", err)
	}
	return pm, f
}

// writePostMortems writes post-mortems and follow-ups in tx.
func writePostMortems(ctx context.Context, tx store.Tx, w *txWorld, incID int64) error {
	if _, err := w.pm.AddEntry(base, "UTC", "in a transaction", "user:ana", base); err != nil {
		return err
	}
	if err := w.followUp.Move(readiness.StateInProgress, "bo", "", time.Time{}, base); err != nil {
		return err
	}
	f, err := postmortem.NewFollowUp(incID, postmortem.KindSOP, "new", "", "bo", base, 0,
		"user:ana", base)
	if err != nil {
		return err
	}
	err = errors.Join(tx.CreatePostMortem(ctx, newPostMortem(incID)),
		tx.UpdatePostMortem(ctx, w.pm), tx.CreateFollowUp(ctx, f),
		tx.UpdateFollowUp(ctx, w.followUp))
	if err != nil {
		return fmt.Errorf("post-mortem writes: %w", err)
	}
	return nil
}

// RunFactsBackfill checks the statement of migration 0015 that fills the
// metrics' rows of the incidents stored before: after the rows of s are
// deleted and insert (the back end's statement) is run through tamper,
// every incident has the facts its writes had kept, but for the time of
// its confirmation, which was not stored before. s must be new.
func RunFactsBackfill(t *testing.T, s store.Store, tamper func(stmt string), insert string) {
	ctx := t.Context()
	ev := insertEvents(t, s, simpleEvent(1))[0]
	a := insertAlert(t, s, &detect.Alert{RuleID: "r1", Level: "high", EventIDs: []int64{ev},
		EventTime: base.Add(-7 * time.Minute), Created: base})
	closed := createIncident(t, s, newIncident(base, a.ID))
	open := createIncident(t, s, newIncident(base.Add(time.Hour)))
	rec := getRecord(t, s, closed.ID)
	rec.Record.Confirmed = base.Add(time.Minute)
	for i, to := range incident.Phases()[1:] {
		rec.Record.PhaseChanges = append(rec.Record.PhaseChanges, incident.PhaseChange{
			From: incident.Phases()[i], To: to, At: base.Add(time.Duration(i+1) * time.Hour),
			Location: "Europe/Paris", By: "user:ana"})
	}
	rec.Record.Phase, rec.Record.Status = incident.PhaseClosed, incident.StatusClosed
	rec.Record.Category = incident.CategoryMalware
	updateRecord(t, s, rec)
	rec = getRecord(t, s, open.ID)
	rec.Record.Resources.Services = []string{"payments"}
	updateRecord(t, s, rec)

	ids := []int64{closed.ID, open.ID}
	want, err := s.FactsOf(ctx, ids)
	if err != nil || len(want) != 2 {
		t.Fatalf("FactsOf = %v, %v", want, err)
	}
	want[0].Confirmed = time.Time{}
	tamper("DELETE FROM incident_facts")
	tamper(insert)
	got, err := s.FactsOf(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backfilled facts (-kept by the writes +backfilled):\n%s", diff)
	}
}
