package scope

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// ObservationsFromFields returns the hosts an event's fields name, for a
// scope that takes its hosts from the incident's alerts: the server that
// enrichment found (vigil.server), else the values of HostFields, each as
// a host or an address. from says where the event was seen ("alert 12").
func ObservationsFromFields(fields map[string]any, from string) []Observation {
	if v, ok := event.LookupMap(fields, event.NewPath(EnrichKey+".server")); ok {
		if s, ok := v.(string); ok && s != "" {
			return []Observation{{Kind: "host", Value: s, From: from}}
		}
	}
	var out []Observation
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		o := Observation{Kind: "host", Value: NormalizeHost(s), From: from}
		if a, err := netip.ParseAddr(s); err == nil {
			o = Observation{Kind: "address", Value: a.Unmap().String(), From: from}
		}
		for _, seen := range out {
			if seen == o {
				return
			}
		}
		out = append(out, o)
	}
	for _, p := range HostFields {
		switch v, _ := event.LookupMap(fields, p); v := v.(type) {
		case string:
			add(v)
		case []any:
			for _, item := range v {
				if s, ok := item.(string); ok {
					add(s)
				}
			}
		}
	}
	return out
}

// Summary writes a diff in one line for the incident's action log:
// "3 tenants affected; added globex-bank, hooli; removed initech". At
// most ten tenants are named per list.
func (d Diff) Summary(total int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d tenant", total)
	if total != 1 {
		b.WriteString("s")
	}
	b.WriteString(" affected")
	for _, l := range []struct {
		verb string
		cs   []Change
	}{{"added", d.Added}, {"removed", d.Removed}} {
		if len(l.cs) == 0 {
			continue
		}
		b.WriteString("; " + l.verb + " ")
		for i, c := range l.cs {
			if i == 10 {
				fmt.Fprintf(&b, " and %d more", len(l.cs)-10)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.Tenant)
		}
	}
	if d.Empty() {
		b.WriteString("; no change")
	}
	return b.String()
}

// Describe writes a scope in one line: "farms st-3; addresses 10.1.3.7".
func (s *Scope) Describe() string {
	var parts []string
	list := func(name string, vs []string) {
		if len(vs) > 0 {
			parts = append(parts, name+" "+strings.Join(vs, ", "))
		}
	}
	list("regions", s.Regions)
	list("datacenters", s.Datacenters)
	var svcs []string
	for _, sr := range s.Services {
		if sr.Region != "" {
			svcs = append(svcs, sr.Service+" in "+sr.Region)
		} else {
			svcs = append(svcs, sr.Service)
		}
	}
	list("services", svcs)
	list("farms", s.Farms)
	list("servers", s.Servers)
	list("hosts", s.Hosts)
	list("addresses", s.Addresses)
	if s.FromIncident {
		parts = append(parts, "the incident's indicators and alerts")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}
