package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// triageColumns are the columns scanTriageAlert reads, in order.
const triageColumns = `id, rule_id, rule_title, level, tags, event_time, created,
	coalesce(incident_id, 0), group_key, group_fields, match_count,
	coalesce(first_seen, created), coalesce(last_seen, created), state, assignee, state_reason,
	coalesce(explanation::text, '')`

// GroupAlert stores a, or folds it into the open alert of its group. An
// advisory lock on the group serializes concurrent detectors.
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
		_, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			a.RuleID+"\x1f"+a.GroupKey)
		if err != nil {
			return false, fmt.Errorf("group alert: %w", err)
		}
		err = tx.QueryRow(ctx, `SELECT id FROM alerts
			WHERE rule_id = $1 AND group_key = $2 AND state IN ('new', 'acknowledged', 'assigned')
			AND coalesce(last_seen, created) >= $3 ORDER BY id DESC LIMIT 1`,
			a.RuleID, a.GroupKey, timeArg(a.Created.Add(-window))).Scan(&id)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("group alert: %w", err)
		}
	}
	repeat := id != 0
	if repeat {
		err = foldGrouped(ctx, tx, id, a)
	} else {
		err = insertGrouped(ctx, tx, a)
	}
	if err != nil {
		return false, fmt.Errorf("group alert: %w", err)
	}
	return repeat, nil
}

// foldGrouped links a's events to alert id, counts the repeat and fills a
// from the stored alert (its events aside).
func foldGrouped(ctx context.Context, tx pgx.Tx, id int64, a *detect.Alert) error {
	_, err := tx.Exec(ctx, `UPDATE alerts SET match_count = match_count + 1,
		last_seen = greatest(coalesce(last_seen, created), $1) WHERE id = $2`,
		timeArg(a.Created), id)
	if err != nil {
		return err
	}
	if len(a.EventIDs) > 0 {
		_, err = tx.Exec(ctx, `INSERT INTO alert_events (alert_id, pos, event_id)
			SELECT $1, (SELECT coalesce(max(pos), -1) FROM alert_events WHERE alert_id = $1)
				+ e.pos, e.id
			FROM unnest($2::bigint[]) WITH ORDINALITY AS e (id, pos)`, id, a.EventIDs)
		if err != nil {
			return foreignKey(err, "event")
		}
	}
	if err := addAlertTenants(ctx, tx, id, a.Tenants); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT `+triageColumns+` FROM alerts WHERE id = $1`, id)
	if err != nil {
		return err
	}
	stored, err := pgx.CollectExactlyOneRow(rows, scanTriageAlert)
	if err != nil {
		return err
	}
	stored.EventIDs = a.EventIDs
	*a = stored
	return nil
}

// insertGrouped inserts a new alert with its grouping and triage columns.
func insertGrouped(ctx context.Context, tx pgx.Tx, a *detect.Alert) error {
	tags, err := json.Marshal(nonNil(a.Tags))
	if err != nil {
		return err
	}
	group := a.Group
	if group == nil {
		group = map[string]string{}
	}
	groupJSON, err := json.Marshal(group)
	if err != nil {
		return err
	}
	explanation, err := explanationArg(a.Explanation)
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
	err = tx.QueryRow(ctx, `INSERT INTO alerts (rule_id, rule_title, level, tags, event_time,
		created, incident_id, group_key, group_fields, match_count, first_seen, last_seen, state,
		assignee, state_reason, explanation)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $6, $6, $10, $11, $12, $13) RETURNING id`,
		a.RuleID, a.RuleTitle, a.Level, json.RawMessage(tags), timeArg(a.EventTime),
		timeArg(a.Created), incidentID, a.GroupKey, json.RawMessage(groupJSON), a.State,
		a.Assignee, a.StateReason, explanation).Scan(&a.ID)
	if err != nil {
		return foreignKey(err, "incident")
	}
	if len(a.EventIDs) > 0 {
		_, err = tx.Exec(ctx, `INSERT INTO alert_events (alert_id, pos, event_id)
			SELECT $1, e.pos - 1, e.id FROM unnest($2::bigint[]) WITH ORDINALITY AS e (id, pos)`,
			a.ID, a.EventIDs)
		if err != nil {
			return foreignKey(err, "event")
		}
	}
	if a.IncidentID != 0 {
		_, err := tx.Exec(ctx, `INSERT INTO incident_alerts (incident_id, alert_id)
			VALUES ($1, $2)`, a.IncidentID, a.ID)
		if err != nil {
			return err
		}
	}
	return addAlertTenants(ctx, tx, a.ID, a.Tenants)
}

// scanTriageAlert reads one row of triageColumns.
func scanTriageAlert(row pgx.CollectableRow) (detect.Alert, error) {
	var (
		a                                   detect.Alert
		tags, group                         []byte
		explanation                         string
		eventTime, created, first, lastSeen *time.Time
	)
	err := row.Scan(&a.ID, &a.RuleID, &a.RuleTitle, &a.Level, &tags, &eventTime, &created,
		&a.IncidentID, &a.GroupKey, &group, &a.Count, &first, &lastSeen, &a.State, &a.Assignee,
		&a.StateReason, &explanation)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(tags, &a.Tags); err != nil {
		return a, fmt.Errorf("alert %d: tags: %w", a.ID, err)
	}
	if err := json.Unmarshal(group, &a.Group); err != nil {
		return a, fmt.Errorf("alert %d: group: %w", a.ID, err)
	}
	if a.Explanation, err = store.DecodeExplanation(explanation); err != nil {
		return a, fmt.Errorf("alert %d: %w", a.ID, err)
	}
	a.Tags = nonNil(a.Tags)
	a.EventTime, a.Created = timeOf(eventTime), timeOf(created)
	a.FirstSeen, a.LastSeen = timeOf(first), timeOf(lastSeen)
	a.EventIDs = []int64{}
	a.Events = []json.RawMessage{}
	return a, nil
}

// GetAlert returns one alert with its events and triage fields.
func (s *Store) GetAlert(ctx context.Context, id int64) (*detect.Alert, error) {
	tx, err := s.readOnly(ctx)
	if err != nil {
		return nil, fmt.Errorf("get alert %d: %w", id, err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT `+triageColumns+` FROM alerts WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get alert %d: %w", id, err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanTriageAlert)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get alert %d: %w", id, err)
	}
	items := []detect.Alert{a}
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
	tag, err := tx.Exec(ctx, `UPDATE alerts SET state = $1, assignee = $2,
		state_reason = $3 WHERE id = $4 AND state = $5`, c.State, c.Assignee, c.Reason, id, from)
	if err != nil {
		return fmt.Errorf("set alert %d triage: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if err := rowExistsPG(ctx, tx, "alerts", id); err != nil {
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
	if err := rowExistsPG(ctx, tx, "incidents", incidentID); err != nil {
		return fmt.Errorf("link alerts: incident %d: %w", incidentID, err)
	}
	for _, id := range alertIDs {
		if err := rowExistsPG(ctx, tx, "alerts", id); err != nil {
			return fmt.Errorf("link alerts: alert %d: %w", id, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO incident_alerts (incident_id, alert_id)
			VALUES ($1, $2) ON CONFLICT DO NOTHING`, incidentID, id)
		if err != nil {
			return fmt.Errorf("link alerts: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE alerts SET incident_id = $1
			WHERE id = $2 AND incident_id IS NULL`, incidentID, id)
		if err != nil {
			return fmt.Errorf("link alerts: %w", err)
		}
	}
	return refreshFirstEvent(ctx, tx, incidentID)
}

// rowExistsPG gives store.ErrNotFound when table has no row with id.
func rowExistsPG(ctx context.Context, tx pgx.Tx, table string, id int64) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
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
	tag, err := tx.Exec(ctx,
		`DELETE FROM incident_alerts WHERE incident_id = $1 AND alert_id = $2`, incidentID, alertID)
	if err := changedOne(tag, err, "unlink alert"); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE alerts SET incident_id =
		(SELECT min(incident_id) FROM incident_alerts WHERE alert_id = $1)
		WHERE id = $1 AND incident_id = $2`, alertID, incidentID)
	if err != nil {
		return fmt.Errorf("unlink alert: %w", err)
	}
	return refreshFirstEvent(ctx, tx, incidentID)
}

// AlertIncidents returns the incidents an alert is linked to.
func (s *Store) AlertIncidents(ctx context.Context, alertID int64) ([]int64, error) {
	return alertIncidents(ctx, s.pool, alertID)
}

// AlertIncidents is Store.AlertIncidents in the transaction: it sees the
// transaction's links.
func (tx *txn) AlertIncidents(ctx context.Context, alertID int64) ([]int64, error) {
	return alertIncidents(ctx, tx, alertID)
}

// alertIncidents reads the incidents an alert is linked to from db.
func alertIncidents(ctx context.Context, db rowQuerier, alertID int64) ([]int64, error) {
	rows, err := db.Query(ctx, `SELECT incident_id FROM incident_alerts
		WHERE alert_id = $1 ORDER BY incident_id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("alert incidents: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("alert incidents: %w", err)
	}
	return nonNil(ids), nil
}
