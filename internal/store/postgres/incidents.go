package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// CreateIncident stores an incident and links its alerts, in one
// transaction. It assigns ID and Number; a zero Opened becomes the store's
// clock and a zero Updated becomes Opened. An unknown alert gives
// store.ErrNotFound and stores nothing (the number is not used up). The
// per-year counter row serializes concurrent creations within a year.
func (s *Store) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateIncident(ctx, inc) })
}

// CreateIncident is Store.CreateIncident in the transaction.
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
	err := tx.QueryRow(ctx, `INSERT INTO incident_numbers AS n (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = n.last + 1 RETURNING last`, year).Scan(&n)
	if err != nil {
		return fmt.Errorf("create incident: number: %w", err)
	}
	number := store.IncidentNumber(year, n)
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO incidents
		(number, title, severity, status, phase, opened, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		number, inc.Title, inc.Severity, inc.Status, inc.Phase, timeArg(inc.Opened),
		timeArg(inc.Updated)).Scan(&id)
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	if len(alertIDs) > 0 {
		var linked []int64
		rows, err := tx.Query(ctx, `UPDATE alerts SET incident_id = $1 WHERE id = ANY($2)
			RETURNING id`, id, alertIDs)
		if err == nil {
			linked, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err != nil {
			return fmt.Errorf("create incident: link alerts: %w", err)
		}
		for _, aid := range alertIDs {
			if !slices.Contains(linked, aid) {
				return fmt.Errorf("create incident: link alert %d: %w", aid, store.ErrNotFound)
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO incident_alerts (incident_id, alert_id)
			SELECT $1, unnest($2::bigint[])`, id, alertIDs)
		if err != nil {
			return fmt.Errorf("create incident: link alerts: %w", err)
		}
	}
	inc.ID, inc.Number, inc.AlertIDs = id, number, alertIDs
	return writeFacts(ctx, tx, store.NewIncidentFact(inc))
}

const incidentColumns = `id, number, title, severity, status, phase, opened, updated`

// GetIncident returns one incident with its alert IDs, or store.ErrNotFound.
func (s *Store) GetIncident(ctx context.Context, id int64) (*incident.Incident, error) {
	tx, err := s.readOnly(ctx)
	if err != nil {
		return nil, fmt.Errorf("get incident %d: %w", id, err)
	}
	defer tx.Rollback(ctx)

	rows, err := tx.Query(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get incident %d: %w", id, err)
	}
	inc, err := pgx.CollectExactlyOneRow(rows, scanIncident)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get incident %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get incident %d: %w", id, err)
	}
	items := []incident.Incident{inc}
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
		w.add("status = $%d", f.Status)
	}
	if f.Severity != "" {
		w.add("severity = $%d", f.Severity)
	}
	if !f.Since.IsZero() {
		w.add("opened >= $%d", timeArg(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("opened < $%d", timeArg(f.Until))
	}

	tx, err := s.readOnly(ctx)
	if err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	defer tx.Rollback(ctx)

	err = tx.QueryRow(ctx, `SELECT count(*) FROM incidents`+w.String(), w.args...).Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	if after != 0 {
		w.add("id < $%d", after)
	}
	rows, err := tx.Query(ctx, `SELECT `+incidentColumns+` FROM incidents`+w.String()+
		` ORDER BY id DESC LIMIT `+w.next(), append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanIncident)
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
	page.Items = nonNil(items)
	return page, nil
}

// scanIncident reads one incident row.
func scanIncident(row pgx.CollectableRow) (incident.Incident, error) {
	var (
		inc             incident.Incident
		opened, updated time.Time
	)
	err := row.Scan(&inc.ID, &inc.Number, &inc.Title, &inc.Severity, &inc.Status, &inc.Phase,
		&opened, &updated)
	inc.Opened, inc.Updated = opened.UTC(), updated.UTC()
	inc.AlertIDs = []int64{}
	return inc, err
}

// incidentAlerts fills AlertIDs of items, ascending.
func incidentAlerts(ctx context.Context, tx pgx.Tx, items []incident.Incident) error {
	if len(items) == 0 {
		return nil
	}
	index := make(map[int64]*incident.Incident, len(items))
	ids := make([]int64, len(items))
	for i := range items {
		index[items[i].ID] = &items[i]
		ids[i] = items[i].ID
	}
	rows, err := tx.Query(ctx, `SELECT incident_id, alert_id FROM incident_alerts
		WHERE incident_id = ANY($1) ORDER BY incident_id, alert_id`, ids)
	if err != nil {
		return err
	}
	var incidentID, alertID int64
	_, err = pgx.ForEachRow(rows, []any{&incidentID, &alertID}, func() error {
		inc := index[incidentID]
		inc.AlertIDs = append(inc.AlertIDs, alertID)
		return nil
	})
	return err
}
