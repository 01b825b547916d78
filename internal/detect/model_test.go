package detect_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/triage"
)

// fakeModels raises one alert for each event of kind "odd", all of one
// group.
type fakeModels struct{}

func (fakeModels) Observe(events []*event.Event, ids []int64) []detect.ModelAlert {
	var out []detect.ModelAlert
	for i, e := range events {
		if e.Fields["kind"] != "odd" {
			continue
		}
		out = append(out, detect.ModelAlert{
			Alert: &detect.Alert{RuleID: "anomaly.test", RuleTitle: "Odd event", Level: "medium",
				EventIDs: []int64{ids[i]}, EventTime: e.Time, GroupKey: `{"k":"odd"}`,
				Group:       map[string]string{"k": "odd"},
				Explanation: &detect.Explanation{Model: "test", Baseline: 1, Observed: 9, Score: 4}},
			Window: time.Hour, Event: e,
		})
	}
	return out
}

// TestIngestModels follows model alerts through Ingest and
// RaiseModelAlerts: stored with their explanation, folded, audited in the
// alert's transaction.
func TestIngestModels(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	tri, err := triage.New(triage.Config{Store: st, Audit: audit.New(st, nil)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := detect.NewPipeline(detect.Config{
		Events: st, Alerts: st, Incidents: st, Rules: rules, Models: fakeModels{},
		Audit: audit.New(st, nil), Tx: store.View[detect.Tx]{Store: st}, Suppressor: tri,
		Now: func() time.Time { return clockTime },
	})
	if err != nil {
		t.Fatalf("NewPipeline: %v", err)
	}
	ctx := context.Background()
	res, err := p.Ingest(ctx, events("medium", "odd"))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if len(res.Alerts) != 2 || res.Alerts[1].RuleID != "anomaly.test" {
		t.Fatalf("alerts %+v, want the rule's then the model's", res.Alerts)
	}
	stored, err := st.GetAlert(ctx, res.Alerts[1].ID)
	if err != nil {
		t.Fatalf("GetAlert: %v", err)
	}
	if x := stored.Explanation; x == nil || x.Model != "test" || x.Observed != 9 ||
		len(stored.EventIDs) != 1 || stored.EventIDs[0] != res.EventIDs[1] {
		t.Errorf("stored model alert %+v, explanation %+v", stored, stored.Explanation)
	}

	// The same group again within its window is a repeat.
	res, err = p.Ingest(ctx, events("odd"))
	if err != nil || res.Repeats != 1 || len(res.Alerts) != 0 {
		t.Errorf("second odd event: %+v, %v; want one repeat", res, err)
	}

	// An alert without an event, raised outside Ingest.
	silent := detect.ModelAlert{Alert: &detect.Alert{RuleID: "anomaly.silence",
		RuleTitle: "Silent", Level: "medium", EventTime: eventTime,
		Explanation: &detect.Explanation{Model: "rate_silence", Baseline: 40}}}
	out := p.RaiseModelAlerts(ctx, []detect.ModelAlert{silent})
	if len(out.Alerts) != 1 || out.Alerts[0].ID == 0 || len(out.Incidents) != 0 {
		t.Fatalf("RaiseModelAlerts: %+v", out)
	}

	page, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var details map[string]any
	if err := json.Unmarshal(page.Items[0].Details, &details); err != nil ||
		page.Items[0].Action != audit.AlertRaised || details["model"] != "rate_silence" {
		t.Errorf("latest audit entry %+v %v", page.Items[0], details)
	}
}

// TestModelAlertTenantsAndExercise checks that a model alert takes the
// tenants the inventory gives its event and the exercise its event is
// tagged with (kept apart from the real alerts of its group, and marked),
// like a rule alert.
func TestModelAlertTenantsAndExercise(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	inv := &scope.Inventory{
		Regions:     []scope.Region{{ID: "eu-west"}},
		Datacenters: []scope.Datacenter{{ID: "fra1", Region: "eu-west"}},
		Services:    []scope.Service{{ID: "storage"}},
		Farms: []scope.Farm{{ID: "st-3", Datacenter: "fra1", Service: "storage",
			Tenants: []string{"initech"}}},
		Servers: []scope.Server{{Name: "st-3-01.fra1.example.net", Farm: "st-3"}},
	}
	if _, err := st.ChangeInventory(ctx, store.InventoryChange{Replace: inv}); err != nil {
		t.Fatal(err)
	}
	cache := scope.NewCache(st)
	if _, err := cache.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	ex := &readiness.Exercise{Name: "tabletop", Kind: readiness.ExerciseRedTeam}
	if err := st.CreateExercise(ctx, ex); err != nil {
		t.Fatal(err)
	}
	p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
		Models: fakeModels{}, Enricher: cache, Audit: audit.New(st, nil),
		Tx: store.View[detect.Tx]{Store: st}, Now: func() time.Time { return clockTime }})
	if err != nil {
		t.Fatal(err)
	}
	host := "st-3-01.fra1.example.net"
	res, err := p.Ingest(ctx, []*event.Event{
		{Time: eventTime, Fields: map[string]any{"kind": "odd", "Computer": host}},
		{Time: eventTime, Fields: map[string]any{"kind": "odd", "Computer": host,
			"vigil": map[string]any{"exercise": ex.ID}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != 2 || res.Repeats != 0 {
		t.Fatalf("%d alerts, %d repeats; want 2 alerts (an exercise's alert never folds "+
			"into a real one)", len(res.Alerts), res.Repeats)
	}
	for i, a := range res.Alerts {
		stored, err := st.GetAlert(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(stored.Tenants, []string{"initech"}) || stored.Explanation == nil {
			t.Errorf("alert %d: tenants %v, explanation %v; want initech and one", i,
				stored.Tenants, stored.Explanation)
		}
	}
	if res.Alerts[0].Exercise != 0 || res.Alerts[1].Exercise != ex.ID {
		t.Errorf("exercises %d and %d, want 0 and %d", res.Alerts[0].Exercise,
			res.Alerts[1].Exercise, ex.ID)
	}
	marks, err := st.ExerciseMarks(ctx, "alert", []int64{res.Alerts[0].ID, res.Alerts[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(marks, map[int64]int64{res.Alerts[1].ID: ex.ID}) {
		t.Errorf("exercise marks %v, want only the second alert's", marks)
	}
}

// failingAppender is a store whose transactions cannot append an audit
// entry, as when the trail's storage fails.
type failingAppender struct{ *sqlite.Store }

func (f failingAppender) Atomically(ctx context.Context, fn func(tx detect.Tx) error) error {
	return f.Store.Atomically(ctx, func(tx store.Tx) error {
		return fn(failingTx{tx})
	})
}

type failingTx struct{ store.Tx }

func (failingTx) AppendAudit(context.Context, *audit.Entry) error {
	return errors.New("audit storage unavailable")
}

// TestModelAlertWithoutAuditNotStored checks that a model alert whose
// audit entry cannot be appended is not stored either.
func TestModelAlertWithoutAuditNotStored(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
		Models: fakeModels{}, Audit: audit.New(st, nil), Tx: failingAppender{st}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Ingest(ctx, events("odd"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != 0 || len(res.EventIDs) != 1 {
		t.Fatalf("Ingest %+v: want the event stored and no alert", res)
	}
	page, err := st.ListAlerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 0 {
		t.Errorf("%d alerts stored without their audit entry", len(page.Items))
	}
	silent := detect.ModelAlert{Alert: &detect.Alert{RuleID: "anomaly.silence",
		RuleTitle: "Silent", Level: "medium", EventTime: eventTime,
		Explanation: &detect.Explanation{Model: "rate_silence", Baseline: 40}}}
	if out := p.RaiseModelAlerts(ctx, []detect.ModelAlert{silent}); len(out.Alerts) != 0 {
		t.Errorf("RaiseModelAlerts stored %d alerts without their audit entry",
			len(out.Alerts))
	}
}
