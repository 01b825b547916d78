package postgres

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// AppendAudit appends e to the audit chain in a transaction of its own.
func (s *Store) AppendAudit(ctx context.Context, e *audit.Entry) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.AppendAudit(ctx, e) })
}

// AppendAudit queues e for the transaction's commit (see storeAudit).
func (tx *txn) AppendAudit(_ context.Context, e *audit.Entry) error {
	return tx.audit.Add(e)
}

// storeAudit appends the queued entries to the chain, in the transaction,
// and returns them sealed. It locks the chain head row (SELECT ... FOR
// UPDATE) until the transaction ends, so that appends from every node that
// shares the database run one after the other and the chain never forks.
// The lock is taken last, after every other write of the transaction, so
// that it is held only for the appends and the commit, and so that no
// transaction waits for a row while holding it (no deadlock).
func (tx *txn) storeAudit(ctx context.Context) ([]audit.Entry, error) {
	if tx.audit.Len() == 0 {
		return nil, nil
	}
	head, err := auditHead(ctx, tx, " FOR UPDATE")
	if err != nil {
		return nil, fmt.Errorf("append audit: %w", err)
	}
	sealed, head, err := tx.audit.Seal(head)
	if err != nil {
		return nil, err
	}
	for _, e := range sealed {
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (seq, time, actor, action, object_type,
			object_id, tenant, details, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			e.Seq, e.Time, e.Actor, string(e.Action), e.ObjectType, e.ObjectID, e.Tenant,
			string(e.Details), e.PrevHash[:], e.Hash[:])
		if err != nil {
			return nil, fmt.Errorf("append audit: %w", err)
		}
	}
	_, err = tx.Exec(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`,
		head.Seq, head.Hash[:])
	if err != nil {
		return nil, fmt.Errorf("append audit: move head: %w", err)
	}
	return sealed, nil
}

// auditHead reads the chain head; lock is "" or " FOR UPDATE".
func auditHead(ctx context.Context, tx pgx.Tx, lock string) (audit.Head, error) {
	var (
		head audit.Head
		hash []byte
	)
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).
		Scan(&head.Seq, &hash)
	if err != nil {
		return head, fmt.Errorf("read head: %w", err)
	}
	if head.Hash, err = audit.HashFromBytes(hash); err != nil {
		return head, fmt.Errorf("read head: %w", err)
	}
	return head, nil
}

const auditColumns = `seq, time, actor, action, object_type, object_id, tenant, details,
	prev_hash, hash`

// ListAudit returns the audit entries that match f, newest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) (store.Page[audit.Entry], error) {
	var page store.Page[audit.Entry]
	before, err := store.DecodeCursor(f.Cursor)
	if err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	limit := store.PageLimit(f.Limit)
	var w where
	if f.Action != "" {
		w.add("action = $%d", string(f.Action))
	}
	if f.ObjectType != "" {
		w.add("object_type = $%d", f.ObjectType)
	}
	if f.ObjectID != "" {
		w.add("object_id = $%d", f.ObjectID)
	}
	if !f.Since.IsZero() {
		w.add("time >= $%d", timeArg(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("time < $%d", timeArg(f.Until))
	}

	tx, err := s.readOnly(ctx)
	if err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	defer tx.Rollback(ctx)

	err = tx.QueryRow(ctx, `SELECT count(*) FROM audit_log`+w.String(), w.args...).
		Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	if before != 0 {
		w.add("seq < $%d", before)
	}
	rows, err := tx.Query(ctx, `SELECT `+auditColumns+` FROM audit_log`+w.String()+
		` ORDER BY seq DESC LIMIT `+w.next(), append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanAudit)
	if err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(items[limit-1].Seq)
	}
	page.Items = nonNil(items)
	return page, nil
}

// ReadAuditChain calls fn with the head and the entries in seq order, read
// in one repeatable-read, read-only transaction.
func (s *Store) ReadAuditChain(ctx context.Context,
	fn func(head audit.Head, entries iter.Seq2[audit.Entry, error]) error) error {
	tx, err := s.readOnly(ctx)
	if err != nil {
		return fmt.Errorf("read audit chain: %w", err)
	}
	defer tx.Rollback(ctx)

	head, err := auditHead(ctx, tx, "")
	if err != nil {
		return fmt.Errorf("read audit chain: %w", err)
	}
	entries := func(yield func(audit.Entry, error) bool) {
		rows, err := tx.Query(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq`)
		if err != nil {
			yield(audit.Entry{}, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanAudit(rows)
			if !yield(e, err) || err != nil {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(audit.Entry{}, err)
		}
	}
	return fn(head, entries)
}

// scanAudit reads one audit_log row.
func scanAudit(row pgx.CollectableRow) (audit.Entry, error) {
	var (
		e               audit.Entry
		t               time.Time
		action, details string
		prevHash, hash  []byte
	)
	err := row.Scan(&e.Seq, &t, &e.Actor, &action, &e.ObjectType, &e.ObjectID, &e.Tenant,
		&details, &prevHash, &hash)
	if err != nil {
		return e, err
	}
	e.Time, e.Action, e.Details = t.UTC(), audit.Action(action), []byte(details)
	if e.PrevHash, err = audit.HashFromBytes(prevHash); err != nil {
		return e, fmt.Errorf("audit entry %d: prev_hash: %w", e.Seq, err)
	}
	if e.Hash, err = audit.HashFromBytes(hash); err != nil {
		return e, fmt.Errorf("audit entry %d: %w", e.Seq, err)
	}
	return e, nil
}
