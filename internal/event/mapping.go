package event

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Mapping makes the field spellings of different Windows exporters look alike
// to rules. It does three things, in this order, when applied to an event:
//
//  1. Hoist: the children of some nested objects (evtx_dump's
//     Event.EventData, Winlogbeat's winlog.event_data, ...) are copied to the
//     top level, so that a rule's Image or CommandLine finds them. Spaces
//     are dropped from hoisted names ("Source Name" becomes SourceName), as
//     the Sigma specification names such fields.
//  2. Alias: a Sigma field name (EventID, Channel, Computer, ...) that is
//     missing at the top level is filled from the first of an ordered list of
//     source paths that is present.
//  3. Time: when the event has no time yet, it is taken from the first time
//     field that is present and parses.
//
// Nothing is ever overwritten: a field already present at the top level keeps
// its value, and the source paths stay where they were. Values are copied as
// they are; in particular Channel keeps its case ("Security" and "security"
// both occur in real NXLog data). Sigma string matching is case-insensitive,
// so rules need nothing more; code that routes on a channel itself must
// compare with strings.EqualFold.
//
// # File format
//
// A mapping is a YAML document with three optional top-level keys:
//
//	# Sigma field name -> source paths, first present wins.
//	aliases:
//	  EventID: [Event.System.EventID, winlog.event_id]
//	  Channel: [Event.System.Channel, winlog.channel]
//	# Objects whose children are copied to the top level, first wins.
//	# A "*" part matches every key whose value is an object.
//	hoist:
//	  - Event.EventData
//	  - Event.UserData.*
//	time:
//	  # Fields holding the event time, tried in order.
//	  fields: ["@timestamp", Event.System.TimeCreated.#attributes.SystemTime]
//	  # Accepted forms: Go time layouts, or the words rfc3339 (with or
//	  # without fractional seconds), unix (epoch seconds) and unix_ms (epoch
//	  # milliseconds); unix and unix_ms apply to JSON numbers only.
//	  layouts: [rfc3339, "2006-01-02 15:04:05"]
//
// A path is a field name whose dots address nested objects, as in NewPath;
// a hoisted path without "*" also matches flattened keys, so that
// "winlog.event_data.Image" is hoisted as Image. A
// source whose value is JSON null counts as absent. Times without a zone are
// taken as UTC. When both unix and unix_ms are listed, a number of magnitude
// 1e11 or more is read as milliseconds, a smaller one as seconds.
//
// A Mapping is immutable once built and safe for concurrent use.
type Mapping struct {
	aliases    []alias // sorted by target
	hoists     []hoist
	timeFields []Path
	layouts    []string
}

type alias struct {
	target  string
	sources []Path
}

type hoist struct {
	name  string
	parts []string // "*" matches any key holding an object
	wild  bool     // some part is "*"
}

// Layout words accepted in time.layouts besides Go layouts.
const (
	layoutRFC3339 = "rfc3339"
	layoutUnix    = "unix"
	layoutUnixMS  = "unix_ms"
)

//go:embed mapping_default.yml
var defaultMappingYAML []byte

var defaultMapping = func() *Mapping {
	m, err := ParseMapping(defaultMappingYAML, "mapping_default.yml")
	if err != nil {
		panic(err) // the embedded file is tested; this is a programmer error
	}
	return m
}()

// DefaultMapping returns the built-in mapping. It covers evtx_dump JSON
// (Event.System / Event.EventData / Event.UserData), Winlogbeat and Elastic
// Common Schema (winlog.*, and the older top-level event_data / event_id),
// and NXLog's flat layout (EventID, Channel, Hostname, SourceName, ...). The
// returned value is shared; it is immutable.
func DefaultMapping() *Mapping { return defaultMapping }

// LoadMapping reads a mapping file in the format documented on Mapping.
// Errors name the file and the key at fault.
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load mapping: %w", err)
	}
	return ParseMapping(data, filepath.Base(path))
}

// ParseMapping parses a mapping document; name is used in error messages,
// which read like "mapping.yml: aliases.EventID: expected a list of paths
// (line 3)". An empty document is an empty mapping.
func ParseMapping(data []byte, name string) (*Mapping, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m := &Mapping{}
	if len(doc.Content) == 0 {
		return m, nil
	}
	p := mappingParser{name: name}
	if err := p.document(doc.Content[0], m); err != nil {
		return nil, err
	}
	return m, nil
}

type mappingParser struct {
	name string
}

func (p mappingParser) errorf(n *yaml.Node, key, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s (line %d)", p.name, key, fmt.Sprintf(format, args...), n.Line)
}

func (p mappingParser) document(root *yaml.Node, m *Mapping) error {
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return p.errorf(root, "(top level)", "expected a mapping with aliases, hoist and time")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		var err error
		switch key.Value {
		case "aliases":
			err = p.aliases(val, m)
		case "hoist":
			var names []string
			names, err = p.paths(val, "hoist")
			for _, n := range names {
				m.hoists = append(m.hoists, newHoist(n))
			}
		case "time":
			err = p.time(val, m)
		default:
			err = p.errorf(key, key.Value, "unknown key (want aliases, hoist or time)")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p mappingParser) aliases(n *yaml.Node, m *Mapping) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "aliases", "expected a mapping of field name to paths")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		at := "aliases." + key.Value
		if key.Kind != yaml.ScalarNode || key.Value == "" {
			return p.errorf(key, "aliases", "expected a field name")
		}
		if seen[key.Value] {
			return p.errorf(key, at, "duplicate field name")
		}
		seen[key.Value] = true
		names, err := p.paths(val, at)
		if err != nil {
			return err
		}
		m.aliases = append(m.aliases, newAlias(key.Value, names))
	}
	sortAliases(m.aliases)
	return nil
}

func (p mappingParser) time(n *yaml.Node, m *Mapping) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "time", "expected a mapping with fields and layouts")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		at := "time." + key.Value
		names, err := p.paths(val, at)
		if err != nil {
			return err
		}
		switch key.Value {
		case "fields":
			for _, name := range names {
				m.timeFields = append(m.timeFields, NewPath(name))
			}
		case "layouts":
			m.layouts = append(m.layouts, names...)
		default:
			return p.errorf(key, at, "unknown key (want fields or layouts)")
		}
	}
	return nil
}

// paths reads a list of non-empty strings; a single string is a list of one.
func (p mappingParser) paths(n *yaml.Node, at string) ([]string, error) {
	if isNull(n) {
		return nil, nil
	}
	items := n.Content
	if n.Kind == yaml.ScalarNode {
		items = []*yaml.Node{n}
	} else if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, at, "expected a list of paths")
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return nil, p.errorf(it, at, "expected a list of paths")
		}
		if strings.TrimSpace(it.Value) == "" {
			return nil, p.errorf(it, at, "empty path")
		}
		out = append(out, it.Value)
	}
	return out, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func newAlias(target string, sources []string) alias {
	a := alias{target: target, sources: make([]Path, len(sources))}
	for i, s := range sources {
		a.sources[i] = NewPath(s)
	}
	return a
}

func newHoist(name string) hoist {
	parts := strings.Split(name, ".")
	return hoist{name: name, parts: parts, wild: slices.Contains(parts, "*")}
}

func sortAliases(as []alias) {
	sort.SliceStable(as, func(i, j int) bool { return as[i].target < as[j].target })
}

// Merge returns a new mapping: m extended and overridden by other. For an
// alias named in both, other's list replaces m's (an empty list removes the
// alias); hoists and layouts are m's followed by other's new ones; other's
// time fields are tried before m's. Neither input is modified. A nil other
// returns m.
func (m *Mapping) Merge(other *Mapping) *Mapping {
	if other == nil {
		return m
	}
	out := &Mapping{}
	over := map[string]bool{}
	for _, a := range other.aliases {
		over[a.target] = true
		if len(a.sources) > 0 {
			out.aliases = append(out.aliases, a)
		}
	}
	for _, a := range m.aliases {
		if !over[a.target] {
			out.aliases = append(out.aliases, a)
		}
	}
	sortAliases(out.aliases)

	out.hoists = slices.Clone(m.hoists)
	for _, h := range other.hoists {
		if !slices.ContainsFunc(out.hoists, func(x hoist) bool { return x.name == h.name }) {
			out.hoists = append(out.hoists, h)
		}
	}
	out.timeFields = slices.Clone(other.timeFields)
	for _, f := range m.timeFields {
		if !slices.ContainsFunc(out.timeFields, func(x Path) bool { return x.name == f.name }) {
			out.timeFields = append(out.timeFields, f)
		}
	}
	out.layouts = slices.Clone(m.layouts)
	for _, l := range other.layouts {
		if !slices.Contains(out.layouts, l) {
			out.layouts = append(out.layouts, l)
		}
	}
	return out
}

// Aliases returns a copy of the alias table: Sigma field name to source
// paths in the order they are tried.
func (m *Mapping) Aliases() map[string][]string {
	out := make(map[string][]string, len(m.aliases))
	for _, a := range m.aliases {
		names := make([]string, len(a.sources))
		for i, s := range a.sources {
			names[i] = s.name
		}
		out[a.target] = names
	}
	return out
}

// Hoists returns the hoisted object paths in the order they are applied.
func (m *Mapping) Hoists() []string {
	out := make([]string, len(m.hoists))
	for i, h := range m.hoists {
		out[i] = h.name
	}
	return out
}

// TimeFields returns the time field paths in the order they are tried.
func (m *Mapping) TimeFields() []string {
	out := make([]string, len(m.timeFields))
	for i, f := range m.timeFields {
		out[i] = f.name
	}
	return out
}

// TimeLayouts returns the accepted time layouts in the order they are tried.
func (m *Mapping) TimeLayouts() []string { return slices.Clone(m.layouts) }

// Apply hoists and aliases fields of e in place, and sets e.Time from the
// time fields when it is zero. A nil Fields map is left alone. Apply never
// overwrites a top-level field and never removes one.
func (m *Mapping) Apply(e *Event) {
	if e.Fields == nil {
		return
	}
	for _, h := range m.hoists {
		hoistInto(e.Fields, e.Fields, h.parts)
		if !h.wild {
			hoistFlat(e.Fields, h.name+".")
		}
	}
	for _, a := range m.aliases {
		if _, ok := e.Fields[a.target]; ok {
			continue
		}
		for _, src := range a.sources {
			if v, ok := LookupMap(e.Fields, src); ok && v != nil {
				e.Fields[a.target] = v
				break
			}
		}
	}
	if e.Time.IsZero() {
		e.Time = m.timeOf(e.Fields)
	}
}

// hoistInto copies the children of the objects under cur at parts into top,
// keeping keys top already has.
func hoistInto(top, cur map[string]any, parts []string) {
	if len(parts) == 0 {
		for k, v := range cur {
			// Sigma names fields as the log shows them with spaces
			// stripped ("Source Name" is SourceName).
			if strings.Contains(k, " ") {
				k = strings.ReplaceAll(k, " ", "")
			}
			if _, ok := top[k]; !ok {
				top[k] = v
			}
		}
		return
	}
	if parts[0] != "*" {
		if next, ok := cur[parts[0]].(map[string]any); ok {
			hoistInto(top, next, parts[1:])
		}
		return
	}
	// Sorted, so that a key two objects share resolves the same way each time.
	keys := make([]string, 0, len(cur))
	for k, v := range cur {
		if _, ok := v.(map[string]any); ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		hoistInto(top, cur[k].(map[string]any), parts[1:])
	}
}

// hoistFlat copies the values of flattened keys under prefix
// ("winlog.event_data.Image", as some shippers write nested objects) to the
// rest of their key ("Image"), keeping keys top already has.
func hoistFlat(top map[string]any, prefix string) {
	var found []string
	for k := range top {
		if len(k) > len(prefix) && strings.HasPrefix(k, prefix) {
			found = append(found, k)
		}
	}
	sort.Strings(found)
	for _, k := range found {
		if _, ok := top[k[len(prefix):]]; !ok {
			top[k[len(prefix):]] = top[k]
		}
	}
}

// timeOf returns the first time field value that parses, in UTC, or the zero
// time.
func (m *Mapping) timeOf(fields map[string]any) time.Time {
	for _, f := range m.timeFields {
		v, ok := LookupMap(fields, f)
		if !ok {
			continue
		}
		if t, ok := m.parseTime(v); ok {
			return t.UTC()
		}
	}
	return time.Time{}
}

func (m *Mapping) parseTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v, !v.IsZero()
	case string:
		return m.parseTimeString(v)
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return time.Time{}, false
		}
		return m.parseEpoch(f)
	case float64:
		return m.parseEpoch(v)
	case int:
		return m.parseEpoch(float64(v))
	case int64:
		return m.parseEpoch(float64(v))
	}
	return time.Time{}, false
}

func (m *Mapping) parseTimeString(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range m.layouts {
		switch l {
		case layoutUnix, layoutUnixMS:
			continue
		case layoutRFC3339:
			l = time.RFC3339Nano
		}
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (m *Mapping) parseEpoch(f float64) (time.Time, bool) {
	secs := slices.Contains(m.layouts, layoutUnix)
	millis := slices.Contains(m.layouts, layoutUnixMS)
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e16 {
		return time.Time{}, false
	}
	switch {
	case millis && (!secs || math.Abs(f) >= 1e11):
		return time.UnixMilli(int64(f)), true
	case secs:
		whole, frac := math.Modf(f)
		return time.Unix(int64(whole), int64(frac*1e9)), true
	}
	return time.Time{}, false
}
