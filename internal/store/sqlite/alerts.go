package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// InsertAlert stores an alert and its event links, setting a.ID, and
// a.Created to the store's clock when it is zero. A non-zero a.IncidentID
// links the alert to that incident. An unknown event or incident gives
// store.ErrNotFound.
func (s *Store) InsertAlert(ctx context.Context, a *detect.Alert) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.InsertAlert(ctx, a) })
}

// InsertAlert stores an alert in the transaction (see Store.InsertAlert).
func (tx *txn) InsertAlert(ctx context.Context, a *detect.Alert) error {
	if a.Created.IsZero() {
		a.Created = tx.now()
	}
	tags, err := json.Marshal(nonNil(a.Tags))
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	explanation, err := store.EncodeExplanation(a.Explanation)
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}

	var incidentID any
	if a.IncidentID != 0 {
		incidentID = a.IncidentID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO alerts
		(rule_id, rule_title, level, tags, event_time, created, incident_id, explanation)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.RuleID, a.RuleTitle, a.Level, string(tags), timeText(a.EventTime), timeText(a.Created),
		incidentID, explanation)
	if err != nil {
		return fmt.Errorf("insert alert: %w", foreignKey(err, "incident"))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	for i, eid := range a.EventIDs {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO alert_events (alert_id, pos, event_id) VALUES (?, ?, ?)`, id, i, eid)
		if err != nil {
			return fmt.Errorf("insert alert: event %d: %w", eid, foreignKey(err, "event"))
		}
	}
	if a.IncidentID != 0 {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO incident_alerts (incident_id, alert_id) VALUES (?, ?)`, a.IncidentID, id)
		if err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
	}
	if err := tx.addAlertTenants(ctx, id, a.Tenants); err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	a.ID = id
	return nil
}

// addAlertTenants links tenants to alert id; links that exist are kept.
func (tx *txn) addAlertTenants(ctx context.Context, id int64, tenants []string) error {
	for _, t := range tenants {
		_, err := tx.ExecContext(ctx,
			`INSERT OR IGNORE INTO alert_tenants (alert_id, tenant) VALUES (?, ?)`, id, t)
		if err != nil {
			return err
		}
	}
	return nil
}

// foreignKey turns a violated foreign key into store.ErrNotFound.
func foreignKey(err error, what string) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("unknown %s: %w", what, store.ErrNotFound)
	}
	return err
}

// ListAlerts returns the alerts that match f, newest first, with their
// events and incident.
func (s *Store) ListAlerts(ctx context.Context, f store.AlertFilter) (store.Page[detect.Alert], error) {
	var page store.Page[detect.Alert]
	after, err := store.DecodeCursor(f.Cursor)
	if err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	limit := store.PageLimit(f.Limit)
	var w where
	if f.RuleID != "" {
		w.add("rule_id = ?", f.RuleID)
	}
	if f.Level != "" {
		w.add("level = ?", f.Level)
	}
	if f.IncidentID != 0 {
		w.add("incident_id = ?", f.IncidentID)
	}
	if !f.Since.IsZero() {
		w.add("created >= ?", timeText(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("created < ?", timeText(f.Until))
	}

	// One read transaction, so that Total and the page see the same rows.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	defer tx.Rollback()

	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM alerts`+w.String(), w.args...).
		Scan(&page.Total); err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	if after != 0 {
		w.add("id < ?", after)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, rule_id, rule_title, level, tags, event_time,
		created, coalesce(incident_id, 0), explanation FROM alerts`+w.String()+
		` ORDER BY id DESC LIMIT ?`,
		append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	items, err := scanAlerts(rows)
	if err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(items[limit-1].ID)
	}
	if err := alertEvents(ctx, tx, items); err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	page.Items = items
	return page, nil
}

// scanAlerts reads alert rows and closes them.
func scanAlerts(rows *sql.Rows) ([]detect.Alert, error) {
	defer rows.Close()
	items := []detect.Alert{}
	for rows.Next() {
		var (
			a                  detect.Alert
			tags, explanation  string
			eventTime, created sql.NullString
			err                error
		)
		err = rows.Scan(&a.ID, &a.RuleID, &a.RuleTitle, &a.Level, &tags, &eventTime, &created,
			&a.IncidentID, &explanation)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(tags), &a.Tags); err != nil {
			return nil, fmt.Errorf("alert %d: tags: %w", a.ID, err)
		}
		if a.EventTime, err = parseTime(eventTime); err != nil {
			return nil, fmt.Errorf("alert %d: %w", a.ID, err)
		}
		if a.Created, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("alert %d: %w", a.ID, err)
		}
		if a.Explanation, err = store.DecodeExplanation(explanation); err != nil {
			return nil, fmt.Errorf("alert %d: %w", a.ID, err)
		}
		a.Tags = nonNil(a.Tags)
		a.EventIDs = []int64{}
		a.Events = []json.RawMessage{}
		items = append(items, a)
	}
	return items, rows.Err()
}

// alertEvents fills EventIDs and Events of items, in link order, and
// Tenants.
func alertEvents(ctx context.Context, tx *sql.Tx, items []detect.Alert) error {
	if len(items) == 0 {
		return nil
	}
	index := make(map[int64]*detect.Alert, len(items))
	ids := make([]int64, len(items))
	for i := range items {
		index[items[i].ID] = &items[i]
		ids[i] = items[i].ID
	}
	rows, err := tx.QueryContext(ctx, `SELECT ae.alert_id, ae.event_id, e.fields
		FROM alert_events ae JOIN events e ON e.id = ae.event_id
		WHERE ae.alert_id IN (`+placeholders(len(ids))+`)
		ORDER BY ae.alert_id, ae.pos`, int64Args(ids)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			alertID, eventID int64
			fields           string
		)
		if err := rows.Scan(&alertID, &eventID, &fields); err != nil {
			return err
		}
		a := index[alertID]
		a.EventIDs = append(a.EventIDs, eventID)
		a.Events = append(a.Events, json.RawMessage(fields))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	trows, err := tx.QueryContext(ctx, `SELECT alert_id, tenant FROM alert_tenants
		WHERE alert_id IN (`+placeholders(len(ids))+`) ORDER BY alert_id, tenant`,
		int64Args(ids)...)
	if err != nil {
		return err
	}
	defer trows.Close()
	for trows.Next() {
		var (
			alertID int64
			tenant  string
		)
		if err := trows.Scan(&alertID, &tenant); err != nil {
			return err
		}
		index[alertID].Tenants = append(index[alertID].Tenants, tenant)
	}
	return trows.Err()
}

// nonNil returns s, or an empty slice for nil, so that JSON shows [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
