package incident

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Category is the kind of incident.
type Category string

// Categories.
const (
	CategoryUnauthorizedAccess Category = "unauthorized-access"
	CategoryMalware            Category = "malware"
	CategoryDenialOfService    Category = "denial-of-service"
	CategoryImproperUsage      Category = "improper-usage"
	CategoryDataExfiltration   Category = "data-exfiltration"
	CategoryReconnaissance     Category = "reconnaissance"
	CategoryOther              Category = "other"
)

// Categories lists every category.
func Categories() []Category {
	return []Category{CategoryUnauthorizedAccess, CategoryMalware, CategoryDenialOfService,
		CategoryImproperUsage, CategoryDataExfiltration, CategoryReconnaissance, CategoryOther}
}

// AttackVector is how the attack came in: NIST SP 800-61 §3.1.1's list.
type AttackVector string

// Attack vectors.
const (
	VectorExternalMedia AttackVector = "external-media" // removable media, peripherals
	VectorAttrition     AttackVector = "attrition"      // brute force: DDoS, password guessing
	VectorWeb           AttackVector = "web"            // a web site or web application
	VectorEmail         AttackVector = "email"          // a message or attachment
	VectorImpersonation AttackVector = "impersonation"  // spoofing, man in the middle, rogue AP
	VectorImproperUsage AttackVector = "improper-usage" // a user broke acceptable use
	VectorLossOrTheft   AttackVector = "loss-or-theft"  // a laptop, phone or token lost or stolen
	VectorOther         AttackVector = "other"
)

// AttackVectors lists every attack vector.
func AttackVectors() []AttackVector {
	return []AttackVector{VectorExternalMedia, VectorAttrition, VectorWeb, VectorEmail,
		VectorImpersonation, VectorImproperUsage, VectorLossOrTheft, VectorOther}
}

// Resources are what the incident touched.
type Resources struct {
	Hosts    []string `json:"hosts,omitempty"`
	Services []string `json:"services,omitempty"`
	Regions  []string `json:"regions,omitempty"`
}

// Contact is a party involved in the incident: a handler, an owner of an
// affected system, a customer, a vendor, law enforcement.
type Contact struct {
	Name         string `json:"name"`
	Role         string `json:"role,omitempty"` // "incident handler", "system owner", …
	Organization string `json:"organization,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Notes        string `json:"notes,omitempty"`
}

// Action is one action a handler took. Actions are append-only.
type Action struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	What   string    `json:"what"`
	Result string    `json:"result,omitempty"`
}

// Comment is a handler's note on the incident.
type Comment struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// EvidenceRef points at a piece of evidence kept by its SHA-256 (the store of
// evidence and its chain of custody come later).
type EvidenceRef struct {
	SHA256      string    `json:"sha256"` // 64 lowercase hex digits
	Name        string    `json:"name,omitempty"`
	Description string    `json:"description,omitempty"`
	AddedBy     string    `json:"added_by,omitempty"`
	AddedAt     time.Time `json:"added_at,omitzero"`
}

// Record is the full incident record NIST SP 800-61 §3.2.5 and Appendix B ask
// for (docs/incident.md maps each field). The zero value is an empty draft.
type Record struct {
	Number          string         `json:"number"` // "INC-2026-0042", set by the store
	Title           string         `json:"title"`
	Summary         string         `json:"summary,omitempty"`
	PotentialImpact string         `json:"potential_impact,omitempty"`
	Phase           Phase          `json:"phase"`
	Status          string         `json:"status"` // StatusOpen or StatusClosed
	Classification  Classification `json:"classification,omitempty"`
	Category        Category       `json:"category,omitempty"`
	AttackVector    AttackVector   `json:"attack_vector,omitempty"`
	Detected        time.Time      `json:"detected,omitzero"`
	Reported        time.Time      `json:"reported,omitzero"`
	// Confirmed is when the incident was first classified confirmed (zero
	// until then); the response metrics measure the time to confirm by it.
	Confirmed time.Time `json:"confirmed,omitzero"`

	Factors             Factors            `json:"factors"`
	Priority            Priority           `json:"priority,omitempty"`
	PriorityExplanation Explanation        `json:"priority_explanation"`
	Severity            []SeverityDecision `json:"severity,omitempty"` // latest last

	Indicators []Indicator   `json:"indicators,omitempty"`
	Related    []string      `json:"related,omitempty"` // numbers of related incidents
	Resources  Resources     `json:"resources"`
	Contacts   []Contact     `json:"contacts,omitempty"`
	Actions    []Action      `json:"actions,omitempty"` // append-only
	Comments   []Comment     `json:"comments,omitempty"`
	Evidence   []EvidenceRef `json:"evidence,omitempty"`

	NextSteps      []string      `json:"next_steps,omitempty"`
	Cause          string        `json:"cause,omitempty"`
	BusinessImpact string        `json:"business_impact,omitempty"`
	PhaseChanges   []PhaseChange `json:"phase_changes,omitempty"` // append-only
}

// Validate reports every field out of its documented set, joined with
// errors.Join: title, phase, status, category, attack vector, priority,
// severity decisions, indicators, actions and evidence hashes. Empty optional
// fields are fine.
func (r *Record) Validate() error {
	var errs []error
	add := func(field string, err error) {
		errs = append(errs, fmt.Errorf("incident: %s: %w", field, err))
	}
	if strings.TrimSpace(r.Title) == "" {
		add("title", ErrMissingField)
	}
	if !r.Phase.Valid() {
		add("phase", fmt.Errorf("%q: %w", r.Phase, ErrInvalidValue))
	}
	if r.Status != StatusOpen && r.Status != StatusClosed {
		add("status", fmt.Errorf("%q: %w", r.Status, ErrInvalidValue))
	}
	if r.Classification != "" && r.Classification != Confirmed &&
		r.Classification != FalsePositive {
		add("classification", fmt.Errorf("%q: %w", r.Classification, ErrInvalidValue))
	}
	if r.Category != "" && !slices.Contains(Categories(), r.Category) {
		add("category", fmt.Errorf("%q: %w", r.Category, ErrInvalidValue))
	}
	if r.AttackVector != "" && !slices.Contains(AttackVectors(), r.AttackVector) {
		add("attack_vector", fmt.Errorf("%q: %w", r.AttackVector, ErrInvalidValue))
	}
	if r.Priority != 0 && !r.Priority.Valid() {
		add("priority", fmt.Errorf("%d: %w", r.Priority, ErrInvalidValue))
	}
	for i, d := range r.Severity {
		if err := d.Validate(); err != nil {
			add(fmt.Sprintf("severity[%d]", i), err)
		}
	}
	errs = append(errs, r.validateLists()...)
	return errors.Join(errs...)
}

func (r *Record) validateLists() []error {
	var errs []error
	for i, ind := range r.Indicators {
		got, err := ParseIndicator(ind.Kind, ind.Value)
		if err == nil && got.Value != ind.Value {
			err = fmt.Errorf("%q not normalized (want %q): %w", ind.Value, got.Value,
				ErrInvalidIndicator)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("incident: indicators[%d]: %w", i, err))
		}
	}
	for i, a := range r.Actions {
		if err := a.validate(); err != nil {
			errs = append(errs, fmt.Errorf("incident: actions[%d]: %w", i, err))
		}
	}
	for i, e := range r.Evidence {
		if !isSHA256(e.SHA256) {
			errs = append(errs, fmt.Errorf("incident: evidence[%d]: sha256 %q: %w", i, e.SHA256,
				ErrInvalidValue))
		}
	}
	return errs
}

func (a Action) validate() error {
	switch {
	case strings.TrimSpace(a.By) == "":
		return fmt.Errorf("by: %w", ErrMissingField)
	case a.At.IsZero():
		return fmt.Errorf("at: %w", ErrMissingField)
	case strings.TrimSpace(a.What) == "":
		return fmt.Errorf("what: %w", ErrMissingField)
	}
	return nil
}

// isSHA256 reports whether s is 64 lowercase hex digits.
func isSHA256(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 64 && err == nil && strings.ToLower(s) == s
}

// AppendAction validates a and appends it to the record's actions. Actions
// are never edited or removed; a correction is a new action.
func (r *Record) AppendAction(a Action) error {
	if err := a.validate(); err != nil {
		return fmt.Errorf("incident: append action: %w", err)
	}
	r.Actions = append(r.Actions, a)
	return nil
}

// ErrRewritten reports an update that changes or drops entries of an
// append-only list (actions, phase changes).
var ErrRewritten = errors.New("append-only history rewritten")

// CheckAppendOnly reports, wrapping ErrRewritten, whether after changes or
// drops entries of before in the append-only lists of a record (actions and
// phase changes): a store calls it before saving an update.
func CheckAppendOnly(before, after *Record) error {
	if err := prefix("actions", before.Actions, after.Actions, func(a, b Action) bool {
		return a.By == b.By && a.At.Equal(b.At) && a.What == b.What && a.Result == b.Result
	}); err != nil {
		return err
	}
	return prefix("phase_changes", before.PhaseChanges, after.PhaseChanges,
		func(a, b PhaseChange) bool {
			return a.From == b.From && a.To == b.To && a.At.Equal(b.At) &&
				a.Location == b.Location && a.By == b.By && a.Reason == b.Reason
		})
}

func prefix[T any](field string, before, after []T, eq func(a, b T) bool) error {
	if len(after) < len(before) {
		return fmt.Errorf("incident: %s: %d entries dropped: %w", field,
			len(before)-len(after), ErrRewritten)
	}
	for i := range before {
		if !eq(before[i], after[i]) {
			return fmt.Errorf("incident: %s[%d] changed: %w", field, i, ErrRewritten)
		}
	}
	return nil
}
