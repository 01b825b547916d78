package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// testAlerts stores alerts and reads them back with their events.
func testAlerts(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	ids := insertEvents(t, s, simpleEvent(1), simpleEvent(2))
	a := insertAlert(t, s, &detect.Alert{
		RuleID:    "5f1abf38-3f3a-4a6b-8f2e-6a1d3c2b1a00",
		RuleTitle: "Failed logon burst",
		Level:     "high",
		Tags:      []string{"attack.credential_access", "attack.t1110"},
		EventIDs:  ids,
		EventTime: base,
		Created:   base.Add(time.Minute),
	})
	b := insertAlert(t, s, &detect.Alert{RuleID: "bare", Level: "low"})
	if b.ID <= a.ID {
		t.Errorf("second alert ID %d, want above %d", b.ID, a.ID)
	}
	if b.Created.IsZero() {
		t.Errorf("InsertAlert left Created zero")
	}

	page, err := s.ListAlerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatalf("ListAlerts: %v", err)
	}
	want := []detect.Alert{*b, *a}
	want[0].Created = want[0].Created.Truncate(time.Microsecond)
	want[1].Created = want[1].Created.Truncate(time.Microsecond)
	want[1].EventTime = want[1].EventTime.Truncate(time.Microsecond)
	opts := cmp.Options{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(detect.Alert{}, "Events")}
	if diff := cmp.Diff(want, page.Items, opts); diff != "" {
		t.Errorf("ListAlerts items (-want +got):\n%s", diff)
	}
	if page.Total != 2 || page.Next != "" {
		t.Errorf("ListAlerts Total, Next = %d, %q; want 2, \"\"", page.Total, page.Next)
	}
	for _, got := range page.Items {
		if len(got.Events) != len(got.EventIDs) {
			t.Errorf("alert %d: %d events for %d IDs", got.ID, len(got.Events), len(got.EventIDs))
		}
		if got.Tags == nil || got.EventIDs == nil || got.Events == nil {
			t.Errorf("alert %d: nil slice in %+v, want empty ones for JSON", got.ID, got)
		}
	}
}

// testAlertsUnknownLink links an alert to an event and an incident that do
// not exist.
func testAlertsUnknownLink(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	for _, a := range []*detect.Alert{
		{RuleID: "r", Level: "low", EventIDs: []int64{424242}},
		{RuleID: "r", Level: "low", IncidentID: 424242},
	} {
		if err := s.InsertAlert(t.Context(), a); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("InsertAlert(%+v) = %v, want ErrNotFound", a, err)
		}
	}
	page, err := s.ListAlerts(t.Context(), store.AlertFilter{})
	if err != nil || page.Total != 0 {
		t.Errorf("after failed inserts: Total = %d, %v; want 0", page.Total, err)
	}
}

// testAlertFilters checks each filter alone and combined.
func testAlertFilters(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	var all []*detect.Alert
	for i := range 12 {
		all = append(all, insertAlert(t, s, &detect.Alert{
			RuleID:  fmt.Sprintf("rule-%d", i%3),
			Level:   []string{"low", "high"}[i%2],
			Created: base.Add(time.Duration(i) * time.Hour),
		}))
	}
	inc := &incident.Incident{Title: "t", Severity: "high", Status: "open", Phase: "detected",
		AlertIDs: []int64{all[1].ID, all[4].ID, all[5].ID}}
	if err := s.CreateIncident(ctx, inc); err != nil {
		t.Fatalf("CreateIncident: %v", err)
	}
	byID := map[int64]*detect.Alert{}
	for _, a := range all {
		byID[a.ID] = a
	}
	for _, id := range inc.AlertIDs {
		byID[id].IncidentID = inc.ID
	}

	tests := []struct {
		name   string
		filter store.AlertFilter
		match  func(a *detect.Alert) bool
	}{
		{"all", store.AlertFilter{}, func(*detect.Alert) bool { return true }},
		{"rule", store.AlertFilter{RuleID: "rule-1"},
			func(a *detect.Alert) bool { return a.RuleID == "rule-1" }},
		{"level", store.AlertFilter{Level: "high"},
			func(a *detect.Alert) bool { return a.Level == "high" }},
		{"incident", store.AlertFilter{IncidentID: inc.ID},
			func(a *detect.Alert) bool { return a.IncidentID == inc.ID }},
		{"since", store.AlertFilter{Since: base.Add(3 * time.Hour)},
			func(a *detect.Alert) bool { return !a.Created.Before(base.Add(3 * time.Hour)) }},
		{"until", store.AlertFilter{Until: base.Add(3 * time.Hour)},
			func(a *detect.Alert) bool { return a.Created.Before(base.Add(3 * time.Hour)) }},
		{"rule and level and window", store.AlertFilter{RuleID: "rule-0", Level: "high",
			Since: base.Add(time.Hour), Until: base.Add(11 * time.Hour)},
			func(a *detect.Alert) bool {
				return a.RuleID == "rule-0" && a.Level == "high" &&
					!a.Created.Before(base.Add(time.Hour)) &&
					a.Created.Before(base.Add(11*time.Hour))
			}},
		{"incident and level", store.AlertFilter{IncidentID: inc.ID, Level: "low"},
			func(a *detect.Alert) bool { return a.IncidentID == inc.ID && a.Level == "low" }},
		{"no match", store.AlertFilter{RuleID: "rule-1", Level: "none"},
			func(*detect.Alert) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []int64
			for _, a := range slices.Backward(all) {
				if tt.match(a) {
					want = append(want, a.ID)
				}
			}
			page, err := s.ListAlerts(ctx, tt.filter)
			if err != nil {
				t.Fatalf("ListAlerts: %v", err)
			}
			var got []int64
			for _, a := range page.Items {
				got = append(got, a.ID)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
			if page.Total != int64(len(want)) {
				t.Errorf("Total = %d, want %d", page.Total, len(want))
			}
			for _, a := range page.Items {
				if want := byID[a.ID].IncidentID; a.IncidentID != want {
					t.Errorf("alert %d: IncidentID %d, want %d", a.ID, a.IncidentID, want)
				}
			}
		})
	}
}

// listAll pages through alerts with the given filter and returns their IDs,
// checking every page; before runs ahead of each page after the first.
func listAll(t *testing.T, s store.Store, f store.AlertFilter, before func()) []int64 {
	t.Helper()
	var ids []int64
	var total int64 = -1
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("more than 1000 pages")
		}
		if pages > 0 && before != nil {
			before()
		}
		page, err := s.ListAlerts(t.Context(), f)
		if err != nil {
			t.Fatalf("ListAlerts page %d: %v", pages, err)
		}
		if pages == 0 {
			total = page.Total
		}
		if page.Next != "" && len(page.Items) != store.PageLimit(f.Limit) {
			t.Errorf("page %d: %d items and a Next, want a full page", pages, len(page.Items))
		}
		for _, a := range page.Items {
			ids = append(ids, a.ID)
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	if before == nil && int64(len(ids)) != total {
		t.Errorf("listed %d alerts, Total said %d", len(ids), total)
	}
	return ids
}

// testAlertPaging pages through alerts, also while new ones arrive.
func testAlertPaging(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var want []int64
	for i := range 23 {
		a := insertAlert(t, s, &detect.Alert{RuleID: "r", Level: "low",
			Created: base.Add(time.Duration(i) * time.Minute)})
		want = append([]int64{a.ID}, want...)
	}
	for _, limit := range []int{1, 5, 22, 23, 24} {
		got := listAll(t, s, store.AlertFilter{Limit: limit}, nil)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d: IDs (-want +got):\n%s", limit, diff)
		}
	}

	// Alerts that arrive while a client pages are not listed, and shift
	// nothing: the cursor names a position, not an offset.
	got := listAll(t, s, store.AlertFilter{Limit: 5, RuleID: "r"}, func() {
		for range 3 {
			insertAlert(t, s, &detect.Alert{RuleID: "r", Level: "low"})
		}
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("while inserting: IDs (-want +got):\n%s", diff)
	}
}

// testAlertLimits checks the default and the cap of Limit.
func testAlertLimits(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	const n = store.MaxLimit + 1
	for range n {
		insertAlert(t, s, &detect.Alert{RuleID: "r", Level: "low", Created: base})
	}
	tests := []struct {
		limit, want int
	}{
		{0, store.DefaultLimit},
		{-1, store.DefaultLimit},
		{7, 7},
		{store.MaxLimit, store.MaxLimit},
		{store.MaxLimit * 5, store.MaxLimit},
	}
	for _, tt := range tests {
		page, err := s.ListAlerts(t.Context(), store.AlertFilter{Limit: tt.limit})
		if err != nil {
			t.Fatalf("ListAlerts(Limit %d): %v", tt.limit, err)
		}
		if len(page.Items) != tt.want || page.Total != n || page.Next == "" {
			t.Errorf("Limit %d: %d items, Total %d, Next %q; want %d, %d and a cursor",
				tt.limit, len(page.Items), page.Total, page.Next, tt.want, n)
		}
	}
}

// testBadCursor passes cursors that the store did not issue.
func testBadCursor(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	insertAlert(t, s, &detect.Alert{RuleID: "r", Level: "low"})
	for _, c := range []string{"!!", "bm9wZQ", "MA", "LTE", "KzU", "IDU", "NQ==", "5"} {
		_, err := s.ListAlerts(t.Context(), store.AlertFilter{Cursor: c})
		if !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("ListAlerts(Cursor %q) = %v, want ErrBadCursor", c, err)
		}
		_, err = s.ListIncidents(t.Context(), store.IncidentFilter{Cursor: c})
		if !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("ListIncidents(Cursor %q) = %v, want ErrBadCursor", c, err)
		}
	}
}
