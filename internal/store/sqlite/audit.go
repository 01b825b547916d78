package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

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
// and returns them sealed. The single writer connection, whose transactions
// take the write lock at BEGIN, serializes appends, also against other
// processes on the same file.
func (tx *txn) storeAudit(ctx context.Context) ([]audit.Entry, error) {
	if tx.audit.Len() == 0 {
		return nil, nil
	}
	var (
		head audit.Head
		hash []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).
		Scan(&head.Seq, &hash)
	if err != nil {
		return nil, fmt.Errorf("append audit: read head: %w", err)
	}
	if head.Hash, err = audit.HashFromBytes(hash); err != nil {
		return nil, fmt.Errorf("append audit: read head: %w", err)
	}
	sealed, head, err := tx.audit.Seal(head)
	if err != nil {
		return nil, err
	}
	for _, e := range sealed {
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (seq, time, actor, action,
			object_type, object_id, tenant, details, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Seq, timeText(e.Time), e.Actor, string(e.Action), e.ObjectType, e.ObjectID,
			e.Tenant, string(e.Details), e.PrevHash[:], e.Hash[:])
		if err != nil {
			return nil, fmt.Errorf("append audit: %w", err)
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`,
		head.Seq, head.Hash[:])
	if err != nil {
		return nil, fmt.Errorf("append audit: move head: %w", err)
	}
	return sealed, nil
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
		w.add("action = ?", string(f.Action))
	}
	if f.ObjectType != "" {
		w.add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		w.add("object_id = ?", f.ObjectID)
	}
	if !f.Since.IsZero() {
		w.add("time >= ?", timeText(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("time < ?", timeText(f.Until))
	}

	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	defer tx.Rollback()

	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`+w.String(), w.args...).
		Scan(&page.Total); err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	if before != 0 {
		w.add("seq < ?", before)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log`+w.String()+
		` ORDER BY seq DESC LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	page.Items = []audit.Entry{}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return page, fmt.Errorf("list audit: %w", err)
		}
		page.Items = append(page.Items, e)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list audit: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = store.EncodeCursor(page.Items[limit-1].Seq)
	}
	return page, nil
}

// ReadAuditChain calls fn with the head and the entries in seq order, read
// in one read transaction (one WAL snapshot).
func (s *Store) ReadAuditChain(ctx context.Context,
	fn func(head audit.Head, entries iter.Seq2[audit.Entry, error]) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read audit chain: %w", err)
	}
	defer tx.Rollback()

	var (
		head audit.Head
		hash []byte
	)
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).
		Scan(&head.Seq, &hash)
	if err != nil {
		return fmt.Errorf("read audit chain: head: %w", err)
	}
	if head.Hash, err = audit.HashFromBytes(hash); err != nil {
		return fmt.Errorf("read audit chain: head: %w", err)
	}
	entries := func(yield func(audit.Entry, error) bool) {
		rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq`)
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
func scanAudit(rows *sql.Rows) (audit.Entry, error) {
	var (
		e              audit.Entry
		t              sql.NullString
		action         string
		details        string
		prevHash, hash []byte
		err            error
	)
	err = rows.Scan(&e.Seq, &t, &e.Actor, &action, &e.ObjectType, &e.ObjectID, &e.Tenant,
		&details, &prevHash, &hash)
	if err != nil {
		return e, err
	}
	e.Action, e.Details = audit.Action(action), []byte(details)
	if e.Time, err = parseTime(t); err != nil {
		return e, fmt.Errorf("audit entry %d: %w", e.Seq, err)
	}
	if e.PrevHash, err = audit.HashFromBytes(prevHash); err != nil {
		return e, fmt.Errorf("audit entry %d: prev_hash: %w", e.Seq, err)
	}
	if e.Hash, err = audit.HashFromBytes(hash); err != nil {
		return e, fmt.Errorf("audit entry %d: %w", e.Seq, err)
	}
	return e, nil
}
