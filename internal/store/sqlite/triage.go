package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// inTriage is the SQL list of the states in which an alert still groups.
const inTriage = `('new', 'acknowledged', 'assigned')`

// alertColumns are the columns scanAlert reads, in order.
const alertColumns = `id, rule_id, rule_title, level, tags, event_time, created,
	coalesce(incident_id, 0), group_key, group_fields, match_count,
	coalesce(first_seen, created), coalesce(last_seen, created), state, assignee, state_reason,
	explanation`

// GroupAlert stores a, or folds it into the open alert of its group.
func (s *Store) GroupAlert(ctx context.Context, a *detect.Alert, window time.Duration) (bool, error) {
	var v bool
	err := s.atomically(ctx, func(tx *txn) error {
		var err error
		v, err = tx.GroupAlert(ctx, a, window)
		return err
	})
	return v, err
}

// GroupAlert is Store.GroupAlert in the transaction.
func (tx *txn) GroupAlert(ctx context.Context, a *detect.Alert, window time.Duration) (bool,
	error) {
	if a.Created.IsZero() {
		a.Created = tx.now()
	}
	var (
		id  int64
		err error
	)
	if a.GroupKey != "" && window > 0 {
		err = tx.QueryRowContext(ctx, `SELECT id FROM alerts
			WHERE rule_id = ? AND group_key = ? AND state IN `+inTriage+`
			AND coalesce(last_seen, created) >= ? ORDER BY id DESC LIMIT 1`,
			a.RuleID, a.GroupKey, timeText(a.Created.Add(-window))).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("group alert: %w", err)
		}
	}
	repeat := id != 0
	if repeat {
		err = tx.foldAlert(ctx, id, a)
	} else {
		err = tx.insertGrouped(ctx, a)
	}
	if err != nil {
		return false, fmt.Errorf("group alert: %w", err)
	}
	return repeat, nil
}

// foldAlert links a's events to alert id, counts the repeat and fills a
// from the stored alert (its events aside).
func (tx *txn) foldAlert(ctx context.Context, id int64, a *detect.Alert) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET match_count = match_count + 1,
		last_seen = max(coalesce(last_seen, created), ?) WHERE id = ?`, timeText(a.Created), id)
	if err != nil {
		return err
	}
	for _, eid := range a.EventIDs {
		_, err := tx.ExecContext(ctx, `INSERT INTO alert_events (alert_id, pos, event_id)
			SELECT ?, coalesce(max(pos), -1) + 1, ? FROM alert_events WHERE alert_id = ?`,
			id, eid, id)
		if err != nil {
			return fmt.Errorf("event %d: %w", eid, foreignKey(err, "event"))
		}
	}
	if err := tx.addAlertTenants(ctx, id, a.Tenants); err != nil {
		return err
	}
	stored, err := scanAlert(tx.QueryRowContext(ctx,
		`SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return err
	}
	stored.EventIDs = a.EventIDs
	*a = *stored
	return nil
}

// insertGrouped inserts a new alert with its grouping and triage columns.
func (tx *txn) insertGrouped(ctx context.Context, a *detect.Alert) error {
	tags, err := json.Marshal(nonNil(a.Tags))
	if err != nil {
		return err
	}
	group, err := json.Marshal(groupOf(a))
	if err != nil {
		return err
	}
	explanation, err := store.EncodeExplanation(a.Explanation)
	if err != nil {
		return err
	}
	if a.State == "" {
		a.State = "new"
	}
	a.Count, a.FirstSeen, a.LastSeen = 1, a.Created, a.Created
	var incidentID any
	if a.IncidentID != 0 {
		incidentID = a.IncidentID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO alerts (rule_id, rule_title, level, tags,
		event_time, created, incident_id, group_key, group_fields, match_count, first_seen,
		last_seen, state, assignee, state_reason, explanation)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
		a.RuleID, a.RuleTitle, a.Level, string(tags), timeText(a.EventTime), timeText(a.Created),
		incidentID, a.GroupKey, string(group), timeText(a.Created), timeText(a.Created), a.State,
		a.Assignee, a.StateReason, explanation)
	if err != nil {
		return foreignKey(err, "incident")
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	for i, eid := range a.EventIDs {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO alert_events (alert_id, pos, event_id) VALUES (?, ?, ?)`, a.ID, i, eid)
		if err != nil {
			return fmt.Errorf("event %d: %w", eid, foreignKey(err, "event"))
		}
	}
	if a.IncidentID != 0 {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO incident_alerts (incident_id, alert_id) VALUES (?, ?)`, a.IncidentID, a.ID)
		if err != nil {
			return err
		}
	}
	return tx.addAlertTenants(ctx, a.ID, a.Tenants)
}

// groupOf returns a.Group, never nil.
func groupOf(a *detect.Alert) map[string]string {
	if a.Group == nil {
		return map[string]string{}
	}
	return a.Group
}

// triageRow is a *sql.Row or *sql.Rows.
type triageRow interface {
	Scan(dest ...any) error
}

// scanAlert reads one row of alertColumns.
func scanAlert(row triageRow) (*detect.Alert, error) {
	var (
		a                                   detect.Alert
		tags, group, explanation            string
		eventTime, created, first, lastSeen sql.NullString
	)
	err := row.Scan(&a.ID, &a.RuleID, &a.RuleTitle, &a.Level, &tags, &eventTime, &created,
		&a.IncidentID, &a.GroupKey, &group, &a.Count, &first, &lastSeen, &a.State, &a.Assignee,
		&a.StateReason, &explanation)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &a.Tags); err != nil {
		return nil, fmt.Errorf("alert %d: tags: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(group), &a.Group); err != nil {
		return nil, fmt.Errorf("alert %d: group: %w", a.ID, err)
	}
	if a.Explanation, err = store.DecodeExplanation(explanation); err != nil {
		return nil, fmt.Errorf("alert %d: %w", a.ID, err)
	}
	for _, t := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&a.EventTime, eventTime}, {&a.Created, created}, {&a.FirstSeen, first},
		{&a.LastSeen, lastSeen}} {
		if *t.dst, err = parseTime(t.src); err != nil {
			return nil, fmt.Errorf("alert %d: %w", a.ID, err)
		}
	}
	a.Tags = nonNil(a.Tags)
	a.EventIDs = []int64{}
	a.Events = []json.RawMessage{}
	return &a, nil
}

// GetAlert returns one alert with its events and triage fields.
func (s *Store) GetAlert(ctx context.Context, id int64) (*detect.Alert, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("get alert %d: %w", id, err)
	}
	defer tx.Rollback()
	a, err := scanAlert(tx.QueryRowContext(ctx,
		`SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get alert %d: %w", id, err)
	}
	items := []detect.Alert{*a}
	if err := alertEvents(ctx, tx, items); err != nil {
		return nil, fmt.Errorf("get alert %d: %w", id, err)
	}
	return &items[0], nil
}

// SetAlertTriage moves an alert from one state to another.
func (s *Store) SetAlertTriage(ctx context.Context, id int64, from string,
	c store.AlertTriage) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.SetAlertTriage(ctx, id, from, c) })
}

// SetAlertTriage is Store.SetAlertTriage in the transaction.
func (tx *txn) SetAlertTriage(ctx context.Context, id int64, from string,
	c store.AlertTriage) error {
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET state = ?, assignee = ?,
		state_reason = ? WHERE id = ? AND state = ?`, c.State, c.Assignee, c.Reason, id, from)
	if err != nil {
		return fmt.Errorf("set alert %d triage: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if err := rowExists(ctx, tx.Tx, "alerts", id); err != nil {
		return fmt.Errorf("set alert %d triage: alert: %w", id, err)
	}
	return fmt.Errorf("set alert %d triage: no longer %s: %w", id, from, store.ErrConflict)
}

// LinkAlerts links alerts to an incident.
func (s *Store) LinkAlerts(ctx context.Context, incidentID int64, alertIDs []int64) error {
	return s.atomically(ctx, func(tx *txn) error {
		return tx.LinkAlerts(ctx, incidentID, alertIDs)
	})
}

// LinkAlerts is Store.LinkAlerts in the transaction.
func (tx *txn) LinkAlerts(ctx context.Context, incidentID int64, alertIDs []int64) error {
	if err := rowExists(ctx, tx.Tx, "incidents", incidentID); err != nil {
		return fmt.Errorf("link alerts: incident %d: %w", incidentID, err)
	}
	for _, id := range alertIDs {
		if err := rowExists(ctx, tx.Tx, "alerts", id); err != nil {
			return fmt.Errorf("link alerts: alert %d: %w", id, err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_alerts (incident_id, alert_id)
			VALUES (?, ?) ON CONFLICT DO NOTHING`, incidentID, id)
		if err != nil {
			return fmt.Errorf("link alerts: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE alerts SET incident_id = ?
			WHERE id = ? AND incident_id IS NULL`, incidentID, id)
		if err != nil {
			return fmt.Errorf("link alerts: %w", err)
		}
	}
	return refreshFirstEvent(ctx, tx.Tx, incidentID)
}

// exists gives store.ErrNotFound when table has no row with id.
func rowExists(ctx context.Context, tx *sql.Tx, table string, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// UnlinkAlert removes the link between an incident and an alert.
func (s *Store) UnlinkAlert(ctx context.Context, incidentID, alertID int64) error {
	return s.atomically(ctx, func(tx *txn) error {
		return tx.UnlinkAlert(ctx, incidentID, alertID)
	})
}

// UnlinkAlert is Store.UnlinkAlert in the transaction.
func (tx *txn) UnlinkAlert(ctx context.Context, incidentID, alertID int64) error {
	res, err := tx.ExecContext(ctx,
		`DELETE FROM incident_alerts WHERE incident_id = ? AND alert_id = ?`, incidentID, alertID)
	if err != nil {
		return fmt.Errorf("unlink alert: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("unlink alert: no link: %w", errors.Join(err, store.ErrNotFound))
	}
	_, err = tx.ExecContext(ctx, `UPDATE alerts SET incident_id =
		(SELECT min(incident_id) FROM incident_alerts WHERE alert_id = ?)
		WHERE id = ? AND incident_id = ?`, alertID, alertID, incidentID)
	if err != nil {
		return fmt.Errorf("unlink alert: %w", err)
	}
	return refreshFirstEvent(ctx, tx.Tx, incidentID)
}

// AlertIncidents returns the incidents an alert is linked to.
func (s *Store) AlertIncidents(ctx context.Context, alertID int64) ([]int64, error) {
	return alertIncidents(ctx, s.r, alertID)
}

// AlertIncidents is Store.AlertIncidents in the transaction: it sees the
// transaction's links.
func (tx *txn) AlertIncidents(ctx context.Context, alertID int64) ([]int64, error) {
	return alertIncidents(ctx, tx.Tx, alertID)
}

// alertIncidents reads the incidents an alert is linked to from db, a
// *sql.DB or a *sql.Tx.
func alertIncidents(ctx context.Context, db rowsQuerier, alertID int64) ([]int64, error) {
	rows, err := db.QueryContext(ctx, `SELECT incident_id FROM incident_alerts
		WHERE alert_id = ? ORDER BY incident_id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("alert incidents: %w", err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("alert incidents: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
