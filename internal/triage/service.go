package triage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// The record types are the store's; these aliases let callers speak triage.
type (
	// QueueItem is an entry of the triage queue: an alert or a case.
	QueueItem = store.QueueItem
	// QueueFilter selects queue items.
	QueueFilter = store.QueueFilter
	// Suppression silences a rule's matches with given field values.
	Suppression = store.Suppression
	// Case is a customer-reported support case.
	Case = store.Case
	// Vulnerability is a vulnerability report.
	Vulnerability = store.Vulnerability
)

// Errors that callers branch on (the API maps them to HTTP statuses).
var (
	// ErrInvalid is returned for a request that breaks a rule of triage: an
	// illegal state change, a missing reason, an unknown value.
	ErrInvalid = errors.New("invalid triage request")
	// ErrForbidden is returned when the principal may not do this to an
	// object it can see.
	ErrForbidden = errors.New("forbidden")
)

// Store is what the Service needs of the store. Every change is written
// with its audit entries in one transaction (store.Transactor).
type Store interface {
	store.Triage
	store.Transactor
	CreateIncident(ctx context.Context, inc *incident.Incident) error
	GetIncident(ctx context.Context, id int64) (*incident.Incident, error)
}

// Recorder appends entries to the audit trail in a store transaction;
// *audit.Log is one.
type Recorder interface {
	RecordIn(ctx context.Context, app audit.Appender, e audit.Entry) error
}

// Config configures a Service. Store and Audit are required.
type Config struct {
	// Store keeps alerts, links, suppressions, cases and reports. Required.
	Store Store
	// Audit records every state change. Required.
	Audit Recorder
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Deadlines maps a vulnerability severity to the time allowed to fix
	// it. Nil: DefaultDeadlines.
	Deadlines map[string]time.Duration
	// Logger receives what fails in the background (suppression counts).
	// Default: discard.
	Logger *slog.Logger
}

// Service applies the rules of triage. It is safe for concurrent use.
type Service struct {
	st        Store
	audit     Recorder
	now       func() time.Time
	deadlines map[string]time.Duration
	log       *slog.Logger
}

// New checks cfg and applies its defaults.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil {
		return nil, errors.New("triage: Config.Store and Audit are required")
	}
	s := &Service{st: cfg.Store, audit: cfg.Audit, now: cfg.Now, deadlines: cfg.Deadlines,
		log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.deadlines == nil {
		s.deadlines = DefaultDeadlines()
	}
	for _, sev := range []string{"critical", "high", "medium", "low"} {
		if s.deadlines[sev] <= 0 {
			return nil, fmt.Errorf("triage: Config.Deadlines: no positive deadline for %s", sev)
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}
