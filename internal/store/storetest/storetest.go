// Package storetest is the one test suite that every store back end must
// pass, so that SQLite and PostgreSQL behave alike. A back end's test calls
// Run with a function that opens a store on a fresh database.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Run runs the suite. Each test calls open, in parallel with the others:
// the first call with a given t must return a store on a new, empty database
// and close it when t ends; a second call with the same t must open the same
// database again (the suite checks that reopening changes nothing). Stores
// must also have a SchemaVersion(ctx) (int, error) method.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"Events", testEvents},
		{"EventsEmpty", testEventsEmpty},
		{"EventsConcurrent", testEventsConcurrent},
		{"Alerts", testAlerts},
		{"AlertsUnknownLink", testAlertsUnknownLink},
		{"AlertFilters", testAlertFilters},
		{"AlertPaging", testAlertPaging},
		{"AlertLimits", testAlertLimits},
		{"BadCursor", testBadCursor},
		{"IncidentNumbers", testIncidentNumbers},
		{"IncidentNumbersConcurrent", testIncidentNumbersConcurrent},
		{"IncidentGet", testIncidentGet},
		{"IncidentList", testIncidentList},
		{"IncidentRecords", testRecords},
		{"Tokens", testTokens},
		{"Evidence", testEvidence},
		{"Triage", testTriage},
		{"Notifications", testNotifications},
		{"Response", testResponse},
		{"Users", testUsers},
		{"Scope", testScope},
		{"Readiness", testReadiness},
		{"Anomaly", testAnomaly},
		{"PostMortems", testPostMortems},
		{"Obligations", testObligations},
		{"Notices", testNotices},
		{"Ping", testPing},
		{"Reopen", testReopen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// base is a time with nanoseconds, which the stores keep to the microsecond.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// insertEvents stores events and fails the test on error.
func insertEvents(t *testing.T, s store.Store, events ...*event.Event) []int64 {
	t.Helper()
	ids, err := s.InsertEvents(t.Context(), events)
	if err != nil {
		t.Fatalf("InsertEvents: %v", err)
	}
	if len(ids) != len(events) {
		t.Fatalf("InsertEvents returned %d IDs for %d events", len(ids), len(events))
	}
	return ids
}

// simpleEvent returns an event with one field.
func simpleEvent(i int) *event.Event {
	return &event.Event{
		Time:   base.Add(time.Duration(i) * time.Second),
		Fields: map[string]any{"n": i},
		Source: event.Source{File: "test.json", Line: i + 1},
	}
}

// insertAlert stores an alert and fails the test on error.
func insertAlert(t *testing.T, s store.Store, a *detect.Alert) *detect.Alert {
	t.Helper()
	if err := s.InsertAlert(t.Context(), a); err != nil {
		t.Fatalf("InsertAlert(%s): %v", a.RuleID, err)
	}
	if a.ID == 0 {
		t.Fatalf("InsertAlert(%s) left ID 0", a.RuleID)
	}
	return a
}

// schemaVersion asks the store for its schema version.
func schemaVersion(ctx context.Context, t *testing.T, s store.Store) int {
	t.Helper()
	v, ok := s.(interface {
		SchemaVersion(context.Context) (int, error)
	})
	if !ok {
		t.Fatalf("%T has no SchemaVersion method", s)
	}
	n, err := v.SchemaVersion(ctx)
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	return n
}
