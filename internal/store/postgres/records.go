package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// GetIncidentRecord returns the incident's full record and version, or
// store.ErrNotFound.
func (s *Store) GetIncidentRecord(ctx context.Context, id int64) (*store.IncidentRecord, error) {
	tx, err := s.readOnly(ctx)
	if err != nil {
		return nil, fmt.Errorf("get incident record %d: %w", id, err)
	}
	defer tx.Rollback(ctx)
	rec, err := loadRecord(ctx, tx, id, false)
	if err != nil {
		return nil, fmt.Errorf("get incident record %d: %w", id, err)
	}
	return rec, nil
}

// UpdateIncidentRecord saves rec if the stored version is rec.Version (see
// store.Records). The incident's row is locked while the update checks and
// writes, so that of concurrent updates from one version only one wins.
func (s *Store) UpdateIncidentRecord(ctx context.Context, rec *store.IncidentRecord) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateIncidentRecord(ctx, rec) })
}

// UpdateIncidentRecord is Store.UpdateIncidentRecord in the transaction.
func (tx *txn) UpdateIncidentRecord(ctx context.Context, rec *store.IncidentRecord) error {
	before, err := loadRecord(ctx, tx, rec.ID, true)
	if err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	if before.Version != rec.Version {
		return fmt.Errorf("update incident record %d: %w", rec.ID,
			&store.ConflictError{Version: rec.Version, Current: before.Version})
	}
	if err := store.CheckRecordUpdate(before, rec); err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	doc, err := store.EncodeRecordDoc(rec)
	if err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	now := tx.now().UTC().Truncate(time.Microsecond)
	c := rec.Columns()
	_, err = tx.Exec(ctx, `UPDATE incidents SET title = $1, status = $2, phase = $3,
		category = $4, priority = $5, severity_level = $6, record = $7, version = version + 1,
		updated = $8 WHERE id = $9 AND version = $10`,
		c.Title, c.Status, c.Phase, c.Category, nullInt(c.Priority, 0),
		nullInt(c.SeverityLevel, -1), string(doc), now, rec.ID, rec.Version)
	if err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	if err := appendHistory(ctx, tx, before, rec); err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	if err := writeIndicators(ctx, tx, rec); err != nil {
		return fmt.Errorf("update incident record %d: indicators: %w", rec.ID, err)
	}
	if err := writeFacts(ctx, tx, store.FactOf(rec)); err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	rec.Version++
	rec.Updated = now
	return nil
}

// nullInt returns v as an argument, NULL when it is none.
func nullInt(v, none int) any {
	if v == none {
		return nil
	}
	return v
}

// appendHistory inserts the entries of the append-only lists of rec that
// before does not have.
func appendHistory(ctx context.Context, tx pgx.Tx, before, rec *store.IncidentRecord) error {
	r, id := &rec.Record, rec.ID
	for i := len(before.Record.Actions); i < len(r.Actions); i++ {
		a := r.Actions[i]
		_, err := tx.Exec(ctx, `INSERT INTO incident_actions
			(incident_id, seq, by, at, what, result) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, i+1, a.By, timeArg(a.At), a.What, a.Result)
		if err != nil {
			return fmt.Errorf("action %d: %w", i, err)
		}
	}
	for i := len(before.Record.Comments); i < len(r.Comments); i++ {
		c := r.Comments[i]
		_, err := tx.Exec(ctx, `INSERT INTO incident_comments
			(incident_id, seq, by, at, text) VALUES ($1, $2, $3, $4, $5)`,
			id, i+1, c.By, timeArg(c.At), c.Text)
		if err != nil {
			return fmt.Errorf("comment %d: %w", i, err)
		}
	}
	for i := len(before.Record.PhaseChanges); i < len(r.PhaseChanges); i++ {
		p := r.PhaseChanges[i]
		_, err := tx.Exec(ctx, `INSERT INTO incident_phase_changes
			(incident_id, seq, from_phase, to_phase, at, location, by, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			id, i+1, string(p.From), string(p.To), timeArg(p.At), p.Location, p.By, p.Reason)
		if err != nil {
			return fmt.Errorf("phase change %d: %w", i, err)
		}
	}
	return nil
}

// writeIndicators rewrites the indicator lookup of rec.
func writeIndicators(ctx context.Context, tx pgx.Tx, rec *store.IncidentRecord) error {
	if _, err := tx.Exec(ctx, `DELETE FROM incident_indicators WHERE incident_id = $1`,
		rec.ID); err != nil {
		return err
	}
	for _, ind := range rec.Record.Indicators {
		kind, value := store.IndicatorKey(ind)
		_, err := tx.Exec(ctx, `INSERT INTO incident_indicators (incident_id, kind, value)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, rec.ID, kind, value)
		if err != nil {
			return err
		}
	}
	return nil
}

// IncidentRecordsSharing returns the records of the other incidents that
// hold one of inds (see store.Records).
func (s *Store) IncidentRecordsSharing(ctx context.Context, except int64,
	inds []incident.Indicator, limit int) ([]store.IncidentRecord, error) {
	out := []store.IncidentRecord{}
	if len(inds) == 0 {
		return out, nil
	}
	if limit <= 0 || limit > store.MaxLimit {
		limit = store.MaxLimit
	}
	kinds, values := make([]string, len(inds)), make([]string, len(inds))
	for i, ind := range inds {
		kinds[i], values[i] = store.IndicatorKey(ind)
	}
	tx, err := s.readOnly(ctx)
	if err != nil {
		return nil, fmt.Errorf("incidents sharing indicators: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT DISTINCT i.incident_id FROM incident_indicators i
		JOIN unnest($2::text[], $3::text[]) AS k (kind, value)
		ON i.kind = k.kind AND i.value = k.value
		WHERE i.incident_id <> $1 ORDER BY i.incident_id LIMIT $4`, except, kinds, values, limit)
	if err != nil {
		return nil, fmt.Errorf("incidents sharing indicators: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("incidents sharing indicators: %w", err)
	}
	for _, id := range ids {
		rec, err := loadRecord(ctx, tx, id, false)
		if err != nil {
			return nil, fmt.Errorf("incidents sharing indicators: %w", err)
		}
		out = append(out, *rec)
	}
	return out, nil
}

// IncidentIDByNumber returns the ID of the incident numbered number, or
// store.ErrNotFound.
func (s *Store) IncidentIDByNumber(ctx context.Context, number string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM incidents WHERE number = $1`, number).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("incident %q: %w", number, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("incident %q: %w", number, err)
	}
	return id, nil
}

// loadRecord reads one incident's record, its alerts and its append-only
// lists within tx; lock takes the row's lock for an update.
func loadRecord(ctx context.Context, tx pgx.Tx, id int64, lock bool) (*store.IncidentRecord,
	error) {
	var (
		rec             = &store.IncidentRecord{ID: id, AlertIDs: []int64{}}
		r               = &rec.Record
		phase, category string
		doc             []byte
		forUpdate       string
	)
	if lock {
		forUpdate = " FOR UPDATE"
	}
	err := tx.QueryRow(ctx, `SELECT number, title, severity, status, phase, opened, updated,
		version, category, record FROM incidents WHERE id = $1`+forUpdate, id).Scan(&r.Number,
		&r.Title, &rec.Severity, &r.Status, &phase, &rec.Opened, &rec.Updated, &rec.Version,
		&category, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Phase, r.Category = incident.Phase(phase), incident.Category(category)
	rec.Opened, rec.Updated = rec.Opened.UTC(), rec.Updated.UTC()
	if err := loadHistory(ctx, tx, rec); err != nil {
		return nil, err
	}
	if err := store.DecodeRecordDoc(doc, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// loadHistory fills the alert IDs and the append-only lists of rec.
func loadHistory(ctx context.Context, tx pgx.Tx, rec *store.IncidentRecord) error {
	r := &rec.Record
	var err error
	rows, _ := tx.Query(ctx, `SELECT alert_id FROM incident_alerts WHERE incident_id = $1
		ORDER BY alert_id`, rec.ID)
	if rec.AlertIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT by, at, what, result FROM incident_actions
		WHERE incident_id = $1 ORDER BY seq`, rec.ID)
	r.Actions, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (incident.Action, error) {
		var a incident.Action
		err := row.Scan(&a.By, &a.At, &a.What, &a.Result)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return fmt.Errorf("actions: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT by, at, text FROM incident_comments
		WHERE incident_id = $1 ORDER BY seq`, rec.ID)
	r.Comments, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (incident.Comment,
		error) {
		var c incident.Comment
		err := row.Scan(&c.By, &c.At, &c.Text)
		c.At = c.At.UTC()
		return c, err
	})
	if err != nil {
		return fmt.Errorf("comments: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT from_phase, to_phase, at, location, by, reason
		FROM incident_phase_changes WHERE incident_id = $1 ORDER BY seq`, rec.ID)
	r.PhaseChanges, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (
		incident.PhaseChange, error) {
		var p incident.PhaseChange
		var from, to string
		err := row.Scan(&from, &to, &p.At, &p.Location, &p.By, &p.Reason)
		p.From, p.To = incident.Phase(from), incident.Phase(to)
		p.At = p.Time()
		return p, err
	})
	if err != nil {
		return fmt.Errorf("phase changes: %w", err)
	}
	// Empty lists read back as nil, as the SQLite store gives them.
	r.Actions, r.Comments = nilIfEmpty(r.Actions), nilIfEmpty(r.Comments)
	r.PhaseChanges = nilIfEmpty(r.PhaseChanges)
	return nil
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
