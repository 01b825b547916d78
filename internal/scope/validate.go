package scope

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// maxErrors is how many problems Validate reports before it stops
// listing them.
const maxErrors = 20

// EntryError is one problem of an inventory: the entry, the field at
// fault and why; File and Line say where the entry was read from, when a
// parser read it (Line 0: unknown).
type EntryError struct {
	Entry  Ref
	Field  string
	Reason string
	File   string
	Line   int
}

// Error returns "file:line: farm st-3: service: unknown service "x"",
// leaving out what is unknown.
func (e *EntryError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Entry.Kind != "" {
		b.WriteString(e.Entry.String() + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// ValidationError lists the problems of an inventory, at most 20 of them;
// More counts the others.
type ValidationError struct {
	Errs []*EntryError
	More int
}

// Error returns one problem per line.
func (v *ValidationError) Error() string {
	lines := make([]string, 0, len(v.Errs)+1)
	for _, e := range v.Errs {
		lines = append(lines, e.Error())
	}
	if v.More > 0 {
		lines = append(lines, fmt.Sprintf("and %d more problems", v.More))
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so that errors.As finds an *EntryError.
func (v *ValidationError) Unwrap() []error {
	out := make([]error, len(v.Errs))
	for i, e := range v.Errs {
		out[i] = e
	}
	return out
}

// Locate fills File and, from lines (by entry), Line of every problem.
func (v *ValidationError) Locate(file string, lines map[Ref]int) {
	for _, e := range v.Errs {
		e.File = file
		if e.Line == 0 {
			e.Line = lines[e.Entry]
		}
	}
}

// validator collects problems.
type validator struct {
	errs  ValidationError
	known func(string) bool
	// owner maps each address or range to the entry that lists it.
	owner map[netip.Prefix]Ref
}

func (v *validator) add(entry Ref, field, format string, args ...any) {
	if len(v.errs.Errs) >= maxErrors {
		v.errs.More++
		return
	}
	v.errs.Errs = append(v.errs.Errs, &EntryError{Entry: entry, Field: field,
		Reason: fmt.Sprintf(format, args...)})
}

// Validate checks inv, normalized (Normalize), and returns a
// *ValidationError listing what is wrong, or nil: IDs and host names, IDs
// repeated within a kind, parents and services that do not exist,
// addresses that do not parse or that two entries list, and tenants that
// known does not know (known nil: tenant IDs are only checked for form).
func Validate(inv *Inventory, known func(tenant string) bool) error {
	v := &validator{known: known, owner: map[netip.Prefix]Ref{}}
	regions := v.ids(KindRegion, len(inv.Regions), func(i int) string { return inv.Regions[i].ID })
	dcs := v.ids(KindDatacenter, len(inv.Datacenters),
		func(i int) string { return inv.Datacenters[i].ID })
	services := v.ids(KindService, len(inv.Services),
		func(i int) string { return inv.Services[i].ID })
	farms := v.ids(KindFarm, len(inv.Farms), func(i int) string { return inv.Farms[i].ID })
	servers := map[string]bool{}
	for _, s := range inv.Servers {
		ref := Ref{KindServer, s.Name}
		if err := CheckHost(s.Name); err != nil {
			v.add(ref, "name", "%v", err)
		} else if servers[s.Name] {
			v.add(ref, "name", "listed twice")
		}
		servers[s.Name] = true
	}

	for _, d := range inv.Datacenters {
		v.parent(Ref{KindDatacenter, d.ID}, "region", d.Region, regions)
	}
	for _, s := range inv.Services {
		ref := Ref{KindService, s.ID}
		for _, r := range sortedKeys(s.Tenants) {
			v.parent(ref, "tenants", r, regions)
			v.tenants(ref, "tenants."+r, s.Tenants[r])
		}
	}
	for _, f := range inv.Farms {
		ref := Ref{KindFarm, f.ID}
		v.parent(ref, "datacenter", f.Datacenter, dcs)
		v.parent(ref, "service", f.Service, services)
		v.addresses(ref, f.Addresses)
		v.tenants(ref, "tenants", f.Tenants)
	}
	for _, s := range inv.Servers {
		ref := Ref{KindServer, s.Name}
		v.parent(ref, "farm", s.Farm, farms)
		v.addresses(ref, s.Addresses)
		v.tenants(ref, "tenants", s.Tenants)
	}
	if len(v.errs.Errs) == 0 {
		return nil
	}
	return &v.errs
}

// ids checks the IDs of one kind and returns them as a set.
func (v *validator) ids(kind Kind, n int, id func(int) string) map[string]bool {
	set := make(map[string]bool, n)
	for i := range n {
		s := id(i)
		if err := CheckID(s); err != nil {
			v.add(Ref{kind, s}, "id", "%v", err)
		} else if set[s] {
			v.add(Ref{kind, s}, "id", "listed twice")
		}
		set[s] = true
	}
	return set
}

// parent checks that the entry's field names an existing entry.
func (v *validator) parent(ref Ref, field, id string, exists map[string]bool) {
	switch {
	case id == "":
		v.add(ref, field, "missing")
	case !exists[id]:
		v.add(ref, field, "%q is not in the inventory", id)
	}
}

func (v *validator) addresses(ref Ref, addrs []string) {
	for i, a := range addrs {
		p, err := ParseRange(a)
		field := func() string { return fmt.Sprintf("addresses[%d]", i) }
		switch {
		case err != nil:
			v.add(ref, field(), "%v", err)
			continue
		case RangeText(p) != a:
			v.add(ref, field(), "%q is not in canonical form (want %q)", a, RangeText(p))
			continue
		}
		if other, ok := v.owner[p]; ok {
			if other == ref {
				v.add(ref, field(), "%s listed twice", a)
			} else {
				v.add(ref, field(), "%s is listed by %s too", a, other)
			}
			continue
		}
		v.owner[p] = ref
	}
}

func (v *validator) tenants(ref Ref, field string, ts []string) {
	for i, t := range ts {
		f := func() string { return fmt.Sprintf("%s[%d]", field, i) }
		switch {
		case CheckID(t) != nil:
			v.add(ref, f(), "%v", CheckID(t))
		case slices.Contains(ts[:i], t):
			v.add(ref, f(), "tenant %q listed twice", t)
		case v.known != nil && !v.known(t):
			v.add(ref, f(), "unknown tenant %q (create it first, or list it under tenants)", t)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
