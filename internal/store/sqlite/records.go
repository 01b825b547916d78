package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// GetIncidentRecord returns the incident's full record and version, or
// store.ErrNotFound.
func (s *Store) GetIncidentRecord(ctx context.Context, id int64) (*store.IncidentRecord, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("get incident record %d: %w", id, err)
	}
	defer tx.Rollback()
	rec, err := loadRecord(ctx, tx, id)
	if err != nil {
		return nil, fmt.Errorf("get incident record %d: %w", id, err)
	}
	return rec, nil
}

// UpdateIncidentRecord saves rec if the stored version is rec.Version (see
// store.Records). The writer connection serializes updates.
func (s *Store) UpdateIncidentRecord(ctx context.Context, rec *store.IncidentRecord) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateIncidentRecord(ctx, rec) })
}

// UpdateIncidentRecord is Store.UpdateIncidentRecord in the transaction.
func (tx *txn) UpdateIncidentRecord(ctx context.Context, rec *store.IncidentRecord) error {
	before, err := loadRecord(ctx, tx.Tx, rec.ID)
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
	now := tx.now()
	c := rec.Columns()
	_, err = tx.ExecContext(ctx, `UPDATE incidents SET title = ?, status = ?, phase = ?,
		category = ?, priority = ?, severity_level = ?, record = ?, version = version + 1,
		updated = ? WHERE id = ? AND version = ?`,
		c.Title, c.Status, c.Phase, c.Category, nullInt(c.Priority, 0),
		nullInt(c.SeverityLevel, -1), string(doc), timeText(now), rec.ID, rec.Version)
	if err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	if err := appendHistory(ctx, tx.Tx, before, rec); err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	if err := writeIndicators(ctx, tx.Tx, rec); err != nil {
		return fmt.Errorf("update incident record %d: indicators: %w", rec.ID, err)
	}
	if err := writeFacts(ctx, tx.Tx, store.FactOf(rec)); err != nil {
		return fmt.Errorf("update incident record %d: %w", rec.ID, err)
	}
	rec.Version++
	rec.Updated = now.UTC().Truncate(time.Microsecond)
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
func appendHistory(ctx context.Context, tx *sql.Tx, before, rec *store.IncidentRecord) error {
	r, id := &rec.Record, rec.ID
	for i := len(before.Record.Actions); i < len(r.Actions); i++ {
		a := r.Actions[i]
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_actions
			(incident_id, seq, by, at, what, result) VALUES (?, ?, ?, ?, ?, ?)`,
			id, i+1, a.By, timeText(a.At), a.What, a.Result)
		if err != nil {
			return fmt.Errorf("action %d: %w", i, err)
		}
	}
	for i := len(before.Record.Comments); i < len(r.Comments); i++ {
		c := r.Comments[i]
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_comments
			(incident_id, seq, by, at, text) VALUES (?, ?, ?, ?, ?)`,
			id, i+1, c.By, timeText(c.At), c.Text)
		if err != nil {
			return fmt.Errorf("comment %d: %w", i, err)
		}
	}
	for i := len(before.Record.PhaseChanges); i < len(r.PhaseChanges); i++ {
		p := r.PhaseChanges[i]
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_phase_changes
			(incident_id, seq, from_phase, to_phase, at, location, by, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, i+1, string(p.From), string(p.To), timeText(p.At), p.Location, p.By, p.Reason)
		if err != nil {
			return fmt.Errorf("phase change %d: %w", i, err)
		}
	}
	return nil
}

// writeIndicators rewrites the indicator lookup of rec.
func writeIndicators(ctx context.Context, tx *sql.Tx, rec *store.IncidentRecord) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM incident_indicators WHERE incident_id = ?`,
		rec.ID); err != nil {
		return err
	}
	for _, ind := range rec.Record.Indicators {
		kind, value := store.IndicatorKey(ind)
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_indicators (incident_id, kind, value)
			VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, rec.ID, kind, value)
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
	args := []any{except}
	for _, ind := range inds {
		kind, value := store.IndicatorKey(ind)
		args = append(args, kind, value)
	}
	values := strings.Repeat("(?, ?), ", len(inds)-1) + "(?, ?)"
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("incidents sharing indicators: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT incident_id FROM incident_indicators
		WHERE incident_id <> ? AND (kind, value) IN (VALUES `+values+`)
		ORDER BY incident_id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("incidents sharing indicators: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("incidents sharing indicators: %w", err)
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("incidents sharing indicators: %w", err)
	}
	for _, id := range ids {
		rec, err := loadRecord(ctx, tx, id)
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
	err := s.r.QueryRowContext(ctx, `SELECT id FROM incidents WHERE number = ?`, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("incident %q: %w", number, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("incident %q: %w", number, err)
	}
	return id, nil
}

// loadRecord reads one incident's record, its alerts and its append-only
// lists within tx.
func loadRecord(ctx context.Context, tx *sql.Tx, id int64) (*store.IncidentRecord, error) {
	var (
		rec             = &store.IncidentRecord{ID: id, AlertIDs: []int64{}}
		r               = &rec.Record
		opened, updated sql.NullString
		phase, category string
		doc             string
	)
	err := tx.QueryRowContext(ctx, `SELECT number, title, severity, status, phase, opened,
		updated, version, category, record FROM incidents WHERE id = ?`, id).Scan(&r.Number,
		&r.Title, &rec.Severity, &r.Status, &phase, &opened, &updated, &rec.Version, &category,
		&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Phase, r.Category = incident.Phase(phase), incident.Category(category)
	if rec.Opened, err = parseTime(opened); err != nil {
		return nil, err
	}
	if rec.Updated, err = parseTime(updated); err != nil {
		return nil, err
	}
	if err := loadHistory(ctx, tx, rec); err != nil {
		return nil, err
	}
	if err := store.DecodeRecordDoc([]byte(doc), rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// loadHistory fills the alert IDs and the append-only lists of rec.
func loadHistory(ctx context.Context, tx *sql.Tx, rec *store.IncidentRecord) error {
	r := &rec.Record
	err := each(ctx, tx, `SELECT alert_id FROM incident_alerts WHERE incident_id = ?
		ORDER BY alert_id`, rec.ID, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		rec.AlertIDs = append(rec.AlertIDs, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	err = each(ctx, tx, `SELECT by, at, what, result FROM incident_actions
		WHERE incident_id = ? ORDER BY seq`, rec.ID, func(rows *sql.Rows) error {
		var a incident.Action
		var at sql.NullString
		if err := rows.Scan(&a.By, &at, &a.What, &a.Result); err != nil {
			return err
		}
		var err error
		a.At, err = parseTime(at)
		r.Actions = append(r.Actions, a)
		return err
	})
	if err != nil {
		return fmt.Errorf("actions: %w", err)
	}
	err = each(ctx, tx, `SELECT by, at, text FROM incident_comments
		WHERE incident_id = ? ORDER BY seq`, rec.ID, func(rows *sql.Rows) error {
		var c incident.Comment
		var at sql.NullString
		if err := rows.Scan(&c.By, &at, &c.Text); err != nil {
			return err
		}
		var err error
		c.At, err = parseTime(at)
		r.Comments = append(r.Comments, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("comments: %w", err)
	}
	err = each(ctx, tx, `SELECT from_phase, to_phase, at, location, by, reason
		FROM incident_phase_changes WHERE incident_id = ? ORDER BY seq`, rec.ID,
		func(rows *sql.Rows) error {
			var p incident.PhaseChange
			var at sql.NullString
			if err := rows.Scan(&p.From, &p.To, &at, &p.Location, &p.By, &p.Reason); err != nil {
				return err
			}
			var err error
			p.At, err = parseTime(at)
			p.At = p.Time()
			r.PhaseChanges = append(r.PhaseChanges, p)
			return err
		})
	if err != nil {
		return fmt.Errorf("phase changes: %w", err)
	}
	return nil
}

// each runs query with one argument and calls fn for every row.
func each(ctx context.Context, tx *sql.Tx, query string, arg any,
	fn func(rows *sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
