package storetest

import (
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

// testPing checks readiness.
func testPing(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// testReopen closes a store and opens the same database again: the schema
// stays at its version and the data stays.
func testReopen(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	v := schemaVersion(ctx, t, s)
	if v < 1 {
		t.Fatalf("SchemaVersion = %d on a new database, want at least 1", v)
	}
	insertEvents(t, s, simpleEvent(1), simpleEvent(2))
	createIncident(t, s, newIncident(base))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	for i := range 2 {
		s = open(t)
		if got := schemaVersion(ctx, t, s); got != v {
			t.Errorf("reopen %d: SchemaVersion = %d, want %d", i, got, v)
		}
		if n, err := s.CountEvents(ctx); err != nil || n != 2 {
			t.Errorf("reopen %d: CountEvents = %d, %v; want 2", i, n, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("reopen %d: Close: %v", i, err)
		}
	}
	s = open(t)
	if inc := createIncident(t, s, newIncident(base)); inc.Number != "INC-2026-0002" {
		t.Errorf("after reopen: Number = %q, want INC-2026-0002", inc.Number)
	}
}
