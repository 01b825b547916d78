package readiness

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// CourseKind groups courses as the program names them.
type CourseKind string

// The kinds of course.
const (
	KindBasics       CourseKind = "basics"
	KindEscalation   CourseKind = "escalation"
	KindPrivacy      CourseKind = "privacy"
	KindRoleSpecific CourseKind = "role-specific"
)

// CourseKinds lists every kind.
func CourseKinds() []CourseKind {
	return []CourseKind{KindBasics, KindEscalation, KindPrivacy, KindRoleSpecific}
}

// Course is one training course of the program.
type Course struct {
	ID    string     `json:"id" yaml:"id"`
	Title string     `json:"title" yaml:"title"`
	Kind  CourseKind `json:"kind" yaml:"kind"`
	// Changes are the procedure changes the course teaches, dated: a
	// refresher covers those after the person's last completion.
	Changes []ProcedureChange `json:"changes" yaml:"changes"`
}

// ProcedureChange is a dated note of a change to a procedure.
type ProcedureChange struct {
	Date Date   `json:"date" yaml:"date"`
	Note string `json:"note" yaml:"note"`
}

// CheckRule says who needs a background check and how fresh: the people
// with access to Environment (and, when Roles is not empty, one of those
// roles) need a passed check no older than MaxAgeYears.
type CheckRule struct {
	Environment string   `json:"environment" yaml:"environment"`
	Roles       []string `json:"roles" yaml:"roles"`
	MaxAgeYears int      `json:"max_age_years" yaml:"max_age_years"`
}

// Policy is the preparation program's rules: the courses and which roles
// need them, when training is due, who needs a background check, and the
// fix deadlines of findings. It is stored as one versioned document;
// DefaultPolicy is the one shipped (default-policy.yaml).
type Policy struct {
	// OnboardingDays is how long after joining a required course is due
	// when it was never completed. Default 30.
	OnboardingDays int `json:"onboarding_days" yaml:"onboarding_days"`
	// RefresherMonths is how long after its last completion a course is
	// due again. Default 12.
	RefresherMonths int `json:"refresher_months" yaml:"refresher_months"`
	// DueSoonDays is how long before its due date an item is reported as
	// due soon and reminded. Default 14.
	DueSoonDays int      `json:"due_soon_days" yaml:"due_soon_days"`
	Courses     []Course `json:"courses" yaml:"courses"`
	// Roles maps a role to the IDs of the courses it needs.
	Roles            map[string][]string `json:"roles" yaml:"roles"`
	BackgroundChecks []CheckRule         `json:"background_checks" yaml:"background_checks"`
	FindingDeadlines Deadlines           `json:"finding_deadlines" yaml:"finding_deadlines"`

	// Version counts the stored versions (0: the shipped default, never
	// stored); Updated and UpdatedBy say who stored this one.
	Version   int64     `json:"version" yaml:"-"`
	Updated   time.Time `json:"updated,omitzero" yaml:"-"`
	UpdatedBy string    `json:"updated_by,omitempty" yaml:"-"`
}

//go:embed default-policy.yaml
var defaultPolicyYAML []byte

// DefaultPolicy returns the shipped policy (a fresh copy).
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(bytes.NewReader(defaultPolicyYAML))
	if err != nil {
		panic("readiness: default-policy.yaml: " + err.Error())
	}
	return p
}

// ParsePolicy reads a policy from YAML (or JSON, which is YAML): unknown
// keys are errors, zero settings take their defaults, and the result is
// checked (Check). Errors name the line or the key.
func ParsePolicy(r io.Reader) (*Policy, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var p Policy
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("policy: empty document")
		}
		return nil, fmt.Errorf("policy: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("policy: more than one YAML document")
	}
	p.setDefaults()
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// setDefaults fills the zero settings.
func (p *Policy) setDefaults() {
	if p.OnboardingDays == 0 {
		p.OnboardingDays = 30
	}
	if p.RefresherMonths == 0 {
		p.RefresherMonths = 12
	}
	if p.DueSoonDays == 0 {
		p.DueSoonDays = 14
	}
	if p.FindingDeadlines == nil {
		p.FindingDeadlines = DefaultDeadlines()
	}
	if p.Roles == nil {
		p.Roles = map[string][]string{}
	}
	for i := range p.Courses {
		if p.Courses[i].Changes == nil {
			p.Courses[i].Changes = []ProcedureChange{}
		}
	}
	for i := range p.BackgroundChecks {
		if p.BackgroundChecks[i].Roles == nil {
			p.BackgroundChecks[i].Roles = []string{}
		}
	}
	if p.Courses == nil {
		p.Courses = []Course{}
	}
	if p.BackgroundChecks == nil {
		p.BackgroundChecks = []CheckRule{}
	}
}

// Check reports the first problem of p, naming its key: settings out of
// range, a course without an ID or title or of an unknown kind, a repeated
// course, a role needing an unknown course, a check rule without an
// environment or a positive age, a bad deadline.
func (p *Policy) Check() error {
	switch {
	case p.OnboardingDays < 1 || p.OnboardingDays > 3650:
		return fmt.Errorf("policy: onboarding_days %d, want 1 to 3650", p.OnboardingDays)
	case p.RefresherMonths < 1 || p.RefresherMonths > 120:
		return fmt.Errorf("policy: refresher_months %d, want 1 to 120", p.RefresherMonths)
	case p.DueSoonDays < 0 || p.DueSoonDays > 365:
		return fmt.Errorf("policy: due_soon_days %d, want 0 to 365", p.DueSoonDays)
	}
	ids := map[string]bool{}
	for i, c := range p.Courses {
		at := fmt.Sprintf("policy: courses[%d]", i)
		switch {
		case strings.TrimSpace(c.ID) == "" || strings.ContainsAny(c.ID, " \t\r\n,;"):
			return fmt.Errorf("%s.id %q: want a non-empty word", at, c.ID)
		case ids[c.ID]:
			return fmt.Errorf("%s.id %q: given twice", at, c.ID)
		case strings.TrimSpace(c.Title) == "":
			return fmt.Errorf("%s (%s).title: required", at, c.ID)
		case !slices.Contains(CourseKinds(), c.Kind):
			return fmt.Errorf("%s (%s).kind %q: want one of %v", at, c.ID, c.Kind, CourseKinds())
		}
		for j, ch := range c.Changes {
			if ch.Date.IsZero() || strings.TrimSpace(ch.Note) == "" {
				return fmt.Errorf("%s (%s).changes[%d]: want a date and a note", at, c.ID, j)
			}
		}
		ids[c.ID] = true
	}
	for _, role := range slices.Sorted(maps.Keys(p.Roles)) {
		for j, id := range p.Roles[role] {
			if !ids[id] {
				return fmt.Errorf("policy: roles.%s[%d]: unknown course %q", role, j, id)
			}
		}
	}
	for i, r := range p.BackgroundChecks {
		if strings.TrimSpace(r.Environment) == "" || r.MaxAgeYears < 1 || r.MaxAgeYears > 50 {
			return fmt.Errorf("policy: background_checks[%d]: want an environment and "+
				"max_age_years from 1 to 50", i)
		}
	}
	if err := p.FindingDeadlines.Check(); err != nil {
		return fmt.Errorf("policy: finding_%w", err)
	}
	return nil
}

// Course returns the course with this ID.
func (p *Policy) Course(id string) (Course, bool) {
	for _, c := range p.Courses {
		if c.ID == id {
			return c, true
		}
	}
	return Course{}, false
}

// Required returns the IDs of the courses that any of roles needs, in the
// order of the program's courses.
func (p *Policy) Required(roles []string) []string {
	need := map[string]bool{}
	for _, r := range roles {
		for _, id := range p.Roles[r] {
			need[id] = true
		}
	}
	var out []string
	for _, c := range p.Courses {
		if need[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out
}

// Date is a calendar day, written 2006-01-02 in JSON and YAML; it is kept
// as midnight UTC.
type Date struct{ time.Time }

// NewDate returns the day of t (in UTC).
func NewDate(t time.Time) Date { return Date{Day(t)} }

// MarshalJSON writes "2006-01-02", or null for the zero date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.Format(time.DateOnly) + `"`), nil
}

// UnmarshalJSON reads "2006-01-02" (or an RFC 3339 time, whose UTC day
// counts) or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	s, ok := strings.CutPrefix(string(b), `"`)
	s, ok2 := strings.CutSuffix(s, `"`)
	if !ok || !ok2 {
		return fmt.Errorf("date %s: want a string 2006-01-02", b)
	}
	return d.parse(s)
}

// UnmarshalYAML reads a date from a YAML scalar.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a date 2006-01-02", n.Line)
	}
	if err := d.parse(n.Value); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// MarshalYAML writes the date as 2006-01-02.
func (d Date) MarshalYAML() (any, error) { return d.Format(time.DateOnly), nil }

func (d *Date) parse(s string) error {
	t, err := parseDate(s)
	if err != nil {
		return fmt.Errorf("date %q: want 2006-01-02", s)
	}
	*d = NewDate(t)
	return nil
}
