package scope

import (
	"net/netip"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	x := sampleIndex(t)
	tests := []struct {
		in                    string
		server, farm, tenants string // "" server: a farm's range; "-": not found
	}{
		{"st-3-01.fra1.example.net", "st-3-01.fra1.example.net", "st-3",
			"globex-bank,hooli,initech"},
		{"ST-3-01.FRA1.example.net.", "st-3-01.fra1.example.net", "st-3",
			"globex-bank,hooli,initech"},
		{"st-3-01", "st-3-01.fra1.example.net", "st-3", "globex-bank,hooli,initech"},
		{"10.1.3.11", "st-3-01.fra1.example.net", "st-3", "globex-bank,hooli,initech"},
		{"::ffff:10.1.3.11", "st-3-01.fra1.example.net", "st-3", "globex-bank,hooli,initech"},
		{"10.1.3.12", "st-3-02.fra1.example.net", "st-3", "globex-bank,initech"},
		{"10.1.3.99", "", "st-3", "globex-bank,initech"},
		{"2001:db8:2:3::11", "st-4-01.par1.example.net", "st-4", "globex-bank"},
		{"10.7.9.5", "", "gov-1", "umbrella-gov"},
		{"10.1.5.1", "-", "", ""},
		{"unknown.example.net", "-", "", ""},
		{"st-3", "-", "", ""},
	}
	for _, tt := range tests {
		loc, ok := x.Lookup(tt.in)
		if tt.server == "-" {
			if ok {
				t.Errorf("Lookup(%s) = %+v, want not found", tt.in, loc)
			}
			continue
		}
		if !ok {
			t.Errorf("Lookup(%s) not found", tt.in)
			continue
		}
		if loc.Server != tt.server || loc.Farm != tt.farm ||
			strings.Join(loc.Tenants, ",") != tt.tenants {
			t.Errorf("Lookup(%s) = %+v, want server %q farm %s tenants %s", tt.in, loc,
				tt.server, tt.farm, tt.tenants)
		}
	}
	loc, _ := x.Lookup("10.1.3.11")
	if loc.Service != "storage" || loc.Datacenter != "fra1" || loc.Region != "eu-west" {
		t.Errorf("Lookup(10.1.3.11) = %+v, want storage in fra1, eu-west", loc)
	}
}

// TestLongestPrefix nests a server address in a server range in a farm
// range: the longest prefix wins.
func TestLongestPrefix(t *testing.T) {
	inv := &Inventory{
		Regions:     []Region{{ID: "r"}},
		Datacenters: []Datacenter{{ID: "d", Region: "r"}},
		Services:    []Service{{ID: "s"}},
		Farms: []Farm{{ID: "f", Datacenter: "d", Service: "s",
			Addresses: []string{"10.0.0.0/8", "fd00::/16"}}},
		Servers: []Server{
			{Name: "pool", Farm: "f", Addresses: []string{"10.1.0.0/16", "fd00:1::/32"}},
			{Name: "one", Farm: "f", Addresses: []string{"10.1.2.3", "fd00:1::3"}},
		},
	}
	x, err := Build(inv, 1)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"10.1.2.3": "one", "10.1.2.4": "pool", "10.9.9.9": "", "fd00:1::3": "one",
		"fd00:1::4": "pool", "fd00:2::1": "",
	} {
		loc, ok := x.LookupAddr(netip.MustParseAddr(in))
		if !ok || loc.Server != want || loc.Farm != "f" {
			t.Errorf("LookupAddr(%s) = %+v, %v; want server %q of farm f", in, loc, ok, want)
		}
	}
	if _, ok := x.LookupAddr(netip.MustParseAddr("192.0.2.1")); ok {
		t.Error("LookupAddr(192.0.2.1) found something outside every range")
	}
}

// TestShortNameAmbiguous checks that a short name two servers share
// matches neither.
func TestShortNameAmbiguous(t *testing.T) {
	inv := &Inventory{
		Regions:     []Region{{ID: "r"}},
		Datacenters: []Datacenter{{ID: "d", Region: "r"}},
		Services:    []Service{{ID: "s"}},
		Farms:       []Farm{{ID: "f", Datacenter: "d", Service: "s"}},
		Servers: []Server{{Name: "web.a.example", Farm: "f"}, {Name: "web.b.example", Farm: "f"},
			{Name: "db.a.example", Farm: "f"}},
	}
	x, err := Build(inv, 1)
	if err != nil {
		t.Fatal(err)
	}
	if loc, ok := x.LookupHost("web"); ok {
		t.Errorf("LookupHost(web) = %+v, want not found (two servers are web)", loc)
	}
	if loc, ok := x.LookupHost("db"); !ok || loc.Server != "db.a.example" {
		t.Errorf("LookupHost(db) = %+v, %v; want db.a.example", loc, ok)
	}
}

func TestBuildRefusesInvalid(t *testing.T) {
	inv := validInventory()
	inv.Servers[0].Farm = "nope"
	if _, err := Build(inv, 1); err == nil {
		t.Error("Build accepted a server of an unknown farm")
	}
}
