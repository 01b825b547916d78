package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// txn is a write transaction on the one writer connection: the store.Tx
// that Atomically hands out. Each write is implemented once, as a method of
// txn; the Store's write methods run one of them in a transaction of its
// own. Holding the writer connection serializes the transactions, also
// against other processes on the same file (the write lock is taken at
// BEGIN), and so the audit appends too.
type txn struct {
	*sql.Tx
	now   func() time.Time
	audit store.AuditQueue
}

var _ store.Tx = (*txn)(nil)

// Atomically runs fn in one transaction on the writer connection (see
// store.Transactor).
func (s *Store) Atomically(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.atomically(ctx, func(tx *txn) error { return store.RunTx(tx, fn) })
}

// atomically runs fn in one transaction and commits it, with the audit
// entries fn queued, when fn returns nil.
func (s *Store) atomically(ctx context.Context, fn func(tx *txn) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer sqlTx.Rollback()

	tx := &txn{Tx: sqlTx, now: s.now}
	if err := fn(tx); err != nil {
		return err
	}
	sealed, err := tx.storeAudit(ctx)
	if err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	tx.audit.Publish(sealed)
	return nil
}
