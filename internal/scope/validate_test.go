package scope

import (
	"errors"
	"strings"
	"testing"
)

// validInventory is a small valid inventory the table below breaks.
func validInventory() *Inventory {
	return &Inventory{
		Regions:     []Region{{ID: "eu-west"}},
		Datacenters: []Datacenter{{ID: "fra1", Region: "eu-west"}},
		Services: []Service{{ID: "storage",
			Tenants: map[string][]string{"eu-west": {"acme"}}}},
		Farms: []Farm{{ID: "st-3", Datacenter: "fra1", Service: "storage",
			Addresses: []string{"10.1.3.0/24"}, Tenants: []string{"globex"}}},
		Servers: []Server{{Name: "st-3-01.fra1.example.net", Farm: "st-3",
			Addresses: []string{"10.1.3.1", "2001:db8::1"}, Tenants: []string{"initech"}}},
	}
}

func TestValidate(t *testing.T) {
	known := func(tn string) bool { return tn != "ghost" }
	if err := Validate(validInventory(), known); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	tests := []struct {
		name   string
		break_ func(inv *Inventory)
		want   string
	}{
		{"bad region id", func(inv *Inventory) { inv.Regions[0].ID = "EU West" },
			`region EU West: id: "EU West" is not an ID`},
		{"repeated region", func(inv *Inventory) {
			inv.Regions = append(inv.Regions, Region{ID: "eu-west"})
		}, "region eu-west: id: listed twice"},
		{"unknown region", func(inv *Inventory) { inv.Datacenters[0].Region = "eu-east" },
			`datacenter fra1: region: "eu-east" is not in the inventory`},
		{"missing datacenter", func(inv *Inventory) { inv.Farms[0].Datacenter = "" },
			"farm st-3: datacenter: missing"},
		{"unknown service", func(inv *Inventory) { inv.Farms[0].Service = "storag" },
			`farm st-3: service: "storag" is not in the inventory`},
		{"unknown farm", func(inv *Inventory) { inv.Servers[0].Farm = "st-9" },
			`server st-3-01.fra1.example.net: farm: "st-9" is not in the inventory`},
		{"bad host", func(inv *Inventory) { inv.Servers[0].Name = "st_3 01" },
			`server st_3 01: name: "st_3 01" is not a host name`},
		{"address as host", func(inv *Inventory) { inv.Servers[0].Name = "10.1.3.1" },
			"is an address, not a host name"},
		{"bad address", func(inv *Inventory) { inv.Servers[0].Addresses[1] = "10.1.3.300" },
			`addresses[1]: "10.1.3.300" is not an IP address or CIDR range`},
		{"unmasked range", func(inv *Inventory) { inv.Farms[0].Addresses[0] = "10.1.3.7/24" },
			`farm st-3: addresses[0]: "10.1.3.7/24" is not in canonical form (want "10.1.3.0/24")`},
		{"shared address", func(inv *Inventory) { inv.Farms[0].Addresses[0] = "10.1.3.1" },
			"server st-3-01.fra1.example.net: addresses[0]: 10.1.3.1 is listed by farm st-3 too"},
		{"unknown tenant", func(inv *Inventory) { inv.Farms[0].Tenants[0] = "ghost" },
			`farm st-3: tenants[0]: unknown tenant "ghost"`},
		{"repeated tenant", func(inv *Inventory) {
			inv.Servers[0].Tenants = []string{"initech", "initech"}
		}, `tenants[1]: tenant "initech" listed twice`},
		{"service tenants in unknown region", func(inv *Inventory) {
			inv.Services[0].Tenants = map[string][]string{"mars": {"acme"}}
		}, `service storage: tenants: "mars" is not in the inventory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := validInventory()
			tt.break_(inv)
			err := Validate(inv, known)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.want)
			}
			var ee *EntryError
			if !errors.As(err, &ee) {
				t.Errorf("errors.As(%T, *EntryError) failed", err)
			}
		})
	}
}

func TestValidateCapsErrors(t *testing.T) {
	inv := validInventory()
	for range 30 {
		inv.Regions = append(inv.Regions, Region{ID: "Bad"})
	}
	var ve *ValidationError
	if err := Validate(inv, nil); !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	if len(ve.Errs) != maxErrors || ve.More != 30-maxErrors {
		t.Errorf("%d errors and %d more, want %d and %d", len(ve.Errs), ve.More, maxErrors,
			30-maxErrors)
	}
	if !strings.HasSuffix(ve.Error(), "and 10 more problems") {
		t.Errorf("Error() does not end with the count of the others: %q", ve.Error())
	}
}

func TestNormalize(t *testing.T) {
	inv := validInventory()
	inv.Servers[0].Name = " ST-3-01.FRA1.Example.NET. "
	inv.Servers[0].Addresses = []string{"::ffff:10.1.3.1", " 2001:DB8::1 "}
	inv.Farms[0].Addresses = []string{"10.1.3.77/24"}
	inv.Normalize()
	if err := Validate(inv, nil); err != nil {
		t.Fatalf("Validate after Normalize: %v", err)
	}
	s := inv.Servers[0]
	if s.Name != "st-3-01.fra1.example.net" || s.Addresses[0] != "10.1.3.1" ||
		s.Addresses[1] != "2001:db8::1" || inv.Farms[0].Addresses[0] != "10.1.3.0/24" {
		t.Errorf("normalized server %+v, farm addresses %v", s, inv.Farms[0].Addresses)
	}
}

func TestTenants(t *testing.T) {
	got := strings.Join(validInventory().Tenants(), ",")
	if got != "acme,globex,initech" {
		t.Errorf("Tenants() = %s, want acme,globex,initech", got)
	}
}
