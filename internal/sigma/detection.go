package sigma

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/event"
)

// posError is a compile error at a place in the rule's YAML.
type posError struct {
	line, col int
	reason    string
}

func (e *posError) Error() string { return e.reason }

// at attaches the position of n to err unless it has one.
func at(n *yaml.Node, err error) error {
	var pe *posError
	if err == nil || errors.As(err, &pe) {
		return err
	}
	return &posError{line: n.Line, col: n.Column, reason: err.Error()}
}

// compiler turns a detection section into a node tree for one field
// mapping.
type compiler struct {
	// fieldmap renames rule fields to event fields; a name with several
	// targets tests each of them (OR).
	fieldmap     map[string][]string
	placeholders map[string][]string
}

// compileDetection compiles the detection mapping.
func (c *compiler) compileDetection(det *yaml.Node) (node, error) {
	det = resolveAlias(det)
	if det.Kind != yaml.MappingNode {
		return nil, at(det, errors.New("detection: must be a map of selections and a condition"))
	}
	sels := map[string]node{}
	var order []string
	var cond *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], det.Content[i+1]
		switch k.Value {
		case "condition":
			cond = v
			continue
		case "timeframe":
			continue
		}
		n, err := c.compileSelection(k.Value, v)
		if err != nil {
			return nil, at(v, err)
		}
		sels[k.Value] = n
		order = append(order, k.Value)
	}
	if cond == nil {
		return nil, at(det, errors.New("detection: no condition"))
	}
	return compileConditions(resolveAlias(cond), sels, order)
}

// compileConditions compiles a condition or a list of them (OR).
func compileConditions(cond *yaml.Node, sels map[string]node, order []string) (node, error) {
	switch cond.Kind {
	case yaml.ScalarNode:
		n, err := parseCondition(cond.Value, sels, order)
		return n, at(cond, err)
	case yaml.SequenceNode:
		var ors orNode
		for _, item := range cond.Content {
			item = resolveAlias(item)
			if item.Kind != yaml.ScalarNode {
				return nil, at(item, errors.New("detection: condition list items must be strings"))
			}
			n, err := parseCondition(item.Value, sels, order)
			if err != nil {
				return nil, at(item, err)
			}
			ors = append(ors, n)
		}
		if len(ors) == 0 {
			return nil, at(cond, errors.New("detection: condition list is empty"))
		}
		return ors, nil
	}
	return nil, at(cond, errors.New("detection: condition must be a string or a list of strings"))
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// compileSelection compiles one search identifier: a map (AND of fields), a
// list of maps (OR), or keywords (a string or a list of strings).
func (c *compiler) compileSelection(name string, v *yaml.Node) (node, error) {
	v = resolveAlias(v)
	switch v.Kind {
	case yaml.MappingNode:
		return c.compileMap(v)
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, fmt.Errorf("detection: selection %q is empty", name)
		}
		return c.compileKeywords([]*yaml.Node{v}, mods{})
	case yaml.SequenceNode:
		var maps orNode
		var words []*yaml.Node
		for _, item := range v.Content {
			item = resolveAlias(item)
			switch item.Kind {
			case yaml.MappingNode:
				n, err := c.compileMap(item)
				if err != nil {
					return nil, err
				}
				maps = append(maps, n)
			case yaml.ScalarNode:
				words = append(words, item)
			default:
				return nil, at(item, fmt.Errorf("detection: selection %q: a list holds maps or "+
					"strings, not nested lists", name))
			}
		}
		if len(words) > 0 {
			kw, err := c.compileKeywords(words, mods{})
			if err != nil {
				return nil, err
			}
			maps = append(maps, kw)
		}
		if len(maps) == 0 {
			return nil, fmt.Errorf("detection: selection %q is empty", name)
		}
		if len(maps) == 1 {
			return maps[0], nil
		}
		return maps, nil
	}
	return nil, fmt.Errorf("detection: selection %q must be a map, a list or a string", name)
}

// compileMap compiles a map of field tests; the tests run cheapest first.
func (c *compiler) compileMap(m *yaml.Node) (node, error) {
	var terms andNode
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolveAlias(m.Content[i+1])
		n, err := c.compileField(k.Value, v)
		if err != nil {
			return nil, at(k, err)
		}
		terms = append(terms, n)
	}
	if len(terms) == 0 {
		return nil, at(m, errors.New("detection: empty map"))
	}
	sort.SliceStable(terms, func(i, j int) bool { return terms[i].cost() < terms[j].cost() })
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

// scalars returns the values of a field: one scalar or a list of them.
func scalars(key string, v *yaml.Node) ([]*yaml.Node, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{v}, nil
	case yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(v.Content))
		for _, item := range v.Content {
			item = resolveAlias(item)
			if item.Kind != yaml.ScalarNode {
				return nil, at(item, fmt.Errorf("field %q: values must be scalars", key))
			}
			out = append(out, item)
		}
		return out, nil
	}
	return nil, fmt.Errorf("field %q: value must be a scalar or a list of scalars", key)
}

// compileField compiles one "field|mod|mod: values" entry.
func (c *compiler) compileField(key string, v *yaml.Node) (node, error) {
	parts := strings.Split(key, "|")
	m, err := parseMods(key, parts[1:])
	if err != nil {
		return nil, err
	}
	vals, err := scalars(key, v)
	if err != nil {
		return nil, err
	}
	if parts[0] == "" {
		return c.compileKeywords(vals, m)
	}
	names := c.fieldmap[parts[0]]
	if len(names) == 0 {
		names = []string{parts[0]}
	}
	var ors orNode
	for _, name := range names {
		ft, err := c.fieldTest(key, name, m, vals)
		if err != nil {
			return nil, err
		}
		ors = append(ors, ft)
	}
	if len(ors) == 1 {
		return ors[0], nil
	}
	return ors, nil
}

// fieldTest compiles the values of one field.
func (c *compiler) fieldTest(key, field string, m mods, vals []*yaml.Node) (*fieldTest, error) {
	ft := &fieldTest{path: event.NewPath(field), all: m.all}
	if m.exists {
		if len(vals) != 1 || vals[0].Tag != "!!bool" {
			return nil, fmt.Errorf("field %q: exists takes true or false", key)
		}
		ft.exists = -1
		if strings.EqualFold(vals[0].Value, "true") {
			ft.exists = 1
		}
		return ft, nil
	}
	for _, v := range vals {
		if v.Tag == "!!null" {
			ft.null = true
			continue
		}
		ms, err := c.valueMatchers(key, m, v)
		if err != nil {
			return nil, at(v, err)
		}
		ft.vals = append(ft.vals, ms...)
	}
	return ft, nil
}

// valueMatchers compiles one rule value under the modifiers m. With all, the
// variants of one value are grouped into one matcher.
func (c *compiler) valueMatchers(key string, m mods, v *yaml.Node) ([]valueMatcher, error) {
	switch {
	case m.re:
		re, err := compileRegexp(v.Value, m.reFlags)
		if err != nil {
			return nil, err
		}
		return []valueMatcher{&reMatcher{re: re, neg: m.neq}}, nil
	case m.cidr:
		p, err := netip.ParsePrefix(strings.TrimSpace(v.Value))
		if err != nil {
			return nil, fmt.Errorf("field %q: invalid CIDR %q", key, v.Value)
		}
		return []valueMatcher{&cidrMatcher{prefix: p.Masked(), neg: m.neq}}, nil
	case m.hasCmp || m.hasTime:
		f, ok := parseNumber(v.Value)
		if !ok {
			return nil, fmt.Errorf("field %q: %q is not a number", key, v.Value)
		}
		op := m.cmp
		if !m.hasCmp && m.neq {
			op = opNeq
		}
		if m.hasTime {
			return []valueMatcher{&timeMatcher{part: m.time, op: op, val: f}}, nil
		}
		return []valueMatcher{&numMatcher{op: op, val: f}}, nil
	case m.fieldref:
		other := v.Value
		if names := c.fieldmap[other]; len(names) > 0 {
			other = names[0]
		}
		return []valueMatcher{&refMatcher{other: event.NewPath(other), pos: m.pos, cased: m.cased,
			neg: m.neq}}, nil
	}
	pats, err := c.patterns(m, v)
	if err != nil {
		return nil, err
	}
	num, isNum := 0.0, false
	if (v.Tag == "!!int" || v.Tag == "!!float") && len(m.transforms) == 0 && m.pos == posWhole {
		num, isNum = parseNumber(v.Value)
	}
	out := make([]valueMatcher, 0, len(pats))
	for _, p := range pats {
		out = append(out, &strMatcher{pat: p, num: num, isNum: isNum, neg: m.neq})
	}
	if m.all && len(out) > 1 {
		return []valueMatcher{anyOf(out)}, nil
	}
	return out, nil
}

// anyOf holds when one of its matchers does: the variants of one value.
type anyOf []valueMatcher

func (a anyOf) match(ev *event.Event, v any) bool {
	for _, m := range a {
		if m.match(ev, v) {
			return true
		}
	}
	return false
}

func (a anyOf) cost() int {
	c := 0
	for _, m := range a {
		c += m.cost()
	}
	return c
}

// patterns expands one string value through placeholders and the
// transformation modifiers and compiles the results.
func (c *compiler) patterns(m mods, v *yaml.Node) ([]pattern, error) {
	raw := v.Value
	if v.Tag == "!!bool" {
		raw = strings.ToLower(raw)
	}
	vals := []value{{s: raw}}
	if m.expand {
		strs, err := expandPlaceholders(raw, c.placeholders)
		if err != nil {
			return nil, err
		}
		vals = vals[:0]
		for _, s := range strs {
			vals = append(vals, value{s: s})
		}
	}
	for _, t := range m.transforms {
		var err error
		if vals, err = transform(t, vals); err != nil {
			return nil, err
		}
	}
	out := make([]pattern, 0, len(vals))
	for _, val := range vals {
		if val.literal {
			out = append(out, compileLiteral(val.s, m.pos, m.cased))
			continue
		}
		out = append(out, compilePattern(parseSigmaString(val.s), m.pos, m.cased))
	}
	return out, nil
}

// compileKeywords compiles field-less values: each is searched in every
// string of the event.
func (c *compiler) compileKeywords(vals []*yaml.Node, m mods) (node, error) {
	if m.re || m.cidr || m.exists || m.fieldref || m.hasCmp || m.hasTime || m.neq {
		return nil, errors.New("detection: keywords take only string modifiers")
	}
	if m.pos == posWhole {
		m.pos = posContains
	}
	kw := &keywordTest{all: m.all}
	for _, v := range vals {
		if v.Tag == "!!null" {
			return nil, errors.New("detection: a keyword cannot be null")
		}
		pats, err := c.patterns(m, v)
		if err != nil {
			return nil, err
		}
		kw.vals = append(kw.vals, pats)
	}
	return kw, nil
}

// compileRegexp compiles a Sigma regular expression with Go's RE2 engine,
// naming the constructs RE2 lacks.
func compileRegexp(expr, flags string) (*regexp.Regexp, error) {
	full := expr
	if flags != "" {
		full = "(?" + flags + ")" + expr
	}
	re, err := regexp.Compile(full)
	if err == nil {
		return re, nil
	}
	var se *syntax.Error
	if errors.As(err, &se) {
		if what := unsupportedRegexp(se); what != "" {
			return nil, fmt.Errorf("unsupported: regular expression uses %s which Go's RE2 engine "+
				"does not support: %q", what, expr)
		}
	}
	return nil, fmt.Errorf("invalid regular expression %q: %w", expr, err)
}

// unsupportedRegexp names a PCRE construct behind an RE2 syntax error, or
// returns "" for a plain syntax error.
func unsupportedRegexp(se *syntax.Error) string {
	switch se.Code {
	case syntax.ErrInvalidPerlOp:
		switch {
		case strings.HasPrefix(se.Expr, "(?="), strings.HasPrefix(se.Expr, "(?!"):
			return "lookahead " + strconv.Quote(se.Expr)
		case strings.HasPrefix(se.Expr, "(?<="), strings.HasPrefix(se.Expr, "(?<!"):
			return "lookbehind " + strconv.Quote(se.Expr)
		case strings.HasPrefix(se.Expr, "(?>"):
			return "an atomic group"
		}
		return "the group syntax " + strconv.Quote(se.Expr)
	case syntax.ErrInvalidEscape:
		if len(se.Expr) == 2 && se.Expr[1] >= '1' && se.Expr[1] <= '9' {
			return "a backreference " + strconv.Quote(se.Expr)
		}
		return "the escape " + strconv.Quote(se.Expr)
	case syntax.ErrInvalidRepeatOp:
		if strings.HasSuffix(se.Expr, "+") {
			return "a possessive quantifier " + strconv.Quote(se.Expr)
		}
	}
	return ""
}
