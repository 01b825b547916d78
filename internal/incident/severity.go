package incident

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Level is the severity the service team sets for an incident: 0 is the most
// severe, 4 the least. It is distinct from Priority, which NIST's factors
// derive, and from the foundation's Incident.Severity, which an alert's rule
// level sets before anyone has looked.
type Level int

// Severity levels.
const (
	Level0 Level = iota // critical
	Level1              // high
	Level2              // medium
	Level3              // minor
	Level4              // low
)

var levelNames = [...]string{"critical", "high", "medium", "minor", "low"}

// String returns "0 (critical)" … "4 (low)".
func (l Level) String() string {
	if !l.Valid() {
		return fmt.Sprintf("%d (invalid)", int(l))
	}
	return fmt.Sprintf("%d (%s)", int(l), levelNames[l])
}

// Valid reports whether l is 0 … 4.
func (l Level) Valid() bool { return l >= Level0 && l <= Level4 }

// Privacy says whether personal data was touched.
type Privacy string

// Privacy values; the empty string counts as PrivacyUnknown.
const (
	PrivacyYes     Privacy = "yes"
	PrivacyNo      Privacy = "no"
	PrivacyUnknown Privacy = "unknown"
)

var privacyValues = []Privacy{PrivacyYes, PrivacyNo, PrivacyUnknown}

// Scope is how far an incident reaches, from one host to everything.
type Scope string

// Scope values, from narrowest to widest.
const (
	ScopeHost        Scope = "host"
	ScopeService     Scope = "service"
	ScopeRegion      Scope = "region"
	ScopeMultiRegion Scope = "multi-region"
	ScopeGlobal      Scope = "global"
)

var scopeValues = []Scope{ScopeHost, ScopeService, ScopeRegion, ScopeMultiRegion, ScopeGlobal}

// Industry is a regulated industry of an affected customer. The list is open:
// these are the values the default policy and the notification rules know.
type Industry string

// Known regulated industries.
const (
	IndustryHealth         Industry = "health"
	IndustryFinance        Industry = "finance"
	IndustryGovernment     Industry = "government"
	IndustryEducation      Industry = "education"
	IndustryEnergy         Industry = "energy"
	IndustryTelecom        Industry = "telecom"
	IndustryPaymentCards   Industry = "payment-cards"
	IndustryCriticalInfra  Industry = "critical-infrastructure"
	IndustryDefense        Industry = "defense"
	IndustryInsurance      Industry = "insurance"
	IndustryPharmaceutical Industry = "pharmaceutical"
)

// SeverityCriteria are the facts the service team records to set a severity.
// The zero value means "nothing known yet" (privacy unknown, no scope).
type SeverityCriteria struct {
	Privacy   Privacy    `json:"privacy"`
	Scope     Scope      `json:"scope"`
	Tenants   int        `json:"tenants"`
	Regions   []string   `json:"regions,omitempty"`
	Services  []string   `json:"services,omitempty"`
	Regulated []Industry `json:"regulated_industries,omitempty"`
	Details   string     `json:"details,omitempty"`
}

// Validate reports a privacy or scope value outside the documented sets or a
// negative tenant count. An empty scope is allowed (not yet known).
func (c SeverityCriteria) Validate() error {
	switch {
	case c.Privacy != "" && !slices.Contains(privacyValues, c.Privacy):
		return fmt.Errorf("incident: privacy %q: %w", c.Privacy, ErrInvalidValue)
	case c.Scope != "" && !slices.Contains(scopeValues, c.Scope):
		return fmt.Errorf("incident: scope %q: %w", c.Scope, ErrInvalidValue)
	case c.Tenants < 0:
		return fmt.Errorf("incident: tenants %d: %w", c.Tenants, ErrInvalidValue)
	}
	return nil
}

func (c SeverityCriteria) privacy() Privacy {
	if c.Privacy == "" {
		return PrivacyUnknown
	}
	return c.Privacy
}

//go:embed default-severity.yaml
var defaultSeverityYAML []byte

// SeverityPolicy suggests a Level from SeverityCriteria by an ordered list of
// rules: the first whose conditions all hold wins, the default applies when
// none does. A SeverityPolicy is immutable and safe for concurrent use.
type SeverityPolicy struct {
	file  string
	rules []severityRule
	def   Level
}

type severityRule struct {
	name        string
	privacy     []Privacy
	scope       []Scope
	industries  []Industry
	regulated   *bool
	minTenants  int
	minRegions  int
	minServices int
	level       Level
}

// DefaultSeverityPolicy returns the built-in policy (default-severity.yaml,
// documented in docs/incident.md). It panics only if the embedded file is
// broken, which its tests rule out.
func DefaultSeverityPolicy() *SeverityPolicy {
	p, err := ParseSeverityPolicy("default-severity.yaml", defaultSeverityYAML)
	if err != nil {
		panic(err)
	}
	return p
}

// DefaultSeverityYAML returns a copy of the built-in policy file.
func DefaultSeverityYAML() []byte { return slices.Clone(defaultSeverityYAML) }

// Suggest returns the suggested level for c and the rule that produced it.
func (p *SeverityPolicy) Suggest(c SeverityCriteria) (Level, Explanation) {
	for i, r := range p.rules {
		if r.matches(c) {
			return r.level, Explanation{Policy: p.file, Rule: r.name, Index: i + 1,
				Text: fmt.Sprintf("rule %d %q (%s) matched: severity %s", i+1, r.name,
					r.describe(), r.level)}
		}
	}
	return p.def, Explanation{Policy: p.file, Rule: "default",
		Text: fmt.Sprintf("no rule matched: default severity %s", p.def)}
}

func (r severityRule) matches(c SeverityCriteria) bool {
	if !anyOrIn(r.privacy, c.privacy()) || !anyOrIn(r.scope, c.Scope) {
		return false
	}
	if len(r.industries) > 0 && !slices.ContainsFunc(c.Regulated, func(i Industry) bool {
		return slices.Contains(r.industries, i)
	}) {
		return false
	}
	if r.regulated != nil && *r.regulated != (len(c.Regulated) > 0) {
		return false
	}
	return c.Tenants >= r.minTenants && len(c.Regions) >= r.minRegions &&
		len(c.Services) >= r.minServices
}

func (r severityRule) describe() string {
	var parts []string
	parts = appendCond(parts, "privacy", r.privacy)
	parts = appendCond(parts, "scope", r.scope)
	parts = appendCond(parts, "industry", r.industries)
	if r.regulated != nil {
		parts = append(parts, fmt.Sprintf("regulated=%t", *r.regulated))
	}
	for _, m := range []struct {
		name string
		n    int
	}{{"tenants", r.minTenants}, {"regions", r.minRegions}, {"services", r.minServices}} {
		if m.n > 0 {
			parts = append(parts, fmt.Sprintf("%s>=%d", m.name, m.n))
		}
	}
	if len(parts) == 0 {
		return "always"
	}
	return strings.Join(parts, ", ")
}

// ParseSeverityPolicy parses a severity policy file; errors are *ParseError
// naming file, key and line. The format, with every key of "when" optional:
//
//	default: 4
//	rules:
//	  - name: global
//	    when: {privacy: [yes], scope: [global], industries: [health],
//	           regulated: true, min_tenants: 10, min_regions: 2, min_services: 3}
//	    level: 0
func ParseSeverityPolicy(file string, data []byte) (*SeverityPolicy, error) {
	f := yamlFile{name: file}
	root, err := f.root(data)
	if err != nil {
		return nil, err
	}
	p := &SeverityPolicy{file: file}
	err = f.fields(root, "", map[string]func(string, *yaml.Node) error{
		"default": func(key string, v *yaml.Node) error {
			p.def, err = f.level(v, key)
			return err
		},
		"rules": func(key string, v *yaml.Node) error {
			return f.rules(v, key, func(_ int, key string, v *yaml.Node) error {
				r, err := f.severityRule(v, key)
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

func (f yamlFile) level(n *yaml.Node, key string) (Level, error) {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || !Level(v).Valid() {
		return 0, f.errAt(n, key, "want a level from 0 to 4, got %s", kindName(n))
	}
	return Level(v), nil
}

func (f yamlFile) severityRule(n *yaml.Node, key string) (severityRule, error) {
	var r severityRule
	err := f.fields(n, key, map[string]func(string, *yaml.Node) error{
		"name": func(key string, v *yaml.Node) (err error) {
			r.name, err = f.scalar(v, key)
			return err
		},
		"level": func(key string, v *yaml.Node) (err error) {
			r.level, err = f.level(v, key)
			return err
		},
		"when": func(key string, v *yaml.Node) error { return f.severityWhen(v, key, &r) },
	}, "name", "level")
	return r, err
}

func (f yamlFile) severityWhen(n *yaml.Node, key string, r *severityRule) error {
	return f.fields(n, key, map[string]func(string, *yaml.Node) error{
		"privacy": func(key string, v *yaml.Node) (err error) {
			r.privacy, err = enumList(f, v, key, privacyValues)
			return err
		},
		"scope": func(key string, v *yaml.Node) (err error) {
			r.scope, err = enumList(f, v, key, scopeValues)
			return err
		},
		"industries": func(key string, v *yaml.Node) error {
			ss, err := f.strings(v, key, nil)
			for _, s := range ss {
				r.industries = append(r.industries, Industry(s))
			}
			return err
		},
		"regulated": func(key string, v *yaml.Node) error {
			b, err := strconv.ParseBool(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil {
				return f.errAt(v, key, "want true or false, got %s", kindName(v))
			}
			r.regulated = &b
			return nil
		},
		"min_tenants": func(key string, v *yaml.Node) (err error) {
			r.minTenants, err = f.count(v, key)
			return err
		},
		"min_regions": func(key string, v *yaml.Node) (err error) {
			r.minRegions, err = f.count(v, key)
			return err
		},
		"min_services": func(key string, v *yaml.Node) (err error) {
			r.minServices, err = f.count(v, key)
			return err
		},
	})
}

// SeverityDecision records the severity a person set, next to the policy's
// suggestion. A decision that departs from the suggestion needs a reason.
type SeverityDecision struct {
	Criteria    SeverityCriteria `json:"criteria"`
	Suggested   Level            `json:"suggested"`
	Explanation Explanation      `json:"explanation"`
	Decided     Level            `json:"decided"`
	By          string           `json:"by"`
	At          time.Time        `json:"at"`
	Reason      string           `json:"reason,omitempty"`
}

// Validate reports levels out of range (ErrInvalidValue), a missing By or At
// (ErrMissingField) and a decision differing from the suggestion without a
// reason (ErrReasonRequired).
func (d SeverityDecision) Validate() error {
	switch {
	case !d.Suggested.Valid():
		return fmt.Errorf("incident: suggested severity %d: %w", d.Suggested, ErrInvalidValue)
	case !d.Decided.Valid():
		return fmt.Errorf("incident: decided severity %d: %w", d.Decided, ErrInvalidValue)
	case strings.TrimSpace(d.By) == "":
		return fmt.Errorf("incident: severity decision: by: %w", ErrMissingField)
	case d.At.IsZero():
		return fmt.Errorf("incident: severity decision: at: %w", ErrMissingField)
	case d.Decided != d.Suggested && strings.TrimSpace(d.Reason) == "":
		return fmt.Errorf("incident: severity %s differs from the suggested %s: %w",
			d.Decided, d.Suggested, ErrReasonRequired)
	}
	return nil
}
