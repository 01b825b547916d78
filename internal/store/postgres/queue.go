package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store"
)

// queueUnion is the triage queue: alerts and cases as one relation.
const queueUnion = `(SELECT 'alert'::text AS kind, id, rule_title AS title, level, state,
		assignee, rule_id, ''::text AS tenant, match_count AS n,
		coalesce(first_seen, created) AS first_seen, coalesce(last_seen, created) AS last_seen
		FROM alerts
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
	for _, c := range []struct{ cond, v string }{{"kind = $%d", f.Kind},
		{"state = $%d", f.State}, {"level = $%d", f.Level}, {"rule_id = $%d", f.RuleID},
		{"assignee = $%d", f.Assignee}, {"tenant = $%d", f.Tenant}} {
		if c.v != "" {
			w.add(c.cond, c.v)
		}
	}
	tx, err := s.readOnly(ctx)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	defer tx.Rollback(ctx)
	err = tx.QueryRow(ctx, `SELECT count(*) FROM `+queueUnion+w.String(), w.args...).
		Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	limitArg := w.next()
	w.args = append(w.args, limit+1)
	rows, err := tx.Query(ctx, `SELECT kind, id, title, level, state, assignee, rule_id, tenant,
		n, first_seen, last_seen FROM `+queueUnion+w.String()+
		` ORDER BY last_seen DESC, kind, id DESC LIMIT `+limitArg+` OFFSET `+w.next(),
		append(w.args, offset)...)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.QueueItem, error) {
		var (
			it          store.QueueItem
			first, last *time.Time
		)
		err := row.Scan(&it.Kind, &it.ID, &it.Title, &it.Level, &it.State, &it.Assignee,
			&it.RuleID, &it.Tenant, &it.Count, &first, &last)
		it.FirstSeen, it.LastSeen = timeOf(first), timeOf(last)
		return it, err
	})
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(offset + int64(limit))
	}
	page.Items = nonNil(items)
	return page, nil
}
