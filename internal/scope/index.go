package scope

import (
	"net/netip"
	"slices"
	"strings"
)

// Location is where a host or address sits in the inventory, and the
// tenants whose data it may hold: its own, its farm's, and those served
// by its service throughout its region. Server is empty for an address
// that only a farm's ranges cover.
type Location struct {
	Server     string   `json:"server,omitempty"`
	Farm       string   `json:"farm"`
	Service    string   `json:"service"`
	Datacenter string   `json:"datacenter"`
	Region     string   `json:"region"`
	Tenants    []string `json:"tenants"`

	// fields is Tenants as event field values, shared by every event that
	// Enrich marks with this location.
	fields []any
}

// newLocation returns a Location with its event field values; boxed
// holds each tenant ID as an interface value already, so that the
// locations share them instead of boxing each ID again.
func newLocation(loc Location, boxed map[string]any) *Location {
	loc.fields = make([]any, len(loc.Tenants))
	for i, t := range loc.Tenants {
		b, ok := boxed[t]
		if !ok {
			b = t
			boxed[t] = b
		}
		loc.fields[i] = b
	}
	return &loc
}

type regionNode struct {
	id  string
	dcs []*dcNode
}

type dcNode struct {
	id     string
	region *regionNode
	farms  []*farmNode
}

type serviceNode struct {
	id    string
	farms []*farmNode
	// tenants maps a region ID to the tenants the whole service serves
	// there.
	tenants map[string][]string
}

type farmNode struct {
	id      string
	dc      *dcNode
	service *serviceNode
	tenants []string
	servers []*serverNode
	addrs   []netip.Prefix
	loc     *Location
}

type serverNode struct {
	name    string
	farm    *farmNode
	tenants []string
	addrs   []netip.Prefix
	loc     *Location
}

// target is what an address range points at: a server, or a farm.
type target struct {
	server *serverNode
	farm   *farmNode
}

// Index is an Inventory compiled for lookups and resolution. It is
// immutable and safe for concurrent use.
type Index struct {
	inv      *Inventory
	revision int64

	regions  map[string]*regionNode
	dcs      map[string]*dcNode
	services map[string]*serviceNode
	farms    map[string]*farmNode
	servers  map[string]*serverNode
	// short maps the first label of a host name to its server when no
	// other server shares it.
	short map[string]*serverNode

	ranges rangeTable
	// order lists regions, and their datacenters, farms and servers, by ID:
	// resolution walks them in this order, so its paths come out sorted.
	order []*regionNode
}

// Build compiles inv, which it sorts, into an Index tagged with the
// inventory's revision. It returns Validate's error (tenants checked for
// form only) for an inventory that is not valid. Build keeps inv: the
// caller must not change it afterwards.
func Build(inv *Inventory, revision int64) (*Index, error) {
	inv.Sort()
	if err := Validate(inv, nil); err != nil {
		return nil, err
	}
	x := &Index{inv: inv, revision: revision,
		regions:  make(map[string]*regionNode, len(inv.Regions)),
		dcs:      make(map[string]*dcNode, len(inv.Datacenters)),
		services: make(map[string]*serviceNode, len(inv.Services)),
		farms:    make(map[string]*farmNode, len(inv.Farms)),
		servers:  make(map[string]*serverNode, len(inv.Servers)),
		short:    make(map[string]*serverNode, len(inv.Servers)),
	}
	for _, r := range inv.Regions {
		n := &regionNode{id: r.ID}
		x.regions[r.ID] = n
		x.order = append(x.order, n)
	}
	for _, d := range inv.Datacenters {
		n := &dcNode{id: d.ID, region: x.regions[d.Region]}
		n.region.dcs = append(n.region.dcs, n)
		x.dcs[d.ID] = n
	}
	for _, s := range inv.Services {
		x.services[s.ID] = &serviceNode{id: s.ID, tenants: s.Tenants}
	}
	boxed := map[string]any{}
	for _, f := range inv.Farms {
		n := &farmNode{id: f.ID, dc: x.dcs[f.Datacenter], service: x.services[f.Service],
			tenants: f.Tenants}
		n.dc.farms = append(n.dc.farms, n)
		n.service.farms = append(n.service.farms, n)
		n.loc = newLocation(Location{Farm: f.ID, Service: f.Service, Datacenter: n.dc.id,
			Region: n.dc.region.id, Tenants: union(f.Tenants, n.serviceTenants())}, boxed)
		x.farms[f.ID] = n
		for _, a := range f.Addresses {
			p, _ := ParseRange(a) // Validate checked it
			n.addrs = append(n.addrs, p)
			x.ranges.add(p, target{farm: n})
		}
	}
	ambiguous := map[string]bool{}
	for _, s := range inv.Servers {
		n := &serverNode{name: s.Name, farm: x.farms[s.Farm], tenants: s.Tenants}
		n.farm.servers = append(n.farm.servers, n)
		f := n.farm.loc
		if len(s.Tenants) == 0 {
			// The farm's tenants: share its lists.
			loc := *f
			loc.Server = s.Name
			n.loc = &loc
		} else {
			n.loc = newLocation(Location{Server: s.Name, Farm: f.Farm, Service: f.Service,
				Datacenter: f.Datacenter, Region: f.Region,
				Tenants: union(s.Tenants, f.Tenants)}, boxed)
		}
		x.servers[s.Name] = n
		if label, _, ok := strings.Cut(s.Name, "."); ok {
			if _, taken := x.short[label]; taken || ambiguous[label] {
				delete(x.short, label)
				ambiguous[label] = true
			} else {
				x.short[label] = n
			}
		}
		for _, a := range s.Addresses {
			p, _ := ParseRange(a)
			n.addrs = append(n.addrs, p)
			x.ranges.add(p, target{server: n})
		}
	}
	x.ranges.finish()
	return x, nil
}

// serviceTenants returns the tenants that the farm's service serves in
// the farm's region.
func (f *farmNode) serviceTenants() []string {
	return f.service.tenants[f.dc.region.id]
}

// union returns the sorted union of two sorted lists, without repeats.
func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Revision returns the revision of the inventory the index was built from.
func (x *Index) Revision() int64 { return x.revision }

// Inventory returns the inventory the index was built from; the caller
// must not change it.
func (x *Index) Inventory() *Inventory { return x.inv }

// Has reports whether the inventory holds the entry ref.
func (x *Index) Has(ref Ref) bool {
	var ok bool
	switch ref.Kind {
	case KindRegion:
		_, ok = x.regions[ref.ID]
	case KindDatacenter:
		_, ok = x.dcs[ref.ID]
	case KindService:
		_, ok = x.services[ref.ID]
	case KindFarm:
		_, ok = x.farms[ref.ID]
	case KindServer:
		_, ok = x.servers[ref.ID]
	}
	return ok
}

// LookupHost returns where the server of host name h sits: h is compared
// without case or trailing dot, and a short name ("st-3-01") matches the
// one server whose name starts with that label. The Location is shared:
// do not change it.
func (x *Index) LookupHost(h string) (*Location, bool) {
	if n, ok := x.servers[h]; ok {
		return n.loc, true
	}
	h = NormalizeHost(h)
	if n, ok := x.servers[h]; ok {
		return n.loc, true
	}
	if n, ok := x.short[h]; ok {
		return n.loc, true
	}
	return nil, false
}

// LookupAddr returns where address a sits: the server or farm whose
// address or range is the longest prefix that contains a. The Location
// is shared: do not change it.
func (x *Index) LookupAddr(a netip.Addr) (*Location, bool) {
	t, ok := x.ranges.lookup(a)
	switch {
	case !ok:
		return nil, false
	case t.server != nil:
		return t.server.loc, true
	default:
		return t.farm.loc, true
	}
}

// Lookup looks up s as an IP address when it is one, else as a host name.
func (x *Index) Lookup(s string) (*Location, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return x.LookupAddr(a.Unmap())
	}
	return x.LookupHost(s)
}

// rangeTable finds the longest listed prefix that contains an address:
// one map per prefix length in use, tried from the longest.
type rangeTable struct {
	byBits map[int]map[netip.Prefix]target // bits: 0-32 IPv4, 100+bits IPv6
	v4, v6 []int                           // lengths in use, longest first
}

func (t *rangeTable) add(p netip.Prefix, tg target) {
	if t.byBits == nil {
		t.byBits = map[int]map[netip.Prefix]target{}
	}
	key := p.Bits()
	if p.Addr().Is6() {
		key += 100
	}
	m := t.byBits[key]
	if m == nil {
		m = map[netip.Prefix]target{}
		t.byBits[key] = m
	}
	m[p] = tg
}

func (t *rangeTable) finish() {
	for key := range t.byBits {
		if key >= 100 {
			t.v6 = append(t.v6, key-100)
		} else {
			t.v4 = append(t.v4, key)
		}
	}
	slices.SortFunc(t.v4, func(a, b int) int { return b - a })
	slices.SortFunc(t.v6, func(a, b int) int { return b - a })
}

func (t *rangeTable) lookup(a netip.Addr) (target, bool) {
	lengths, offset := t.v4, 0
	if a.Is6() {
		lengths, offset = t.v6, 100
	}
	for _, bits := range lengths {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if tg, ok := t.byBits[bits+offset][p]; ok {
			return tg, true
		}
	}
	return target{}, false
}
