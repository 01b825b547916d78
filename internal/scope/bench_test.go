package scope

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

// The synthetic inventory of the benchmarks: 10 regions of 4 datacenters,
// 5 services with 10 farms each per datacenter (2,000 farms) of 50
// servers (100,000 servers), and 50,000 tenants: each farm serves 25 of
// them, every fifth server one more, and each service serves 20 whole in
// each region.
const (
	benchRegions  = 10
	benchDCs      = 4
	benchServices = 5
	benchFarms    = 10 // per service and datacenter
	benchServers  = 50 // per farm
	benchTenants  = 50000
)

func benchInventory() *Inventory {
	inv := &Inventory{}
	tenant := func(i int) string { return fmt.Sprintf("t%05d", i%benchTenants) }
	for s := range benchServices {
		svc := Service{ID: fmt.Sprintf("svc%d", s), Tenants: map[string][]string{}}
		for r := range benchRegions {
			for k := range 20 {
				svc.Tenants[fmt.Sprintf("r%d", r)] = append(svc.Tenants[fmt.Sprintf("r%d", r)],
					tenant(40000+s*2000+r*20+k))
			}
		}
		inv.Services = append(inv.Services, svc)
	}
	farm, server := 0, 0
	for r := range benchRegions {
		inv.Regions = append(inv.Regions, Region{ID: fmt.Sprintf("r%d", r)})
		for d := range benchDCs {
			dc := fmt.Sprintf("r%d-d%d", r, d)
			inv.Datacenters = append(inv.Datacenters, Datacenter{ID: dc,
				Region: fmt.Sprintf("r%d", r)})
			for s := range benchServices {
				for range benchFarms {
					f := Farm{ID: fmt.Sprintf("f%04d", farm), Datacenter: dc,
						Service:   fmt.Sprintf("svc%d", s),
						Addresses: []string{fmt.Sprintf("10.%d.%d.0/24", farm/256, farm%256)}}
					for k := range 25 {
						f.Tenants = append(f.Tenants, tenant(farm*25+k))
					}
					inv.Farms = append(inv.Farms, f)
					for k := range benchServers {
						sv := Server{Name: fmt.Sprintf("h%06d.%s.example.net", server, dc),
							Farm: f.ID, Addresses: []string{
								fmt.Sprintf("10.%d.%d.%d", farm/256, farm%256, k+1)}}
						if server%5 == 0 {
							sv.Tenants = []string{tenant(server/5 + 7)}
						}
						inv.Servers = append(inv.Servers, sv)
						server++
					}
					farm++
				}
			}
		}
	}
	return inv
}

func benchIndex(b *testing.B) *Index {
	b.Helper()
	x, err := Build(benchInventory(), 1)
	if err != nil {
		b.Fatal(err)
	}
	if len(x.servers) != 100000 || len(x.inv.Tenants()) != benchTenants {
		b.Fatalf("%d servers and %d tenants, want 100,000 and 50,000", len(x.servers),
			len(x.inv.Tenants()))
	}
	return x
}

// BenchmarkResolve resolves scopes of growing size over 100,000 servers
// and 50,000 tenants (docs/performance.md).
func BenchmarkResolve(b *testing.B) {
	x := benchIndex(b)
	for _, bc := range []struct {
		name string
		sc   Scope
	}{
		{"farm", Scope{Farms: []string{"f0777"}}},
		{"address", Scope{Addresses: []string{"10.3.9.17"}}},
		{"datacenter", Scope{Datacenters: []string{"r3-d1"}}},
		{"region", Scope{Regions: []string{"r3"}}},
		{"service-everywhere", Scope{Services: []ServiceRef{{Service: "svc2"}}}},
		{"everything", Scope{Regions: []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
			"r8", "r9"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n int
			b.ReportAllocs()
			for b.Loop() {
				n = len(Resolve(x, bc.sc, nil).Tenants)
			}
			b.ReportMetric(float64(n), "tenants")
		})
	}
}

// BenchmarkBuild compiles the 100,000-server inventory, as a refresh does
// after loading it (validation included).
func BenchmarkBuild(b *testing.B) {
	inv := benchInventory()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(inv, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup looks up hosts and addresses in the 100,000-server
// index, as enrichment does for every event.
func BenchmarkLookup(b *testing.B) {
	x := benchIndex(b)
	host := "h054321.r5-d1.example.net"
	addr := netip.MustParseAddr("10.4.20.17")
	inRange := netip.MustParseAddr("10.4.20.200")
	b.Run("host", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := x.LookupHost(host); !ok {
				b.Fatal("not found")
			}
		}
	})
	b.Run("address", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := x.LookupAddr(addr); !ok {
				b.Fatal("not found")
			}
		}
	})
	b.Run("farm-range", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if loc, ok := x.LookupAddr(inRange); !ok || loc.Server != "" {
				b.Fatal("not the farm")
			}
		}
	})
}

// BenchmarkEnrich enriches an event by its host name over the
// 100,000-server index.
func BenchmarkEnrich(b *testing.B) {
	c := &Cache{}
	c.cur.Store(benchIndex(b))
	b.ReportAllocs()
	for b.Loop() {
		e := &event.Event{Fields: map[string]any{"Computer": "h054321.r5-d1.example.net",
			"EventID": "4624"}}
		if len(c.Enrich(e)) == 0 {
			b.Fatal("no tenants")
		}
	}
}
