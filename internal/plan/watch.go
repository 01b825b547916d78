package plan

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/sigma"
)

// WatchRule is a temporary detection attached to an incident for enhanced
// vigilance during recovery: a Sigma rule that runs beside the main rules
// until Expires, or until it is removed. Alerts it raises belong to the
// incident.
type WatchRule struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	RuleID     string `json:"rule_id"` // the Sigma rule's id, filled by Compile
	Title      string `json:"title"`   // the Sigma rule's title, filled by Compile
	// YAML is the rule text, one Sigma detection rule.
	YAML      string    `json:"yaml"`
	Expires   time.Time `json:"expires"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`

	RemovedAt     time.Time `json:"removed_at,omitzero"`
	RemovedBy     string    `json:"removed_by,omitempty"`
	RemovedReason string    `json:"removed_reason,omitempty"`
}

// Active reports whether w matches at now: not removed and not expired.
func (w *WatchRule) Active(now time.Time) bool {
	return w.RemovedAt.IsZero() && now.Before(w.Expires)
}

// Compile parses w.YAML with sigma.Parse, which must give exactly one
// detection rule and no diagnostic, and fills RuleID and Title. Errors
// wrap ErrInvalid and carry the parser's line.
func (w *WatchRule) Compile() (*sigma.Rule, error) {
	if strings.TrimSpace(w.YAML) == "" {
		return nil, fmt.Errorf("watch rule: yaml: empty: %w", ErrInvalid)
	}
	rules, diags := sigma.Parse([]byte(w.YAML), "watch-rule", sigma.Options{})
	if len(diags) > 0 {
		errs := make([]error, len(diags))
		for i, d := range diags {
			errs[i] = d
		}
		return nil, fmt.Errorf("watch rule: %w: %w", errors.Join(errs...), ErrInvalid)
	}
	if len(rules) != 1 {
		return nil, fmt.Errorf("watch rule: %d rules in the text, want one: %w", len(rules),
			ErrInvalid)
	}
	w.RuleID, w.Title = rules[0].ID, rules[0].Title
	return rules[0], nil
}
