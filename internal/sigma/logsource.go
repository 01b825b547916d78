package sigma

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/event"
)

//go:embed logsources.yml
var builtinLogsources []byte

// LogsourceMapping says which events a rule's logsource covers and how its
// field names are spelled there. It reads the format of the logsource
// configurations SigmaHQ's regression tests use (thor.yml): a map
// "logsources" of entries, each with optional category, product and service
// (the logsource it applies to), conditions (a Sigma selection the events
// must meet), sources ("WinEventLog:CHANNEL" becomes Channel == CHANNEL;
// other kinds add nothing), rewrite (a product and service to resolve
// further, ANDed) and fieldmappings (rule field → event field or list of
// fields).
//
// An entry applies to a rule when every key the entry sets equals the
// rule's (ignoring case); of those, the ones that set the most keys are
// alternatives (OR), so a product-wide entry is only a fallback. When none
// applies, the event must declare the logsource itself in the fields
// logsource.product, logsource.category and logsource.service; a rule with
// an empty logsource is unconstrained.
//
// A LogsourceMapping is safe for concurrent use.
type LogsourceMapping struct {
	name    string
	entries []*lsEntry

	mu    sync.Mutex
	cache map[Logsource]*filter
}

// lsEntry is one compiled entry of a mapping.
type lsEntry struct {
	name    string
	applies Logsource // lowercased; "" is any
	cond    node      // nil when the entry has no conditions
	ids     []string  // EventID values of the conditions, for routing
	// channels are the WinEventLog sources, lowercased.
	channels []string
	chanTest node
	rewrite  *Logsource
	fieldmap map[string][]string
}

// filter is a resolved logsource: an OR of alternatives.
type filter struct {
	alts []alternative
	// ids and channels route events to the filter: every alternative
	// requires one of these EventIDs (or channels). nil when some
	// alternative requires none.
	ids, channels []string
}

// alternative is one way to meet a logsource: all conditions hold, and the
// rule's fields are renamed by fieldmap.
type alternative struct {
	conds    []node
	fieldmap map[string][]string
	ids      []string
	channels []string
}

// maxAlternatives bounds the alternatives of one logsource (a bit mask
// records which hold).
const maxAlternatives = 64

// eval returns a mask of the alternatives that hold for ev.
func (f *filter) eval(ev *event.Event) uint64 {
	var mask uint64
	for i := range f.alts {
		if andNode(f.alts[i].conds).eval(ev) {
			mask |= 1 << uint(i)
		}
	}
	return mask
}

// DefaultLogsourceMapping returns the built-in mapping: Windows channels for
// the services, the Sysmon, Security and PowerShell event IDs for the
// categories, the syslog program for Linux services and the web access
// fields for webserver. The result is shared and must not be modified.
func DefaultLogsourceMapping() *LogsourceMapping { return defaultMapping() }

var defaultMapping = sync.OnceValue(func() *LogsourceMapping {
	m, err := ParseLogsourceMapping(builtinLogsources, "logsources.yml")
	if err != nil {
		panic("sigma: built-in logsource mapping: " + err.Error())
	}
	return m
})

// LoadLogsourceMapping reads a mapping file (see LogsourceMapping).
func LoadLogsourceMapping(path string) (*LogsourceMapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load logsource mapping: %w", err)
	}
	return ParseLogsourceMapping(data, path)
}

// ParseLogsourceMapping parses a mapping; name is used in errors.
func ParseLogsourceMapping(data []byte, name string) (*LogsourceMapping, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse logsource mapping %s: %w", name, err)
	}
	m := &LogsourceMapping{name: name, cache: map[Logsource]*filter{}}
	if len(doc.Content) == 0 {
		return m, nil
	}
	root := resolveAlias(doc.Content[0])
	ls := mapValue(root, "logsources")
	if ls == nil {
		return m, nil
	}
	if ls.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse logsource mapping %s:%d: logsources must be a map", name,
			ls.Line)
	}
	for i := 0; i+1 < len(ls.Content); i += 2 {
		e, err := parseEntry(ls.Content[i].Value, resolveAlias(ls.Content[i+1]))
		if err != nil {
			return nil, fmt.Errorf("parse logsource mapping %s:%d: entry %q: %w", name,
				ls.Content[i].Line, ls.Content[i].Value, err)
		}
		m.entries = append(m.entries, e)
	}
	return m, nil
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolveAlias(m.Content[i+1])
		}
	}
	return nil
}

func parseEntry(name string, n *yaml.Node) (*lsEntry, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("must be a map")
	}
	e := &lsEntry{name: name, applies: logsourceOf(n)}
	if cond := mapValue(n, "conditions"); cond != nil {
		var c compiler
		node, err := c.compileSelection("conditions", cond)
		if err != nil {
			return nil, err
		}
		e.cond = node
		e.ids = eventIDsOf(cond)
	}
	if src := mapValue(n, "sources"); src != nil {
		for _, s := range src.Content {
			if ch, ok := strings.CutPrefix(s.Value, "WinEventLog:"); ok {
				e.channels = append(e.channels, strings.ToLower(ch))
			}
		}
	}
	if len(e.channels) > 0 {
		ft := &fieldTest{path: event.NewPath("Channel")}
		for _, ch := range e.channels {
			ft.vals = append(ft.vals, &strMatcher{pat: compilePattern(literalRunes(ch), posWhole,
				false)})
		}
		e.chanTest = ft
	}
	if rw := mapValue(n, "rewrite"); rw != nil {
		l := logsourceOf(rw)
		e.rewrite = &l
	}
	if fm := mapValue(n, "fieldmappings"); fm != nil {
		e.fieldmap = map[string][]string{}
		for i := 0; i+1 < len(fm.Content); i += 2 {
			v := resolveAlias(fm.Content[i+1])
			vals, err := scalars(fm.Content[i].Value, v)
			if err != nil {
				return nil, err
			}
			for _, s := range vals {
				e.fieldmap[fm.Content[i].Value] = append(e.fieldmap[fm.Content[i].Value], s.Value)
			}
		}
	}
	return e, nil
}

func logsourceOf(n *yaml.Node) Logsource {
	get := func(k string) string {
		if v := mapValue(n, k); v != nil && v.Kind == yaml.ScalarNode {
			return strings.ToLower(v.Value)
		}
		return ""
	}
	return Logsource{Product: get("product"), Category: get("category"), Service: get("service")}
}

// eventIDsOf returns the plain EventID values of a conditions map, or nil.
func eventIDsOf(cond *yaml.Node) []string {
	v := mapValue(cond, "EventID")
	if v == nil {
		return nil
	}
	vals, err := scalars("EventID", v)
	if err != nil {
		return nil
	}
	var ids []string
	for _, s := range vals {
		ids = append(ids, s.Value)
	}
	return ids
}

// appliesTo reports whether the entry covers the logsource ls (lowercased).
func (e *lsEntry) appliesTo(ls Logsource) bool {
	a := e.applies
	if a == (Logsource{}) {
		return false
	}
	return (a.Product == "" || a.Product == ls.Product) &&
		(a.Category == "" || a.Category == ls.Category) &&
		(a.Service == "" || a.Service == ls.Service)
}

// resolve returns the filter for a logsource, nil for an empty logsource
// (unconstrained). Results are cached, so rules with one logsource share one
// filter.
func (m *LogsourceMapping) resolve(ls Logsource) (*filter, error) {
	ls = Logsource{Product: strings.ToLower(ls.Product), Category: strings.ToLower(ls.Category),
		Service: strings.ToLower(ls.Service)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.cache[ls]; ok {
		return f, nil
	}
	alts := m.alternatives(ls, 0)
	if len(alts) == 0 && ls != (Logsource{}) {
		alts = []alternative{declared(ls)}
	}
	if len(alts) > maxAlternatives {
		return nil, fmt.Errorf("logsource %s resolves to %d alternatives in %s, more than %d",
			ls, len(alts), m.name, maxAlternatives)
	}
	var f *filter
	if len(alts) > 0 {
		f = &filter{alts: alts}
		f.ids, f.channels = routeKeys(alts)
	}
	m.cache[ls] = f
	return f, nil
}

// alternatives expands the entries that apply to ls, following rewrites.
func (m *LogsourceMapping) alternatives(ls Logsource, depth int) []alternative {
	if depth > 8 {
		return nil
	}
	var out []alternative
	for _, e := range m.mostSpecific(ls) {
		base := alternative{fieldmap: e.fieldmap, ids: e.ids, channels: e.channels}
		if e.cond != nil {
			base.conds = append(base.conds, e.cond)
		}
		if e.chanTest != nil {
			base.conds = append(base.conds, e.chanTest)
		}
		var subs []alternative
		if e.rewrite != nil {
			subs = m.alternatives(*e.rewrite, depth+1)
		}
		if len(subs) == 0 {
			out = append(out, base)
			continue
		}
		for _, s := range subs {
			out = append(out, merge(base, s))
		}
	}
	return out
}

// mostSpecific returns the entries that apply to ls and set the most keys:
// a product-wide entry (product: windows) is a fallback for the logsources
// that no category or service entry covers.
func (m *LogsourceMapping) mostSpecific(ls Logsource) []*lsEntry {
	var out []*lsEntry
	best := 0
	for _, e := range m.entries {
		if !e.appliesTo(ls) {
			continue
		}
		n := e.applies.keys()
		switch {
		case n > best:
			best, out = n, append(out[:0], e)
		case n == best:
			out = append(out, e)
		}
	}
	return out
}

// keys counts the keys a logsource sets.
func (l Logsource) keys() int {
	n := 0
	for _, v := range []string{l.Product, l.Category, l.Service} {
		if v != "" {
			n++
		}
	}
	return n
}

// declared is the alternative for a logsource that no entry of the mapping
// covers: the event must name it in its own fields logsource.product,
// logsource.category and logsource.service (those the rule sets), as a
// sender or a field mapping can. Without it a rule for, say, Zeek or Cisco
// would be tried on every Windows event, and its negated selections would
// fire there.
func declared(ls Logsource) alternative {
	var alt alternative
	for _, kv := range [][2]string{{"product", ls.Product}, {"category", ls.Category},
		{"service", ls.Service}} {
		if kv[1] == "" {
			continue
		}
		alt.conds = append(alt.conds, &fieldTest{
			path: event.NewPath("logsource." + kv[0]),
			vals: []valueMatcher{&strMatcher{pat: compilePattern(literalRunes(kv[1]),
				posWhole, false)}},
		})
	}
	return alt
}

// merge ANDs two alternatives; the outer field mapping wins.
func merge(a, b alternative) alternative {
	out := alternative{conds: append(slices.Clip(a.conds), b.conds...), ids: a.ids,
		channels: a.channels}
	if out.ids == nil {
		out.ids = b.ids
	}
	if out.channels == nil {
		out.channels = b.channels
	}
	if len(a.fieldmap) == 0 {
		out.fieldmap = b.fieldmap
	} else if len(b.fieldmap) == 0 {
		out.fieldmap = a.fieldmap
	} else {
		out.fieldmap = map[string][]string{}
		for k, v := range b.fieldmap {
			out.fieldmap[k] = v
		}
		for k, v := range a.fieldmap {
			out.fieldmap[k] = v
		}
	}
	return out
}

// routeKeys returns the EventIDs (or else the channels) that every
// alternative requires one of; nil when there are none.
func routeKeys(alts []alternative) (ids, channels []string) {
	allIDs, allChans := true, true
	for _, a := range alts {
		allIDs = allIDs && a.ids != nil
		allChans = allChans && a.channels != nil
	}
	if allIDs {
		for _, a := range alts {
			ids = append(ids, a.ids...)
		}
		return dedupe(ids), nil
	}
	if allChans {
		for _, a := range alts {
			channels = append(channels, a.channels...)
		}
		return nil, dedupe(channels)
	}
	return nil, nil
}

func dedupe(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

// String renders a logsource as "product/category/service", "-" for empty.
func (l Logsource) String() string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	return dash(l.Product) + "/" + dash(l.Category) + "/" + dash(l.Service)
}
