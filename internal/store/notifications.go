package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
)

// ErrNotRetryable is returned by RetryNotification for a notification that
// is pending or sent already.
var ErrNotRetryable = errors.New("notification is not failed or dead")

// Notifications is the part of the contract that holds the notification
// outbox with its delivery log, and the webhook endpoints (internal/notify).
// Store embeds it; it implements notify.Outbox, notify.Queue and
// notify.WebhookSource.
type Notifications interface {
	// EnqueueNotification stores n as pending and due at once: it sets
	// n.ID, n.State, n.Attempts, n.NextAttempt and n.Updated, and n.Created
	// to the store's clock when it is zero. When a notification with n.Key
	// exists, it stores nothing, sets n.ID to the existing one's and
	// reports created false. An unknown n.IncidentID gives ErrNotFound.
	EnqueueNotification(ctx context.Context, n *notify.Notification) (created bool, err error)
	// GetNotification returns one notification with its delivery log.
	GetNotification(ctx context.Context, id int64) (*notify.Notification, error)
	// ListNotifications returns notifications, newest first, with their
	// delivery logs. An unknown cursor gives ErrBadCursor.
	ListNotifications(ctx context.Context, f NotificationFilter) (
		Page[notify.Notification], error)
	// ClaimNotifications is notify.Outbox's: up to limit pending or failed
	// notifications due at now, oldest due first, their NextAttempt moved
	// to leaseUntil, returned without delivery logs. Concurrent claims
	// never return the same notification.
	ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) (
		[]notify.Notification, error)
	// RecordAttempt appends d (its ID is set by the store) to the delivery
	// log and sets State, Attempts, NextAttempt (zero: NULL), LastError
	// (d.Error) and Updated (d.At) in one transaction.
	RecordAttempt(ctx context.Context, id int64, d notify.Delivery, state notify.State,
		attempts int, next time.Time) error
	// RetryNotification makes a failed or dead notification pending, due
	// at now, with Attempts zero (a new round; the log keeps the old
	// attempts), and returns it. A pending or sent one gives
	// ErrNotRetryable.
	RetryNotification(ctx context.Context, id int64, now time.Time) (*notify.Notification,
		error)

	// CreateWebhook stores h, setting h.ID, and h.Created to the store's
	// clock when it is zero. A taken name gives ErrDuplicate.
	CreateWebhook(ctx context.Context, h *notify.Webhook) error
	// GetWebhook returns one webhook with its secret.
	GetWebhook(ctx context.Context, id int64) (*notify.Webhook, error)
	// ListWebhooks returns every webhook with its secret, by ascending ID.
	ListWebhooks(ctx context.Context) ([]notify.Webhook, error)
	// DeleteWebhook removes a webhook; its queued notifications then fail
	// their attempts. An unknown ID gives ErrNotFound.
	DeleteWebhook(ctx context.Context, id int64) error
}

// NotificationFilter selects notifications. Zero values select everything;
// the fields that are set combine with AND. Limit defaults to 50 and is
// capped at 1000. Cursor is the Next of the previous page.
type NotificationFilter struct {
	State      notify.State
	Channel    notify.Channel
	IncidentID int64
	Limit      int
	Cursor     string
}

// NotifyDirectory returns the notify.Directory of a store: users by name,
// the enabled executives, and incidents with their severity level (the
// latest decision, else the foundation's severity word) and their exercise
// mark; ActiveIncidents leaves exercises' incidents out.
func NotifyDirectory(s Store) notify.Directory { return directory{s} }

type directory struct{ s Store }

func (d directory) Person(ctx context.Context, name string) (notify.Person, error) {
	u, err := d.s.UserByName(ctx, name)
	if err != nil {
		return notify.Person{}, err
	}
	if u.Disabled {
		return notify.Person{Name: u.Name}, nil
	}
	return notify.Person{Name: u.Name, Email: u.Email}, nil
}

func (d directory) Executives(ctx context.Context) ([]notify.Person, error) {
	users, err := d.s.ListUsers(ctx, UserFilter{})
	if err != nil {
		return nil, err
	}
	var ps []notify.Person
	for _, u := range users {
		if u.Disabled || u.Tenant != "" {
			continue
		}
		for _, r := range u.Roles {
			if r == incident.RoleExecutive {
				ps = append(ps, notify.Person{Name: u.Name, Email: u.Email})
				break
			}
		}
	}
	return ps, nil
}

func (d directory) Incident(ctx context.Context, id int64) (notify.IncidentInfo, error) {
	rec, err := d.s.GetIncidentRecord(ctx, id)
	if err != nil {
		return notify.IncidentInfo{}, err
	}
	info := incidentInfo(rec)
	marks, err := d.s.ExerciseMarks(ctx, MarkIncident, []int64{id})
	if err != nil {
		return notify.IncidentInfo{}, err
	}
	info.Exercise = marks[id]
	return info, nil
}

func (d directory) ActiveIncidents(ctx context.Context) ([]notify.IncidentInfo, error) {
	var out []notify.IncidentInfo
	f := IncidentFilter{Status: incident.StatusOpen, Limit: MaxLimit}
	for {
		page, err := d.s.ListIncidents(ctx, f)
		if err != nil {
			return nil, err
		}
		ids := make([]int64, len(page.Items))
		for i, inc := range page.Items {
			ids[i] = inc.ID
		}
		exercises, err := d.s.ExerciseMarks(ctx, MarkIncident, ids)
		if err != nil {
			return nil, err
		}
		for _, inc := range page.Items {
			if exercises[inc.ID] != 0 {
				continue // an exercise's incident gets no executive updates
			}
			rec, err := d.s.GetIncidentRecord(ctx, inc.ID)
			if err != nil {
				return nil, fmt.Errorf("incident %d: %w", inc.ID, err)
			}
			out = append(out, incidentInfo(rec))
		}
		if page.Next == "" {
			return out, nil
		}
		f.Cursor = page.Next
	}
}

// incidentInfo summarizes a record for a notification.
func incidentInfo(rec *IncidentRecord) notify.IncidentInfo {
	level := incident.Level2
	if n := len(rec.Record.Severity); n > 0 {
		level = rec.Record.Severity[n-1].Decided
	} else {
		switch rec.Severity {
		case incident.SeverityCrit:
			level = incident.Level0
		case incident.SeverityHigh:
			level = incident.Level1
		case incident.SeverityLow:
			level = incident.Level4
		}
	}
	return notify.IncidentInfo{ID: rec.ID, Number: rec.Record.Number, Title: rec.Record.Title,
		Phase: rec.Record.Phase, Level: level, Opened: rec.Opened}
}
