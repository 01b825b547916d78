package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store"
)

// queueSide is one table of the triage queue: its columns as a queue item, the
// key it sorts by (served by an index of migration 0009) and its filters as
// conditions with one %d for the argument's number and their values.
type queueSide struct {
	table, cols, sort string
	conds, vals       []string
}

// filter adds a condition and its value.
func (q *queueSide) filter(cond, v string) {
	q.conds, q.vals = append(q.conds, cond), append(q.vals, v)
}

// where returns the side's WHERE clause, numbering its arguments after those
// already in args, to which it appends them.
func (q *queueSide) where(args *[]any) string {
	var w where
	w.args = *args
	for i, c := range q.conds {
		w.add(c, q.vals[i])
	}
	*args = w.args
	return w.String()
}

// queueSides returns the sides of the queue the filter can match, each with
// its part of the filter. A filter on a column a side lacks (a case has no
// rule, an alert no tenant) or on another kind leaves that side out.
func queueSides(f store.QueueFilter) []*queueSide {
	alerts := &queueSide{table: "alerts", cols: `'alert'::text AS kind, id, rule_title AS title,
		level, state, assignee, rule_id, ''::text AS tenant, match_count AS n,
		coalesce(first_seen, created) AS first_seen, coalesce(last_seen, created) AS last_seen`,
		sort: "coalesce(last_seen, created) DESC, id DESC"}
	cases := &queueSide{table: "cases", cols: `'case'::text AS kind, id, title, level, state,
		assignee, ''::text AS rule_id, tenant, 1::bigint AS n, created AS first_seen,
		created AS last_seen`, sort: "created DESC, id DESC"}
	sides := []*queueSide{alerts, cases}
	if f.Kind != "" {
		sides = nil
		switch f.Kind {
		case "alert":
			sides = []*queueSide{alerts}
		case "case":
			sides = []*queueSide{cases}
		}
	}
	if f.RuleID != "" {
		alerts.filter("rule_id = $%d", f.RuleID)
		sides = without(sides, cases)
	}
	if f.Tenant != "" {
		cases.filter("tenant = $%d", f.Tenant)
		sides = without(sides, alerts)
	}
	for _, c := range []struct{ cond, v string }{{"state = $%d", f.State},
		{"level = $%d", f.Level}, {"assignee = $%d", f.Assignee}} {
		if c.v != "" {
			alerts.filter(c.cond, c.v)
			cases.filter(c.cond, c.v)
		}
	}
	return sides
}

// without returns sides less drop.
func without(sides []*queueSide, drop *queueSide) []*queueSide {
	var out []*queueSide
	for _, s := range sides {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// queueSelect returns the query of one page of the queue and its arguments:
// each side's first offset+limit+1 rows, merged, sorted and paged.
func queueSelect(sides []*queueSide, offset int64, limit int) (string, []any) {
	var (
		parts []string
		args  []any
	)
	for _, side := range sides {
		w := side.where(&args)
		args = append(args, offset+int64(limit)+1)
		parts = append(parts, `(SELECT `+side.cols+` FROM `+side.table+w+` ORDER BY `+
			side.sort+fmt.Sprintf(` LIMIT $%d)`, len(args)))
	}
	args = append(args, limit+1, offset)
	return `SELECT kind, id, title, level, state, assignee, rule_id, tenant, n, first_seen,
		last_seen FROM (` + strings.Join(parts, " UNION ALL ") + fmt.Sprintf(
		`) q ORDER BY last_seen DESC, kind, id DESC LIMIT $%d OFFSET $%d`,
		len(args)-1, len(args)), args
}

// ListQueue returns alerts and cases, most recently active first. Each side
// reads its first offset+limit+1 rows in index order; the union of those few
// rows is sorted and paged, and the total counts each table apart.
func (s *Store) ListQueue(ctx context.Context, f store.QueueFilter) (store.Page[store.QueueItem],
	error) {
	page := store.Page[store.QueueItem]{Items: []store.QueueItem{}}
	offset, err := store.DecodeCursor(f.Cursor)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	limit := store.PageLimit(f.Limit)
	sides := queueSides(f)
	if len(sides) == 0 {
		return page, nil
	}
	tx, err := s.readOnly(ctx)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	defer tx.Rollback(ctx)
	for _, side := range sides {
		var (
			n    int64
			args []any
		)
		err := tx.QueryRow(ctx, `SELECT count(*) FROM `+side.table+side.where(&args),
			args...).Scan(&n)
		if err != nil {
			return page, fmt.Errorf("list queue: %w", err)
		}
		page.Total += n
	}
	query, args := queueSelect(sides, offset, limit)
	rows, err := tx.Query(ctx, query, args...)
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
