package triage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// The states of a support case.
const (
	CaseOpen      = "open"
	CaseEscalated = "escalated"
)

// Kinds of escalation.
const (
	AsIncident      = "incident"
	AsVulnerability = "vulnerability"
)

// levels are the accepted case levels and vulnerability severities.
var levels = map[string]bool{"low": true, "medium": true, "high": true, "critical": true}

// FileCase stores a support case filed by the principal. Title, Seen (what
// was seen) and Service are required; Level defaults to medium. A tenant's
// principal files for its own tenant, whatever c.Tenant says; staff must
// name the tenant. ID, State, Reporter, Created and Version are set.
func (s *Service) FileCase(ctx context.Context, c *Case) error {
	p, _ := auth.PrincipalFrom(ctx)
	if p != nil && p.Tenant != "" {
		c.Tenant = p.Tenant
	}
	if c.Level == "" {
		c.Level = "medium"
	}
	switch {
	case strings.TrimSpace(c.Title) == "" || strings.TrimSpace(c.Seen) == "":
		return fmt.Errorf("file case: %w: title and seen are required", ErrInvalid)
	case strings.TrimSpace(c.Service) == "":
		return fmt.Errorf("file case: %w: service is required", ErrInvalid)
	case strings.TrimSpace(c.Tenant) == "":
		return fmt.Errorf("file case: %w: tenant is required", ErrInvalid)
	case !levels[c.Level]:
		return fmt.Errorf("file case: %w: level %q", ErrInvalid, c.Level)
	}
	now := s.now()
	c.State, c.Reporter, c.Created, c.Updated = CaseOpen, audit.ActorFrom(ctx), now, now
	c.IncidentID, c.VulnerabilityID, c.Assignee = 0, 0, ""
	return s.st.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.CreateCase(ctx, c); err != nil {
			return fmt.Errorf("file case: %w", err)
		}
		return s.record(ctx, tx, now, audit.CaseFiled, "case", c.ID, map[string]any{
			"tenant": c.Tenant, "title": c.Title, "service": c.Service, "level": c.Level})
	})
}

// GetCase returns a case the principal can see; another tenant's case is
// store.ErrNotFound.
func (s *Service) GetCase(ctx context.Context, id int64) (*Case, error) {
	c, err := s.st.GetCase(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get case %d: %w", id, err)
	}
	if p, ok := auth.PrincipalFrom(ctx); ok && !p.CanSee(c.Tenant) {
		return nil, fmt.Errorf("get case %d: %w", id, store.ErrNotFound)
	}
	return c, nil
}

// ListCases lists the cases the principal can see, newest first.
func (s *Service) ListCases(ctx context.Context, f store.CaseFilter) (store.Page[Case], error) {
	if p, ok := auth.PrincipalFrom(ctx); ok && p.Tenant != "" {
		f.Tenant = p.Tenant
	}
	page, err := s.st.ListCases(ctx, f)
	if err != nil {
		return page, fmt.Errorf("list cases: %w", err)
	}
	return page, nil
}

// Escalation says what an open case becomes.
type Escalation struct {
	// As is incident or vulnerability.
	As string `json:"as"`
	// IncidentID joins an existing incident (As incident); 0 opens one
	// titled after the case, its severity from the case level.
	IncidentID int64 `json:"incident_id,omitempty"`
	// Kind (known_issue or new_vulnerability), Severity (default: the case
	// level) and Owner describe the vulnerability report (As vulnerability).
	Kind     string `json:"kind,omitempty"`
	Severity string `json:"severity,omitempty"`
	Owner    string `json:"owner,omitempty"`
}

// Escalate classifies an open case as a security incident or a
// vulnerability report, stores that record and marks the case escalated,
// in one transaction with the audit entries. It returns the case as stored.
func (s *Service) Escalate(ctx context.Context, caseID int64, esc Escalation) (*Case, error) {
	c, err := s.GetCase(ctx, caseID)
	if err != nil {
		return nil, fmt.Errorf("escalate: %w", err)
	}
	if c.State != CaseOpen {
		return nil, fmt.Errorf("escalate case %d: it is %s: %w", caseID, c.State, ErrInvalid)
	}
	var v *Vulnerability
	switch esc.As {
	case AsIncident:
		if esc.IncidentID != 0 {
			if _, err := s.st.GetIncident(ctx, esc.IncidentID); err != nil {
				return nil, fmt.Errorf("escalate case %d: incident %d: %w", caseID,
					esc.IncidentID, err)
			}
		}
	case AsVulnerability:
		v = &Vulnerability{Title: c.Title, Kind: esc.Kind, Description: c.Seen,
			Severity: esc.Severity, Owner: esc.Owner, Tenant: c.Tenant, CaseID: c.ID}
		if v.Severity == "" {
			v.Severity = c.Level
		}
		if err := s.checkVulnerability(v); err != nil {
			return nil, fmt.Errorf("escalate case %d: %w", caseID, err)
		}
	default:
		return nil, fmt.Errorf("escalate case %d: %w: as %q, want incident or vulnerability",
			caseID, ErrInvalid, esc.As)
	}
	err = s.st.Atomically(ctx, func(tx store.Tx) error {
		return s.escalate(ctx, tx, c, esc.IncidentID, v)
	})
	if err != nil {
		return nil, fmt.Errorf("escalate case %d: %w", caseID, err)
	}
	return c, nil
}

// escalate is Escalate's writes, in tx: the case joins incidentID, or a new
// incident, or becomes the vulnerability report v when v is not nil.
func (s *Service) escalate(ctx context.Context, tx store.Tx, c *Case, incidentID int64,
	v *Vulnerability) error {
	now := s.now()
	details := map[string]any{}
	if v == nil {
		details["as"] = AsIncident
		id, err := s.caseIncident(ctx, tx, c, incidentID, now)
		if err != nil {
			return err
		}
		c.IncidentID, details["incident_id"] = id, id
	} else {
		details["as"] = AsVulnerability
		if err := s.storeVulnerability(ctx, tx, v); err != nil {
			return err
		}
		c.VulnerabilityID, details["vulnerability_id"] = v.ID, v.ID
	}
	c.State, c.Updated = CaseEscalated, now
	if err := tx.UpdateCase(ctx, c); err != nil {
		return err
	}
	return s.record(ctx, tx, now, audit.CaseEscalated, "case", c.ID, details)
}

// caseIncident opens an incident for a case in tx, unless id names one
// (checked by Escalate).
func (s *Service) caseIncident(ctx context.Context, tx store.Tx, c *Case, id int64,
	now time.Time) (int64, error) {
	if id != 0 {
		return id, nil
	}
	sev, _ := incident.SeverityFromLevel(c.Level)
	inc := &incident.Incident{Title: c.Title, Severity: sev, Status: incident.StatusOpen,
		Phase: incident.PhaseDetected, AlertIDs: []int64{}, Opened: now, Updated: now}
	if err := tx.CreateIncident(ctx, inc); err != nil {
		return 0, fmt.Errorf("open incident: %w", err)
	}
	err := s.record(ctx, tx, now, audit.IncidentOpened, "incident", inc.ID, map[string]any{
		"number": inc.Number, "title": inc.Title, "severity": inc.Severity, "case_id": c.ID})
	return inc.ID, err
}
