package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// queueSide is one table of the triage queue: its columns as a queue item, the
// key it sorts by (served by an index of migration 0009) and its filters.
type queueSide struct {
	table, cols, sort string
	w                 where
}

// queueSides returns the sides of the queue the filter can match, each with
// its part of the filter. A filter on a column a side lacks (a case has no
// rule, an alert no tenant) or on another kind leaves that side out.
func queueSides(f store.QueueFilter) []*queueSide {
	alerts := &queueSide{table: "alerts", cols: `'alert' AS kind, id, rule_title AS title,
		level, state, assignee, rule_id, '' AS tenant, match_count AS n,
		coalesce(first_seen, created) AS first_seen, coalesce(last_seen, created) AS last_seen`,
		sort: "coalesce(last_seen, created) DESC, id DESC"}
	cases := &queueSide{table: "cases", cols: `'case' AS kind, id, title, level, state,
		assignee, '' AS rule_id, tenant, 1 AS n, created AS first_seen, created AS last_seen`,
		sort: "created DESC, id DESC"}
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
		alerts.w.add("rule_id = ?", f.RuleID)
		sides = without(sides, cases)
	}
	if f.Tenant != "" {
		cases.w.add("tenant = ?", f.Tenant)
		sides = without(sides, alerts)
	}
	for _, c := range []struct{ cond, v string }{{"state = ?", f.State},
		{"level = ?", f.Level}, {"assignee = ?", f.Assignee}} {
		if c.v != "" {
			alerts.w.add(c.cond, c.v)
			cases.w.add(c.cond, c.v)
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
		parts = append(parts, `SELECT * FROM (SELECT `+side.cols+` FROM `+side.table+
			side.w.String()+` ORDER BY `+side.sort+` LIMIT ?)`)
		args = append(append(args, side.w.args...), offset+int64(limit)+1)
	}
	return `SELECT kind, id, title, level, state, assignee, rule_id, tenant, n, first_seen,
		last_seen FROM (` + strings.Join(parts, " UNION ALL ") +
		`) ORDER BY last_seen DESC, kind, id DESC LIMIT ? OFFSET ?`, append(args, limit+1, offset)
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
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	defer tx.Rollback()
	for _, side := range sides {
		var n int64
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+side.table+side.w.String(),
			side.w.args...).Scan(&n)
		if err != nil {
			return page, fmt.Errorf("list queue: %w", err)
		}
		page.Total += n
	}
	query, args := queueSelect(sides, offset, limit)
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("list queue: %w", err)
	}
	defer rows.Close()
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
