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
// the head to e. The store back ends implement it; a store transaction
// (store.Tx) does it for the entries appended through it when it commits,
// so that they are kept exactly when the change they record is.
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
// (time.Now when nil). app may be nil when only RecordIn is used.
func New(app Appender, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{app: app, now: now}
}

// Record appends e to the chain through the Log's own Appender and returns
// it as stored, with Seq and Hash. A zero Time becomes the Log's clock; an
// empty Actor becomes the context's (ActorFrom). e.Details may be nil
// ("{}"); otherwise it is made canonical first (see CanonicalDetails).
//
// Record is for an entry that is the whole change (a refused sign-in, a
// verification); the entry of a change to stored state is recorded with
// RecordIn, in the change's transaction.
func (l *Log) Record(ctx context.Context, e Entry) (Entry, error) {
	e, err := l.prepare(ctx, e)
	if err != nil {
		return e, err
	}
	if err := l.app.AppendAudit(ctx, &e); err != nil {
		return e, fmt.Errorf("record %s: %w", e.Action, err)
	}
	return e, nil
}

// RecordIn prepares e as Record does and appends it through app instead of
// the Log's own Appender: app is the store transaction (store.Tx) that
// makes the change e records, so that the entry commits with the change or
// not at all. The transaction seals the entry when it commits.
func (l *Log) RecordIn(ctx context.Context, app Appender, e Entry) error {
	e, err := l.prepare(ctx, e)
	if err != nil {
		return err
	}
	if err := app.AppendAudit(ctx, &e); err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}

// prepare fills e's defaults, makes its details canonical and checks it.
func (l *Log) prepare(ctx context.Context, e Entry) (Entry, error) {
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
