package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// zeroNull stores 0 as NULL.
func zeroNull(id int64) any {
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
	res, err := tx.ExecContext(ctx, `INSERT INTO suppressions (rule_id, fields, reason, alert_id,
		created_by, created, expires, hits, last_hit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sup.RuleID, string(fields), sup.Reason, zeroNull(sup.AlertID), sup.CreatedBy,
		timeText(sup.Created), timeText(sup.Expires), sup.Hits, timeText(sup.LastHit))
	if err != nil {
		return fmt.Errorf("create suppression: %w", foreignKey(err, "alert"))
	}
	if sup.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create suppression: %w", err)
	}
	return nil
}

const suppressionColumns = `id, rule_id, fields, reason, coalesce(alert_id, 0), created_by,
	created, expires, hits, last_hit`

// scanSuppression reads one row of suppressionColumns.
func scanSuppression(row triageRow) (store.Suppression, error) {
	var (
		sup                        store.Suppression
		fields                     string
		created, expires, lastSeen sql.NullString
	)
	err := row.Scan(&sup.ID, &sup.RuleID, &fields, &sup.Reason, &sup.AlertID, &sup.CreatedBy,
		&created, &expires, &sup.Hits, &lastSeen)
	if errors.Is(err, sql.ErrNoRows) {
		return sup, store.ErrNotFound
	}
	if err != nil {
		return sup, err
	}
	if err := json.Unmarshal([]byte(fields), &sup.Fields); err != nil {
		return sup, fmt.Errorf("suppression %d: %w", sup.ID, err)
	}
	return sup, parseTimePairs(fmt.Sprintf("suppression %d", sup.ID),
		&sup.Created, created, &sup.Expires, expires, &sup.LastHit, lastSeen)
}

// parseTimePairs parses pairs of (*time.Time, sql.NullString).
func parseTimePairs(what string, pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		t, err := parseTime(pairs[i+1].(sql.NullString))
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		*pairs[i].(*time.Time) = t
	}
	return nil
}

// ListSuppressions returns suppressions, newest first.
func (s *Store) ListSuppressions(ctx context.Context, ruleID string,
	activeAt time.Time) ([]store.Suppression, error) {
	var w where
	if ruleID != "" {
		w.add("rule_id = ?", ruleID)
	}
	if !activeAt.IsZero() {
		w.add("(expires IS NULL OR expires > ?)", timeText(activeAt))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+suppressionColumns+` FROM suppressions`+
		w.String()+` ORDER BY id DESC`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	defer rows.Close()
	list := []store.Suppression{}
	for rows.Next() {
		sup, err := scanSuppression(rows)
		if err != nil {
			return nil, fmt.Errorf("list suppressions: %w", err)
		}
		list = append(list, sup)
	}
	return list, rows.Err()
}

// GetSuppression returns one suppression.
func (s *Store) GetSuppression(ctx context.Context, id int64) (*store.Suppression, error) {
	sup, err := scanSuppression(s.r.QueryRowContext(ctx,
		`SELECT `+suppressionColumns+` FROM suppressions WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get suppression %d: %w", id, err)
	}
	return &sup, nil
}

// DeleteSuppression removes a suppression.
func (s *Store) DeleteSuppression(ctx context.Context, id int64) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.DeleteSuppression(ctx, id) })
}

// DeleteSuppression is Store.DeleteSuppression in the transaction.
func (tx *txn) DeleteSuppression(ctx context.Context, id int64) error {
	return tx.execTriage(ctx, "delete suppression", `DELETE FROM suppressions WHERE id = ?`, id)
}

// CountSuppressed counts a suppressed match.
func (s *Store) CountSuppressed(ctx context.Context, id int64, at time.Time) error {
	return s.atomically(ctx, func(tx *txn) error {
		return tx.execTriage(ctx, "count suppressed", `UPDATE suppressions SET hits = hits + 1,
			last_hit = ? WHERE id = ?`, timeText(at), id)
	})
}

// execTriage runs a statement that must touch one row (ErrNotFound if none).
func (tx *txn) execTriage(ctx context.Context, op, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("%s: %w", op, errors.Join(err, store.ErrNotFound))
	}
	return nil
}

const caseColumns = `id, tenant, title, seen, service, seen_at, level, state, assignee,
	reporter, coalesce(incident_id, 0), coalesce(vulnerability_id, 0), created, updated, version`

// CreateCase stores a support case.
func (s *Store) CreateCase(ctx context.Context, c *store.Case) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateCase(ctx, c) })
}

// CreateCase is Store.CreateCase in the transaction.
func (tx *txn) CreateCase(ctx context.Context, c *store.Case) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO cases (tenant, title, seen, service, seen_at,
		level, state, assignee, reporter, incident_id, vulnerability_id, created, updated, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		c.Tenant, c.Title, c.Seen, c.Service, timeText(c.SeenAt), c.Level, c.State, c.Assignee,
		c.Reporter, zeroNull(c.IncidentID), zeroNull(c.VulnerabilityID), timeText(c.Created),
		timeText(c.Updated))
	if err != nil {
		return fmt.Errorf("create case: %w", foreignKey(err, "incident or vulnerability"))
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	c.Version = 1
	return nil
}

// scanCase reads one row of caseColumns.
func scanCase(row triageRow) (store.Case, error) {
	var (
		c                        store.Case
		seenAt, created, updated sql.NullString
	)
	err := row.Scan(&c.ID, &c.Tenant, &c.Title, &c.Seen, &c.Service, &seenAt, &c.Level, &c.State,
		&c.Assignee, &c.Reporter, &c.IncidentID, &c.VulnerabilityID, &created, &updated, &c.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	return c, parseTimePairs(fmt.Sprintf("case %d", c.ID),
		&c.SeenAt, seenAt, &c.Created, created, &c.Updated, updated)
}

// GetCase returns one case.
func (s *Store) GetCase(ctx context.Context, id int64) (*store.Case, error) {
	c, err := scanCase(s.r.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = ?`,
		id))
	if err != nil {
		return nil, fmt.Errorf("get case %d: %w", id, err)
	}
	return &c, nil
}

// ListCases returns cases, newest first.
func (s *Store) ListCases(ctx context.Context, f store.CaseFilter) (store.Page[store.Case], error) {
	var w where
	if f.Tenant != "" {
		w.add("tenant = ?", f.Tenant)
	}
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	page, err := listNewest(ctx, s.r, "cases", caseColumns, w, f.Cursor, f.Limit,
		func(r *sql.Rows) (store.Case, int64, error) {
			c, err := scanCase(r)
			return c, c.ID, err
		})
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
	res, err := tx.ExecContext(ctx, `UPDATE cases SET title = ?, seen = ?, service = ?,
		seen_at = ?, level = ?, state = ?, assignee = ?, incident_id = ?, vulnerability_id = ?,
		updated = ?, version = version + 1 WHERE id = ? AND version = ?`,
		c.Title, c.Seen, c.Service, timeText(c.SeenAt), c.Level, c.State, c.Assignee,
		zeroNull(c.IncidentID), zeroNull(c.VulnerabilityID), timeText(c.Updated), c.ID, c.Version)
	if err := tx.updateVersioned(ctx, "case", c.ID, res, err); err != nil {
		return err
	}
	c.Version++
	return nil
}

// updateVersioned turns the result of a updateVersioned UPDATE of table into nil,
// ErrNotFound or ErrConflict.
func (tx *txn) updateVersioned(ctx context.Context, table string, id int64, res sql.Result,
	err error) error {
	if err != nil {
		return fmt.Errorf("update %s %d: %w", table, id, foreignKey(err, "reference"))
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM `+versionedTable(table)+` WHERE id = ?`, id).
		Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("update %s %d: %w", table, id, store.ErrNotFound)
	}
	return fmt.Errorf("update %s %d: %w", table, id, errors.Join(err, store.ErrConflict))
}

// versionedTable maps an object name to its table.
func versionedTable(object string) string {
	if object == "case" {
		return "cases"
	}
	return "vulnerabilities"
}

// listNewest runs a newest-first keyset listing of table.
func listNewest[T any](ctx context.Context, db *sql.DB, table, columns string, w where,
	cursor string, limit int, scan func(*sql.Rows) (T, int64, error)) (store.Page[T], error) {
	var page store.Page[T]
	after, err := store.DecodeCursor(cursor)
	if err != nil {
		return page, err
	}
	n := store.PageLimit(limit)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+w.String(), w.args...).
		Scan(&page.Total)
	if err != nil {
		return page, err
	}
	if after != 0 {
		w.add("id < ?", after)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+columns+` FROM `+table+w.String()+
		` ORDER BY id DESC LIMIT ?`, append(w.args, n+1)...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	page.Items = []T{}
	var last int64
	for rows.Next() {
		item, id, err := scan(rows)
		if err != nil {
			return page, err
		}
		if len(page.Items) == n {
			page.Next = store.EncodeCursor(last)
			break
		}
		page.Items, last = append(page.Items, item), id
	}
	return page, rows.Err()
}
