// Package store holds the storage contract that both back ends meet: the
// embedded SQLite store (store/sqlite) and PostgreSQL (store/postgres). The
// shared suite in store/storetest proves that they behave alike. Domain
// packages declare the smaller interfaces they need; Store is their union.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/incident"
)

// ErrNotFound is returned when the requested object does not exist (or is not
// visible to the caller).
var ErrNotFound = errors.New("not found")

// Store is the whole storage contract. Implementations are safe for
// concurrent use.
type Store interface {
	// InsertEvents stores events durably (committed before it returns) and
	// returns their IDs in order. Fields are stored as JSON.
	InsertEvents(ctx context.Context, events []*event.Event) ([]int64, error)
	// CountEvents reports how many events are stored.
	CountEvents(ctx context.Context) (int64, error)

	// InsertAlert stores an alert and its event links, setting a.ID.
	InsertAlert(ctx context.Context, a *detect.Alert) error
	// ListAlerts returns alerts, newest first, with their events.
	ListAlerts(ctx context.Context, f AlertFilter) (Page[detect.Alert], error)

	// CreateIncident stores an incident, assigning ID and Number, and links
	// inc.AlertIDs to it.
	CreateIncident(ctx context.Context, inc *incident.Incident) error
	// GetIncident returns one incident with its alert IDs.
	GetIncident(ctx context.Context, id int64) (*incident.Incident, error)
	// ListIncidents returns incidents, newest first.
	ListIncidents(ctx context.Context, f IncidentFilter) (Page[incident.Incident], error)

	// CreateToken stores an API token by its hash. Names are unique.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash finds an unrevoked token by the SHA-256 of its secret.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// CountTokens reports how many tokens exist (the first start creates one).
	CountTokens(ctx context.Context) (int, error)

	// Ping checks that the store answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// Page is one page of a listing. Next is the cursor for the following page,
// empty on the last one.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
	Total int64  `json:"total"`
}

// AlertFilter selects alerts. Zero values select everything. Limit defaults
// to 50 and is capped at 1000.
type AlertFilter struct {
	RuleID     string
	Level      string
	IncidentID int64
	Since      time.Time
	Until      time.Time
	Limit      int
	Cursor     string
}

// IncidentFilter selects incidents. Zero values select everything. Limit
// defaults to 50 and is capped at 1000.
type IncidentFilter struct {
	Status   string
	Severity string
	Since    time.Time
	Until    time.Time
	Limit    int
	Cursor   string
}

// Token is an API token as stored: never the secret, only its SHA-256.
type Token struct {
	ID      int64
	Name    string
	Hash    []byte
	Role    string
	Created time.Time
	Expires time.Time // zero: never
	Revoked bool
}
