package sigma

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// condParser parses one condition expression. Precedence, loosest first:
// or, and, not, "N of", parentheses.
type condParser struct {
	src   string
	toks  []string
	i     int
	sels  map[string]node
	depth int
	// order lists the selection names as the rule defines them.
	order []string
}

// parseCondition compiles cond over the compiled selections.
func parseCondition(cond string, sels map[string]node, order []string) (node, error) {
	p := &condParser{src: cond, toks: tokenize(cond), sels: sels, order: order}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("detection: condition is empty")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		if p.toks[p.i] == "|" {
			return nil, fmt.Errorf("unsupported: aggregation in condition %q "+
				"(use a correlation rule)", cond)
		}
		return nil, fmt.Errorf("detection: unexpected %q in condition %q", p.toks[p.i], cond)
	}
	return n, nil
}

func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r':
			flush()
		case '(', ')', '|':
			flush()
			toks = append(toks, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

func (p *condParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *condParser) keyword(k string) bool {
	if strings.EqualFold(p.peek(), k) {
		p.i++
		return true
	}
	return false
}

func (p *condParser) or() (node, error) {
	var terms orNode
	for {
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
		if !p.keyword("or") {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	sortByCost(terms)
	return terms, nil
}

// sortByCost orders the operands of AND and OR cheapest first; the result
// is the same, as tests have no side effects.
func sortByCost(ns []node) {
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].cost() < ns[j].cost() })
}

func (p *condParser) and() (node, error) {
	var terms andNode
	for {
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
		if !p.keyword("and") {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	sortByCost(terms)
	return terms, nil
}

// maxDepth bounds the nesting of parentheses and not in a condition.
const maxDepth = 64

func (p *condParser) unary() (node, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, fmt.Errorf("detection: condition %q nests deeper than %d", p.src, maxDepth)
	}
	defer func() { p.depth-- }()
	if p.keyword("not") {
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (node, error) {
	tok := p.peek()
	switch {
	case tok == "":
		return nil, fmt.Errorf("detection: condition %q ends early", p.src)
	case tok == "(":
		p.i++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.keyword(")") {
			return nil, fmt.Errorf("detection: missing ) in condition %q", p.src)
		}
		return n, nil
	case tok == ")" || tok == "|" || isOperator(tok):
		return nil, fmt.Errorf("detection: unexpected %q in condition %q", tok, p.src)
	}
	p.i++
	if strings.EqualFold(p.peek(), "of") {
		p.i++
		return p.of(tok)
	}
	if strings.ContainsAny(tok, "*?") {
		return nil, fmt.Errorf("detection: selection pattern %q needs \"1 of\" or \"all of\" "+
			"(condition: %q)", tok, p.src)
	}
	n, ok := p.sels[tok]
	if !ok {
		return nil, fmt.Errorf("detection: selection %q is not defined (condition: %q)", tok, p.src)
	}
	return n, nil
}

func isOperator(tok string) bool {
	switch strings.ToLower(tok) {
	case "and", "or", "not", "of":
		return true
	}
	return false
}

// of compiles "1 of X", "all of X", "N of X" where X is a pattern or them.
func (p *condParser) of(quant string) (node, error) {
	target := p.peek()
	if target == "" || target == "(" || target == ")" || isOperator(target) {
		return nil, fmt.Errorf("detection: %q of needs a selection pattern (condition: %q)",
			quant, p.src)
	}
	p.i++
	var nodes []node
	for _, name := range p.order {
		var ok bool
		if strings.EqualFold(target, "them") {
			ok = !strings.HasPrefix(name, "_")
		} else {
			ok, _ = path.Match(target, name)
		}
		if ok {
			nodes = append(nodes, p.sels[name])
		}
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("detection: no selection matches %q (condition: %q)", target, p.src)
	}
	nodes = slices.Clone(nodes)
	sortByCost(nodes)
	switch q := strings.ToLower(quant); q {
	case "all":
		return andNode(nodes), nil
	case "1", "any":
		return orNode(nodes), nil
	default:
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("detection: %q of: want 1, all or a count (condition: %q)",
				quant, p.src)
		}
		return ofNode{min: n, nodes: nodes}, nil
	}
}
