package scope

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Kind is the kind of an inventory entry.
type Kind string

// The kinds of entries, from the top of the tree down; services stand
// beside the tree: a farm belongs to a datacenter and runs one service.
const (
	KindRegion     Kind = "region"
	KindDatacenter Kind = "datacenter"
	KindService    Kind = "service"
	KindFarm       Kind = "farm"
	KindServer     Kind = "server"
)

// Kinds lists the kinds in the order entries are stored and printed.
func Kinds() []Kind {
	return []Kind{KindRegion, KindDatacenter, KindService, KindFarm, KindServer}
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds(), k) }

// Ref names one entry: its kind and its ID (a server's ID is its host name).
type Ref struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
}

// String returns "farm st-3".
func (r Ref) String() string { return string(r.Kind) + " " + r.ID }

// Region is a geographic region of the provider ("eu-west").
type Region struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Datacenter is a site in a region.
type Datacenter struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Region string `json:"region"`
}

// Service is a service the provider sells ("storage"). It is deployed as
// farms in datacenters. Tenants lists, by region ID, the tenants that the
// whole service serves in that region: every farm of the service there
// holds their data.
type Service struct {
	ID      string              `json:"id"`
	Name    string              `json:"name,omitempty"`
	Tenants map[string][]string `json:"tenants,omitempty"`
}

// Farm is a group of servers in one datacenter that runs one service.
// Addresses are IP addresses (a virtual IP) or CIDR ranges of the farm's
// hosts that are not listed as servers; Tenants are the tenants the farm
// serves (all its servers hold their data).
type Farm struct {
	ID         string   `json:"id"`
	Name       string   `json:"name,omitempty"`
	Datacenter string   `json:"datacenter"`
	Service    string   `json:"service"`
	Addresses  []string `json:"addresses,omitempty"`
	Tenants    []string `json:"tenants,omitempty"`
}

// Server is one host of a farm, by its host name (lowercase, no trailing
// dot). Addresses are its IP addresses, or CIDR ranges when the entry
// stands for a pool of hosts; Tenants are served by this server alone.
type Server struct {
	Name      string   `json:"name"`
	Farm      string   `json:"farm"`
	Addresses []string `json:"addresses,omitempty"`
	Tenants   []string `json:"tenants,omitempty"`
}

// Inventory is the whole inventory in its flat form: one list per kind,
// each entry naming its parent by ID. IDs are unique within a kind. The
// zero Inventory is empty and valid.
type Inventory struct {
	Regions     []Region     `json:"regions"`
	Datacenters []Datacenter `json:"datacenters"`
	Services    []Service    `json:"services"`
	Farms       []Farm       `json:"farms"`
	Servers     []Server     `json:"servers"`
}

// Len reports how many entries inv holds.
func (inv *Inventory) Len() int {
	return len(inv.Regions) + len(inv.Datacenters) + len(inv.Services) + len(inv.Farms) +
		len(inv.Servers)
}

// Sort orders every list by ID (servers by name), and each entry's
// addresses and tenants, so that equal inventories print alike.
func (inv *Inventory) Sort() {
	slices.SortFunc(inv.Regions, func(a, b Region) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(inv.Datacenters, func(a, b Datacenter) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(inv.Services, func(a, b Service) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(inv.Farms, func(a, b Farm) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(inv.Servers, func(a, b Server) int { return cmp.Compare(a.Name, b.Name) })
	for i := range inv.Services {
		for _, ts := range inv.Services[i].Tenants {
			slices.Sort(ts)
		}
	}
	for i := range inv.Farms {
		slices.Sort(inv.Farms[i].Tenants)
	}
	for i := range inv.Servers {
		slices.Sort(inv.Servers[i].Tenants)
	}
}

// Tenants returns every tenant ID the inventory names, sorted, without
// repeats.
func (inv *Inventory) Tenants() []string {
	set := map[string]bool{}
	for _, s := range inv.Services {
		for _, ts := range s.Tenants {
			for _, t := range ts {
				set[t] = true
			}
		}
	}
	for _, f := range inv.Farms {
		for _, t := range f.Tenants {
			set[t] = true
		}
	}
	for _, s := range inv.Servers {
		for _, t := range s.Tenants {
			set[t] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Normalize puts values in the form Validate expects: IDs and host names
// trimmed, host names lowercase without a trailing dot, addresses in
// canonical form (IPv4-mapped IPv6 unmapped, CIDR ranges masked). A value
// that does not parse is left for Validate to report.
func (inv *Inventory) Normalize() {
	for i := range inv.Regions {
		r := &inv.Regions[i]
		r.ID, r.Name = strings.TrimSpace(r.ID), strings.TrimSpace(r.Name)
	}
	for i := range inv.Datacenters {
		d := &inv.Datacenters[i]
		d.ID, d.Name, d.Region = strings.TrimSpace(d.ID), strings.TrimSpace(d.Name),
			strings.TrimSpace(d.Region)
	}
	for i := range inv.Services {
		s := &inv.Services[i]
		s.ID, s.Name = strings.TrimSpace(s.ID), strings.TrimSpace(s.Name)
		for r, ts := range s.Tenants {
			normalizeAll(ts, strings.TrimSpace)
			if tr := strings.TrimSpace(r); tr != r {
				delete(s.Tenants, r)
				s.Tenants[tr] = append(s.Tenants[tr], ts...)
			}
		}
	}
	for i := range inv.Farms {
		f := &inv.Farms[i]
		f.ID, f.Name = strings.TrimSpace(f.ID), strings.TrimSpace(f.Name)
		f.Datacenter, f.Service = strings.TrimSpace(f.Datacenter), strings.TrimSpace(f.Service)
		normalizeAll(f.Addresses, NormalizeAddress)
		normalizeAll(f.Tenants, strings.TrimSpace)
	}
	for i := range inv.Servers {
		s := &inv.Servers[i]
		s.Name, s.Farm = NormalizeHost(s.Name), strings.TrimSpace(s.Farm)
		normalizeAll(s.Addresses, NormalizeAddress)
		normalizeAll(s.Tenants, strings.TrimSpace)
	}
}

func normalizeAll(vs []string, f func(string) string) {
	for i, v := range vs {
		vs[i] = f(v)
	}
}

// NormalizeHost returns a host name as the inventory keeps it: trimmed,
// lowercase, without a trailing dot.
func NormalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// NormalizeAddress returns an IP address or CIDR range in canonical form
// (RangeText: IPv4-mapped IPv6 unmapped, ranges masked, "10.1.3.7/24"
// becoming "10.1.3.0/24" and "10.1.3.7/32" "10.1.3.7"), or the trimmed
// input when it is neither.
func NormalizeAddress(s string) string {
	s = strings.TrimSpace(s)
	if p, err := ParseRange(s); err == nil {
		return RangeText(p)
	}
	return s
}

// RangeText writes a range as the inventory keeps it: a single address
// without its length ("10.1.3.7"), a wider range in CIDR form.
func RangeText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// ParseRange parses an IP address (as a single-address range) or a CIDR
// range, unmapping IPv4-mapped IPv6 and masking the range. Zones are
// refused.
func ParseRange(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q: an address with a zone is not accepted", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
	}
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() {
		if bits < 96 {
			return netip.Prefix{}, fmt.Errorf("%q: an IPv4-mapped range needs /96 or more", s)
		}
		a, bits = a.Unmap(), bits-96
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// idPattern is the form of region, datacenter, service, farm and tenant
// IDs: a lowercase slug.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// CheckID reports what makes id unusable as the ID of an entry or tenant:
// it must be a lowercase slug of letters, digits, '.', '_' and '-', from 1
// to 64 characters, starting with a letter or digit.
func CheckID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%q is not an ID: want 1 to 64 lowercase letters, digits, '.', '_' "+
			"or '-', starting with a letter or digit", id)
	}
	return nil
}

// CheckHost reports what makes h unusable as a server's host name: it must
// be normalized (NormalizeHost) and made of DNS labels, at most 253 bytes.
func CheckHost(h string) error {
	if h == "" || len(h) > 253 || h != NormalizeHost(h) {
		return fmt.Errorf("%q is not a host name in lowercase without a trailing dot", h)
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return fmt.Errorf("%q is an address, not a host name: name the server and list the "+
			"address under addresses", h)
	}
	for l := range strings.SplitSeq(h, ".") {
		if !hostLabel(l) {
			return fmt.Errorf("%q is not a host name: label %q", h, l)
		}
	}
	return nil
}

// hostLabel reports whether l is a label of a host name: 1 to 63 of
// a-z, 0-9, '_' and '-', not starting or ending with '-'.
func hostLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
