package incident

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FunctionalImpact is NIST SP 800-61's functional impact of an incident:
// how much it hurts the business functions of the affected systems.
type FunctionalImpact string

// Functional impact values, from NIST SP 800-61 Table 3-2.
const (
	FunctionalNone   FunctionalImpact = "none"   // no effect on services
	FunctionalLow    FunctionalImpact = "low"    // minimal effect, all services still provided
	FunctionalMedium FunctionalImpact = "medium" // a critical service lost for a subset of users
	FunctionalHigh   FunctionalImpact = "high"   // a critical service lost for all users
)

// InformationImpact is NIST SP 800-61's information impact: what happened to
// the confidentiality or integrity of information.
type InformationImpact string

// Information impact values, from NIST SP 800-61 Table 3-3.
const (
	InformationNone        InformationImpact = "none"        // no information touched
	InformationPrivacy     InformationImpact = "privacy"     // personal data accessed or taken
	InformationProprietary InformationImpact = "proprietary" // confidential business data taken
	InformationIntegrity   InformationImpact = "integrity"   // information changed or deleted
)

// Recoverability is NIST SP 800-61's recoverability: the effort to recover.
type Recoverability string

// Recoverability values, from NIST SP 800-61 Table 3-4.
const (
	RecoveryRegular      Recoverability = "regular"         // predictable, existing resources
	RecoverySupplemented Recoverability = "supplemented"    // predictable with more resources
	RecoveryExtended     Recoverability = "extended"        // unpredictable, outside help
	RecoveryNone         Recoverability = "not-recoverable" // recovery impossible
)

// The values of each factor, in increasing order of gravity.
var (
	functionalValues = []FunctionalImpact{FunctionalNone, FunctionalLow, FunctionalMedium,
		FunctionalHigh}
	informationValues = []InformationImpact{InformationNone, InformationPrivacy,
		InformationProprietary, InformationIntegrity}
	recoverValues = []Recoverability{RecoveryRegular, RecoverySupplemented, RecoveryExtended,
		RecoveryNone}
)

// Factors are the three NIST SP 800-61 factors that set an incident's priority.
type Factors struct {
	Functional     FunctionalImpact  `json:"functional_impact"`
	Information    InformationImpact `json:"information_impact"`
	Recoverability Recoverability    `json:"recoverability"`
}

// Validate reports a factor that is not one of the documented values.
func (f Factors) Validate() error {
	switch {
	case !slices.Contains(functionalValues, f.Functional):
		return fmt.Errorf("incident: functional impact %q: %w", f.Functional, ErrInvalidValue)
	case !slices.Contains(informationValues, f.Information):
		return fmt.Errorf("incident: information impact %q: %w", f.Information, ErrInvalidValue)
	case !slices.Contains(recoverValues, f.Recoverability):
		return fmt.Errorf("incident: recoverability %q: %w", f.Recoverability, ErrInvalidValue)
	}
	return nil
}

// Priority is the order in which incidents are handled: P1 first, P4 last.
// The zero value is not a priority.
type Priority int

// Priorities.
const (
	P1 Priority = 1 + iota // drop everything
	P2                     // handle now, during business hours and on call
	P3                     // handle within the working day
	P4                     // handle when P1–P3 allow
)

// String returns "P1" … "P4".
func (p Priority) String() string { return fmt.Sprintf("P%d", int(p)) }

// Valid reports whether p is P1 … P4.
func (p Priority) Valid() bool { return p >= P1 && p <= P4 }

// MarshalText encodes p as "P1" … "P4", so JSON carries the name.
func (p Priority) MarshalText() ([]byte, error) {
	if !p.Valid() {
		return nil, fmt.Errorf("incident: priority %d: %w", int(p), ErrInvalidValue)
	}
	return []byte(p.String()), nil
}

// UnmarshalText decodes "P1" … "P4".
func (p *Priority) UnmarshalText(b []byte) error {
	v, err := ParsePriority(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParsePriority parses "P1" … "P4" (case-insensitive).
func ParsePriority(s string) (Priority, error) {
	for p := P1; p <= P4; p++ {
		if strings.EqualFold(s, p.String()) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("incident: priority %q: %w", s, ErrInvalidValue)
}

// Explanation says which rule of which policy produced a priority or a
// severity suggestion.
type Explanation struct {
	// Policy is the policy's file name, "default-priority.yaml" for the built-in one.
	Policy string `json:"policy"`
	// Rule is the name of the matching rule, or "default" when none matched.
	Rule string `json:"rule"`
	// Index is the rule's 1-based position in the file; 0 for the default.
	Index int `json:"index"`
	// Text is a sentence for people: "rule 2 \"x\" (…) matched: P1".
	Text string `json:"text"`
}

// String returns Text.
func (e Explanation) String() string { return e.Text }

//go:embed default-priority.yaml
var defaultPriorityYAML []byte

// PriorityPolicy maps Factors to a Priority by an ordered list of rules: the
// first rule whose conditions all hold wins, and Default applies when none
// does. A PriorityPolicy is immutable and safe for concurrent use.
type PriorityPolicy struct {
	file  string
	rules []priorityRule
	def   Priority
}

type priorityRule struct {
	name        string
	functional  []FunctionalImpact
	information []InformationImpact
	recover     []Recoverability
	priority    Priority
}

// DefaultPriorityPolicy returns the built-in policy (default-priority.yaml,
// documented in docs/incident.md). It panics only if the embedded file is
// broken, which its tests rule out.
func DefaultPriorityPolicy() *PriorityPolicy {
	p, err := ParsePriorityPolicy("default-priority.yaml", defaultPriorityYAML)
	if err != nil {
		panic(err)
	}
	return p
}

// DefaultPriorityYAML returns a copy of the built-in policy file, a starting
// point for a custom one.
func DefaultPriorityYAML() []byte { return slices.Clone(defaultPriorityYAML) }

// Derive returns the priority for f and which rule produced it. Factors
// outside the documented values match only rules that leave that factor open;
// callers validate with Factors.Validate first.
func (p *PriorityPolicy) Derive(f Factors) (Priority, Explanation) {
	for i, r := range p.rules {
		if r.matches(f) {
			return r.priority, Explanation{Policy: p.file, Rule: r.name, Index: i + 1,
				Text: fmt.Sprintf("rule %d %q (%s) matched %s: %s", i+1, r.name, r.describe(),
					f, r.priority)}
		}
	}
	return p.def, Explanation{Policy: p.file, Rule: "default",
		Text: fmt.Sprintf("no rule matched %s: default %s", f, p.def)}
}

// String returns "functional=…, information=…, recoverability=…".
func (f Factors) String() string {
	return fmt.Sprintf("functional=%s, information=%s, recoverability=%s", f.Functional,
		f.Information, f.Recoverability)
}

func (r priorityRule) matches(f Factors) bool {
	return anyOrIn(r.functional, f.Functional) && anyOrIn(r.information, f.Information) &&
		anyOrIn(r.recover, f.Recoverability)
}

func (r priorityRule) describe() string {
	var parts []string
	parts = appendCond(parts, "functional", r.functional)
	parts = appendCond(parts, "information", r.information)
	parts = appendCond(parts, "recoverability", r.recover)
	if len(parts) == 0 {
		return "always"
	}
	return strings.Join(parts, ", ")
}

// anyOrIn reports whether v is in set, an empty set matching anything.
func anyOrIn[T comparable](set []T, v T) bool {
	return len(set) == 0 || slices.Contains(set, v)
}

// appendCond appends "name in [a b]" when set is not empty.
func appendCond[T ~string](parts []string, name string, set []T) []string {
	if len(set) == 0 {
		return parts
	}
	vs := make([]string, len(set))
	for i, v := range set {
		vs[i] = string(v)
	}
	return append(parts, fmt.Sprintf("%s in [%s]", name, strings.Join(vs, " ")))
}

// ParsePriorityPolicy parses a priority policy file; file names it in errors,
// which are *ParseError. The format, with every key of "when" optional:
//
//	default: P4
//	rules:
//	  - name: functional-high
//	    when: {functional: [high], information: [...], recoverability: [...]}
//	    priority: P1
func ParsePriorityPolicy(file string, data []byte) (*PriorityPolicy, error) {
	f := yamlFile{name: file}
	root, err := f.root(data)
	if err != nil {
		return nil, err
	}
	p := &PriorityPolicy{file: file}
	err = f.fields(root, "", map[string]func(string, *yaml.Node) error{
		"default": func(key string, v *yaml.Node) error {
			p.def, err = f.priority(v, key)
			return err
		},
		"rules": func(key string, v *yaml.Node) error {
			return f.rules(v, key, func(_ int, key string, v *yaml.Node) error {
				r, err := f.priorityRule(v, key)
				p.rules = append(p.rules, r)
				return err
			})
		},
	}, "default", "rules")
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (f yamlFile) priority(n *yaml.Node, key string) (Priority, error) {
	p, err := ParsePriority(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return 0, f.errAt(n, key, "want P1, P2, P3 or P4, got %s", kindName(n))
	}
	return p, nil
}

func (f yamlFile) priorityRule(n *yaml.Node, key string) (priorityRule, error) {
	var r priorityRule
	err := f.fields(n, key, map[string]func(string, *yaml.Node) error{
		"name": func(key string, v *yaml.Node) (err error) {
			r.name, err = f.scalar(v, key)
			return err
		},
		"priority": func(key string, v *yaml.Node) (err error) {
			r.priority, err = f.priority(v, key)
			return err
		},
		"when": func(key string, v *yaml.Node) error {
			return f.fields(v, key, map[string]func(string, *yaml.Node) error{
				"functional": func(key string, v *yaml.Node) (err error) {
					r.functional, err = enumList(f, v, key, functionalValues)
					return err
				},
				"information": func(key string, v *yaml.Node) (err error) {
					r.information, err = enumList(f, v, key, informationValues)
					return err
				},
				"recoverability": func(key string, v *yaml.Node) (err error) {
					r.recover, err = enumList(f, v, key, recoverValues)
					return err
				},
			})
		},
	}, "name", "priority")
	return r, err
}

// enumList decodes a scalar or list whose items must be among values.
func enumList[T ~string](f yamlFile, n *yaml.Node, key string, values []T) ([]T, error) {
	ss, err := f.strings(n, key, func(s string) bool { return slices.Contains(values, T(s)) })
	if err != nil {
		return nil, err
	}
	out := make([]T, len(ss))
	for i, s := range ss {
		out[i] = T(s)
	}
	return out, nil
}
