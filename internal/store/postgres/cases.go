package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vigilsec/vigil/internal/store"
)

// idArg stores 0 as NULL.
func idArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateSuppression stores a suppression.
func (s *Store) CreateSuppression(ctx context.Context, sup *store.Suppression) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateSuppression(ctx, sup) })
}

// CreateSuppression is Store.CreateSuppression in the transaction.
func (tx *txn) CreateSuppression(ctx context.Context, sup *store.Suppression) error {
	fields, err := json.Marshal(sup.Fields)
	if err != nil {
		return fmt.Errorf("create suppression: %w", err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO suppressions (rule_id, fields, reason, alert_id,
		created_by, created, expires, hits, last_hit)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		sup.RuleID, json.RawMessage(fields), sup.Reason, idArg(sup.AlertID), sup.CreatedBy,
		timeArg(sup.Created), timeArg(sup.Expires), sup.Hits, timeArg(sup.LastHit)).Scan(&sup.ID)
	if err != nil {
		return fmt.Errorf("create suppression: %w", foreignKey(err, "alert"))
	}
	return nil
}

const suppressionColumns = `id, rule_id, fields, reason, coalesce(alert_id, 0), created_by,
	created, expires, hits, last_hit`

// scanSuppression reads one row of suppressionColumns.
func scanSuppression(row pgx.CollectableRow) (store.Suppression, error) {
	var (
		sup                       store.Suppression
		fields                    []byte
		created, expires, lastHit *time.Time
	)
	err := row.Scan(&sup.ID, &sup.RuleID, &fields, &sup.Reason, &sup.AlertID, &sup.CreatedBy,
		&created, &expires, &sup.Hits, &lastHit)
	if err != nil {
		return sup, err
	}
	if err := json.Unmarshal(fields, &sup.Fields); err != nil {
		return sup, fmt.Errorf("suppression %d: %w", sup.ID, err)
	}
	sup.Created, sup.Expires, sup.LastHit = timeOf(created), timeOf(expires), timeOf(lastHit)
	return sup, nil
}

// ListSuppressions returns suppressions, newest first.
func (s *Store) ListSuppressions(ctx context.Context, ruleID string,
	activeAt time.Time) ([]store.Suppression, error) {
	var w where
	if ruleID != "" {
		w.add("rule_id = $%d", ruleID)
	}
	if !activeAt.IsZero() {
		w.add("(expires IS NULL OR expires > $%d)", timeArg(activeAt))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+suppressionColumns+` FROM suppressions`+
		w.String()+` ORDER BY id DESC`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanSuppression)
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	return nonNil(list), nil
}

// GetSuppression returns one suppression.
func (s *Store) GetSuppression(ctx context.Context, id int64) (*store.Suppression, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+suppressionColumns+` FROM suppressions WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get suppression %d: %w", id, err)
	}
	sup, err := pgx.CollectExactlyOneRow(rows, scanSuppression)
	if err != nil {
		return nil, fmt.Errorf("get suppression %d: %w", id, notFound(err))
	}
	return &sup, nil
}

// notFound turns pgx.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// DeleteSuppression removes a suppression.
func (s *Store) DeleteSuppression(ctx context.Context, id int64) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.DeleteSuppression(ctx, id) })
}

// DeleteSuppression is Store.DeleteSuppression in the transaction.
func (tx *txn) DeleteSuppression(ctx context.Context, id int64) error {
	tag, err := tx.Exec(ctx, `DELETE FROM suppressions WHERE id = $1`, id)
	return changedOne(tag, err, "delete suppression")
}

// CountSuppressed counts a suppressed match.
func (s *Store) CountSuppressed(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE suppressions SET hits = hits + 1, last_hit = $1
		WHERE id = $2`, timeArg(at), id)
	return changedOne(tag, err, "count suppressed")
}

const caseColumns = `id, tenant, title, seen, service, seen_at, level, state, assignee,
	reporter, coalesce(incident_id, 0), coalesce(vulnerability_id, 0), created, updated, version`

// CreateCase stores a support case.
func (s *Store) CreateCase(ctx context.Context, c *store.Case) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateCase(ctx, c) })
}

// CreateCase is Store.CreateCase in the transaction.
func (tx *txn) CreateCase(ctx context.Context, c *store.Case) error {
	err := tx.QueryRow(ctx, `INSERT INTO cases (tenant, title, seen, service, seen_at,
		level, state, assignee, reporter, incident_id, vulnerability_id, created, updated, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1) RETURNING id`,
		c.Tenant, c.Title, c.Seen, c.Service, timeArg(c.SeenAt), c.Level, c.State, c.Assignee,
		c.Reporter, idArg(c.IncidentID), idArg(c.VulnerabilityID), timeArg(c.Created),
		timeArg(c.Updated)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create case: %w", foreignKey(err, "incident or vulnerability"))
	}
	c.Version = 1
	return nil
}

// scanCase reads one row of caseColumns.
func scanCase(row pgx.CollectableRow) (store.Case, error) {
	var (
		c                        store.Case
		seenAt, created, updated *time.Time
	)
	err := row.Scan(&c.ID, &c.Tenant, &c.Title, &c.Seen, &c.Service, &seenAt, &c.Level, &c.State,
		&c.Assignee, &c.Reporter, &c.IncidentID, &c.VulnerabilityID, &created, &updated, &c.Version)
	c.SeenAt, c.Created, c.Updated = timeOf(seenAt), timeOf(created), timeOf(updated)
	return c, err
}

// GetCase returns one case.
func (s *Store) GetCase(ctx context.Context, id int64) (*store.Case, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get case %d: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCase)
	if err != nil {
		return nil, fmt.Errorf("get case %d: %w", id, notFound(err))
	}
	return &c, nil
}

// ListCases returns cases, newest first.
func (s *Store) ListCases(ctx context.Context, f store.CaseFilter) (store.Page[store.Case], error) {
	var w where
	if f.Tenant != "" {
		w.add("tenant = $%d", f.Tenant)
	}
	if f.State != "" {
		w.add("state = $%d", f.State)
	}
	page, err := newestPage(ctx, s, "cases", caseColumns, w, f.Cursor, f.Limit, scanCase,
		func(c store.Case) int64 { return c.ID })
	if err != nil {
		return page, fmt.Errorf("list cases: %w", err)
	}
	return page, nil
}

// UpdateCase stores a case at its version.
func (s *Store) UpdateCase(ctx context.Context, c *store.Case) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateCase(ctx, c) })
}

// UpdateCase is Store.UpdateCase in the transaction.
func (tx *txn) UpdateCase(ctx context.Context, c *store.Case) error {
	tag, err := tx.Exec(ctx, `UPDATE cases SET title = $1, seen = $2, service = $3,
		seen_at = $4, level = $5, state = $6, assignee = $7, incident_id = $8,
		vulnerability_id = $9, updated = $10, version = version + 1
		WHERE id = $11 AND version = $12`,
		c.Title, c.Seen, c.Service, timeArg(c.SeenAt), c.Level, c.State, c.Assignee,
		idArg(c.IncidentID), idArg(c.VulnerabilityID), timeArg(c.Updated), c.ID, c.Version)
	if err := tx.checkVersioned(ctx, "cases", c.ID, tag, err); err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	c.Version++
	return nil
}

// checkVersioned turns the result of a versioned UPDATE of table into nil,
// ErrNotFound or ErrConflict.
func (tx *txn) checkVersioned(ctx context.Context, table string, id int64,
	tag pgconn.CommandTag, err error) error {
	if err != nil {
		return foreignKey(err, "reference")
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var one int
	err = tx.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return errors.Join(err, store.ErrConflict)
}

// newestPage runs a newest-first keyset listing of table.
func newestPage[T any](ctx context.Context, s *Store, table, columns string, w where,
	cursor string, limit int, scan pgx.RowToFunc[T], id func(T) int64) (store.Page[T], error) {
	var page store.Page[T]
	after, err := store.DecodeCursor(cursor)
	if err != nil {
		return page, err
	}
	n := store.PageLimit(limit)
	tx, err := s.readOnly(ctx)
	if err != nil {
		return page, err
	}
	defer tx.Rollback(ctx)
	err = tx.QueryRow(ctx, `SELECT count(*) FROM `+table+w.String(), w.args...).Scan(&page.Total)
	if err != nil {
		return page, err
	}
	if after != 0 {
		w.add("id < $%d", after)
	}
	rows, err := tx.Query(ctx, `SELECT `+columns+` FROM `+table+w.String()+
		` ORDER BY id DESC LIMIT `+w.next(), append(w.args, n+1)...)
	if err != nil {
		return page, err
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return page, err
	}
	if len(items) > n {
		items = items[:n]
		page.Next = store.EncodeCursor(id(items[n-1]))
	}
	page.Items = nonNil(items)
	return page, nil
}
