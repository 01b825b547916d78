package triage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// The triage states of an alert. An alert is raised New; Acknowledge,
// Assign, MarkFalsePositive and Confirm move it on; Reopen brings a false
// positive or a confirmed alert back to New.
const (
	StateNew           = "new"
	StateAcknowledged  = "acknowledged"
	StateAssigned      = "assigned"
	StateFalsePositive = "false_positive"
	StateConfirmed     = "confirmed"
)

// open reports whether an alert in state is still being triaged.
func open(state string) bool {
	return state == StateNew || state == StateAcknowledged || state == StateAssigned
}

// Acknowledge marks a new alert as taken in hand by the principal.
func (s *Service) Acknowledge(ctx context.Context, alertID int64) error {
	a, err := s.st.GetAlert(ctx, alertID)
	if err != nil {
		return fmt.Errorf("acknowledge alert %d: %w", alertID, err)
	}
	if a.State != StateNew {
		return fmt.Errorf("acknowledge alert %d: it is %s, not new: %w", alertID, a.State,
			ErrInvalid)
	}
	return s.st.Atomically(ctx, func(tx store.Tx) error {
		return s.move(ctx, tx, a, store.AlertTriage{State: StateAcknowledged,
			Assignee: a.Assignee}, audit.AlertAcknowledged, nil)
	})
}

// Assign assigns an alert in triage to user (reassigning is allowed).
func (s *Service) Assign(ctx context.Context, alertID int64, user string) error {
	if strings.TrimSpace(user) == "" {
		return fmt.Errorf("assign alert %d: empty user: %w", alertID, ErrInvalid)
	}
	a, err := s.st.GetAlert(ctx, alertID)
	if err != nil {
		return fmt.Errorf("assign alert %d: %w", alertID, err)
	}
	if !open(a.State) {
		return fmt.Errorf("assign alert %d: it is %s: %w", alertID, a.State, ErrInvalid)
	}
	return s.st.Atomically(ctx, func(tx store.Tx) error {
		return s.move(ctx, tx, a, store.AlertTriage{State: StateAssigned, Assignee: user},
			audit.AlertAssigned, map[string]any{"assignee": user, "previous": a.Assignee})
	})
}

// MarkFalsePositive closes an alert in triage as a false positive, for
// reason (required). A non-nil suppress also creates a suppression for the
// alert's rule, in the same transaction: its Fields default to the alert's
// grouping values, its Reason to reason; its ID, RuleID and Created are set
// on return.
func (s *Service) MarkFalsePositive(ctx context.Context, alertID int64, reason string,
	suppress *Suppression) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("false positive %d: %w: a reason is required", alertID, ErrInvalid)
	}
	a, err := s.st.GetAlert(ctx, alertID)
	if err != nil {
		return fmt.Errorf("false positive %d: %w", alertID, err)
	}
	if !open(a.State) {
		return fmt.Errorf("false positive %d: it is %s: %w", alertID, a.State, ErrInvalid)
	}
	details := map[string]any{"reason": reason}
	if suppress != nil {
		if suppress.Fields == nil {
			suppress.Fields = maps.Clone(a.Group)
		}
		if suppress.Reason == "" {
			suppress.Reason = reason
		}
		suppress.RuleID, suppress.AlertID = a.RuleID, a.ID
		if err := s.checkSuppression(ctx, suppress); err != nil {
			return fmt.Errorf("false positive %d: %w", alertID, err)
		}
	}
	return s.st.Atomically(ctx, func(tx store.Tx) error {
		if suppress != nil {
			if err := s.storeSuppression(ctx, tx, suppress); err != nil {
				return fmt.Errorf("false positive %d: %w", alertID, err)
			}
			details["suppression_id"] = suppress.ID
		}
		return s.move(ctx, tx, a, store.AlertTriage{State: StateFalsePositive,
			Assignee: a.Assignee, Reason: reason}, audit.AlertFalsePositive, details)
	})
}

// Reopen brings a false positive or confirmed alert back to new, for reason
// (required). Its incident links stay.
func (s *Service) Reopen(ctx context.Context, alertID int64, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("reopen alert %d: %w: a reason is required", alertID, ErrInvalid)
	}
	a, err := s.st.GetAlert(ctx, alertID)
	if err != nil {
		return fmt.Errorf("reopen alert %d: %w", alertID, err)
	}
	if open(a.State) {
		return fmt.Errorf("reopen alert %d: it is %s already: %w", alertID, a.State, ErrInvalid)
	}
	return s.st.Atomically(ctx, func(tx store.Tx) error {
		return s.move(ctx, tx, a, store.AlertTriage{State: StateNew, Assignee: a.Assignee,
			Reason: reason}, audit.AlertReopened, map[string]any{"reason": reason})
	})
}

// move stores a state change of a and records it, in tx.
func (s *Service) move(ctx context.Context, tx store.Tx, a *detect.Alert, c store.AlertTriage,
	action audit.Action, details map[string]any) error {
	c.Updated = s.now()
	if err := tx.SetAlertTriage(ctx, a.ID, a.State, c); err != nil {
		return fmt.Errorf("%s alert %d: %w", action, a.ID, err)
	}
	if details == nil {
		details = map[string]any{}
	}
	details["from"], details["to"] = a.State, c.State
	return s.record(ctx, tx, c.Updated, action, "alert", a.ID, details)
}

// Confirm confirms alerts into incidentID, or into a new incident when it
// is 0 (title from the first alert, severity from the highest level), and
// returns the incident's ID. Alerts must be in triage or confirmed already
// (an alert may belong to several incidents); false positives must be
// reopened first. The incident, the links, the alerts' states and their
// audit entries are stored in one transaction.
func (s *Service) Confirm(ctx context.Context, alertIDs []int64, incidentID int64) (int64, error) {
	if len(alertIDs) == 0 {
		return 0, fmt.Errorf("confirm: %w: no alert_ids", ErrInvalid)
	}
	alerts := make([]*detect.Alert, 0, len(alertIDs))
	for _, id := range slices.Compact(slices.Sorted(slices.Values(alertIDs))) {
		a, err := s.st.GetAlert(ctx, id)
		if err != nil {
			return 0, fmt.Errorf("confirm alert %d: %w", id, err)
		}
		if a.State == StateFalsePositive {
			return 0, fmt.Errorf("confirm alert %d: a false positive: %w", id, ErrInvalid)
		}
		alerts = append(alerts, a)
	}
	ids := make([]int64, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	var confirmed int64
	err := s.st.Atomically(ctx, func(tx store.Tx) error {
		var err error
		confirmed, err = s.confirm(ctx, tx, alerts, ids, incidentID)
		return err
	})
	if err != nil {
		return 0, err
	}
	return confirmed, nil
}

// confirm is Confirm's writes, in tx.
func (s *Service) confirm(ctx context.Context, tx store.Tx, alerts []*detect.Alert, ids []int64,
	incidentID int64) (int64, error) {
	now := s.now()
	if incidentID == 0 {
		inc := newIncident(alerts, ids, now)
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return 0, fmt.Errorf("confirm: open incident: %w", err)
		}
		incidentID = inc.ID
		err := s.record(ctx, tx, now, audit.IncidentOpened, "incident", inc.ID, map[string]any{
			"number": inc.Number, "title": inc.Title, "severity": inc.Severity, "alert_ids": ids})
		if err != nil {
			return 0, err
		}
	} else if err := tx.LinkAlerts(ctx, incidentID, ids); err != nil {
		return 0, fmt.Errorf("confirm into incident %d: %w", incidentID, err)
	}
	for _, a := range alerts {
		if a.State != StateConfirmed {
			c := store.AlertTriage{State: StateConfirmed, Assignee: a.Assignee, Updated: now}
			if err := tx.SetAlertTriage(ctx, a.ID, a.State, c); err != nil {
				return 0, fmt.Errorf("confirm alert %d: %w", a.ID, err)
			}
		}
		err := s.record(ctx, tx, now, audit.AlertConfirmed, "alert", a.ID, map[string]any{
			"incident_id": incidentID, "from": a.State, "to": StateConfirmed})
		if err != nil {
			return 0, err
		}
	}
	return incidentID, nil
}

// newIncident builds the incident that confirming alerts opens.
func newIncident(alerts []*detect.Alert, ids []int64, now time.Time) *incident.Incident {
	rank := map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}
	severity := incident.SeverityLow
	for _, a := range alerts {
		if sev, _ := incident.SeverityFromLevel(a.Level); rank[sev] > rank[severity] {
			severity = sev
		}
	}
	return &incident.Incident{Title: alerts[0].RuleTitle, Severity: severity,
		Status: incident.StatusOpen, Phase: incident.PhaseDetected, AlertIDs: ids,
		Opened: now, Updated: now}
}

// Unlink undoes the link between an alert and an incident, for reason
// (required). The audit trail keeps the link and the unlink. A confirmed
// alert left without incidents returns to acknowledged.
func (s *Service) Unlink(ctx context.Context, alertID, incidentID int64, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("unlink alert %d: %w: a reason is required", alertID, ErrInvalid)
	}
	a, err := s.st.GetAlert(ctx, alertID)
	if err != nil {
		return fmt.Errorf("unlink alert %d: %w", alertID, err)
	}
	return s.st.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.UnlinkAlert(ctx, incidentID, alertID); err != nil {
			return fmt.Errorf("unlink alert %d from incident %d: %w", alertID, incidentID, err)
		}
		now := s.now()
		details := map[string]any{"incident_id": incidentID, "reason": reason}
		left, err := tx.AlertIncidents(ctx, alertID)
		if err != nil {
			return fmt.Errorf("unlink alert %d: %w", alertID, err)
		}
		if len(left) == 0 && a.State == StateConfirmed {
			c := store.AlertTriage{State: StateAcknowledged, Assignee: a.Assignee, Reason: reason,
				Updated: now}
			if err := tx.SetAlertTriage(ctx, a.ID, a.State, c); err != nil {
				return fmt.Errorf("unlink alert %d: %w", alertID, err)
			}
			details["from"], details["to"] = a.State, c.State
		}
		return s.record(ctx, tx, now, audit.AlertUnlinked, "alert", alertID, details)
	})
}

// record appends an audit entry about an object changed in tx.
func (s *Service) record(ctx context.Context, tx store.Tx, at time.Time, action audit.Action,
	objType string, id int64, details map[string]any) error {
	raw, err := audit.CanonicalDetails(details)
	if err != nil {
		return fmt.Errorf("record %s: %w", action, err)
	}
	err = s.audit.RecordIn(ctx, tx, audit.Entry{Time: at, Action: action, ObjectType: objType,
		ObjectID: strconv.FormatInt(id, 10), Details: raw})
	if err != nil {
		return fmt.Errorf("record %s: %w", action, err)
	}
	return nil
}
