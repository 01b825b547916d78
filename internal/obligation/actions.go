package obligation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// maxReason bounds a reason typed by a person, in bytes.
const maxReason = 2000

// NotRequired marks an obligation not required (from pending or drafted),
// with a reason, in a transaction of its own with its
// obligation.not_required entry. It returns the stored record.
func (s *Service) NotRequired(ctx context.Context, incidentID int64, key string,
	by regulation.Actor, reason string) (*store.ObligationRecord, error) {
	return s.manual(ctx, incidentID, key, reason, audit.ObligationNotRequired,
		func(r *regulation.Record) error {
			out, err := r.Transition(regulation.StateNotRequired, by, s.Now(), reason)
			*r = out
			return err
		})
}

// Reinstate moves an obligation marked not required back to pending, with
// a reason (obligation.reinstated).
func (s *Service) Reinstate(ctx context.Context, incidentID int64, key string,
	by regulation.Actor, reason string) (*store.ObligationRecord, error) {
	return s.manual(ctx, incidentID, key, reason, audit.ObligationReinstated,
		func(r *regulation.Record) error {
			if r.State != regulation.StateNotRequired {
				return fmt.Errorf("%w: it is %s, not not-required", ErrState, r.State)
			}
			out, err := r.Transition(regulation.StatePending, by, s.Now(), reason)
			*r = out
			return err
		})
}

// ClearOverdue clears the overdue flag of an obligation, with a reason
// (regulation.Record.ClearOverdue: it must not be past its deadline
// unsent any more); obligation.overdue_cleared. The history keeps that it
// was overdue.
func (s *Service) ClearOverdue(ctx context.Context, incidentID int64, key string,
	by regulation.Actor, reason string) (*store.ObligationRecord, error) {
	return s.manual(ctx, incidentID, key, reason, audit.ObligationOverdueCleared,
		func(r *regulation.Record) error {
			out, err := r.ClearOverdue(by, s.Now(), reason)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrState, err)
			}
			*r = out
			return nil
		})
}

// manual runs a change a person asked for in a transaction of its own,
// audited with action whether or not the state moved.
func (s *Service) manual(ctx context.Context, incidentID int64, key, reason string,
	action audit.Action, fn func(*regulation.Record) error) (*store.ObligationRecord, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, &FieldError{Field: "reason", Msg: "missing"}
	case len(reason) > maxReason:
		return nil, &FieldError{Field: "reason", Msg: fmt.Sprintf("%d bytes; at most %d",
			len(reason), maxReason)}
	}
	var out *store.ObligationRecord
	err := s.st.Atomically(ctx, func(tx store.Tx) error {
		o, err := s.change(ctx, tx, incidentID, key, fn)
		if err != nil {
			return err
		}
		out = o
		return s.audit.RecordIn(ctx, tx, audit.Entry{Action: action, ObjectType: "obligation",
			ObjectID: objectID(o), Tenant: o.Tenant(), Details: mustJSON(map[string]any{
				"incident_id": incidentID, "key": key, "reason": reason,
				"state": string(o.Record.State)})})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Transition runs fn on the record of obligation key of the incident, in
// tx, and stores the record fn leaves, with an obligation.state_changed
// entry when its state changed. fn moves the record, typically with
// regulation.Record.Transition (drafted, approved, sent, acknowledged);
// its error aborts the change and is returned wrapped (a refused
// transition matches regulation.ErrTransition and ErrState). A withdrawn
// obligation refuses every change of state but acknowledgement. It
// returns the stored record; store.ErrNotFound for an unknown key. This
// is the seam of the notices: call it inside the transaction that stores
// the notice.
func (s *Service) Transition(ctx context.Context, tx store.Tx, incidentID int64, key string,
	fn func(*regulation.Record) error) (*store.ObligationRecord, error) {
	before, err := tx.GetObligation(ctx, incidentID, key)
	if err != nil {
		return nil, fmt.Errorf("obligation %s: %w", key, err)
	}
	o, err := s.change(ctx, tx, incidentID, key, fn)
	if err != nil {
		return nil, err
	}
	if o.Record.State != before.Record.State {
		if err := s.audit.RecordIn(ctx, tx, stateEntry(o, before.Record.State)); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// change reads the record in tx, runs fn on a copy and stores the result.
func (s *Service) change(ctx context.Context, tx store.Tx, incidentID int64, key string,
	fn func(*regulation.Record) error) (*store.ObligationRecord, error) {
	o, err := tx.GetObligation(ctx, incidentID, key)
	if err != nil {
		return nil, fmt.Errorf("obligation %s: %w", key, err)
	}
	before := o.Record
	rec := o.Record
	rec.History = slices.Clone(rec.History)
	rec.Alerts = slices.Clone(rec.Alerts)
	if err := fn(&rec); err != nil {
		if errors.Is(err, regulation.ErrTransition) && !errors.Is(err, ErrState) {
			return nil, fmt.Errorf("obligation %s: %w: %w", key, ErrState, err)
		}
		return nil, fmt.Errorf("obligation %s: %w", key, err)
	}
	if rec.Key != before.Key {
		return nil, fmt.Errorf("obligation %s: the change altered the record's key", key)
	}
	if o.Withdrawn && rec.State != before.State && rec.State != regulation.StateAcknowledged {
		return nil, fmt.Errorf("obligation %s: %w: withdrawn (%s)", key, ErrState,
			o.WithdrawnReason)
	}
	o.Record = rec
	if err := tx.PutObligation(ctx, o); err != nil {
		return nil, err
	}
	return o, nil
}
