package scope

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// MaxPaths is how many paths Resolve keeps for each affected tenant; it
// counts the others in Affected.PathCount.
const MaxPaths = 10

// Scope is what an incident touched, at any level of the inventory. Named
// entries (regions to servers) must exist when the scope is set; hosts and
// addresses are observations (from indicators and alerts) that may or may
// not be in the inventory. FromIncident asks the caller to add the host,
// IP and CIDR indicators of the incident and the hosts of its alerts as
// observations.
type Scope struct {
	Regions      []string     `json:"regions,omitempty"`
	Datacenters  []string     `json:"datacenters,omitempty"`
	Services     []ServiceRef `json:"services,omitempty"`
	Farms        []string     `json:"farms,omitempty"`
	Servers      []string     `json:"servers,omitempty"`
	Hosts        []string     `json:"hosts,omitempty"`
	Addresses    []string     `json:"addresses,omitempty"`
	FromIncident bool         `json:"from_incident,omitempty"`
}

// ServiceRef is a whole service, everywhere (Region empty) or in one
// region.
type ServiceRef struct {
	Service string `json:"service"`
	Region  string `json:"region,omitempty"`
}

// Empty reports whether s names nothing.
func (s *Scope) Empty() bool {
	return len(s.Regions)+len(s.Datacenters)+len(s.Services)+len(s.Farms)+len(s.Servers)+
		len(s.Hosts)+len(s.Addresses) == 0 && !s.FromIncident
}

// Normalize trims every value, lowercases host and server names and puts
// addresses in canonical form.
func (s *Scope) Normalize() {
	for _, l := range [][]string{s.Regions, s.Datacenters, s.Farms} {
		normalizeAll(l, strings.TrimSpace)
	}
	for i := range s.Services {
		s.Services[i].Service = strings.TrimSpace(s.Services[i].Service)
		s.Services[i].Region = strings.TrimSpace(s.Services[i].Region)
	}
	normalizeAll(s.Servers, NormalizeHost)
	normalizeAll(s.Hosts, NormalizeHost)
	normalizeAll(s.Addresses, NormalizeAddress)
}

// Check reports, naming the field ("farms[1]"), a named entry that x does
// not hold, an address that does not parse, or an empty host; nil when
// the scope is usable.
func (s *Scope) Check(x *Index) error {
	named := []struct {
		field string
		kind  Kind
		ids   []string
	}{{"regions", KindRegion, s.Regions}, {"datacenters", KindDatacenter, s.Datacenters},
		{"farms", KindFarm, s.Farms}, {"servers", KindServer, s.Servers}}
	for _, n := range named {
		for i, id := range n.ids {
			if !x.Has(Ref{n.kind, id}) {
				return fmt.Errorf("%s[%d]: %s %q is not in the inventory", n.field, i, n.kind, id)
			}
		}
	}
	for i, sr := range s.Services {
		if !x.Has(Ref{KindService, sr.Service}) {
			return fmt.Errorf("services[%d].service: service %q is not in the inventory", i,
				sr.Service)
		}
		if sr.Region != "" && !x.Has(Ref{KindRegion, sr.Region}) {
			return fmt.Errorf("services[%d].region: region %q is not in the inventory", i,
				sr.Region)
		}
	}
	for i, h := range s.Hosts {
		if h == "" {
			return fmt.Errorf("hosts[%d]: empty", i)
		}
	}
	for i, a := range s.Addresses {
		if _, err := ParseRange(a); err != nil {
			return fmt.Errorf("addresses[%d]: %v", i, err)
		}
	}
	return nil
}

// Observation is a host name or address seen in an incident: Kind is
// "host" or "address" (an IP or a CIDR range), From says where it was
// seen ("indicator", "alert 12").
type Observation struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	From  string `json:"from,omitempty"`
}

// Via is the scope item a path starts from: a named entry ("farm st-3"),
// or an observation ("address 10.1.3.7", from "indicator").
type Via struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	From  string `json:"from,omitempty"`
}

// String returns "address 10.1.3.7 (indicator)".
func (v Via) String() string {
	s := v.Kind + " " + v.Value
	if v.From != "" {
		s += " (" + v.From + ")"
	}
	return s
}

// Step is one entry on a path.
type Step struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
}

// Path is why a tenant is affected: from the scope item Via, down the
// inventory (region first) to the entry that serves the tenant. Text is
// the path written out, "farm st-3: region eu-west ▸ datacenter fra1 ▸
// service storage ▸ farm st-3 serves acme".
type Path struct {
	Via   Via    `json:"via"`
	Steps []Step `json:"steps"`
	Text  string `json:"text"`
}

// Affected is a tenant that a scope touches, with up to MaxPaths of the
// paths that lead to it (sorted by Text) and how many there are.
type Affected struct {
	Tenant    string `json:"tenant"`
	Paths     []Path `json:"paths"`
	PathCount int    `json:"path_count"`
}

// Resolution is the outcome of Resolve: the affected tenants by ID, the
// scope items that match nothing in the inventory, and the inventory
// revision it was computed on.
type Resolution struct {
	Tenants   []Affected `json:"tenants"`
	Unmatched []Via      `json:"unmatched"`
	Revision  int64      `json:"inventory_revision"`
}

// resolver accumulates the affected tenants of one resolution.
type resolver struct {
	x        *Index
	byTenant map[string]*Affected
	// seen keeps, per via, the entries whose tenants were added (first).
	seen map[seenKey]bool
}

// Resolve returns the tenants that sc (normalized) and the observations
// touch in x. A region, datacenter, service or farm touches every farm
// within it whole; a server touches itself; an address touches the server
// or farm whose address or range is its longest prefix, and a CIDR range
// every server and farm address within it (and the range that holds it).
// A touched server affects its own tenants, its farm's and those its
// service serves in its region; a whole farm also affects the tenants of
// each of its servers. Named entries x does not hold, and observations
// that match nothing, are listed in Unmatched.
func Resolve(x *Index, sc Scope, obs []Observation) Resolution {
	rv := &resolver{x: x, byTenant: map[string]*Affected{}, seen: map[seenKey]bool{}}
	res := Resolution{Unmatched: []Via{}, Revision: x.revision}
	miss := func(v Via) { res.Unmatched = append(res.Unmatched, v) }
	for _, id := range sc.Regions {
		via := Via{Kind: string(KindRegion), Value: id}
		if r, ok := x.regions[id]; ok {
			rv.region(via, r)
		} else {
			miss(via)
		}
	}
	for _, id := range sc.Datacenters {
		via := Via{Kind: string(KindDatacenter), Value: id}
		if d, ok := x.dcs[id]; ok {
			rv.datacenter(via, d)
		} else {
			miss(via)
		}
	}
	for _, sr := range sc.Services {
		via := Via{Kind: string(KindService), Value: sr.Service}
		if sr.Region != "" {
			via.Value += " in " + sr.Region
		}
		if s, ok := x.services[sr.Service]; ok {
			rv.service(via, s, sr.Region)
		} else {
			miss(via)
		}
	}
	for _, id := range sc.Farms {
		via := Via{Kind: string(KindFarm), Value: id}
		if f, ok := x.farms[id]; ok {
			rv.farm(via, f, true)
		} else {
			miss(via)
		}
	}
	for _, name := range sc.Servers {
		via := Via{Kind: string(KindServer), Value: name}
		if s, ok := x.servers[name]; ok {
			rv.server(via, s)
		} else {
			miss(via)
		}
	}
	for _, h := range sc.Hosts {
		obs = append(obs, Observation{Kind: "host", Value: h})
	}
	for _, a := range sc.Addresses {
		obs = append(obs, Observation{Kind: "address", Value: a})
	}
	for _, o := range obs {
		if !rv.observation(o) {
			miss(Via(o))
		}
	}
	res.Tenants = rv.result()
	return res
}

func (rv *resolver) region(via Via, r *regionNode) {
	for _, d := range r.dcs {
		rv.datacenter(via, d)
	}
}

func (rv *resolver) datacenter(via Via, d *dcNode) {
	for _, f := range d.farms {
		rv.farm(via, f, true)
	}
}

// service touches every farm of s (in region, when not empty) and the
// tenants the whole service serves there, farms or not.
func (rv *resolver) service(via Via, s *serviceNode, region string) {
	for _, r := range sortedKeys(s.tenants) {
		if region == "" || r == region {
			rv.serviceTenants(via, s, r)
		}
	}
	for _, f := range s.farms {
		if region == "" || f.dc.region.id == region {
			rv.farm(via, f, true)
		}
	}
}

// farm touches f: its tenants and its service's in its region, and with
// whole the tenants of each of its servers.
func (rv *resolver) farm(via Via, f *farmNode, whole bool) {
	rv.serviceTenants(via, f.service, f.dc.region.id)
	if len(f.tenants) > 0 && rv.first(via, KindFarm, f.id) {
		steps := farmSteps(f)
		for _, t := range f.tenants {
			rv.add(t, via, steps)
		}
	}
	if !whole {
		return
	}
	for _, s := range f.servers {
		rv.serverTenants(via, s)
	}
}

// server touches s: its tenants, its farm's and its service's.
func (rv *resolver) server(via Via, s *serverNode) {
	rv.farm(via, s.farm, false)
	rv.serverTenants(via, s)
}

func (rv *resolver) serverTenants(via Via, s *serverNode) {
	if len(s.tenants) == 0 || !rv.first(via, KindServer, s.name) {
		return
	}
	steps := append(farmSteps(s.farm), Step{KindServer, s.name})
	for _, t := range s.tenants {
		rv.add(t, via, steps)
	}
}

func (rv *resolver) serviceTenants(via Via, s *serviceNode, region string) {
	ts := s.tenants[region]
	if len(ts) == 0 || !rv.first(via, KindService, s.id+"/"+region) {
		return
	}
	steps := []Step{{KindRegion, region}, {KindService, s.id}}
	for _, t := range ts {
		rv.add(t, via, steps)
	}
}

// seenKey is an entry reached through a via; a service's key is its ID
// and region.
type seenKey struct {
	via  Via
	kind Kind
	id   string
}

// first reports whether via reaches the entry (kind, id) for the first
// time, so that an entry reached again through the same item (every farm
// of a service, a server and the range of its farm) adds no path twice.
func (rv *resolver) first(via Via, kind Kind, id string) bool {
	key := seenKey{via, kind, id}
	if rv.seen[key] {
		return false
	}
	rv.seen[key] = true
	return true
}

// observation touches what a host or address names; false when nothing.
func (rv *resolver) observation(o Observation) bool {
	via := Via(o)
	if o.Kind == "host" {
		loc, ok := rv.x.LookupHost(o.Value)
		if ok {
			rv.server(via, rv.x.servers[loc.Server])
		}
		return ok
	}
	p, err := ParseRange(o.Value)
	if err != nil {
		return false
	}
	if p.IsSingleIP() {
		t, ok := rv.x.ranges.lookup(p.Addr())
		switch {
		case !ok:
			return false
		case t.server != nil:
			rv.server(via, t.server)
		default:
			rv.farm(via, t.farm, false)
		}
		return true
	}
	return rv.cidr(via, p)
}

// cidr touches every server and farm with an address or range that
// overlaps p.
func (rv *resolver) cidr(via Via, p netip.Prefix) bool {
	found := false
	for _, r := range rv.x.order {
		for _, d := range r.dcs {
			for _, f := range d.farms {
				if overlapsAny(p, f.addrs) {
					rv.farm(via, f, false)
					found = true
				}
				for _, s := range f.servers {
					if overlapsAny(p, s.addrs) {
						rv.server(via, s)
						found = true
					}
				}
			}
		}
	}
	return found
}

func overlapsAny(p netip.Prefix, addrs []netip.Prefix) bool {
	for _, q := range addrs {
		if q.Overlaps(p) {
			return true
		}
	}
	return false
}

func farmSteps(f *farmNode) []Step {
	return []Step{{KindRegion, f.dc.region.id}, {KindDatacenter, f.dc.id},
		{KindService, f.service.id}, {KindFarm, f.id}}
}

// add records a path to tenant t, keeping the first MaxPaths.
func (rv *resolver) add(t string, via Via, steps []Step) {
	a := rv.byTenant[t]
	if a == nil {
		a = &Affected{Tenant: t}
		rv.byTenant[t] = a
	}
	a.PathCount++
	if len(a.Paths) < MaxPaths {
		a.Paths = append(a.Paths, Path{Via: via, Steps: steps, Text: pathText(via, steps, t)})
	}
}

func pathText(via Via, steps []Step, tenant string) string {
	var b strings.Builder
	b.WriteString(via.String())
	b.WriteString(": ")
	for i, s := range steps {
		if i > 0 {
			b.WriteString(" ▸ ")
		}
		b.WriteString(string(s.Kind) + " " + s.ID)
	}
	b.WriteString(" serves " + tenant)
	return b.String()
}

func (rv *resolver) result() []Affected {
	out := make([]Affected, 0, len(rv.byTenant))
	for _, a := range rv.byTenant {
		slices.SortFunc(a.Paths, func(p, q Path) int { return cmp.Compare(p.Text, q.Text) })
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b Affected) int { return cmp.Compare(a.Tenant, b.Tenant) })
	return out
}

// Change is one tenant that a scope change added or removed, with the
// first path that made it affected (after the change for an added
// tenant, before it for a removed one).
type Change struct {
	Tenant string `json:"tenant"`
	Reason string `json:"reason"`
}

// Diff is what changed between two resolutions of an incident's scope.
type Diff struct {
	Added     []Change `json:"added"`
	Removed   []Change `json:"removed"`
	Unchanged int      `json:"unchanged"`
}

// Empty reports whether no tenant was added or removed.
func (d Diff) Empty() bool { return len(d.Added) == 0 && len(d.Removed) == 0 }

// Compare returns the tenants of after that before lacks (added), those
// of before that after lacks (removed), and how many are in both. Both
// lists must be sorted by tenant, as Resolve returns them.
func Compare(before, after []Affected) Diff {
	d := Diff{Added: []Change{}, Removed: []Change{}}
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		switch {
		case j == len(after) || i < len(before) && before[i].Tenant < after[j].Tenant:
			d.Removed = append(d.Removed, change(before[i]))
			i++
		case i == len(before) || after[j].Tenant < before[i].Tenant:
			d.Added = append(d.Added, change(after[j]))
			j++
		default:
			d.Unchanged++
			i, j = i+1, j+1
		}
	}
	return d
}

func change(a Affected) Change {
	c := Change{Tenant: a.Tenant}
	if len(a.Paths) > 0 {
		c.Reason = a.Paths[0].Text
	}
	return c
}
