package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// CreateIncident stores an incident and links its alerts, in one
// transaction. It assigns ID and Number; a zero Opened becomes the store's
// clock and a zero Updated becomes Opened. An unknown alert gives
// store.ErrNotFound and stores nothing (the number is not used up).
func (s *Store) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateIncident(ctx, inc) })
}

// CreateIncident stores an incident in the transaction (see
// Store.CreateIncident).
func (tx *txn) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	if inc.Opened.IsZero() {
		inc.Opened = tx.now()
	}
	if inc.Updated.IsZero() {
		inc.Updated = inc.Opened
	}
	alertIDs := slices.Clone(inc.AlertIDs)
	slices.Sort(alertIDs)
	alertIDs = slices.Compact(alertIDs)

	year := inc.Opened.UTC().Year()
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO incident_numbers (year, last) VALUES (?, 1)
		ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last`, year).Scan(&n)
	if err != nil {
		return fmt.Errorf("create incident: number: %w", err)
	}
	number := store.IncidentNumber(year, n)
	res, err := tx.ExecContext(ctx, `INSERT INTO incidents
		(number, title, severity, status, phase, opened, updated) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		number, inc.Title, inc.Severity, inc.Status, inc.Phase, timeText(inc.Opened),
		timeText(inc.Updated))
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	for _, aid := range alertIDs {
		res, err := tx.ExecContext(ctx, `UPDATE alerts SET incident_id = ? WHERE id = ?`, id, aid)
		if err != nil {
			return fmt.Errorf("create incident: link alert %d: %w", aid, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("create incident: link alert %d: %w", aid,
				errors.Join(store.ErrNotFound, err))
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO incident_alerts (incident_id, alert_id) VALUES (?, ?)`, id, aid)
		if err != nil {
			return fmt.Errorf("create incident: link alert %d: %w", aid, err)
		}
	}
	inc.ID, inc.Number, inc.AlertIDs = id, number, alertIDs
	return writeFacts(ctx, tx.Tx, store.NewIncidentFact(inc))
}

const incidentColumns = `id, number, title, severity, status, phase, opened, updated`

// GetIncident returns one incident with its alert IDs, or store.ErrNotFound.
func (s *Store) GetIncident(ctx context.Context, id int64) (*incident.Incident, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("get incident %d: %w", id, err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("get incident %d: %w", id, err)
	}
	items, err := scanIncidents(rows)
	if err != nil {
		return nil, fmt.Errorf("get incident %d: %w", id, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("get incident %d: %w", id, store.ErrNotFound)
	}
	if err := incidentAlerts(ctx, tx, items); err != nil {
		return nil, fmt.Errorf("get incident %d: %w", id, err)
	}
	return &items[0], nil
}

// ListIncidents returns the incidents that match f, newest first, with
// their alert IDs.
func (s *Store) ListIncidents(ctx context.Context, f store.IncidentFilter) (store.Page[incident.Incident], error) {
	var page store.Page[incident.Incident]
	after, err := store.DecodeCursor(f.Cursor)
	if err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	limit := store.PageLimit(f.Limit)
	var w where
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Severity != "" {
		w.add("severity = ?", f.Severity)
	}
	if !f.Since.IsZero() {
		w.add("opened >= ?", timeText(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("opened < ?", timeText(f.Until))
	}

	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	defer tx.Rollback()

	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM incidents`+w.String(), w.args...).
		Scan(&page.Total); err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	if after != 0 {
		w.add("id < ?", after)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents`+w.String()+
		` ORDER BY id DESC LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	items, err := scanIncidents(rows)
	if err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(items[limit-1].ID)
	}
	if err := incidentAlerts(ctx, tx, items); err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	page.Items = items
	return page, nil
}

// scanIncidents reads incident rows and closes them.
func scanIncidents(rows *sql.Rows) ([]incident.Incident, error) {
	defer rows.Close()
	items := []incident.Incident{}
	for rows.Next() {
		var (
			inc             incident.Incident
			opened, updated sql.NullString
			err             error
		)
		err = rows.Scan(&inc.ID, &inc.Number, &inc.Title, &inc.Severity, &inc.Status, &inc.Phase,
			&opened, &updated)
		if err != nil {
			return nil, err
		}
		if inc.Opened, err = parseTime(opened); err != nil {
			return nil, fmt.Errorf("incident %d: %w", inc.ID, err)
		}
		if inc.Updated, err = parseTime(updated); err != nil {
			return nil, fmt.Errorf("incident %d: %w", inc.ID, err)
		}
		inc.AlertIDs = []int64{}
		items = append(items, inc)
	}
	return items, rows.Err()
}

// incidentAlerts fills AlertIDs of items, ascending.
func incidentAlerts(ctx context.Context, tx *sql.Tx, items []incident.Incident) error {
	if len(items) == 0 {
		return nil
	}
	index := make(map[int64]*incident.Incident, len(items))
	ids := make([]int64, len(items))
	for i := range items {
		index[items[i].ID] = &items[i]
		ids[i] = items[i].ID
	}
	rows, err := tx.QueryContext(ctx, `SELECT incident_id, alert_id FROM incident_alerts
		WHERE incident_id IN (`+placeholders(len(ids))+`) ORDER BY incident_id, alert_id`,
		int64Args(ids)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var incidentID, alertID int64
		if err := rows.Scan(&incidentID, &alertID); err != nil {
			return err
		}
		inc := index[incidentID]
		inc.AlertIDs = append(inc.AlertIDs, alertID)
	}
	return rows.Err()
}
