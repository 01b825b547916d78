package web

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/triage"
)

// ServiceTriage is the Triage of internal/triage's Service: its refusals
// (triage.ErrInvalid, such as an alert decided already) come back wrapping
// ErrRefused, and triage.ErrForbidden wrapping ErrForbidden.
type ServiceTriage struct {
	Service *triage.Service
}

// ErrRefused is a triage decision refused for a reason the user can act on;
// the page shows its message.
var ErrRefused = errors.New("refused")

// ErrForbidden is a triage decision that the user's roles do not allow.
var ErrForbidden = errors.New("forbidden")

// Acknowledge marks the alert acknowledged.
func (t ServiceTriage) Acknowledge(ctx context.Context, alertID int64) error {
	return refusal(t.Service.Acknowledge(ctx, alertID))
}

// MarkFalsePositive dismisses the alert with reason and no suppression.
func (t ServiceTriage) MarkFalsePositive(ctx context.Context, alertID int64,
	reason string) error {
	return refusal(t.Service.MarkFalsePositive(ctx, alertID, reason, nil))
}

// Confirm links the alert to incidentID, or to a new incident when 0.
func (t ServiceTriage) Confirm(ctx context.Context, alertID, incidentID int64) (int64, error) {
	id, err := t.Service.Confirm(ctx, []int64{alertID}, incidentID)
	return id, refusal(err)
}

func refusal(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, triage.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrRefused, err)
	case errors.Is(err, triage.ErrForbidden):
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	return err
}
