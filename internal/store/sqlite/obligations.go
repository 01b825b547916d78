package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// ListIncidentFacts returns an incident's fact history, oldest first.
func (s *Store) ListIncidentFacts(ctx context.Context, incidentID int64) (
	[]store.IncidentFact, error) {
	return listIncidentFacts(ctx, s.r, incidentID)
}

// ListIncidentFacts is Store.ListIncidentFacts in the transaction.
func (tx *txn) ListIncidentFacts(ctx context.Context, incidentID int64) (
	[]store.IncidentFact, error) {
	return listIncidentFacts(ctx, tx.Tx, incidentID)
}

func listIncidentFacts(ctx context.Context, db rowsQuerier, incidentID int64) (
	[]store.IncidentFact, error) {
	out, err := queryDocs(ctx, db, `SELECT id, doc FROM obligation_facts
		WHERE incident_id = ? ORDER BY id`, setFact, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list facts of incident %d: %w", incidentID, err)
	}
	return out, nil
}

func setFact(f *store.IncidentFact, id int64) { f.ID = id }

// AddIncidentFact appends a fact in the transaction.
func (tx *txn) AddIncidentFact(ctx context.Context, f *store.IncidentFact) error {
	c := *f
	c.ID = 0
	if c.RecordedAt.IsZero() {
		c.RecordedAt = tx.now()
	}
	c.At, c.RecordedAt = c.At.UTC(), c.RecordedAt.UTC().Truncate(time.Microsecond)
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("add fact: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO obligation_facts (incident_id, tenant, name,
		truth, recorded_at, by_actor, doc) VALUES (?, ?, ?, ?, ?, ?, ?)`, c.IncidentID,
		c.Tenant, c.Name, string(c.Truth), timeText(c.RecordedAt), c.By, string(doc))
	if err != nil {
		return fmt.Errorf("add fact %s of incident %d: %w", c.Name, c.IncidentID,
			foreignKey(err, "incident"))
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add fact: %w", err)
	}
	*f = c
	return nil
}

// obligationColumns are read by scanObligations, in this order.
const obligationColumns = `incident_id, obligation_key, withdrawn, withdrawn_reason, exercise,
	version, created, updated, obligation, record`

// GetObligation returns one obligation record of an incident.
func (s *Store) GetObligation(ctx context.Context, incidentID int64, key string) (
	*store.ObligationRecord, error) {
	return getObligation(ctx, s.r, incidentID, key)
}

// GetObligation is Store.GetObligation in the transaction.
func (tx *txn) GetObligation(ctx context.Context, incidentID int64, key string) (
	*store.ObligationRecord, error) {
	return getObligation(ctx, tx.Tx, incidentID, key)
}

func getObligation(ctx context.Context, db rowsQuerier, incidentID int64, key string) (
	*store.ObligationRecord, error) {
	out, err := queryObligations(ctx, db, `SELECT `+obligationColumns+` FROM obligations
		WHERE incident_id = ? AND obligation_key = ?`, incidentID, key)
	if err != nil {
		return nil, fmt.Errorf("get obligation %s of incident %d: %w", key, incidentID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get obligation %s of incident %d: %w", key, incidentID,
			store.ErrNotFound)
	}
	return &out[0], nil
}

// ListObligations returns the obligation records f selects.
func (s *Store) ListObligations(ctx context.Context, f store.ObligationFilter) (
	[]store.ObligationRecord, error) {
	return listObligations(ctx, s.r, f)
}

// ListObligations is Store.ListObligations in the transaction.
func (tx *txn) ListObligations(ctx context.Context, f store.ObligationFilter) (
	[]store.ObligationRecord, error) {
	return listObligations(ctx, tx.Tx, f)
}

func listObligations(ctx context.Context, db rowsQuerier, f store.ObligationFilter) (
	[]store.ObligationRecord, error) {
	var w where
	if f.IncidentID != 0 {
		w.add("incident_id = ?", f.IncidentID)
	}
	if f.Tenant != "" {
		w.add("tenant = ?", f.Tenant)
	}
	if f.Tenants {
		w.conds = append(w.conds, "tenant <> ''")
	}
	if f.Open {
		w.conds = append(w.conds, "withdrawn = 0", "state IN ("+
			placeholders(len(store.OpenStates))+")")
		for _, st := range store.OpenStates {
			w.args = append(w.args, string(st))
		}
	}
	out, err := queryObligations(ctx, db, `SELECT `+obligationColumns+` FROM obligations`+
		w.String()+` ORDER BY incident_id, obligation_key`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list obligations: %w", err)
	}
	return out, nil
}

func queryObligations(ctx context.Context, db rowsQuerier, query string, args ...any) (
	[]store.ObligationRecord, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.ObligationRecord{}
	for rows.Next() {
		var (
			o                store.ObligationRecord
			withdrawn, ex    int
			created, updated sql.NullString
			ob, rec          string
		)
		if err := rows.Scan(&o.IncidentID, &o.Key, &withdrawn, &o.WithdrawnReason, &ex,
			&o.Version, &created, &updated, &ob, &rec); err != nil {
			return nil, err
		}
		o.Withdrawn, o.Exercise = withdrawn != 0, ex != 0
		if o.Created, err = parseTime(created); err != nil {
			return nil, err
		}
		if o.Updated, err = parseTime(updated); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(ob), &o.Obligation); err != nil {
			return nil, fmt.Errorf("obligation %s: %w", o.Key, err)
		}
		if err := json.Unmarshal([]byte(rec), &o.Record); err != nil {
			return nil, fmt.Errorf("obligation %s: record: %w", o.Key, err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// PutObligation creates or updates an obligation record in the
// transaction.
func (tx *txn) PutObligation(ctx context.Context, o *store.ObligationRecord) error {
	if err := o.Check(); err != nil {
		return fmt.Errorf("put obligation: %w", err)
	}
	ob, err := json.Marshal(o.Obligation)
	if err != nil {
		return fmt.Errorf("put obligation %s: %w", o.Key, err)
	}
	rec, err := json.Marshal(o.Record)
	if err != nil {
		return fmt.Errorf("put obligation %s: %w", o.Key, err)
	}
	c := *o
	now := tx.now().UTC().Truncate(time.Microsecond)
	r := c.Record
	if c.Version == 0 {
		c.Version, c.Created, c.Updated = 1, now, now
		_, err = tx.ExecContext(ctx, `INSERT INTO obligations (incident_id, obligation_key,
			tenant, state, deadline, overdue_since, withdrawn, exercise, version, created,
			updated, withdrawn_reason, obligation, record)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`, c.IncidentID, c.Key, c.Tenant(),
			string(r.State), timeText(r.Deadline), timeText(r.OverdueSince), c.Withdrawn,
			c.Exercise, timeText(now), timeText(now), c.WithdrawnReason, string(ob),
			string(rec))
		if isUnique(err) || isPrimaryKey(err) {
			return fmt.Errorf("create obligation %s of incident %d: %w", c.Key, c.IncidentID,
				store.ErrDuplicate)
		} else if err != nil {
			return fmt.Errorf("create obligation %s: %w", c.Key, foreignKey(err, "incident"))
		}
		*o = c
		return nil
	}
	cur, err := getObligation(ctx, tx.Tx, c.IncidentID, c.Key)
	if err != nil {
		return fmt.Errorf("update obligation: %w", err)
	}
	if cur.Version != c.Version {
		return fmt.Errorf("update obligation %s of incident %d: %w", c.Key, c.IncidentID,
			&store.ConflictError{Version: c.Version, Current: cur.Version})
	}
	c.Version, c.Created, c.Updated = cur.Version+1, cur.Created, now
	_, err = tx.ExecContext(ctx, `UPDATE obligations SET state = ?, deadline = ?,
		overdue_since = ?, withdrawn = ?, exercise = ?, version = ?, updated = ?,
		withdrawn_reason = ?, obligation = ?, record = ?
		WHERE incident_id = ? AND obligation_key = ? AND version = ?`, string(r.State),
		timeText(r.Deadline), timeText(r.OverdueSince), c.Withdrawn, c.Exercise, c.Version,
		timeText(now), c.WithdrawnReason, string(ob), string(rec), c.IncidentID, c.Key,
		cur.Version)
	if err != nil {
		return fmt.Errorf("update obligation %s of incident %d: %w", c.Key, c.IncidentID, err)
	}
	*o = c
	return nil
}

// ListAffectedTenants is Store.ListAffectedTenants in the transaction.
func (tx *txn) ListAffectedTenants(ctx context.Context, incidentID int64, tenant string) (
	[]store.AffectedTenant, error) {
	out, err := affectedRows(ctx, tx.Tx, incidentID, tenant)
	if err != nil {
		return nil, fmt.Errorf("list tenants of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// ObligationTenants returns the stored tenants among ids, in the
// transaction.
func (tx *txn) ObligationTenants(ctx context.Context, ids []string) ([]scope.Tenant, error) {
	out := []scope.Tenant{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		got, err := queryDocs[scope.Tenant](ctx, tx.Tx, `SELECT 0, doc FROM tenants
			WHERE id IN (`+placeholders(len(chunk))+`)`, nil, args...)
		if err != nil {
			return nil, fmt.Errorf("tenants of obligations: %w", err)
		}
		out = append(out, got...)
	}
	slices.SortFunc(out, func(a, b scope.Tenant) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// IncidentExercise returns the exercise mark of an incident, in the
// transaction.
func (tx *txn) IncidentExercise(ctx context.Context, incidentID int64) (int64, error) {
	var ex int64
	err := tx.QueryRowContext(ctx, `SELECT exercise_id FROM exercise_marks
		WHERE kind = ? AND object_id = ?`, store.MarkIncident, incidentID).Scan(&ex)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("exercise mark of incident %d: %w", incidentID, err)
	}
	return ex, nil
}
