package storetest

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// testEvents stores events with nested fields and numbers and reads them back
// through an alert.
func testEvents(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	events := []*event.Event{
		{
			Time: base,
			Fields: map[string]any{
				"EventID": json.Number("4625"),
				"Event": map[string]any{
					"System": map[string]any{"Computer": "dc01", "Level": json.Number("-3.25")},
					"Data":   []any{"a", json.Number("12345678901234567890"), true, nil},
				},
				"Message": "Ünïcode ✓ \"quoted\" \\ back",
			},
			Source: event.Source{File: "logs.zip!security.json", Line: 7},
		},
		{Fields: map[string]any{}},
		{Time: base.Add(time.Hour), Fields: map[string]any{"nul\x00key": "a\x00b"}},
	}
	want := []map[string]any{
		events[0].Fields,
		{},
		{"nul\uFFFDkey": "a\uFFFDb"},
	}
	ids := insertEvents(t, s, events...)
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("InsertEvents IDs = %v, want increasing", ids)
		}
	}
	n, err := s.CountEvents(ctx)
	if err != nil || n != 3 {
		t.Fatalf("CountEvents = %d, %v; want 3", n, err)
	}

	a := insertAlert(t, s, &detect.Alert{RuleID: "r", Level: "low",
		EventIDs: []int64{ids[2], ids[0], ids[1]}})
	page, err := s.ListAlerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatalf("ListAlerts: %v", err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != a.ID {
		t.Fatalf("ListAlerts = %+v, want alert %d", page.Items, a.ID)
	}
	got := page.Items[0]
	if diff := cmp.Diff(a.EventIDs, got.EventIDs); diff != "" {
		t.Errorf("EventIDs (-want +got):\n%s", diff)
	}
	if len(got.Events) != 3 {
		t.Fatalf("got %d events, want 3", len(got.Events))
	}
	for i, j := range []int{2, 0, 1} {
		d := json.NewDecoder(bytes.NewReader(got.Events[i]))
		d.UseNumber()
		var fields map[string]any
		if err := d.Decode(&fields); err != nil {
			t.Fatalf("event %d: decode %s: %v", i, got.Events[i], err)
		}
		if diff := cmp.Diff(want[j], fields); diff != "" {
			t.Errorf("event %d fields (-want +got):\n%s", i, diff)
		}
	}
}

// testEventsEmpty stores no events.
func testEventsEmpty(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ids, err := s.InsertEvents(t.Context(), nil)
	if err != nil || len(ids) != 0 {
		t.Fatalf("InsertEvents(nil) = %v, %v; want no IDs and no error", ids, err)
	}
	if n, err := s.CountEvents(t.Context()); err != nil || n != 0 {
		t.Fatalf("CountEvents = %d, %v; want 0", n, err)
	}
}

// testEventsConcurrent stores batches from several goroutines at once.
func testEventsConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	const writers, batches, size = 8, 10, 25
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int64]bool{}
	)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				events := make([]*event.Event, size)
				for i := range events {
					events[i] = simpleEvent(w*1000 + b*size + i)
				}
				ids, err := s.InsertEvents(t.Context(), events)
				if err != nil {
					t.Errorf("writer %d: InsertEvents: %v", w, err)
					return
				}
				mu.Lock()
				for _, id := range ids {
					if seen[id] {
						t.Errorf("writer %d: ID %d given twice", w, id)
					}
					seen[id] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	n, err := s.CountEvents(t.Context())
	if err != nil || n != writers*batches*size {
		t.Fatalf("CountEvents = %d, %v; want %d", n, err, writers*batches*size)
	}
	if len(seen) != writers*batches*size {
		t.Fatalf("%d distinct IDs, want %d", len(seen), writers*batches*size)
	}
}
