package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// ListIncidentFacts returns an incident's fact history, oldest first.
func (s *Store) ListIncidentFacts(ctx context.Context, incidentID int64) (
	[]store.IncidentFact, error) {
	return listIncidentFacts(ctx, s.pool, incidentID)
}

// ListIncidentFacts is Store.ListIncidentFacts in the transaction.
func (tx *txn) ListIncidentFacts(ctx context.Context, incidentID int64) (
	[]store.IncidentFact, error) {
	return listIncidentFacts(ctx, tx, incidentID)
}

func listIncidentFacts(ctx context.Context, db rowQuerier, incidentID int64) (
	[]store.IncidentFact, error) {
	out, err := queryDocs(ctx, db, `SELECT id, doc::text FROM obligation_facts
		WHERE incident_id = $1 ORDER BY id`, setFact, incidentID)
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
	err = tx.QueryRow(ctx, `INSERT INTO obligation_facts (incident_id, tenant, name, truth,
		recorded_at, by_actor, doc) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.IncidentID, c.Tenant, c.Name, string(c.Truth), timeArg(c.RecordedAt), c.By,
		string(doc)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("add fact %s of incident %d: %w", c.Name, c.IncidentID,
			foreignKey(err, "incident"))
	}
	*f = c
	return nil
}

// obligationColumns are read by queryObligations, in this order.
const obligationColumns = `incident_id, obligation_key, withdrawn, withdrawn_reason, exercise,
	version, created, updated, obligation::text, record::text`

// GetObligation returns one obligation record of an incident.
func (s *Store) GetObligation(ctx context.Context, incidentID int64, key string) (
	*store.ObligationRecord, error) {
	return getObligation(ctx, s.pool, incidentID, key, "")
}

// GetObligation is Store.GetObligation in the transaction; it locks the
// row.
func (tx *txn) GetObligation(ctx context.Context, incidentID int64, key string) (
	*store.ObligationRecord, error) {
	return getObligation(ctx, tx, incidentID, key, " FOR UPDATE")
}

// getObligation reads one record; lock is "" or " FOR UPDATE".
func getObligation(ctx context.Context, db rowQuerier, incidentID int64, key, lock string) (
	*store.ObligationRecord, error) {
	out, err := queryObligations(ctx, db, `SELECT `+obligationColumns+` FROM obligations
		WHERE incident_id = $1 AND obligation_key = $2`+lock, incidentID, key)
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
	return listObligations(ctx, s.pool, f)
}

// ListObligations is Store.ListObligations in the transaction.
func (tx *txn) ListObligations(ctx context.Context, f store.ObligationFilter) (
	[]store.ObligationRecord, error) {
	return listObligations(ctx, tx, f)
}

func listObligations(ctx context.Context, db rowQuerier, f store.ObligationFilter) (
	[]store.ObligationRecord, error) {
	var w where
	if f.IncidentID != 0 {
		w.add("incident_id = $%d", f.IncidentID)
	}
	if f.Tenant != "" {
		w.add("tenant = $%d", f.Tenant)
	}
	if f.Tenants {
		w.conds = append(w.conds, "tenant <> ''")
	}
	if f.Open {
		states := make([]string, len(store.OpenStates))
		for i, st := range store.OpenStates {
			states[i] = string(st)
		}
		w.conds = append(w.conds, "NOT withdrawn")
		w.add("state = ANY($%d::text[])", states)
	}
	out, err := queryObligations(ctx, db, `SELECT `+obligationColumns+` FROM obligations`+
		w.String()+` ORDER BY incident_id, obligation_key`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list obligations: %w", err)
	}
	return out, nil
}

func queryObligations(ctx context.Context, db rowQuerier, query string, args ...any) (
	[]store.ObligationRecord, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out := []store.ObligationRecord{}
	var (
		o                store.ObligationRecord
		created, updated time.Time
		ob, rec          string
	)
	_, err = pgx.ForEachRow(rows, []any{&o.IncidentID, &o.Key, &o.Withdrawn,
		&o.WithdrawnReason, &o.Exercise, &o.Version, &created, &updated, &ob, &rec},
		func() error {
			c := o
			c.Created, c.Updated = created.UTC(), updated.UTC()
			if err := json.Unmarshal([]byte(ob), &c.Obligation); err != nil {
				return fmt.Errorf("obligation %s: %w", c.Key, err)
			}
			if err := json.Unmarshal([]byte(rec), &c.Record); err != nil {
				return fmt.Errorf("obligation %s: record: %w", c.Key, err)
			}
			out = append(out, c)
			return nil
		})
	return out, err
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
		_, err = tx.Exec(ctx, `INSERT INTO obligations (incident_id, obligation_key, tenant,
			state, deadline, overdue_since, withdrawn, exercise, version, created, updated,
			withdrawn_reason, obligation, record)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11, $12)`, c.IncidentID,
			c.Key, c.Tenant(), string(r.State), timeArg(r.Deadline), timeArg(r.OverdueSince),
			c.Withdrawn, c.Exercise, now, c.WithdrawnReason, string(ob), string(rec))
		if pgCode(err) == codeUnique {
			return fmt.Errorf("create obligation %s of incident %d: %w", c.Key, c.IncidentID,
				store.ErrDuplicate)
		} else if err != nil {
			return fmt.Errorf("create obligation %s: %w", c.Key, foreignKey(err, "incident"))
		}
		*o = c
		return nil
	}
	cur, err := getObligation(ctx, tx, c.IncidentID, c.Key, " FOR UPDATE")
	if err != nil {
		return fmt.Errorf("update obligation: %w", err)
	}
	if cur.Version != c.Version {
		return fmt.Errorf("update obligation %s of incident %d: %w", c.Key, c.IncidentID,
			&store.ConflictError{Version: c.Version, Current: cur.Version})
	}
	c.Version, c.Created, c.Updated = cur.Version+1, cur.Created, now
	_, err = tx.Exec(ctx, `UPDATE obligations SET state = $1, deadline = $2,
		overdue_since = $3, withdrawn = $4, exercise = $5, version = $6, updated = $7,
		withdrawn_reason = $8, obligation = $9, record = $10
		WHERE incident_id = $11 AND obligation_key = $12`, string(r.State),
		timeArg(r.Deadline), timeArg(r.OverdueSince), c.Withdrawn, c.Exercise, c.Version, now,
		c.WithdrawnReason, string(ob), string(rec), c.IncidentID, c.Key)
	if err != nil {
		return fmt.Errorf("update obligation %s of incident %d: %w", c.Key, c.IncidentID, err)
	}
	*o = c
	return nil
}

// ListAffectedTenants is Store.ListAffectedTenants in the transaction.
func (tx *txn) ListAffectedTenants(ctx context.Context, incidentID int64, tenant string) (
	[]store.AffectedTenant, error) {
	out, err := affectedRows(ctx, tx, incidentID, tenant)
	if err != nil {
		return nil, fmt.Errorf("list tenants of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// ObligationTenants returns the stored tenants among ids, in the
// transaction.
func (tx *txn) ObligationTenants(ctx context.Context, ids []string) ([]scope.Tenant, error) {
	if ids == nil {
		ids = []string{}
	}
	out, err := queryDocs[scope.Tenant](ctx, tx, `SELECT 0::bigint, doc::text FROM tenants
		WHERE id = ANY($1::text[]) ORDER BY id`, nil, ids)
	if err != nil {
		return nil, fmt.Errorf("tenants of obligations: %w", err)
	}
	return out, nil
}

// IncidentExercise returns the exercise mark of an incident, in the
// transaction.
func (tx *txn) IncidentExercise(ctx context.Context, incidentID int64) (int64, error) {
	var ex int64
	err := tx.QueryRow(ctx, `SELECT exercise_id FROM exercise_marks
		WHERE kind = $1 AND object_id = $2`, store.MarkIncident, incidentID).Scan(&ex)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("exercise mark of incident %d: %w", incidentID, err)
	}
	return ex, nil
}
