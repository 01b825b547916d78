package postmortem

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/readiness"
)

// FollowUpKind is what a follow-up item asks for.
type FollowUpKind string

// The kinds of follow-up item.
const (
	KindBug           FollowUpKind = "bug"
	KindChange        FollowUpKind = "change-request"
	KindDetectionRule FollowUpKind = "detection-rule"
	KindSOP           FollowUpKind = "sop-change"
	KindTraining      FollowUpKind = "training"
)

// FollowUpKinds lists every kind.
func FollowUpKinds() []FollowUpKind {
	return []FollowUpKind{KindBug, KindChange, KindDetectionRule, KindSOP, KindTraining}
}

// FollowUp is an item the post-mortem asks for (a bug to fix, a change, a
// detection rule to add or tune, a standard operating procedure to
// change, a training need), tracked to closure with an owner, a due date
// and a state like findings are (readiness.Tracking). It outlives the
// incident: it is tracked until verified, also after the incident closes.
type FollowUp struct {
	ID         int64        `json:"id"`
	IncidentID int64        `json:"incident_id"`
	Kind       FollowUpKind `json:"kind"`
	Title      string       `json:"title"`
	// Description says what is to be done and why.
	Description string `json:"description,omitempty"`
	// Finding is the post-mortem finding it answers (0: none).
	Finding int `json:"finding,omitempty"`
	readiness.Tracking
	// Rule is the detection rule version that answers a detection-rule
	// item, once linked.
	Rule      *RuleLink `json:"rule,omitempty"`
	Version   int64     `json:"version"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Updated   time.Time `json:"updated"`
	// Overdue is computed when the item is read (Tracking.Overdue).
	Overdue bool `json:"overdue"`
}

// RuleLink names the version of a detection rule that answers a
// follow-up: the rule's ID and title, the file it was loaded from and the
// SHA-256 of that file's content as the server loaded it.
type RuleLink struct {
	RuleID   string    `json:"rule_id"`
	Title    string    `json:"title"`
	File     string    `json:"file"`
	SHA256   string    `json:"sha256"`
	LinkedBy string    `json:"linked_by"`
	LinkedAt time.Time `json:"linked_at"`
}

// RuleVersion is a detection rule as the server loaded it.
type RuleVersion struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// RuleCatalog finds a loaded detection rule by its ID.
type RuleCatalog interface {
	Rule(id string) (RuleVersion, bool)
}

// Catalog is a RuleCatalog over a list of rules; when two rules share an ID
// the first is kept.
type Catalog map[string]RuleVersion

// NewCatalog indexes rules by ID.
func NewCatalog(rules []RuleVersion) Catalog {
	c := Catalog{}
	for _, r := range rules {
		if _, ok := c[r.ID]; !ok && r.ID != "" {
			c[r.ID] = r
		}
	}
	return c
}

// Rule returns the rule with id.
func (c Catalog) Rule(id string) (RuleVersion, bool) {
	r, ok := c[id]
	return r, ok
}

// NewFollowUp checks a new item and starts its tracking (open). due must be
// set; it is kept as its day (UTC).
func NewFollowUp(incidentID int64, kind FollowUpKind, title, description, owner string,
	due time.Time, finding int, by string, now time.Time) (*FollowUp, error) {
	f := &FollowUp{IncidentID: incidentID, Kind: kind, Title: strings.TrimSpace(title),
		Description: strings.TrimSpace(description), Finding: finding, CreatedBy: by,
		Created: now.UTC(), Tracking: readiness.Tracking{Owner: strings.TrimSpace(owner),
			Due: readiness.Day(due), State: readiness.StateOpen,
			History: []readiness.StateChange{}}}
	switch {
	case !slices.Contains(FollowUpKinds(), kind):
		return nil, invalid("kind", "%q, want one of %v", kind, FollowUpKinds())
	case f.Title == "":
		return nil, invalid("title", "must not be empty")
	case f.Owner == "":
		return nil, invalid("owner", "must not be empty: every follow-up has an owner")
	case due.IsZero():
		return nil, invalid("due", "must be set")
	case finding < 0:
		return nil, invalid("finding", "%d is not a finding", finding)
	}
	return f, nil
}

// LinkRule records that rule answers the detection-rule item f.
func (f *FollowUp) LinkRule(rule RuleVersion, by string, now time.Time) error {
	if f.Kind != KindDetectionRule {
		return invalid("kind", "only a %s follow-up links to a rule; this one is %s",
			KindDetectionRule, f.Kind)
	}
	f.Rule = &RuleLink{RuleID: rule.ID, Title: rule.Title, File: rule.File,
		SHA256: rule.SHA256, LinkedBy: by, LinkedAt: now.UTC()}
	return nil
}

// CheckFollowUpUpdate reports, wrapping ErrRewritten, an update that
// changes what a follow-up keeps (its incident, kind, creation) or drops
// state changes from its history.
func CheckFollowUpUpdate(before, after *FollowUp) error {
	if before.IncidentID != after.IncidentID || before.Kind != after.Kind ||
		!before.Created.Equal(after.Created) || before.CreatedBy != after.CreatedBy {
		return fmt.Errorf("follow-up %d: incident, kind or creation changed: %w", before.ID,
			ErrRewritten)
	}
	return prefix("history", before.History, after.History,
		func(a, b readiness.StateChange) bool {
			return a.From == b.From && a.To == b.To && a.At.Equal(b.At) && a.By == b.By &&
				a.Reason == b.Reason
		})
}
