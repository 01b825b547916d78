package detect_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// TestEnrichedAlertsCarryTenants stores an inventory, runs events through
// a pipeline that enriches them from it, and checks that the stored events
// carry the vigil fields and their alerts the tenants.
func TestEnrichedAlertsCarryTenants(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	inv := &scope.Inventory{
		Regions:     []scope.Region{{ID: "eu-west"}},
		Datacenters: []scope.Datacenter{{ID: "fra1", Region: "eu-west"}},
		Services: []scope.Service{{ID: "storage",
			Tenants: map[string][]string{"eu-west": {"globex"}}}},
		Farms: []scope.Farm{{ID: "st-3", Datacenter: "fra1", Service: "storage",
			Tenants: []string{"initech"}}},
		Servers: []scope.Server{{Name: "st-3-01.fra1.example.net", Farm: "st-3",
			Addresses: []string{"10.1.3.11"}}},
	}
	if _, err := st.ChangeInventory(ctx, store.InventoryChange{Replace: inv}); err != nil {
		t.Fatal(err)
	}
	cache := scope.NewCache(st)
	if _, err := cache.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
		Rules: rules, Enricher: cache})
	if err != nil {
		t.Fatal(err)
	}
	es := []*event.Event{
		{Fields: map[string]any{"kind": "high", "Computer": "ST-3-01.fra1.example.net"}},
		{Fields: map[string]any{"kind": "medium", "host": "laptop-9",
			"vigil": map[string]any{"tenants": []any{"spoofed"}}}},
	}
	res, err := p.Ingest(ctx, es)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != 2 {
		t.Fatalf("%d alerts, want 2", len(res.Alerts))
	}
	if got := res.Alerts[0].Tenants; !cmp.Equal(got, []string{"globex", "initech"}) {
		t.Errorf("alert of the known host: tenants %v, want globex, initech", got)
	}
	if got := res.Alerts[1].Tenants; len(got) != 0 {
		t.Errorf("alert of an unknown host: tenants %v, want none (the sender's are dropped)",
			got)
	}
	stored, err := st.GetAlert(ctx, res.Alerts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(stored.Tenants, []string{"globex", "initech"}) {
		t.Errorf("stored alert tenants %v", stored.Tenants)
	}
	var fields struct {
		Vigil map[string]any `json:"vigil"`
	}
	if err := json.Unmarshal(stored.Events[0], &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"server": "st-3-01.fra1.example.net", "farm": "st-3",
		"service": "storage", "datacenter": "fra1", "region": "eu-west",
		"tenants": []any{"globex", "initech"}}
	if diff := cmp.Diff(want, fields.Vigil); diff != "" {
		t.Errorf("stored event's vigil fields (-want +got):\n%s", diff)
	}
	other, _ := st.GetAlert(ctx, res.Alerts[1].ID)
	var otherFields map[string]any
	if json.Unmarshal(other.Events[0], &otherFields) != nil || otherFields["vigil"] != nil {
		t.Errorf("the spoofed vigil field was stored: %s", other.Events[0])
	}
}
