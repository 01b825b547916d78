package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store"
)

// txn is a write transaction (read committed): the store.Tx that
// Atomically hands out. Each write is implemented once, as a method of
// txn; the Store's write methods run one of them in a transaction of its
// own. Its audit entries are appended at the end, under the lock of the
// chain head row (see storeAudit).
type txn struct {
	pgx.Tx
	now   func() time.Time
	audit store.AuditQueue
}

var _ store.Tx = (*txn)(nil)

// Atomically runs fn in one transaction (see store.Transactor).
func (s *Store) Atomically(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.atomically(ctx, func(tx *txn) error { return store.RunTx(tx, fn) })
}

// atomically runs fn in one transaction and commits it, with the audit
// entries fn queued, when fn returns nil.
func (s *Store) atomically(ctx context.Context, fn func(tx *txn) error) error {
	pgTx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer pgTx.Rollback(ctx)

	tx := &txn{Tx: pgTx, now: s.now}
	if err := fn(tx); err != nil {
		return err
	}
	sealed, err := tx.storeAudit(ctx)
	if err != nil {
		return err
	}
	if err := pgTx.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	tx.audit.Publish(sealed)
	return nil
}
