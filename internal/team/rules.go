package team

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rule engages Teams (by ID) as subject-matter experts when When holds.
type Rule struct {
	Name  string    `json:"name"`
	Teams []string  `json:"teams"`
	When  Condition `json:"when"`
}

// Condition is what a rule looks at. Every condition set must hold; within
// a list any value matches; an empty Condition always holds.
type Condition struct {
	// Categories are incident categories (incident.Category values).
	Categories []string `json:"categories,omitempty"`
	// MaxSeverity holds for a decided severity at most this level (0
	// critical … 4 low); nil: any severity, including none decided.
	MaxSeverity *int `json:"max_severity,omitempty"`
	// Services holds when the incident affects one of these services.
	Services []string `json:"services,omitempty"`
	// Keywords holds when one appears in the title or summary, ignoring
	// case.
	Keywords []string `json:"keywords,omitempty"`
}

// Facts are what the rules see of an incident.
type Facts struct {
	Category string
	// Severity is the latest decided level, -1 when none was decided.
	Severity int
	Services []string
	Title    string
	Summary  string
}

// Selection is one team a rule selected, with the reason in words.
type Selection struct {
	Team   string `json:"team"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Rules is an ordered set of engagement rules. It is immutable and safe for
// concurrent use.
type Rules struct{ rules []Rule }

//go:embed default-rules.yaml
var defaultRules []byte

// DefaultRules returns the built-in rules (default-rules.yaml, documented
// in docs/team.md).
func DefaultRules() *Rules {
	rs, err := ParseRules(defaultRules, "default-rules.yaml")
	if err != nil {
		panic(fmt.Sprintf("team: built-in rules: %v", err))
	}
	return rs
}

// List returns a copy of the rules in order.
func (rs *Rules) List() []Rule { return slices.Clone(rs.rules) }

// Select returns, in rule order, a Selection for each team of each rule
// whose condition holds for f. A team selected by several rules appears
// once per rule: each is a reason.
func (rs *Rules) Select(f Facts) []Selection {
	var out []Selection
	for _, r := range rs.rules {
		why, ok := r.When.holds(f)
		if !ok {
			continue
		}
		for _, t := range r.Teams {
			out = append(out, Selection{Team: t, Rule: r.Name,
				Reason: "rule " + r.Name + ": " + why})
		}
	}
	return out
}

// holds reports whether c holds for f and says why.
func (c Condition) holds(f Facts) (string, bool) {
	var why []string
	if len(c.Categories) > 0 {
		if !slices.Contains(c.Categories, f.Category) {
			return "", false
		}
		why = append(why, "category "+f.Category)
	}
	if c.MaxSeverity != nil {
		if f.Severity < 0 || f.Severity > *c.MaxSeverity {
			return "", false
		}
		why = append(why, fmt.Sprintf("severity %d <= %d", f.Severity, *c.MaxSeverity))
	}
	if len(c.Services) > 0 {
		i := slices.IndexFunc(f.Services, func(s string) bool {
			return slices.Contains(c.Services, s)
		})
		if i < 0 {
			return "", false
		}
		why = append(why, "service "+f.Services[i])
	}
	if len(c.Keywords) > 0 {
		text := strings.ToLower(f.Title + "\n" + f.Summary)
		i := slices.IndexFunc(c.Keywords, func(k string) bool {
			return strings.Contains(text, strings.ToLower(k))
		})
		if i < 0 {
			return "", false
		}
		why = append(why, strconv.Quote(c.Keywords[i])+" in title or summary")
	}
	if len(why) == 0 {
		return "always", true
	}
	return strings.Join(why, ", "), true
}

// ParseRules reads an engagement rules file (the format of
// default-rules.yaml). Problems give a *ParseError naming file, key and
// line: an unknown key, a rule without a name or teams, a repeated name, a
// max_severity outside 0–4.
func ParseRules(data []byte, file string) (*Rules, error) {
	d := yamlDoc{file: file}
	root, err := d.root(data)
	if err != nil {
		return nil, err
	}
	top, err := d.fields(root, "", "rules")
	if err != nil {
		return nil, err
	}
	seq, ok := top["rules"]
	if !ok || seq.Kind != yaml.SequenceNode {
		return nil, d.errorf(root, "rules", "want a list of rules")
	}
	rs := &Rules{}
	for i, n := range seq.Content {
		r, err := d.rule(n, fmt.Sprintf("rules[%d]", i))
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(rs.rules, func(o Rule) bool { return o.Name == r.Name }) {
			return nil, d.errorf(n, fmt.Sprintf("rules[%d].name", i), "rule %q appears twice",
				r.Name)
		}
		rs.rules = append(rs.rules, r)
	}
	return rs, nil
}

func (d yamlDoc) rule(n *yaml.Node, path string) (Rule, error) {
	f, err := d.fields(n, path, "name", "teams", "when")
	if err != nil {
		return Rule{}, err
	}
	var r Rule
	if r.Name, err = d.str(f, "name", path); err != nil {
		return Rule{}, err
	}
	if r.Teams, err = d.list(f, "teams", path); err != nil {
		return Rule{}, err
	}
	if strings.TrimSpace(r.Name) == "" || len(r.Teams) == 0 {
		return Rule{}, d.errorf(n, path, "a rule needs a name and teams")
	}
	w, ok := f["when"]
	if !ok {
		return r, nil
	}
	p := path + ".when"
	wf, err := d.fields(w, p, "categories", "max_severity", "services", "keywords")
	if err != nil {
		return Rule{}, err
	}
	c := &r.When
	for _, l := range []struct {
		key string
		dst *[]string
	}{{"categories", &c.Categories}, {"services", &c.Services}, {"keywords", &c.Keywords}} {
		if *l.dst, err = d.list(wf, l.key, p); err != nil {
			return Rule{}, err
		}
	}
	if s, ok := wf["max_severity"]; ok {
		v, err := strconv.Atoi(s.Value)
		if err != nil || v < 0 || v > 4 {
			return Rule{}, d.errorf(s, p+".max_severity", "want a level from 0 to 4")
		}
		c.MaxSeverity = &v
	}
	return r, nil
}
