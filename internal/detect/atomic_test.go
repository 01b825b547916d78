package detect_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// refusingAudit fails every entry, as a broken audit table would.
type refusingAudit struct{}

func (refusingAudit) RecordIn(context.Context, audit.Appender, audit.Entry) error {
	return errors.New("audit trail unavailable")
}

// TestAlertTenantsAndMarksAtomic ingests an exercise's event from a host
// the inventory knows: with a working trail the alert and the incident
// carry their tenants and exercise marks; when the audit entry cannot be
// recorded, neither the alert, its tenants, the incident nor a mark is
// kept (the events are).
func TestAlertTenantsAndMarksAtomic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	inv := &scope.Inventory{Regions: []scope.Region{{ID: "eu-west"}},
		Datacenters: []scope.Datacenter{{ID: "fra1", Region: "eu-west"}},
		Services:    []scope.Service{{ID: "storage"}},
		Farms: []scope.Farm{{ID: "st-3", Datacenter: "fra1", Service: "storage",
			Tenants: []string{"initech"}}},
		Servers: []scope.Server{{Name: "st-3-01", Farm: "st-3"}}}
	ex := &readiness.Exercise{Name: "drill", Kind: readiness.ExerciseSimulation,
		Status: readiness.ExerciseRunning}
	_, err := st.ChangeInventory(ctx, store.InventoryChange{Replace: inv})
	if err = errors.Join(err, st.CreateExercise(ctx, ex)); err != nil {
		t.Fatal(err)
	}
	cache := scope.NewCache(st)
	if _, err := cache.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	tagged := func() []*event.Event {
		return []*event.Event{{Fields: map[string]any{"kind": "high", "host": "st-3-01",
			"vigil": map[string]any{"exercise": ex.ID}}}}
	}
	for _, tt := range []struct {
		name  string
		audit detect.AuditRecorder
		kept  bool
	}{
		{"audit refused", refusingAudit{}, false},
		{"audit recorded", audit.New(st, nil), true},
	} {
		p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
			Rules: rules, Enricher: cache, Audit: tt.audit,
			Tx: store.View[detect.Tx]{Store: st}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Ingest(ctx, tagged())
		if err != nil {
			t.Fatalf("%s: Ingest: %v", tt.name, err)
		}
		alerts, err := st.ListAlerts(ctx, store.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		marked, err1 := st.ExerciseObjects(ctx, ex.ID, store.MarkAlert)
		incidents, err2 := st.ExerciseObjects(ctx, ex.ID, store.MarkIncident)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if !tt.kept {
			if len(res.Alerts)+len(res.Incidents)+len(alerts.Items)+len(marked)+
				len(incidents) != 0 {
				t.Errorf("%s: kept %d alerts (%d stored), %d incidents, marks %v and %v; "+
					"want none", tt.name, len(res.Alerts), len(alerts.Items),
					len(res.Incidents), marked, incidents)
			}
			continue
		}
		if len(res.Alerts) != 1 || len(res.Incidents) != 1 || len(alerts.Items) != 1 {
			t.Fatalf("%s: %d alerts (%d stored) and %d incidents, want 1 each", tt.name,
				len(res.Alerts), len(alerts.Items), len(res.Incidents))
		}
		if got := alerts.Items[0].Tenants; !cmp.Equal(got, []string{"initech"}) {
			t.Errorf("%s: stored alert's tenants %v, want initech", tt.name, got)
		}
		if !cmp.Equal(marked, []int64{res.Alerts[0].ID}) ||
			!cmp.Equal(incidents, []int64{res.Incidents[0].ID}) {
			t.Errorf("%s: marks %v and %v, want the alert and the incident", tt.name,
				marked, incidents)
		}
	}
}
