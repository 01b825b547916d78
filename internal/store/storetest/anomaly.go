package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// testAnomaly checks what the anomaly models store: an alert's explanation,
// through InsertAlert, GroupAlert and the reads, and the models' state.
func testAnomaly(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	ids := insertEvents(t, s, simpleEvent(1))
	x := &detect.Explanation{Model: "rate_spike", Text: "300 messages where 20 were expected",
		Baseline: 20, Observed: 300, Score: 41.5, Service: "sshd", Template: "Failed <*>",
		TemplateID: 7, From: base.Truncate(time.Hour), To: base.Truncate(time.Hour).Add(time.Hour)}
	plain := insertAlert(t, s, &detect.Alert{RuleID: "rule", Level: "low", EventIDs: ids})
	modeled := insertAlert(t, s, &detect.Alert{RuleID: "anomaly.rate_spike", Level: "medium",
		EventIDs: ids, Explanation: x})
	grouped := &detect.Alert{RuleID: "anomaly.new_value", Level: "medium", EventIDs: ids,
		GroupKey: `{"value":"x"}`, Group: map[string]string{"value": "x"}, Created: base,
		Explanation: &detect.Explanation{Model: "new_value", Kind: "user", Value: "x", Observed: 1}}
	if repeat, err := s.GroupAlert(ctx, grouped, time.Hour); err != nil || repeat {
		t.Fatalf("GroupAlert = %v, %v", repeat, err)
	}

	page, err := s.ListAlerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatalf("ListAlerts: %v", err)
	}
	got := map[int64]*detect.Explanation{}
	for _, a := range page.Items {
		got[a.ID] = a.Explanation
	}
	if got[plain.ID] != nil {
		t.Errorf("a rule alert read back with an explanation: %+v", got[plain.ID])
	}
	if diff := cmp.Diff(x, got[modeled.ID]); diff != "" {
		t.Errorf("explanation after ListAlerts (-want +got):\n%s", diff)
	}
	one, err := s.GetAlert(ctx, grouped.ID)
	if err != nil {
		t.Fatalf("GetAlert: %v", err)
	}
	if diff := cmp.Diff(grouped.Explanation, one.Explanation); diff != "" {
		t.Errorf("explanation after GetAlert (-want +got):\n%s", diff)
	}
	// A repeat folds into the stored alert and reads its explanation back.
	again := &detect.Alert{RuleID: "anomaly.new_value", Level: "medium", EventIDs: ids,
		GroupKey: grouped.GroupKey, Created: base.Add(time.Minute),
		Explanation: &detect.Explanation{Model: "new_value", Value: "other"}}
	if repeat, err := s.GroupAlert(ctx, again, time.Hour); err != nil || !repeat {
		t.Fatalf("GroupAlert repeat = %v, %v", repeat, err)
	}
	if again.Explanation == nil || again.Explanation.Value != "x" {
		t.Errorf("a repeat carries explanation %+v, want the stored one", again.Explanation)
	}

	testAnomalyState(t, s)
}

func testAnomalyState(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.LoadAnomalyState(ctx, "detector"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LoadAnomalyState before any save: %v, want ErrNotFound", err)
	}
	big := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1<<18) // 1 MiB of binary data
	for _, data := range [][]byte{[]byte("first"), big} {
		if err := s.SaveAnomalyState(ctx, "detector", data); err != nil {
			t.Fatalf("SaveAnomalyState: %v", err)
		}
		got, err := s.LoadAnomalyState(ctx, "detector")
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("LoadAnomalyState = %d bytes, %v; want the %d saved", len(got), err,
				len(data))
		}
	}
	if err := s.SaveAnomalyState(ctx, "other", []byte("x")); err != nil {
		t.Fatalf("SaveAnomalyState other: %v", err)
	}
	if got, err := s.LoadAnomalyState(ctx, "detector"); err != nil || len(got) != len(big) {
		t.Errorf("a save under another name changed detector: %d bytes, %v", len(got), err)
	}
}
