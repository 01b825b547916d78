package scope

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
)

// memSource is a Source over an inventory in memory.
type memSource struct {
	inv   *Inventory
	rev   int64
	loads int
	err   error
}

func (m *memSource) LoadInventory(context.Context) (*Inventory, int64, error) {
	m.loads++
	if m.err != nil {
		return nil, 0, m.err
	}
	c := *m.inv
	return &c, m.rev, nil
}

func (m *memSource) InventoryRevision(context.Context) (int64, error) { return m.rev, m.err }

func TestCacheRefresh(t *testing.T) {
	src := &memSource{inv: &sampleDoc(t).Inventory, rev: 3}
	c := NewCache(src)
	if _, ok := c.Index().Lookup("10.1.3.11"); ok {
		t.Fatal("a new cache knows hosts before its first refresh")
	}
	if changed, err := c.Refresh(t.Context()); !changed || err != nil {
		t.Fatalf("Refresh = %v, %v; want true, nil", changed, err)
	}
	if changed, err := c.Refresh(t.Context()); changed || err != nil || src.loads != 1 {
		t.Fatalf("Refresh at the same revision = %v, %v after %d loads; want false, nil, 1",
			changed, err, src.loads)
	}
	if loc, ok := c.Index().Lookup("10.1.3.11"); !ok || loc.Farm != "st-3" {
		t.Fatalf("Lookup after Refresh = %+v, %v", loc, ok)
	}

	src.inv = validInventory()
	src.rev = 4
	if changed, err := c.Refresh(t.Context()); !changed || err != nil {
		t.Fatalf("Refresh after a change = %v, %v", changed, err)
	}
	if _, ok := c.Index().Lookup("10.7.3.11"); ok || c.Index().Revision() != 4 {
		t.Errorf("the old inventory is still served at revision %d", c.Index().Revision())
	}

	src.err, src.rev = errors.New("database gone"), 5
	if _, err := c.Refresh(t.Context()); err == nil || c.Index().Revision() != 4 {
		t.Errorf("Refresh with a failing store = %v at revision %d; want an error, 4 kept",
			err, c.Index().Revision())
	}
}

func TestEnrich(t *testing.T) {
	src := &memSource{inv: &sampleDoc(t).Inventory, rev: 1}
	c := NewCache(src)
	if _, err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		fields  map[string]any
		want    map[string]any // the vigil field; nil: none
		tenants []string
	}{
		{"windows computer", map[string]any{"Computer": "ST-3-01.fra1.example.net"},
			map[string]any{"server": "st-3-01.fra1.example.net", "farm": "st-3",
				"service": "storage", "datacenter": "fra1", "region": "eu-west",
				"tenants": []any{"globex-bank", "hooli", "initech"}},
			[]string{"globex-bank", "hooli", "initech"}},
		{"ecs host.ip list", map[string]any{"host": map[string]any{"name": "unknown",
			"ip": []any{"fe80::1", "10.7.9.20"}}},
			map[string]any{"farm": "gov-1", "service": "compute", "datacenter": "nyc1",
				"region": "us-east", "tenants": []any{"umbrella-gov"}},
			[]string{"umbrella-gov"}},
		{"syslog host", map[string]any{"host": "mx-1-01"},
			map[string]any{"server": "mx-1-01.par1.example.net", "farm": "mx-1",
				"service": "mail", "datacenter": "par1", "region": "eu-west",
				"tenants": []any{"initech", "soylent"}},
			[]string{"initech", "soylent"}},
		{"unknown host", map[string]any{"host": "laptop-7"}, nil, nil},
		{"spoofed fields are dropped", map[string]any{"host": "laptop-7",
			"vigil":         map[string]any{"tenants": []any{"acme-health"}},
			"vigil.tenants": "acme-health"}, nil, nil},
		{"exercise tag kept, unknown host", map[string]any{"host": "laptop-7",
			"vigil": map[string]any{"exercise": 12, "step": 3,
				"tenants": []any{"acme-health"}},
			"vigil.exercise": 13},
			map[string]any{"exercise": 12, "step": 3}, nil},
		{"exercise tag kept, known host", map[string]any{"host": "mx-1-01",
			"vigil": map[string]any{"exercise": "12", "region": "us-east"}},
			map[string]any{"server": "mx-1-01.par1.example.net", "farm": "mx-1",
				"service": "mail", "datacenter": "par1", "region": "eu-west",
				"tenants": []any{"initech", "soylent"}, "exercise": "12"},
			[]string{"initech", "soylent"}},
		{"step without exercise dropped", map[string]any{"host": "laptop-7",
			"vigil": map[string]any{"step": 3}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &event.Event{Fields: tt.fields}
			tenants := c.Enrich(e)
			got, _ := e.Fields["vigil"].(map[string]any)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("vigil field (-want +got):\n%s", diff)
			}
			if !cmp.Equal(tenants, tt.tenants) {
				t.Errorf("Enrich returned %v, want %v", tenants, tt.tenants)
			}
			for _, k := range []string{"vigil.tenants", "vigil.exercise"} {
				if _, ok := e.Fields[k]; ok {
					t.Errorf("a flat %s field from the sender survived", k)
				}
			}
		})
	}
	v, ok := (&event.Event{Fields: map[string]any{"Computer": "st-7-01"}}).Lookup(
		event.NewPath("vigil.tenants"))
	if ok {
		t.Errorf("an event never enriched has vigil.tenants %v", v)
	}
	e := &event.Event{Fields: map[string]any{"Computer": "st-7-01"}}
	c.Enrich(e)
	if v, ok := e.Lookup(event.NewPath("vigil.tenants")); !ok ||
		!cmp.Equal(v, []any{"acme-health"}) {
		t.Errorf("vigil.tenants after Enrich = %v, %v", v, ok)
	}
}
