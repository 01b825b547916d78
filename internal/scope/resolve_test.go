package scope

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tenantsOf lists the affected tenants with their path counts:
// "globex-bank:1 hooli:1".
func tenantsOf(res Resolution) string {
	var parts []string
	for _, a := range res.Tenants {
		parts = append(parts, a.Tenant+":"+strconv.Itoa(a.PathCount))
	}
	return strings.Join(parts, " ")
}

func TestResolveLevels(t *testing.T) {
	x := sampleIndex(t)
	tests := []struct {
		name string
		sc   Scope
		obs  []Observation
		want string
	}{
		{"region", Scope{Regions: []string{"us-east"}}, nil, "acme-health:1 umbrella-gov:1"},
		// st-4 is storage in eu-west, which globex-bank has whole.
		{"datacenter", Scope{Datacenters: []string{"par1"}}, nil,
			"globex-bank:1 initech:1 soylent:1"},
		{"service everywhere", Scope{Services: []ServiceRef{{Service: "storage"}}}, nil,
			"acme-health:1 globex-bank:1 hooli:1 initech:1"},
		{"service in a region", Scope{Services: []ServiceRef{{Service: "storage",
			Region: "us-east"}}}, nil, "acme-health:1"},
		// The whole-service tenants count once, not once per farm.
		{"service with tenants and farms", Scope{Services: []ServiceRef{{Service: "mail",
			Region: "ap-south"}}}, nil, "hooli:1"},
		{"farm", Scope{Farms: []string{"st-3"}}, nil, "globex-bank:1 hooli:1 initech:1"},
		{"server", Scope{Servers: []string{"st-3-02.fra1.example.net"}}, nil,
			"globex-bank:1 initech:1"},
		{"host short name", Scope{Hosts: []string{"st-3-01"}}, nil,
			"globex-bank:1 hooli:1 initech:1"},
		{"address in a farm range only", Scope{Addresses: []string{"10.1.3.99"}}, nil,
			"globex-bank:1 initech:1"},
		{"cidr", Scope{Addresses: []string{"10.1.3.0/28"}}, nil,
			"globex-bank:1 hooli:1 initech:1"},
		{"ipv6", Scope{}, []Observation{{Kind: "address", Value: "2001:db8:2:3::11",
			From: "indicator"}}, "globex-bank:1"},
		// Overlapping items: initech through the region (farms st-3 and
		// mx-1) and through the farm again.
		{"overlap", Scope{Regions: []string{"eu-west"}, Farms: []string{"st-3"}}, nil,
			"globex-bank:2 hooli:2 initech:3 soylent:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Resolve(x, tt.sc, tt.obs)
			if got := tenantsOf(res); got != tt.want {
				t.Errorf("Resolve(%+v) = %s, want %s", tt.sc, got, tt.want)
			}
			if res.Revision != 7 {
				t.Errorf("Revision = %d, want 7", res.Revision)
			}
		})
	}
}

func TestResolvePaths(t *testing.T) {
	x := sampleIndex(t)
	res := Resolve(x, Scope{Farms: []string{"st-3"}},
		[]Observation{{Kind: "address", Value: "10.1.3.11", From: "alert 4"}})
	got := map[string][]string{}
	for _, a := range res.Tenants {
		for _, p := range a.Paths {
			got[a.Tenant] = append(got[a.Tenant], p.Text)
		}
	}
	want := map[string][]string{
		"globex-bank": {
			"address 10.1.3.11 (alert 4): region eu-west ▸ service storage serves globex-bank",
			"farm st-3: region eu-west ▸ service storage serves globex-bank"},
		"hooli": {
			"address 10.1.3.11 (alert 4): region eu-west ▸ datacenter fra1 ▸ service storage ▸ " +
				"farm st-3 ▸ server st-3-01.fra1.example.net serves hooli",
			"farm st-3: region eu-west ▸ datacenter fra1 ▸ service storage ▸ farm st-3 ▸ " +
				"server st-3-01.fra1.example.net serves hooli"},
		"initech": {
			"address 10.1.3.11 (alert 4): region eu-west ▸ datacenter fra1 ▸ service storage ▸ " +
				"farm st-3 serves initech",
			"farm st-3: region eu-west ▸ datacenter fra1 ▸ service storage ▸ farm st-3 serves " +
				"initech"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	steps := res.Tenants[1].Paths[1].Steps
	if len(steps) != 5 || steps[4] != (Step{KindServer, "st-3-01.fra1.example.net"}) {
		t.Errorf("steps of hooli's farm path = %v", steps)
	}
}

func TestResolveUnmatched(t *testing.T) {
	x := sampleIndex(t)
	res := Resolve(x, Scope{Farms: []string{"st-9"}, Hosts: []string{"nowhere.example"},
		Addresses: []string{"192.0.2.0/24"}}, nil)
	want := []Via{{Kind: "farm", Value: "st-9"}, {Kind: "host", Value: "nowhere.example"},
		{Kind: "address", Value: "192.0.2.0/24"}}
	if len(res.Tenants) != 0 || !cmp.Equal(res.Unmatched, want) {
		t.Errorf("Resolve = %+v, want no tenant and unmatched %v", res, want)
	}
}

func TestResolveCapsPaths(t *testing.T) {
	inv := &Inventory{Regions: []Region{{ID: "r"}},
		Datacenters: []Datacenter{{ID: "d", Region: "r"}}, Services: []Service{{ID: "s"}},
		Farms: []Farm{{ID: "f", Datacenter: "d", Service: "s"}}}
	for i := range 25 {
		inv.Servers = append(inv.Servers, Server{Name: "h" + string(rune('a'+i)), Farm: "f",
			Tenants: []string{"acme"}})
	}
	x, err := Build(inv, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := Resolve(x, Scope{Regions: []string{"r"}}, nil)
	if len(res.Tenants) != 1 || res.Tenants[0].PathCount != 25 ||
		len(res.Tenants[0].Paths) != MaxPaths {
		t.Errorf("Resolve = %d tenants, %d paths kept of %d; want 1, %d of 25",
			len(res.Tenants), len(res.Tenants[0].Paths), res.Tenants[0].PathCount, MaxPaths)
	}
}

func TestScopeCheck(t *testing.T) {
	x := sampleIndex(t)
	tests := []struct {
		sc   Scope
		want string
	}{
		{Scope{Farms: []string{"st-3", "st-9"}}, `farms[1]: farm "st-9" is not in the inventory`},
		{Scope{Regions: []string{"mars"}}, `regions[0]: region "mars"`},
		{Scope{Services: []ServiceRef{{Service: "storage", Region: "mars"}}},
			`services[0].region: region "mars"`},
		{Scope{Services: []ServiceRef{{Service: "dns"}}}, `services[0].service: service "dns"`},
		{Scope{Servers: []string{"st-3-09.fra1.example.net"}}, "servers[0]: server"},
		{Scope{Addresses: []string{"10.1.3.256"}}, "addresses[0]: "},
		{Scope{Hosts: []string{""}}, "hosts[0]: empty"},
	}
	for _, tt := range tests {
		err := tt.sc.Check(x)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Check(%+v) = %v, want %q", tt.sc, err, tt.want)
		}
	}
	ok := Scope{Farms: []string{"st-3"}, Hosts: []string{"anything.example"},
		Addresses: []string{"192.0.2.1"}}
	if err := ok.Check(x); err != nil {
		t.Errorf("Check(%+v) = %v, want nil (observations need not match)", ok, err)
	}
}

func TestCompare(t *testing.T) {
	x := sampleIndex(t)
	before := Resolve(x, Scope{Farms: []string{"st-3"}}, nil)
	after := Resolve(x, Scope{Farms: []string{"mx-1"}}, nil)
	d := Compare(before.Tenants, after.Tenants)
	want := Diff{
		Added: []Change{{Tenant: "soylent",
			Reason: "farm mx-1: region eu-west ▸ datacenter par1 ▸ service mail ▸ farm mx-1 " +
				"serves soylent"}},
		Removed: []Change{
			{Tenant: "globex-bank",
				Reason: "farm st-3: region eu-west ▸ service storage serves globex-bank"},
			{Tenant: "hooli", Reason: "farm st-3: region eu-west ▸ datacenter fra1 ▸ " +
				"service storage ▸ farm st-3 ▸ server st-3-01.fra1.example.net serves hooli"}},
		Unchanged: 1,
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Compare (-want +got):\n%s", diff)
	}
	if same := Compare(after.Tenants, after.Tenants); !same.Empty() || same.Unchanged != 2 {
		t.Errorf("Compare(a, a) = %+v, want nothing added or removed, 2 unchanged", same)
	}
	if d := Compare(nil, after.Tenants); len(d.Added) != 2 || d.Empty() {
		t.Errorf("Compare(nil, a) = %+v, want 2 added", d)
	}
}

func TestSummaryAndDescribe(t *testing.T) {
	d := Diff{Added: []Change{{Tenant: "globex-bank"}, {Tenant: "hooli"}},
		Removed: []Change{{Tenant: "initech"}}}
	if got := d.Summary(3); got != "3 tenants affected; added globex-bank, hooli; removed initech" {
		t.Errorf("Summary = %q", got)
	}
	if got := (Diff{}).Summary(1); got != "1 tenant affected; no change" {
		t.Errorf("Summary of no change = %q", got)
	}
	sc := Scope{Farms: []string{"st-3"}, Services: []ServiceRef{{Service: "mail",
		Region: "ap-south"}}, FromIncident: true}
	want := "services mail in ap-south; farms st-3; the incident's indicators and alerts"
	if got := sc.Describe(); got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

func TestObservationsFromFields(t *testing.T) {
	enriched := map[string]any{"host": "web", "vigil": map[string]any{"server": "st-3-01"}}
	if got := ObservationsFromFields(enriched, "alert 1"); !cmp.Equal(got,
		[]Observation{{Kind: "host", Value: "st-3-01", From: "alert 1"}}) {
		t.Errorf("enriched event: %v", got)
	}
	raw := map[string]any{"Computer": "WKS-7.Corp.", "host": map[string]any{
		"ip": []any{"10.1.3.11", "::ffff:10.1.3.12"}}}
	want := []Observation{{Kind: "host", Value: "wks-7.corp", From: "alert 2"},
		{Kind: "address", Value: "10.1.3.11", From: "alert 2"},
		{Kind: "address", Value: "10.1.3.12", From: "alert 2"}}
	if got := ObservationsFromFields(raw, "alert 2"); !cmp.Equal(got, want) {
		t.Errorf("ObservationsFromFields = %v, want %v", got, want)
	}
}
