package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// testResponse runs the response team and plan part of the suite.
func testResponse(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Teams", testTeams},
		{"TeamConflict", testTeamConflict},
		{"Engagements", testEngagements},
		{"Tasks", testTasks},
		{"WatchRules", testWatchRules},
		{"UnknownIncident", testResponseUnknownIncident},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func sampleTeam(id string) *team.Team {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	return &team.Team{ID: id, Name: "Team " + id, Kind: team.KindLegal,
		Members: []string{"lena", "luis"}, EscalationContact: "lena",
		Roster: []team.Shift{{User: "luis", Start: time.Date(2026, 3, 29, 0, 0, 0, 0, paris),
			End: time.Date(2026, 3, 29, 8, 0, 0, 0, paris), TimeZone: "Europe/Paris"}}}
}

func testTeams(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, id := range []string{"zeta", "alpha"} {
		if err := s.CreateTeam(ctx, sampleTeam(id)); err != nil {
			t.Fatalf("CreateTeam(%s): %v", id, err)
		}
	}
	if err := s.CreateTeam(ctx, sampleTeam("alpha")); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("CreateTeam(alpha) again: %v, want ErrDuplicate", err)
	}
	got, err := s.GetTeam(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	want := sampleTeam("alpha")
	want.Version, want.Updated = 1, got.Updated
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetTeam (-want +got):\n%s", diff)
	}
	if !got.Roster[0].Start.Equal(want.Roster[0].Start) {
		t.Errorf("shift start %v, want %v", got.Roster[0].Start, want.Roster[0].Start)
	}
	list, err := s.ListTeams(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "alpha" || list[1].ID != "zeta" {
		t.Fatalf("ListTeams = %v, %v; want alpha, zeta", list, err)
	}
	if _, err := s.GetTeam(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTeam(nope): %v, want ErrNotFound", err)
	}
	got.Members = append(got.Members, "lia")
	if err := s.UpdateTeam(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("UpdateTeam: %v, version %d", err, got.Version)
	}
	again, _ := s.GetTeam(ctx, "alpha")
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
}

func testTeamConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.CreateTeam(ctx, sampleTeam("legal")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			tm := sampleTeam("legal")
			tm.Version = 1
			errs[i] = s.UpdateTeam(ctx, tm)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var ce *store.ConflictError
		switch {
		case err == nil:
			ok++
		case !errors.As(err, &ce) || ce.Current != 2:
			t.Errorf("UpdateTeam: %v, want a conflict at version 2", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d updates from version 1 won, want 1", ok)
	}
	if err := s.UpdateTeam(ctx, sampleTeam("ghost")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateTeam(ghost): %v, want ErrNotFound", err)
	}
}

func testEngagements(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	es := []team.Engagement{
		{IncidentID: inc.ID, User: "ana", Role: team.RoleCommander, Reason: "escalated",
			EngagedAt: base, EngagedBy: "user:ana"},
		{IncidentID: inc.ID, User: "lena", Team: "legal", Role: team.RoleExpert,
			Rule: "privacy-legal", Reason: "rule privacy-legal: category data-exfiltration",
			EngagedAt: base, EngagedBy: "user:ana", Fallback: true},
	}
	if err := s.AddEngagements(ctx, es); err != nil {
		t.Fatal(err)
	}
	if es[0].ID == 0 || es[1].ID <= es[0].ID {
		t.Fatalf("IDs %d, %d: want growing", es[0].ID, es[1].ID)
	}
	end := es[1]
	if err := end.Disengage("user:ana", "not needed", base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.EndEngagement(ctx, &end); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListEngagements(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []team.Engagement{es[0], end}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListEngagements (-want +got):\n%s", diff)
	}
	other := end
	other.IncidentID = inc.ID + 100
	if err := s.EndEngagement(ctx, &other); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EndEngagement of another incident: %v, want ErrNotFound", err)
	}
}

func testTasks(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	task := &plan.Task{IncidentID: inc.ID, Phase: incident.PhaseEradication, Kind: plan.KindTask,
		Title: "Rotate the signing keys", Owner: "ana", Due: base.Add(4 * time.Hour),
		Status: plan.StatusOpen, HighImpact: true, CreatedBy: "user:ana"}
	if err := s.CreateTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if task.ID == 0 || task.Version != 1 || task.Created.IsZero() {
		t.Fatalf("created task %+v: want ID, version 1 and Created", task)
	}
	got, err := s.GetTask(ctx, inc.ID, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(task, got); diff != "" {
		t.Errorf("GetTask (-want +got):\n%s", diff)
	}
	got.Status, got.Result = plan.StatusBlocked, "waiting for approval"
	if err := s.UpdateTask(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("UpdateTask: %v, version %d", err, got.Version)
	}
	stale := *task
	err = s.UpdateTask(ctx, &stale)
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Current != 2 {
		t.Errorf("stale UpdateTask: %v, want conflict at 2", err)
	}
	list, err := s.ListTasks(ctx, inc.ID)
	if err != nil || len(list) != 1 || list[0].Status != plan.StatusBlocked {
		t.Fatalf("ListTasks = %+v, %v", list, err)
	}
	if _, err := s.GetTask(ctx, inc.ID+1, task.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTask of another incident: %v, want ErrNotFound", err)
	}
}

func testWatchRules(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	var ws []*plan.WatchRule
	for i, exp := range []time.Duration{time.Hour, 3 * time.Hour, 5 * time.Hour} {
		w := &plan.WatchRule{IncidentID: inc.ID, RuleID: "r" + string(rune('a'+i)),
			Title: "watch", YAML: "title: watch\n", Expires: base.Add(exp),
			CreatedBy: "user:ana", Created: base}
		if err := s.AddWatchRule(ctx, w); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	ws[2].RemovedAt, ws[2].RemovedBy, ws[2].RemovedReason = base, "user:ana", "noisy"
	if err := s.RemoveWatchRule(ctx, ws[2]); err != nil {
		t.Fatal(err)
	}
	active, err := s.ActiveWatchRules(ctx, base.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].ID != ws[1].ID {
		t.Errorf("ActiveWatchRules = %+v, want only rule %d", active, ws[1].ID)
	}
	all, err := s.ListWatchRules(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.WatchRule{*ws[0], *ws[1], *ws[2]}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("ListWatchRules (-want +got):\n%s", diff)
	}
}

func testResponseUnknownIncident(t *testing.T, s store.Store) {
	ctx := t.Context()
	e := []team.Engagement{{IncidentID: 999, User: "ana", Role: team.RoleCommander}}
	if err := s.AddEngagements(ctx, e); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddEngagements: %v, want ErrNotFound", err)
	}
	task := &plan.Task{IncidentID: 999, Phase: incident.PhaseAnalysis, Kind: plan.KindTask,
		Title: "x", Status: plan.StatusOpen}
	if err := s.CreateTask(ctx, task); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateTask: %v, want ErrNotFound", err)
	}
	w := &plan.WatchRule{IncidentID: 999, Expires: base}
	if err := s.AddWatchRule(ctx, w); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddWatchRule: %v, want ErrNotFound", err)
	}
	if got, err := s.ListTasks(ctx, 999); err != nil || len(got) != 0 {
		t.Errorf("ListTasks(999) = %v, %v; want none", got, err)
	}
}
