package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
)

// testReadiness runs the preparation program's part of the contract.
func testReadiness(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Policy", testReadinessPolicy},
		{"People", testTrainingPeople},
		{"Completions", testTrainingCompletions},
		{"Findings", testFindings},
		{"Exercises", testExercises},
		{"Marks", testExerciseMarks},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// wantConflict fails unless err is a version conflict naming current.
func wantConflict(t *testing.T, what string, err error, current int64) {
	t.Helper()
	var ce *store.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, store.ErrConflict) || ce.Current != current {
		t.Errorf("%s: %v, want a *ConflictError with current version %d", what, err, current)
	}
}

func testReadinessPolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	if p, err := s.GetReadinessPolicy(ctx); p != nil || err != nil {
		t.Fatalf("GetReadinessPolicy on a new store = %v, %v; want nil, nil", p, err)
	}
	p := readiness.DefaultPolicy()
	p.OnboardingDays, p.UpdatedBy = 21, "user:ana"
	if err := s.PutReadinessPolicy(ctx, p); err != nil || p.Version != 1 {
		t.Fatalf("PutReadinessPolicy: %v (version %d), want version 1", err, p.Version)
	}
	if p.Updated.IsZero() || p.Updated.Location() != time.UTC {
		t.Errorf("Updated = %v, want the store's clock in UTC", p.Updated)
	}
	stale := readiness.DefaultPolicy()
	wantConflict(t, "put at version 0 again", s.PutReadinessPolicy(ctx, stale), 1)

	got, err := s.GetReadinessPolicy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("policy round trip (-put +got):\n%s", diff)
	}
	got.RefresherMonths = 6
	if err := s.PutReadinessPolicy(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("PutReadinessPolicy at 1: %v (version %d)", err, got.Version)
	}
	if again, _ := s.GetReadinessPolicy(ctx); again.RefresherMonths != 6 || again.Version != 2 {
		t.Errorf("after update: refresher %d, version %d; want 6, 2", again.RefresherMonths,
			again.Version)
	}
}

func person(name string, roles ...string) *readiness.Person {
	return &readiness.Person{Name: name, Roles: roles, Teams: []string{"sirt"},
		Environments: []string{"production"},
		Joined:       readiness.NewDate(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)),
		Checks: []readiness.BackgroundCheck{{Status: readiness.CheckPassed, Reference: "BC-1",
			Date: readiness.NewDate(time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC))}}}
}

func testTrainingPeople(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.GetPerson(ctx, "ana"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPerson(unknown) = %v, want ErrNotFound", err)
	}
	ana, bob := person("ana", "responder"), person("bob", "auditor")
	for _, p := range []*readiness.Person{bob, ana} {
		if err := s.PutPerson(ctx, p); err != nil || p.Version != 1 {
			t.Fatalf("PutPerson(%s): %v (version %d)", p.Name, err, p.Version)
		}
	}
	if err := s.PutPerson(ctx, person("ana")); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("PutPerson(ana) again at version 0 = %v, want ErrDuplicate", err)
	}
	got, err := s.GetPerson(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ana, got); diff != "" {
		t.Errorf("person round trip (-put +got):\n%s", diff)
	}
	got.Roles = []string{"responder", "admin"}
	if err := s.PutPerson(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("PutPerson(ana) at 1: %v (version %d)", err, got.Version)
	}
	wantConflict(t, "put ana at version 1 again", s.PutPerson(ctx, ana), 2)
	unknown := person("zed")
	unknown.Version = 3
	if err := s.PutPerson(ctx, unknown); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutPerson(unknown at version 3) = %v, want ErrNotFound", err)
	}
	all, err := s.ListPeople(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range all {
		names = append(names, p.Name+":"+p.Roles[len(p.Roles)-1])
	}
	if diff := cmp.Diff([]string{"ana:admin", "bob:auditor"}, names); diff != "" {
		t.Errorf("ListPeople (-want +got):\n%s", diff)
	}
}

func testTrainingCompletions(t *testing.T, s store.Store) {
	ctx := t.Context()
	day := readiness.NewDate(time.Date(2025, 5, 6, 0, 0, 0, 0, time.UTC))
	orphan := &readiness.Completion{Person: "nobody", Course: "ir-basics", Completed: day,
		Evidence: "CERT-0"}
	if err := s.AddCompletion(ctx, orphan); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddCompletion for an unknown person = %v, want ErrNotFound", err)
	}
	for _, name := range []string{"ana", "bob"} {
		if err := s.PutPerson(ctx, person(name)); err != nil {
			t.Fatal(err)
		}
	}
	var added []readiness.Completion
	for i, c := range []readiness.Completion{
		{Person: "ana", Course: "ir-basics", Completed: day, Evidence: "CERT-1"},
		{Person: "bob", Course: "privacy", Completed: day, Evidence: "CERT-2"},
		{Person: "ana", Course: "privacy", Completed: day, Evidence: "CERT-3",
			RecordedBy: "user:ana", Recorded: base},
	} {
		if err := s.AddCompletion(ctx, &c); err != nil || c.ID == 0 {
			t.Fatalf("AddCompletion %d: %v (ID %d)", i, err, c.ID)
		}
		added = append(added, c)
	}
	all, err := s.ListCompletions(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(added, all); diff != "" {
		t.Errorf("ListCompletions(all) (-added +got):\n%s", diff)
	}
	ana, err := s.ListCompletions(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]readiness.Completion{added[0], added[2]}, ana); diff != "" {
		t.Errorf("ListCompletions(ana) (-want +got):\n%s", diff)
	}
}

func finding(source readiness.Source, ref, title string) readiness.Finding {
	score := 9.8
	return readiness.Finding{Source: source, Ref: ref, Title: title, Services: []string{"api"},
		Severity: readiness.SeverityCritical, CVSSScore: &score, Found: base, Created: base,
		Updated: base, CreatedBy: "user:ana", Tracking: readiness.Tracking{Owner: "bob",
			State: readiness.StateOpen, Due: readiness.Day(base).AddDate(0, 0, 7),
			History: []readiness.StateChange{}}}
}

func testFindings(t *testing.T, s store.Store) {
	ctx := t.Context()
	fs := []readiness.Finding{finding("pentest", "PT-1", "SQL injection"),
		finding("pentest", "", "No ref one"), finding("pentest", "", "No ref two"),
		finding("scan", "PT-1", "Same ref, other source")}
	if err := s.CreateFindings(ctx, fs); err != nil {
		t.Fatalf("CreateFindings: %v", err)
	}
	for i, f := range fs {
		if f.ID == 0 || f.Version != 1 {
			t.Errorf("finding %d: ID %d, version %d; want an ID and version 1", i, f.ID, f.Version)
		}
	}
	dup := []readiness.Finding{finding("pentest", "PT-2", "new"), finding("pentest", "PT-1", "")}
	if err := s.CreateFindings(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("CreateFindings with a taken ref = %v, want ErrDuplicate", err)
	}
	orphan := finding("exercise", "", "orphan")
	orphan.ExerciseID = 999
	if err := s.CreateFindings(ctx, []readiness.Finding{orphan}); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("CreateFindings with an unknown exercise = %v, want ErrNotFound", err)
	}
	all, err := s.ListFindings(ctx, readiness.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fs, all); diff != "" {
		t.Errorf("ListFindings: nothing of a failed create may stay (-want +got):\n%s", diff)
	}

	got, err := s.GetFinding(ctx, fs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Owner = "carol"
	if err := got.Move(readiness.StateInProgress, "user:carol", "", time.Time{}, base); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFinding(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("UpdateFinding: %v (version %d)", err, got.Version)
	}
	wantConflict(t, "UpdateFinding at version 1 again", s.UpdateFinding(ctx, &fs[0]), 2)
	if _, err := s.GetFinding(ctx, 12345); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetFinding(unknown) = %v, want ErrNotFound", err)
	}
	for _, tt := range []struct {
		f    readiness.FindingFilter
		want []int64
	}{
		{readiness.FindingFilter{State: readiness.StateInProgress}, []int64{fs[0].ID}},
		{readiness.FindingFilter{Owner: "bob"}, []int64{fs[1].ID, fs[2].ID, fs[3].ID}},
		{readiness.FindingFilter{Source: "scan"}, []int64{fs[3].ID}},
		{readiness.FindingFilter{Severity: readiness.SeverityLow}, nil},
	} {
		list, err := s.ListFindings(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, f := range list {
			ids = append(ids, f.ID)
		}
		if diff := cmp.Diff(tt.want, ids); diff != "" {
			t.Errorf("ListFindings(%+v) (-want +got):\n%s", tt.f, diff)
		}
	}
	again, _ := s.GetFinding(ctx, fs[0].ID)
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("updated finding round trip (-saved +got):\n%s", diff)
	}
}

func testExercises(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := &readiness.Exercise{Name: "Q1 purple team", Kind: readiness.ExercisePurpleTeam,
		Status: readiness.ExercisePlanned, Objectives: []string{"detect lateral movement"},
		Participants: []readiness.Participant{{Name: "ana", Side: "blue"}},
		Start:        base, Runs: []readiness.Run{}, Created: base, Updated: base}
	b := &readiness.Exercise{Name: "tabletop", Kind: readiness.ExerciseTabletop,
		Status: readiness.ExercisePlanned, Objectives: []string{},
		Participants: []readiness.Participant{}, Runs: []readiness.Run{}}
	for _, e := range []*readiness.Exercise{a, b} {
		if err := s.CreateExercise(ctx, e); err != nil || e.ID == 0 || e.Version != 1 {
			t.Fatalf("CreateExercise(%s): %v (ID %d, version %d)", e.Name, err, e.ID, e.Version)
		}
	}
	list, err := s.ListExercises(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Errorf("ListExercises: %d items, want b then a (newest first)", len(list))
	}
	got, err := s.GetExercise(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("exercise round trip (-created +got):\n%s", diff)
	}
	got.Runs = append(got.Runs, readiness.Run{ID: 1, Scenario: "x", Started: base,
		Finished: base.Add(time.Minute), Steps: []readiness.RunStep{},
		Other: []readiness.SeenAlert{},
		Detections: []readiness.Detection{{Expect: readiness.Expectation{Tag: "attack.t1110"},
			Detected: true, AlertID: 4, TTDMillis: 120}}, FindingIDs: []int64{}})
	if err := s.UpdateExercise(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("UpdateExercise: %v (version %d)", err, got.Version)
	}
	wantConflict(t, "UpdateExercise at version 1 again", s.UpdateExercise(ctx, a), 2)
	again, _ := s.GetExercise(ctx, a.ID)
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("updated exercise round trip (-saved +got):\n%s", diff)
	}
	if _, err := s.GetExercise(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetExercise(unknown) = %v, want ErrNotFound", err)
	}
}

func testExerciseMarks(t *testing.T, s store.Store) {
	ctx := t.Context()
	var ids []int64
	for range 2 {
		e := &readiness.Exercise{Name: "sim", Kind: readiness.ExerciseSimulation,
			Status: readiness.ExerciseRunning}
		if err := s.CreateExercise(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	for _, m := range []struct {
		kind     string
		id, exer int64
	}{{store.MarkAlert, 7, ids[0]}, {store.MarkAlert, 3, ids[0]}, {store.MarkAlert, 9, ids[1]},
		{store.MarkIncident, 7, ids[1]}, {store.MarkAlert, 7, ids[1]}} {
		if err := s.MarkExercise(ctx, m.kind, m.id, m.exer); err != nil {
			t.Fatalf("MarkExercise(%s %d, %d): %v", m.kind, m.id, m.exer, err)
		}
	}
	if err := s.MarkExercise(ctx, store.MarkAlert, 1, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkExercise with an unknown exercise = %v, want ErrNotFound", err)
	}
	marks, err := s.ExerciseMarks(ctx, store.MarkAlert, []int64{3, 7, 9, 11})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int64{3: ids[0], 7: ids[0], 9: ids[1]} // the first mark of 7 stays
	if diff := cmp.Diff(want, marks); diff != "" {
		t.Errorf("ExerciseMarks (-want +got):\n%s", diff)
	}
	objs, err := s.ExerciseObjects(ctx, ids[0], store.MarkAlert)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{3, 7}, objs); diff != "" {
		t.Errorf("ExerciseObjects (-want +got):\n%s", diff)
	}
	incs, err := s.ExerciseObjects(ctx, ids[1], store.MarkIncident)
	if err != nil || len(incs) != 1 || incs[0] != 7 {
		t.Errorf("ExerciseObjects(incidents) = %v, %v; want [7]", incs, err)
	}
}
