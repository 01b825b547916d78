package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vigilsec/vigil/internal/store"
)

// queueUnion is the triage queue: alerts and cases as one relation.
const queueUnion = `(SELECT 'alert' AS kind, id, rule_title AS title, level, state, assignee,
		rule_id, '' AS tenant, match_count AS n, coalesce(first_seen, created) AS first_seen,
		coalesce(last_seen, created) AS last_seen FROM alerts
	UNION ALL
	SELECT 'case', id, title, level, state, assignee, '', tenant, 1, created, created
		FROM cases) q`

// ListQueue returns alerts and cases, most recently active first.
func (s *Store) ListQueue(ctx context.Context, f store.QueueFilter) (store.Page[store.QueueItem],
	error) {
	var page store.Page[store.QueueItem]
	offset, err := store.DecodeCursor(f.Cursor)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	limit := store.PageLimit(f.Limit)
	var w where
	for _, c := range []struct{ cond, v string }{{"kind = ?", f.Kind}, {"state = ?", f.State},
		{"level = ?", f.Level}, {"rule_id = ?", f.RuleID}, {"assignee = ?", f.Assignee},
		{"tenant = ?", f.Tenant}} {
		if c.v != "" {
			w.add(c.cond, c.v)
		}
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM `+queueUnion+w.String(), w.args...).
		Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT kind, id, title, level, state, assignee, rule_id,
		tenant, n, first_seen, last_seen FROM `+queueUnion+w.String()+
		` ORDER BY last_seen DESC, kind, id DESC LIMIT ? OFFSET ?`,
		append(w.args, limit+1, offset)...)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	defer rows.Close()
	page.Items = []store.QueueItem{}
	for rows.Next() {
		var (
			it          store.QueueItem
			first, last sql.NullString
		)
		err := rows.Scan(&it.Kind, &it.ID, &it.Title, &it.Level, &it.State, &it.Assignee,
			&it.RuleID, &it.Tenant, &it.Count, &first, &last)
		if err != nil {
			return page, fmt.Errorf("list queue: %w", err)
		}
		if len(page.Items) == limit {
			page.Next = store.EncodeCursor(offset + int64(limit))
			break
		}
		err = parseTimePairs("queue item", &it.FirstSeen, first, &it.LastSeen, last)
		if err != nil {
			return page, fmt.Errorf("list queue: %w", err)
		}
		page.Items = append(page.Items, it)
	}
	return page, rows.Err()
}
