package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO evidence (incident_id, sha256, size, media_type,
		file_name, description, acquired_by, acquired_at, acquired_from)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		e.IncidentID, e.SHA256, e.Size, e.MediaType, e.FileName, e.Description, e.AcquiredBy,
		timeArg(e.AcquiredAt), e.AcquiredFrom).Scan(&id)
	if err != nil {
		return fmt.Errorf("add evidence: %w", foreignKey(err, "incident"))
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

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// insertCustody checks and inserts c, setting c.ID; an empty Details is
// stored as "{}".
func insertCustody(ctx context.Context, db querier, c *evidence.Custody) error {
	if len(c.Details) == 0 {
		c.Details = json.RawMessage("{}")
	}
	if err := c.Check(); err != nil {
		return err
	}
	err := db.QueryRow(ctx, `INSERT INTO evidence_custody
		(evidence_id, action, by_actor, at, reason, details)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		c.EvidenceID, string(c.Action), c.By, timeArg(c.At), c.Reason, string(c.Details)).
		Scan(&c.ID)
	return foreignKey(err, "evidence")
}

const evidenceColumns = `id, incident_id, sha256, size, media_type, file_name, description,
	acquired_by, acquired_at, acquired_from,
	(SELECT count(*) FROM evidence_custody c WHERE c.evidence_id = evidence.id)`

// GetEvidence returns one record with its custody count.
func (s *Store) GetEvidence(ctx context.Context, id int64) (*evidence.Evidence, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get evidence %d: %w", id, err)
	}
	items, err := pgx.CollectRows(rows, scanEvidence)
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
	rows, err := s.pool.Query(ctx, `SELECT `+evidenceColumns+` FROM evidence
		WHERE incident_id = $1 ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list evidence of incident %d: %w", incidentID, err)
	}
	items, err := pgx.CollectRows(rows, scanEvidence)
	if err != nil {
		return nil, fmt.Errorf("list evidence of incident %d: %w", incidentID, err)
	}
	if items == nil {
		items = []evidence.Evidence{}
	}
	return items, nil
}

// scanEvidence reads one evidence row.
func scanEvidence(row pgx.CollectableRow) (evidence.Evidence, error) {
	var e evidence.Evidence
	err := row.Scan(&e.ID, &e.IncidentID, &e.SHA256, &e.Size, &e.MediaType, &e.FileName,
		&e.Description, &e.AcquiredBy, &e.AcquiredAt, &e.AcquiredFrom, &e.CustodyCount)
	e.AcquiredAt = e.AcquiredAt.UTC()
	return e, err
}

// ListCustody returns the custody log of one evidence, in the order
// appended, from one snapshot.
func (s *Store) ListCustody(ctx context.Context, evidenceID int64) ([]evidence.Custody, error) {
	tx, err := s.readOnly(ctx)
	if err != nil {
		return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
	}
	defer tx.Rollback(ctx)

	var exists bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM evidence WHERE id = $1)`, evidenceID).
		Scan(&exists)
	if err == nil && !exists {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
	}
	rows, err := tx.Query(ctx, `SELECT id, evidence_id, action, by_actor, at, reason, details
		FROM evidence_custody WHERE evidence_id = $1 ORDER BY id`, evidenceID)
	if err != nil {
		return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
	}
	log, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (evidence.Custody, error) {
		var (
			c       evidence.Custody
			action  string
			details string
		)
		err := row.Scan(&c.ID, &c.EvidenceID, &action, &c.By, &c.At, &c.Reason, &details)
		c.Action, c.At, c.Details = evidence.Action(action), c.At.UTC(), json.RawMessage(details)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list custody of evidence %d: %w", evidenceID, err)
	}
	if log == nil {
		log = []evidence.Custody{}
	}
	return log, nil
}

// EventsByID returns the stored events with these IDs, ascending, each once.
func (s *Store) EventsByID(ctx context.Context, ids []int64) ([]evidence.EventRecord, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return []evidence.EventRecord{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, time, received, source_file, source_line,
		fields FROM events WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("events by id: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (evidence.EventRecord, error) {
		var (
			ev     evidence.EventRecord
			t      *time.Time
			fields []byte
		)
		err := row.Scan(&ev.ID, &t, &ev.Received, &ev.File, &ev.Line, &fields)
		if t != nil {
			u := t.UTC()
			ev.Time = &u
		}
		ev.Received, ev.Fields = ev.Received.UTC(), json.RawMessage(fields)
		return ev, err
	})
	if err != nil {
		return nil, fmt.Errorf("events by id: %w", err)
	}
	if len(out) != len(ids) {
		return nil, fmt.Errorf("events by id: %d of %d not stored: %w", len(ids)-len(out),
			len(ids), store.ErrNotFound)
	}
	return out, nil
}
