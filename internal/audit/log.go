package audit

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// Appender appends entries to a chain. AppendAudit must, in one
// transaction that no other append can interleave with (across processes
// and nodes too), read the chain head, call Seal(e, head), store e and move
// the head to e. The store back ends implement it.
type Appender interface {
	AppendAudit(ctx context.Context, e *Entry) error
}

// ChainReader reads a whole chain for verification: it calls fn once with
// the recorded head and the entries in seq order, both from one consistent
// snapshot, and returns fn's error.
type ChainReader interface {
	ReadAuditChain(ctx context.Context,
		fn func(head Head, entries iter.Seq2[Entry, error]) error) error
}

// Log records entries into a chain. It is safe for concurrent use: the
// Appender serializes the appends.
type Log struct {
	app Appender
	now func() time.Time
}

// New returns a Log that appends through app, dating entries with now
// (time.Now when nil).
func New(app Appender, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{app: app, now: now}
}

// Record appends e to the chain and returns it as stored, with Seq and
// Hash. A zero Time becomes the Log's clock; an empty Actor becomes the
// context's (ActorFrom). e.Details may be nil ("{}"); otherwise it is made
// canonical first (see CanonicalDetails).
func (l *Log) Record(ctx context.Context, e Entry) (Entry, error) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	if e.Actor == "" {
		e.Actor = ActorFrom(ctx)
	}
	var err error
	var details any
	if e.Details != nil {
		details = e.Details
	}
	if e.Details, err = CanonicalDetails(details); err != nil {
		return e, fmt.Errorf("record %s: %w", e.Action, err)
	}
	if err := e.Check(); err != nil {
		return e, fmt.Errorf("record %s: %w", e.Action, err)
	}
	if err := l.app.AppendAudit(ctx, &e); err != nil {
		return e, fmt.Errorf("record %s: %w", e.Action, err)
	}
	return e, nil
}

// VerifyChain reads the whole chain from r and verifies it (see Verify).
func VerifyChain(ctx context.Context, r ChainReader) (Report, error) {
	var rep Report
	err := r.ReadAuditChain(ctx, func(head Head, entries iter.Seq2[Entry, error]) error {
		var err error
		rep, err = Verify(entries, head)
		return err
	})
	return rep, err
}
