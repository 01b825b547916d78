package sigma

import (
	"encoding/json"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// node is a compiled boolean expression over an event: a condition, a
// selection or one field test.
type node interface {
	eval(ev *event.Event) bool
	// cost ranks nodes so that cheap tests run first inside an AND.
	cost() int
}

type andNode []node

func (n andNode) eval(ev *event.Event) bool {
	for _, c := range n {
		if !c.eval(ev) {
			return false
		}
	}
	return true
}

func (n andNode) cost() int { return sumCost(n) }

type orNode []node

func (n orNode) eval(ev *event.Event) bool {
	for _, c := range n {
		if c.eval(ev) {
			return true
		}
	}
	return false
}

func (n orNode) cost() int { return sumCost(n) }

func sumCost(ns []node) int {
	c := 0
	for _, n := range ns {
		c += n.cost()
	}
	return c
}

type notNode struct{ n node }

func (n notNode) eval(ev *event.Event) bool { return !n.n.eval(ev) }
func (n notNode) cost() int                 { return n.n.cost() }

// ofNode is "N of pattern": at least min of nodes hold.
type ofNode struct {
	min   int
	nodes []node
}

func (n ofNode) eval(ev *event.Event) bool {
	hit := 0
	for i, c := range n.nodes {
		if len(n.nodes)-i+hit < n.min {
			return false
		}
		if c.eval(ev) {
			hit++
			if hit >= n.min {
				return true
			}
		}
	}
	return false
}

func (n ofNode) cost() int { return sumCost(n.nodes) }

// valueMatcher tests one event value (never a list: fieldTest walks lists).
type valueMatcher interface {
	match(ev *event.Event, v any) bool
	cost() int
}

// fieldTest is one key of a selection map: a field and its values.
type fieldTest struct {
	path event.Path
	// all requires every matcher to hold (the all modifier); otherwise one
	// is enough.
	all  bool
	vals []valueMatcher
	// exists is +1 for |exists: true, -1 for |exists: false, 0 otherwise.
	exists int8
	// null: the values include null, which holds when the field is absent
	// or null.
	null bool
}

func (f *fieldTest) eval(ev *event.Event) bool {
	v, ok := ev.Lookup(f.path)
	if f.exists != 0 {
		return ok == (f.exists > 0)
	}
	if f.null && (!ok || v == nil) {
		return true
	}
	if !ok {
		return false
	}
	if f.all {
		for _, m := range f.vals {
			if !matchValue(ev, m, v) {
				return false
			}
		}
		return len(f.vals) > 0
	}
	for _, m := range f.vals {
		if matchValue(ev, m, v) {
			return true
		}
	}
	return false
}

func (f *fieldTest) cost() int {
	c := 1
	for _, m := range f.vals {
		c += m.cost()
	}
	return c
}

// matchValue applies m to v, or to each element when v is a list.
func matchValue(ev *event.Event, m valueMatcher, v any) bool {
	if list, ok := v.([]any); ok {
		for _, e := range list {
			if matchValue(ev, m, e) {
				return true
			}
		}
		return false
	}
	return m.match(ev, v)
}

// stringOf renders a scalar event value as the text rules compare with.
// Only uncommon Go types built by hand (not by a JSON decoder) allocate.
func stringOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	}
	return "", false
}

// numberOf reads a number from a JSON number, a Go number or a numeric
// string.
func numberOf(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		return parseNumber(string(x))
	case string:
		return parseNumber(x)
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// parseNumber parses a decimal or 0x-prefixed number without allocating on
// the failure path.
func parseNumber(s string) (float64, bool) {
	if len(s) == 0 || len(s) > 64 {
		return 0, false
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		var n uint64
		for i := 2; i < len(s); i++ {
			d, ok := hexDigit(s[i])
			if !ok || n > 1<<59 {
				return 0, false
			}
			n = n<<4 | uint64(d)
		}
		return float64(n), true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// strMatcher compares with a Sigma string; a rule value written as a
// number also equals numbers of the same value ("4688" and 4688.0).
type strMatcher struct {
	pat   pattern
	num   float64
	isNum bool
	neg   bool // neq
}

func (m *strMatcher) match(_ *event.Event, v any) bool {
	return m.test(v) != m.neg
}

func (m *strMatcher) test(v any) bool {
	s, ok := stringOf(v)
	if !ok {
		return false
	}
	if m.pat.match(s) {
		return true
	}
	if m.isNum {
		if _, str := v.(string); !str {
			f, ok := numberOf(v)
			return ok && f == m.num
		}
	}
	return false
}

func (m *strMatcher) cost() int {
	switch m.pat.kind {
	case patAny, patExact:
		return 1
	case patPrefix, patSuffix:
		return 2
	case patContains:
		return 4
	}
	return 6
}

// reMatcher searches with a regular expression (unanchored).
type reMatcher struct {
	re  *regexp.Regexp
	neg bool
}

func (m *reMatcher) match(_ *event.Event, v any) bool {
	s, ok := stringOf(v)
	return ok && m.re.MatchString(s) != m.neg
}

func (m *reMatcher) cost() int { return 20 }

// cidrMatcher tests an IP address against a network.
type cidrMatcher struct {
	prefix netip.Prefix
	neg    bool
}

func (m *cidrMatcher) match(_ *event.Event, v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return m.prefix.Contains(addr.Unmap()) != m.neg
}

func (m *cidrMatcher) cost() int { return 3 }

// cmpOp is a numeric comparison.
type cmpOp uint8

const (
	opEq cmpOp = iota
	opNeq
	opLt
	opLte
	opGt
	opGte
)

func (op cmpOp) holds(a, b float64) bool {
	switch op {
	case opNeq:
		return a != b
	case opLt:
		return a < b
	case opLte:
		return a <= b
	case opGt:
		return a > b
	case opGte:
		return a >= b
	}
	return a == b
}

// numMatcher compares numerically (lt, lte, gt, gte).
type numMatcher struct {
	op  cmpOp
	val float64
}

func (m *numMatcher) match(_ *event.Event, v any) bool {
	f, ok := numberOf(v)
	return ok && m.op.holds(f, m.val)
}

func (m *numMatcher) cost() int { return 2 }

// timePart is what a time modifier extracts from a date.
type timePart uint8

const (
	partMinute timePart = iota
	partHour
	partDay
	partWeek
	partMonth
	partYear
)

// timeLayouts are the date forms the time modifiers read.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// timeMatcher extracts a part of a date and compares it with a number.
type timeMatcher struct {
	part timePart
	op   cmpOp
	val  float64
}

func (m *timeMatcher) match(_ *event.Event, v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		var n int
		switch m.part {
		case partMinute:
			n = t.Minute()
		case partHour:
			n = t.Hour()
		case partDay:
			n = t.Day()
		case partWeek:
			_, n = t.ISOWeek()
		case partMonth:
			n = int(t.Month())
		default:
			n = t.Year()
		}
		return m.op.holds(float64(n), m.val)
	}
	return false
}

func (m *timeMatcher) cost() int { return 10 }

// refMatcher compares a field with another field of the same event
// (fieldref), as equality or with a position modifier.
type refMatcher struct {
	other event.Path
	pos   posMod
	cased bool
	neg   bool
}

func (m *refMatcher) match(ev *event.Event, v any) bool {
	s, ok := stringOf(v)
	if !ok {
		return false
	}
	o, ok := ev.Lookup(m.other)
	if !ok {
		return false
	}
	ref, ok := stringOf(o)
	if !ok {
		return false
	}
	return m.test(s, ref) != m.neg
}

func (m *refMatcher) test(s, ref string) bool {
	if m.cased {
		switch m.pos {
		case posStart:
			return len(s) >= len(ref) && s[:len(ref)] == ref
		case posEnd:
			return len(s) >= len(ref) && s[len(s)-len(ref):] == ref
		case posContains:
			return strings.Contains(s, ref)
		}
		return s == ref
	}
	switch m.pos {
	case posStart:
		_, ok := foldPrefix(s, ref)
		return ok
	case posEnd:
		l := newFoldLit(ref)
		return l.suffixOf(s)
	case posContains:
		l := newFoldLit(ref)
		return l.index(s) >= 0
	}
	return strings.EqualFold(s, ref)
}

func (m *refMatcher) cost() int { return 4 }

// keywordTest searches every string value of the event (nested objects
// and lists included) for its values: one is enough, or all with |all. A
// value that a modifier expanded into variants is found when one variant is.
type keywordTest struct {
	vals [][]pattern
	all  bool
}

func (k *keywordTest) eval(ev *event.Event) bool {
	for _, variants := range k.vals {
		found := false
		for i := range variants {
			if anyString(ev.Fields, &variants[i]) {
				found = true
				break
			}
		}
		if found != k.all {
			return found
		}
	}
	return k.all && len(k.vals) > 0
}

func (k *keywordTest) cost() int { return 50 * len(k.vals) }

// anyString reports whether any string inside v matches p.
func anyString(v any, p *pattern) bool {
	switch x := v.(type) {
	case string:
		return p.match(x)
	case json.Number:
		return p.match(string(x))
	case map[string]any:
		for _, e := range x {
			if anyString(e, p) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if anyString(e, p) {
				return true
			}
		}
	}
	return false
}
