package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/store"
)

// AddEvidence stores e and its first custody entry in one transaction. An
// unknown incident gives store.ErrNotFound.
func (s *Store) AddEvidence(ctx context.Context, e *evidence.Evidence,
	first *evidence.Custody) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.AddEvidence(ctx, e, first) })
}

// AddEvidence is Store.AddEvidence in the transaction.
func (tx *txn) AddEvidence(ctx context.Context, e *evidence.Evidence,
	first *evidence.Custody) error {
	if err := e.Check(); err != nil {
		return fmt.Errorf("add evidence: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO evidence (incident_id, sha256, size,
		media_type, file_name, description, acquired_by, acquired_at, acquired_from)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.IncidentID, e.SHA256, e.Size, e.MediaType, e.FileName, e.Description, e.AcquiredBy,
		timeText(e.AcquiredAt), e.AcquiredFrom)
	if err != nil {
		return fmt.Errorf("add evidence: %w", foreignKey(err, "incident"))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add evidence: %w", err)
	}
	c := *first
	c.EvidenceID = id
	if err := insertCustody(ctx, tx, &c); err != nil {
		return fmt.Errorf("add evidence: %w", err)
	}
	e.ID, *first = id, c
	return nil
}

// AppendCustody appends c to the custody log of c.EvidenceID.
func (s *Store) AppendCustody(ctx context.Context, c *evidence.Custody) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.AppendCustody(ctx, c) })
}

// AppendCustody is Store.AppendCustody in the transaction.
func (tx *txn) AppendCustody(ctx context.Context, c *evidence.Custody) error {
	cc := *c
	if err := insertCustody(ctx, tx, &cc); err != nil {
		return fmt.Errorf("append custody to evidence %d: %w", c.EvidenceID, err)
	}
	*c = cc
	return nil
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertCustody checks and inserts c, setting c.ID; an empty Details is
// stored as "{}".
func insertCustody(ctx context.Context, db execer, c *evidence.Custody) error {
	if len(c.Details) == 0 {
		c.Details = json.RawMessage("{}")
	}
	if err := c.Check(); err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, `INSERT INTO evidence_custody
		(evidence_id, action, by_actor, at, reason, details) VALUES (?, ?, ?, ?, ?, ?)`,
		c.EvidenceID, string(c.Action), c.By, timeText(c.At), c.Reason, string(c.Details))
	if err != nil {
		return foreignKey(err, "evidence")
	}
	c.ID, err = res.LastInsertId()
	return err
}

const evidenceColumns = `id, incident_id, sha256, size, media_type, file_name, description,
	acquired_by, acquired_at, acquired_from,
	(SELECT count(*) FROM evidence_custody c WHERE c.evidence_id = evidence.id)`

// GetEvidence returns one record with its custody count.
func (s *Store) GetEvidence(ctx context.Context, id int64) (*evidence.Evidence, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE id = ?`,
		id)
	if err != nil {
		return nil, fmt.Errorf("get evidence %d: %w", id, err)
	}
	items, err := scanEvidence(rows)
	if err != nil {
		return nil, fmt.Errorf("get evidence %d: %w", id, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("get evidence %d: %w", id, store.ErrNotFound)
	}
	return &items[0], nil
}

// ListEvidence returns the records of an incident, oldest first.
func (s *Store) ListEvidence(ctx context.Context, incidentID int64) ([]evidence.Evidence,
	error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+evidenceColumns+` FROM evidence
		WHERE incident_id = ? ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list evidence of incident %d: %w", incidentID, err)
	}
	items, err := scanEvidence(rows)
	if err != nil {
		return nil, fmt.Errorf("list evidence of incident %d: %w", incidentID, err)
	}
	return items, nil
}

// scanEvidence reads evidence rows and closes them.
func scanEvidence(rows *sql.Rows) ([]evidence.Evidence, error) {
	defer rows.Close()
	items := []evidence.Evidence{}
	for rows.Next() {
		var (
			e  evidence.Evidence
			at sql.NullString
		)
		err := rows.Scan(&e.ID, &e.IncidentID, &e.SHA256, &e.Size, &e.MediaType, &e.FileName,
			&e.Description, &e.AcquiredBy, &at, &e.AcquiredFrom, &e.CustodyCount)
		if err != nil {
			return nil, err
		}
		if e.AcquiredAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("evidence %d: %w", e.ID, err)
		}
		items = append(items, e)
	}
	return items, rows.Err()
}

// ListCustody returns the custody log of one evidence, in the order
// appended, from one snapshot.
func (s *Store) ListCustody(ctx context.Context, evidenceID int64) ([]evidence.Custody, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
	}
	defer tx.Rollback()

	var n int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM evidence WHERE id = ?`, evidenceID).
		Scan(&n)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, evidence_id, action, by_actor, at, reason,
		details FROM evidence_custody WHERE evidence_id = ? ORDER BY id`, evidenceID)
	if err != nil {
		return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
	}
	defer rows.Close()
	log := []evidence.Custody{}
	for rows.Next() {
		var (
			c       evidence.Custody
			at      sql.NullString
			details string
		)
		err := rows.Scan(&c.ID, &c.EvidenceID, &c.Action, &c.By, &at, &c.Reason, &details)
		if err != nil {
			return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
		}
		if c.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
		}
		c.Details = json.RawMessage(details)
		log = append(log, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
	}
	return log, nil
}

// EventsByID returns the stored events with these IDs, ascending, each once.
func (s *Store) EventsByID(ctx context.Context, ids []int64) ([]evidence.EventRecord, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := []evidence.EventRecord{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, time, received, source_file, source_line,
		fields FROM events WHERE id IN (`+placeholders(len(ids))+`) ORDER BY id`,
		int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("events by id: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ev             evidence.EventRecord
			time, received sql.NullString
			fields         string
		)
		err := rows.Scan(&ev.ID, &time, &received, &ev.File, &ev.Line, &fields)
		if err != nil {
			return nil, fmt.Errorf("events by id: %w", err)
		}
		t, err := parseTime(time)
		if err != nil {
			return nil, fmt.Errorf("events by id: event %d: %w", ev.ID, err)
		}
		if !t.IsZero() {
			ev.Time = &t
		}
		if ev.Received, err = parseTime(received); err != nil {
			return nil, fmt.Errorf("events by id: event %d: %w", ev.ID, err)
		}
		ev.Fields = json.RawMessage(fields)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events by id: %w", err)
	}
	if len(out) != len(ids) {
		return nil, fmt.Errorf("events by id: %d of %d not stored: %w", len(ids)-len(out),
			len(ids), store.ErrNotFound)
	}
	return out, nil
}
