package web

import (
	"context"
	"errors"
)

// Triage decides on alerts in the queue. The context carries the deciding
// principal (auth.PrincipalFrom) and audit actor (audit.ActorFrom). Errors
// wrapping store.ErrNotFound show as 404, ErrForbidden as 403; ErrRefused
// and ErrUnsupported are shown on the alert queue. ServiceTriage is the one
// of internal/triage.
type Triage interface {
	// Acknowledge marks the alert as seen by a responder.
	Acknowledge(ctx context.Context, alertID int64) error
	// MarkFalsePositive dismisses the alert with a reason.
	MarkFalsePositive(ctx context.Context, alertID int64, reason string) error
	// Confirm links the alert to the incident incidentID, or to a new one
	// when incidentID is 0, and returns the incident's ID.
	Confirm(ctx context.Context, alertID, incidentID int64) (int64, error)
}

// ErrUnsupported is returned by a Triage that cannot do what was asked.
var ErrUnsupported = errors.New("not supported by this triage")
