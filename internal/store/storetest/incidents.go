package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// newIncident returns an open incident opened at t.
func newIncident(opened time.Time, alertIDs ...int64) *incident.Incident {
	return &incident.Incident{
		Title:    "Failed logon burst on dc01",
		Severity: incident.SeverityHigh,
		Status:   incident.StatusOpen,
		Phase:    incident.PhaseDetected,
		AlertIDs: alertIDs,
		Opened:   opened,
	}
}

// createIncident stores an incident and fails the test on error.
func createIncident(t *testing.T, s store.Store, inc *incident.Incident) *incident.Incident {
	t.Helper()
	if err := s.CreateIncident(t.Context(), inc); err != nil {
		t.Fatalf("CreateIncident: %v", err)
	}
	return inc
}

// testIncidentNumbers checks that numbers count per year of Opened in UTC.
func testIncidentNumbers(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	plus1 := time.FixedZone("UTC+1", 3600)
	tests := []struct {
		opened time.Time
		want   string
	}{
		{time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC), "INC-2025-0001"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "INC-2026-0001"},
		{time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "INC-2026-0002"},
		{time.Date(2026, 1, 1, 0, 30, 0, 0, plus1), "INC-2025-0002"},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "INC-2026-0003"},
	}
	for _, tt := range tests {
		inc := createIncident(t, s, newIncident(tt.opened))
		if inc.Number != tt.want || inc.ID == 0 {
			t.Errorf("opened %v: Number %q, ID %d; want %q and an ID", tt.opened, inc.Number,
				inc.ID, tt.want)
		}
	}
	if got, want := store.IncidentNumber(2026, 12345), "INC-2026-12345"; got != want {
		t.Errorf("IncidentNumber(2026, 12345) = %q, want %q", got, want)
	}
}

// testIncidentNumbersConcurrent creates incidents from several goroutines.
func testIncidentNumbersConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	const workers, each = 8, 6
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		got    = map[string]bool{}
		opened = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	)
	for w := range workers {
		wg.Go(func() {
			for range each {
				inc := newIncident(opened)
				if err := s.CreateIncident(t.Context(), inc); err != nil {
					t.Errorf("worker %d: CreateIncident: %v", w, err)
					return
				}
				mu.Lock()
				if got[inc.Number] {
					t.Errorf("worker %d: number %s given twice", w, inc.Number)
				}
				got[inc.Number] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	want := map[string]bool{}
	for i := 1; i <= workers*each; i++ {
		want[fmt.Sprintf("INC-2026-%04d", i)] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("numbers (-want +got):\n%s", diff)
	}
}

// testIncidentGet stores an incident with alerts and reads it back.
func testIncidentGet(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	a1 := insertAlert(t, s, &detect.Alert{RuleID: "r1", Level: "high"})
	a2 := insertAlert(t, s, &detect.Alert{RuleID: "r2", Level: "high"})

	// An unknown alert stores nothing and uses up no number.
	err := s.CreateIncident(ctx, newIncident(base, a1.ID, 424242))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CreateIncident with unknown alert = %v, want ErrNotFound", err)
	}

	inc := createIncident(t, s, newIncident(base, a2.ID, a1.ID, a2.ID))
	if inc.Number != "INC-2026-0001" {
		t.Errorf("Number = %q, want INC-2026-0001", inc.Number)
	}
	if !inc.Updated.Equal(inc.Opened) {
		t.Errorf("Updated = %v, want Opened %v", inc.Updated, inc.Opened)
	}
	got, err := s.GetIncident(ctx, inc.ID)
	if err != nil {
		t.Fatalf("GetIncident: %v", err)
	}
	want := *inc
	want.AlertIDs = []int64{a1.ID, a2.ID}
	want.Opened = want.Opened.Truncate(time.Microsecond)
	want.Updated = want.Updated.Truncate(time.Microsecond)
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("GetIncident (-want +got):\n%s", diff)
	}

	page, err := s.ListAlerts(ctx, store.AlertFilter{IncidentID: inc.ID})
	if err != nil || page.Total != 2 {
		t.Fatalf("ListAlerts(IncidentID %d) = %d alerts, %v; want 2", inc.ID, page.Total, err)
	}

	_, err = s.GetIncident(ctx, inc.ID+1000)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetIncident(missing) = %v, want ErrNotFound", err)
	}
}

// testIncidentList checks the incident filters and paging.
func testIncidentList(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	var all []*incident.Incident
	for i := range 7 {
		inc := newIncident(base.Add(time.Duration(i) * 24 * time.Hour))
		inc.Severity = []string{incident.SeverityHigh, incident.SeverityCrit}[i%2]
		if i%3 == 0 {
			inc.Status = incident.StatusClosed
		}
		all = append(all, createIncident(t, s, inc))
	}
	day := func(n int) time.Time { return base.Add(time.Duration(n) * 24 * time.Hour) }
	tests := []struct {
		name   string
		filter store.IncidentFilter
		want   []int // indexes into all, newest first
	}{
		{"all", store.IncidentFilter{}, []int{6, 5, 4, 3, 2, 1, 0}},
		{"status", store.IncidentFilter{Status: incident.StatusClosed}, []int{6, 3, 0}},
		{"severity", store.IncidentFilter{Severity: incident.SeverityCrit}, []int{5, 3, 1}},
		{"window", store.IncidentFilter{Since: day(2), Until: day(5)}, []int{4, 3, 2}},
		{"all filters", store.IncidentFilter{Status: incident.StatusOpen,
			Severity: incident.SeverityHigh, Since: day(1)}, []int{4, 2}},
		{"paged", store.IncidentFilter{Limit: 2}, []int{6, 5, 4, 3, 2, 1, 0}},
		{"paged and filtered", store.IncidentFilter{Limit: 1, Status: incident.StatusOpen},
			[]int{5, 4, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got []int64
			for _, i := range tt.want {
				want = append(want, all[i].ID)
			}
			f := tt.filter
			for pages := 0; ; pages++ {
				page, err := s.ListIncidents(ctx, f)
				if err != nil {
					t.Fatalf("ListIncidents: %v", err)
				}
				if page.Total != int64(len(want)) {
					t.Errorf("page %d: Total = %d, want %d", pages, page.Total, len(want))
				}
				for _, inc := range page.Items {
					got = append(got, inc.ID)
				}
				if page.Next == "" || pages > len(want) {
					break
				}
				f.Cursor = page.Next
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
		})
	}
}
