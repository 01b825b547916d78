package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// InsertAlert is Store.InsertAlert in the transaction.
func (tx *txn) InsertAlert(ctx context.Context, a *detect.Alert) error {
	if a.Created.IsZero() {
		a.Created = tx.now()
	}
	tags, err := json.Marshal(nonNil(a.Tags))
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	explanation, err := explanationArg(a.Explanation)
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	var incidentID any
	if a.IncidentID != 0 {
		incidentID = a.IncidentID
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO alerts
		(rule_id, rule_title, level, tags, event_time, created, incident_id, explanation)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.RuleID, a.RuleTitle, a.Level, json.RawMessage(tags), timeArg(a.EventTime),
		timeArg(a.Created), incidentID, explanation).Scan(&id)
	if err != nil {
		return fmt.Errorf("insert alert: %w", foreignKey(err, "incident"))
	}
	if len(a.EventIDs) > 0 {
		_, err = tx.Exec(ctx, `INSERT INTO alert_events (alert_id, pos, event_id)
			SELECT $1, e.pos - 1, e.id FROM unnest($2::bigint[]) WITH ORDINALITY AS e (id, pos)`,
			id, a.EventIDs)
		if err != nil {
			return fmt.Errorf("insert alert: %w", foreignKey(err, "event"))
		}
	}
	if a.IncidentID != 0 {
		_, err := tx.Exec(ctx,
			`INSERT INTO incident_alerts (incident_id, alert_id) VALUES ($1, $2)`, a.IncidentID, id)
		if err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
	}
	if err := addAlertTenants(ctx, tx, id, a.Tenants); err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	a.ID = id
	return nil
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
		w.add("rule_id = $%d", f.RuleID)
	}
	if f.Level != "" {
		w.add("level = $%d", f.Level)
	}
	if f.IncidentID != 0 {
		w.add("incident_id = $%d", f.IncidentID)
	}
	if !f.Since.IsZero() {
		w.add("created >= $%d", timeArg(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("created < $%d", timeArg(f.Until))
	}

	// One snapshot, so that Total and the page see the same rows.
	tx, err := s.readOnly(ctx)
	if err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	defer tx.Rollback(ctx)

	err = tx.QueryRow(ctx, `SELECT count(*) FROM alerts`+w.String(), w.args...).Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	if after != 0 {
		w.add("id < $%d", after)
	}
	rows, err := tx.Query(ctx, `SELECT id, rule_id, rule_title, level, tags, event_time, created,
		coalesce(incident_id, 0), coalesce(explanation::text, '') FROM alerts`+w.String()+
		` ORDER BY id DESC LIMIT `+w.next(),
		append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list alerts: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanAlert)
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
	page.Items = nonNil(items)
	return page, nil
}

// scanAlert reads one alert row.
func scanAlert(row pgx.CollectableRow) (detect.Alert, error) {
	var (
		a                  detect.Alert
		tags               []byte
		explanation        string
		eventTime, created *time.Time
	)
	err := row.Scan(&a.ID, &a.RuleID, &a.RuleTitle, &a.Level, &tags, &eventTime, &created,
		&a.IncidentID, &explanation)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(tags, &a.Tags); err != nil {
		return a, fmt.Errorf("alert %d: tags: %w", a.ID, err)
	}
	if a.Explanation, err = store.DecodeExplanation(explanation); err != nil {
		return a, fmt.Errorf("alert %d: %w", a.ID, err)
	}
	a.Tags = nonNil(a.Tags)
	a.EventTime, a.Created = timeOf(eventTime), timeOf(created)
	a.EventIDs = []int64{}
	a.Events = []json.RawMessage{}
	return a, nil
}

// explanationArg is an alert's explanation as a jsonb argument: NULL for
// none.
func explanationArg(x *detect.Explanation) (any, error) {
	s, err := store.EncodeExplanation(x)
	if err != nil || s == "" {
		return nil, err
	}
	return json.RawMessage(s), nil
}

// addAlertTenants links tenants to alert id; links that exist are kept.
func addAlertTenants(ctx context.Context, tx pgx.Tx, id int64, tenants []string) error {
	if len(tenants) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO alert_tenants (alert_id, tenant)
		SELECT $1, t FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING`, id, tenants)
	return err
}

// alertEvents fills EventIDs and Events of items, in link order, and
// Tenants.
func alertEvents(ctx context.Context, tx pgx.Tx, items []detect.Alert) error {
	if len(items) == 0 {
		return nil
	}
	index := make(map[int64]*detect.Alert, len(items))
	ids := make([]int64, len(items))
	for i := range items {
		index[items[i].ID] = &items[i]
		ids[i] = items[i].ID
	}
	rows, err := tx.Query(ctx, `SELECT ae.alert_id, ae.event_id, e.fields
		FROM alert_events ae JOIN events e ON e.id = ae.event_id
		WHERE ae.alert_id = ANY($1) ORDER BY ae.alert_id, ae.pos`, ids)
	if err != nil {
		return err
	}
	var alertID, eventID int64
	var fields []byte
	_, err = pgx.ForEachRow(rows, []any{&alertID, &eventID, &fields}, func() error {
		a := index[alertID]
		a.EventIDs = append(a.EventIDs, eventID)
		a.Events = append(a.Events, json.RawMessage(fields))
		return nil
	})
	if err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT alert_id, tenant FROM alert_tenants
		WHERE alert_id = ANY($1) ORDER BY alert_id, tenant`, ids)
	if err != nil {
		return err
	}
	var tenant string
	_, err = pgx.ForEachRow(rows, []any{&alertID, &tenant}, func() error {
		index[alertID].Tenants = append(index[alertID].Tenants, tenant)
		return nil
	})
	return err
}

// nonNil returns s, or an empty slice for nil, so that JSON shows [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
