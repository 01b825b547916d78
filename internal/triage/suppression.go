package triage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
)

// CreateSuppression stores a suppression for sup.RuleID (required) and
// sup.Fields (every field must equal its value; none: every match of the
// rule), with a reason (required) and an optional Expires, which must then
// be in the future. ID, Created and CreatedBy are set on return.
func (s *Service) CreateSuppression(ctx context.Context, sup *Suppression) error {
	if err := s.checkSuppression(ctx, sup); err != nil {
		return err
	}
	return s.st.Atomically(ctx, func(tx store.Tx) error {
		return s.storeSuppression(ctx, tx, sup)
	})
}

// checkSuppression checks sup and fills Fields, Created, CreatedBy and Hits.
func (s *Service) checkSuppression(ctx context.Context, sup *Suppression) error {
	now := s.now()
	switch {
	case strings.TrimSpace(sup.RuleID) == "":
		return fmt.Errorf("create suppression: %w: rule_id is required", ErrInvalid)
	case strings.TrimSpace(sup.Reason) == "":
		return fmt.Errorf("create suppression: %w: a reason is required", ErrInvalid)
	case !sup.Expires.IsZero() && !sup.Expires.After(now):
		return fmt.Errorf("create suppression: %w: expires is not in the future", ErrInvalid)
	}
	if sup.Fields == nil {
		sup.Fields = map[string]string{}
	}
	sup.Created, sup.CreatedBy, sup.Hits = now, audit.ActorFrom(ctx), 0
	return nil
}

// storeSuppression stores a checked suppression and records it, in tx.
func (s *Service) storeSuppression(ctx context.Context, tx store.Tx, sup *Suppression) error {
	if err := tx.CreateSuppression(ctx, sup); err != nil {
		return fmt.Errorf("create suppression: %w", err)
	}
	return s.record(ctx, tx, sup.Created, audit.SuppressionCreated, "suppression", sup.ID,
		map[string]any{"rule_id": sup.RuleID, "fields": sup.Fields, "reason": sup.Reason,
			"expires": sup.Expires, "alert_id": sup.AlertID})
}

// ListSuppressions returns every suppression, newest first, expired ones
// included.
func (s *Service) ListSuppressions(ctx context.Context) ([]Suppression, error) {
	list, err := s.st.ListSuppressions(ctx, "", time.Time{})
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	return list, nil
}

// DeleteSuppression removes a suppression; its matches raise alerts again.
func (s *Service) DeleteSuppression(ctx context.Context, id int64) error {
	sup, err := s.st.GetSuppression(ctx, id)
	if err != nil {
		return fmt.Errorf("delete suppression %d: %w", id, err)
	}
	return s.st.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.DeleteSuppression(ctx, id); err != nil {
			return fmt.Errorf("delete suppression %d: %w", id, err)
		}
		return s.record(ctx, tx, s.now(), audit.SuppressionDeleted, "suppression", id,
			map[string]any{"rule_id": sup.RuleID, "fields": sup.Fields, "hits": sup.Hits})
	})
}

// Suppressed reports whether a match of r on e is suppressed by a
// suppression in force (not expired by the Service's clock), and counts the
// match on the first such suppression. A store failure is logged and the
// match is not suppressed: an alert too many beats one lost. It implements
// detect.Suppressor.
func (s *Service) Suppressed(ctx context.Context, r *sigma.Rule, e *event.Event) bool {
	now := s.now()
	list, err := s.st.ListSuppressions(ctx, r.ID, now)
	if err != nil {
		s.log.Warn("read suppressions", "rule_id", r.ID, "err", err)
		return false
	}
	for _, sup := range list {
		if !Matches(sup, e) {
			continue
		}
		if err := s.st.CountSuppressed(ctx, sup.ID, now); err != nil {
			s.log.Warn("count suppressed match", "rule_id", r.ID, "err", err)
		}
		return true
	}
	return false
}

// Matches reports whether every field of sup has its value in e (compared
// as text; a missing field does not match).
func Matches(sup Suppression, e *event.Event) bool {
	for name, want := range sup.Fields {
		v, ok := e.Lookup(event.NewPath(name))
		if !ok || detect.FieldText(v) != want {
			return false
		}
	}
	return true
}
