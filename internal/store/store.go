// Package store holds the storage contract that both back ends meet: the
// embedded SQLite store (store/sqlite) and PostgreSQL (store/postgres). The
// shared suite in store/storetest proves that they behave alike. Domain
// packages declare the smaller interfaces they need; Store is their union.
package store

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/incident"
)

// Errors that callers branch on. Back ends wrap them with the operation, so
// test with errors.Is.
var (
	// ErrNotFound is returned when the requested object does not exist (or
	// is not visible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrBadCursor is returned by the listings for a cursor that they did not
	// issue (the API answers 400).
	ErrBadCursor = errors.New("invalid cursor")
	// ErrDuplicate is returned when a unique key (a token name or hash) is
	// taken already.
	ErrDuplicate = errors.New("already exists")
	// ErrSchemaTooNew is returned by Open when the database was migrated by a
	// newer Vigil than this binary: downgrading is not supported.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

// Store is the whole storage contract. Implementations are safe for
// concurrent use. Times are stored to the microsecond and read back in UTC;
// a zero time is stored as NULL and read back as zero.
type Store interface {
	Records // the full incident record (records.go)

	Users // accounts, sessions and token management (users.go)

	EvidenceStore // evidence and chains of custody (evidence.go)

	Triage // alert grouping and triage, suppressions, cases, vulnerabilities (triage.go)

	ResponseStore // response teams, engagements, tasks and watch rules (response.go)

	Notifications // the notification outbox, delivery log and webhooks (notifications.go)

	ScopeStore // inventory, tenants, contacts and incident scopes (scope.go)

	Readiness    // training, findings, exercises and exercise marks (readiness.go)
	AnomalyState // the anomaly models' saved state (anomaly.go)
	PostMortems  // post-mortems, follow-ups and the metrics' rows (postmortem.go)
	Notices      // notices to tenants, their deliveries and acknowledgements (notices.go)
	Transactor   // several writes and their audit entries in one transaction (tx.go)

	Obligations // incident facts and obligation records (obligations.go)

	// InsertEvents stores events durably (committed before it returns) and
	// returns their IDs in order. Fields are stored as JSON.
	InsertEvents(ctx context.Context, events []*event.Event) ([]int64, error)
	// CountEvents reports how many events are stored.
	CountEvents(ctx context.Context) (int64, error)

	// InsertAlert stores an alert and its event links (in a.EventIDs order),
	// setting a.ID, and a.Created to the store's clock when it is zero.
	InsertAlert(ctx context.Context, a *detect.Alert) error
	// ListAlerts returns alerts, newest first, with their events (Events
	// filled) and IncidentID. An unknown cursor gives ErrBadCursor.
	ListAlerts(ctx context.Context, f AlertFilter) (Page[detect.Alert], error)

	// CreateIncident stores an incident, assigning ID and Number, and links
	// inc.AlertIDs to it (an unknown alert gives ErrNotFound and stores
	// nothing). A zero Opened is set to the store's clock, a zero Updated to
	// Opened. Numbers count per year of Opened (UTC) and are never reused.
	CreateIncident(ctx context.Context, inc *incident.Incident) error
	// GetIncident returns one incident with its alert IDs (ascending), or
	// ErrNotFound.
	GetIncident(ctx context.Context, id int64) (*incident.Incident, error)
	// ListIncidents returns incidents, newest first, with their alert IDs.
	// An unknown cursor gives ErrBadCursor.
	ListIncidents(ctx context.Context, f IncidentFilter) (Page[incident.Incident], error)

	// CreateToken stores an API token by its hash. Names and hashes are
	// unique: a taken one gives ErrDuplicate.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash finds a usable token by the SHA-256 of its secret. The
	// store checks expiry against its own clock: a revoked token, or one
	// whose Expires is not after now, gives ErrNotFound like an unknown one.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// CountTokens reports how many tokens exist, revoked and expired ones
	// included (the first start creates one when there are none).
	CountTokens(ctx context.Context) (int, error)

	// AppendAudit appends e to the audit chain: in one transaction that no
	// other append (from this process or another node) can interleave with,
	// it reads the chain head, seals e after it (audit.Seal sets Seq,
	// PrevHash and Hash), stores e and moves the head to e. On error e is
	// left as it was. An entry that records a change is appended with
	// Tx.AppendAudit instead, in the change's own transaction.
	AppendAudit(ctx context.Context, e *audit.Entry) error
	// ListAudit returns audit entries, newest (highest seq) first. An
	// unknown cursor gives ErrBadCursor.
	ListAudit(ctx context.Context, f AuditFilter) (Page[audit.Entry], error)
	// ReadAuditChain calls fn with the recorded chain head and every entry
	// in seq order, both read from one snapshot, and returns fn's error.
	// The iterator is valid only during fn.
	ReadAuditChain(ctx context.Context,
		fn func(head audit.Head, entries iter.Seq2[audit.Entry, error]) error) error

	// Ping checks that the store answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// Page is one page of a listing. Next is the cursor for the following page,
// empty on the last one. Total counts every row that matches the filter,
// whatever the page.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
	Total int64  `json:"total"`
}

// AlertFilter selects alerts. Zero values select everything; the fields that
// are set combine with AND. Since (inclusive) and Until (exclusive) bound
// Created. Limit defaults to 50 and is capped at 1000. Cursor is the Next of
// the previous page; pages stay stable while new alerts arrive.
type AlertFilter struct {
	RuleID     string
	Level      string
	IncidentID int64
	Since      time.Time
	Until      time.Time
	Limit      int
	Cursor     string
}

// IncidentFilter selects incidents. Zero values select everything; the
// fields that are set combine with AND. Since (inclusive) and Until
// (exclusive) bound Opened. Limit defaults to 50 and is capped at 1000.
// Cursor is the Next of the previous page.
type IncidentFilter struct {
	Status   string
	Severity string
	Since    time.Time
	Until    time.Time
	Limit    int
	Cursor   string
}

// AuditFilter selects audit entries. Zero values select everything; the
// fields that are set combine with AND. Since (inclusive) and Until
// (exclusive) bound Time. Limit defaults to 50 and is capped at 1000. Cursor
// is the Next of the previous page; pages stay stable while entries are
// appended.
type AuditFilter struct {
	Action     audit.Action
	ObjectType string
	ObjectID   string
	Since      time.Time
	Until      time.Time
	Limit      int
	Cursor     string
}

// Token is an API token as stored: never the secret, only its SHA-256.
// Times are kept to the microsecond.
type Token struct {
	ID      int64
	Name    string
	Hash    []byte
	Role    string
	Created time.Time
	Expires time.Time // zero: never
	Revoked bool
	// Tenant scopes a tenant-admin token to its tenant; empty for staff.
	Tenant string
	// CreatedBy is the actor that created the token ("user:ana"), empty for
	// tokens from before schema version 3 or from Bootstrap.
	CreatedBy string
}

// Validate reports what makes t unstorable: an empty name or role, or a hash
// that is not a SHA-256 (32 bytes).
func (t Token) Validate() error {
	switch {
	case t.Name == "":
		return errors.New("token: empty name")
	case len(t.Hash) != 32:
		return fmt.Errorf("token %q: hash of %d bytes, want a SHA-256 (32)", t.Name, len(t.Hash))
	case t.Role == "":
		return fmt.Errorf("token %q: empty role", t.Name)
	}
	return nil
}
