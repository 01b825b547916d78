package store

import (
	"context"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
)

// Triage is the storage of alert triage (deduplication, states, links to
// incidents), suppressions, support cases and vulnerability reports. The
// rules of the states live in internal/triage; the store keeps what it is
// told, checking only the state it was read in (ErrConflict otherwise).
// Unknown IDs give ErrNotFound.
type Triage interface {
	// GroupAlert stores a like InsertAlert, unless an alert of the same
	// RuleID and GroupKey, still in triage (new, acknowledged or assigned),
	// was last seen no earlier than window before a.Created: then a's events
	// are linked to that alert, its Count grows by one and its LastSeen
	// becomes a.Created, and a is filled from it. repeat says which
	// happened. An empty GroupKey or a window <= 0 always stores a new alert.
	GroupAlert(ctx context.Context, a *detect.Alert, window time.Duration) (repeat bool, err error)
	// GetAlert returns one alert with its events and triage fields.
	GetAlert(ctx context.Context, id int64) (*detect.Alert, error)
	// SetAlertTriage moves alert id from state from to c (State, Assignee,
	// Reason, Updated). ErrConflict when the alert is no longer in from.
	SetAlertTriage(ctx context.Context, id int64, from string, c AlertTriage) error
	// LinkAlerts links alerts to an incident (links that exist already are
	// kept); an unknown alert or incident gives ErrNotFound and links
	// nothing.
	LinkAlerts(ctx context.Context, incidentID int64, alertIDs []int64) error
	// UnlinkAlert removes the link between an incident and an alert;
	// ErrNotFound when there is none.
	UnlinkAlert(ctx context.Context, incidentID, alertID int64) error
	// AlertIncidents returns the incidents an alert is linked to, ascending.
	AlertIncidents(ctx context.Context, alertID int64) ([]int64, error)

	// CreateSuppression stores s, setting ID.
	CreateSuppression(ctx context.Context, s *Suppression) error
	// ListSuppressions returns suppressions, newest first: those of ruleID
	// (every rule when empty) and, when activeAt is not zero, only those in
	// force then (Expires zero or after activeAt).
	ListSuppressions(ctx context.Context, ruleID string, activeAt time.Time) ([]Suppression, error)
	// GetSuppression returns one suppression.
	GetSuppression(ctx context.Context, id int64) (*Suppression, error)
	// DeleteSuppression removes a suppression.
	DeleteSuppression(ctx context.Context, id int64) error
	// CountSuppressed adds one to the Hits of suppression id, setting
	// LastHit to at.
	CountSuppressed(ctx context.Context, id int64, at time.Time) error

	// CreateCase stores c, setting ID and Version (1).
	CreateCase(ctx context.Context, c *Case) error
	// GetCase returns one case.
	GetCase(ctx context.Context, id int64) (*Case, error)
	// ListCases returns cases, newest first. An unknown cursor gives
	// ErrBadCursor.
	ListCases(ctx context.Context, f CaseFilter) (Page[Case], error)
	// UpdateCase stores c when its Version is the stored one, and increments
	// c.Version; ErrConflict otherwise.
	UpdateCase(ctx context.Context, c *Case) error

	// CreateVulnerability stores v, setting ID and Version (1).
	CreateVulnerability(ctx context.Context, v *Vulnerability) error
	// GetVulnerability returns one vulnerability report.
	GetVulnerability(ctx context.Context, id int64) (*Vulnerability, error)
	// ListVulnerabilities returns reports, newest first. An unknown cursor
	// gives ErrBadCursor.
	ListVulnerabilities(ctx context.Context, f VulnerabilityFilter) (Page[Vulnerability], error)
	// UpdateVulnerability stores v when its Version is the stored one, and
	// increments v.Version; ErrConflict otherwise.
	UpdateVulnerability(ctx context.Context, v *Vulnerability) error

	// ListQueue returns the triage queue: alerts and cases, most recently
	// active first (LastSeen of an alert, Created of a case). The cursor is
	// a position: items that arrive meanwhile shift the pages.
	ListQueue(ctx context.Context, f QueueFilter) (Page[QueueItem], error)
}

// AlertTriage is a change of an alert's triage fields.
type AlertTriage struct {
	State    string
	Assignee string
	Reason   string
	Updated  time.Time
}

// Suppression silences the matches of one rule whose event fields have the
// given values, until Expires (zero: never). Suppressed matches raise no
// alert; they are counted in Hits.
type Suppression struct {
	ID     int64             `json:"id"`
	RuleID string            `json:"rule_id"`
	Fields map[string]string `json:"fields"`
	Reason string            `json:"reason"`
	// AlertID is the false-positive alert that created it; 0 when made by hand.
	AlertID   int64     `json:"alert_id,omitempty"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires,omitzero"`
	Hits      int64     `json:"hits"`
	LastHit   time.Time `json:"last_hit,omitzero"`
}

// Case is a customer-reported support case: what was seen, when, in which
// service, for which tenant.
type Case struct {
	ID      int64  `json:"id"`
	Tenant  string `json:"tenant"`
	Title   string `json:"title"`
	Seen    string `json:"seen"`
	Service string `json:"service"`
	// SeenAt is when the reporter saw it.
	SeenAt time.Time `json:"seen_at,omitzero"`
	// Level is the reporter's estimate: low, medium, high or critical.
	Level string `json:"level"`
	// State is open, escalated or closed.
	State    string `json:"state"`
	Assignee string `json:"assignee,omitempty"`
	Reporter string `json:"reporter"`
	// IncidentID and VulnerabilityID are set by an escalation.
	IncidentID      int64     `json:"incident_id,omitempty"`
	VulnerabilityID int64     `json:"vulnerability_id,omitempty"`
	Created         time.Time `json:"created"`
	Updated         time.Time `json:"updated"`
	Version         int64     `json:"version"`
}

// CaseFilter selects cases; Tenant restricts to one tenant when set. Limit
// defaults to 50 and is capped at 1000.
type CaseFilter struct {
	Tenant string
	State  string
	Limit  int
	Cursor string
}

// Vulnerability is a vulnerability report: a flaw to assess and fix.
type Vulnerability struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	// Kind is known_issue or new_vulnerability.
	Kind        string `json:"kind"`
	Description string `json:"description"`
	// Severity is critical, high, medium or low; Deadline is derived from
	// it and Created (internal/triage).
	Severity string    `json:"severity"`
	Deadline time.Time `json:"deadline"`
	// State is open, fixing, fixed or accepted_risk.
	State   string    `json:"state"`
	Owner   string    `json:"owner,omitempty"`
	Tenant  string    `json:"tenant,omitempty"`
	CaseID  int64     `json:"case_id,omitempty"`
	AlertID int64     `json:"alert_id,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Version int64     `json:"version"`
}

// VulnerabilityFilter selects vulnerability reports. Limit defaults to 50
// and is capped at 1000.
type VulnerabilityFilter struct {
	State  string
	Owner  string
	Limit  int
	Cursor string
}

// QueueItem is one entry of the triage queue: an alert or a support case.
type QueueItem struct {
	// Kind is alert or case; ID is the alert's or the case's.
	Kind     string `json:"kind"`
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Level    string `json:"level"`
	State    string `json:"state"`
	Assignee string `json:"assignee,omitempty"`
	// RuleID is the alert's rule; Tenant the case's tenant.
	RuleID    string    `json:"rule_id,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	Count     int64     `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// QueueFilter selects queue items; zero values select everything. Kind is
// alert or case; RuleID applies to alerts only. Limit defaults to 50 and is
// capped at 1000.
type QueueFilter struct {
	Kind     string
	State    string
	Level    string
	RuleID   string
	Assignee string
	Tenant   string
	Limit    int
	Cursor   string
}
