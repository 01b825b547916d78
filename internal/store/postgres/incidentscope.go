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

// SaveIncidentScope stores a new revision of an incident's scope and its
// affected tenants.
func (s *Store) SaveIncidentScope(ctx context.Context, sc *store.IncidentScope,
	affected []scope.Affected) error {
	if err := s.saveIncidentScope(ctx, sc, affected); err != nil {
		return fmt.Errorf("save scope of incident %d: %w", sc.IncidentID, err)
	}
	return nil
}

func (s *Store) saveIncidentScope(ctx context.Context, sc *store.IncidentScope,
	affected []scope.Affected) error {
	sc.At = sc.At.UTC().Truncate(time.Microsecond)
	doc, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// Lock the incident so that two scope changes of one incident queue up.
	var one int
	err = tx.QueryRow(ctx, `SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE`, sc.IncidentID).
		Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("unknown incident: %w", store.ErrNotFound)
	} else if err != nil {
		return err
	}
	var cur int64
	err = tx.QueryRow(ctx, `SELECT coalesce(max(revision), 0) FROM incident_scopes
		WHERE incident_id = $1`, sc.IncidentID).Scan(&cur)
	if err != nil {
		return err
	}
	if sc.Revision != cur+1 {
		return &store.ConflictError{Version: sc.Revision - 1, Current: cur}
	}
	_, err = tx.Exec(ctx, `INSERT INTO incident_scopes (incident_id, revision, doc)
		VALUES ($1, $2, $3)`, sc.IncidentID, sc.Revision, string(doc))
	if err != nil {
		return foreignKey(err, "incident")
	}
	before, err := affectedRows(ctx, tx, sc.IncidentID, "")
	if err != nil {
		return err
	}
	rows := store.MergeAffected(before, affected, sc.Revision, sc.At)
	if _, err := tx.Exec(ctx, `DELETE FROM incident_tenants WHERE incident_id = $1`,
		sc.IncidentID); err != nil {
		return err
	}
	if len(rows) > 0 {
		tenants, revs := make([]string, len(rows)), make([]int64, len(rows))
		since, docs := make([]time.Time, len(rows)), make([]string, len(rows))
		for i, r := range rows {
			b, err := json.Marshal(r.Affected)
			if err != nil {
				return err
			}
			tenants[i], revs[i], since[i], docs[i] = r.Tenant, r.SinceRevision,
				r.Since.UTC(), string(b)
		}
		_, err = tx.Exec(ctx, `INSERT INTO incident_tenants
			(incident_id, tenant, since_revision, since, doc)
			SELECT $1, t, r, s, d::jsonb
			FROM unnest($2::text[], $3::bigint[], $4::timestamptz[], $5::text[]) AS x (t, r, s, d)`,
			sc.IncidentID, tenants, revs, since, docs)
		if err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// affectedRows reads an incident's affected tenants (only tenant's when
// not empty), by tenant.
func affectedRows(ctx context.Context, q rowQuerier, incidentID int64,
	tenant string) ([]store.AffectedTenant, error) {
	var w where
	w.add("incident_id = $%d", incidentID)
	if tenant != "" {
		w.add("tenant = $%d", tenant)
	}
	rows, err := q.Query(ctx, `SELECT since_revision, since, doc::text FROM incident_tenants`+
		w.String()+` ORDER BY tenant`, w.args...)
	if err != nil {
		return nil, err
	}
	out := []store.AffectedTenant{}
	var (
		rev   int64
		since time.Time
		doc   string
	)
	_, err = pgx.ForEachRow(rows, []any{&rev, &since, &doc}, func() error {
		a := store.AffectedTenant{SinceRevision: rev, Since: since.UTC()}
		if err := json.Unmarshal([]byte(doc), &a.Affected); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// GetIncidentScope returns the latest scope revision of an incident.
func (s *Store) GetIncidentScope(ctx context.Context, incidentID int64) (*store.IncidentScope,
	error) {
	var doc string
	err := s.pool.QueryRow(ctx, `SELECT doc::text FROM incident_scopes WHERE incident_id = $1
		ORDER BY revision DESC LIMIT 1`, incidentID).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get scope of incident %d: %w", incidentID, store.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("get scope of incident %d: %w", incidentID, err)
	}
	var sc store.IncidentScope
	if err := json.Unmarshal([]byte(doc), &sc); err != nil {
		return nil, fmt.Errorf("get scope of incident %d: %w", incidentID, err)
	}
	return &sc, nil
}

// ListIncidentScopes returns every scope revision of an incident.
func (s *Store) ListIncidentScopes(ctx context.Context, incidentID int64) (
	[]store.IncidentScope, error) {
	out, err := queryDocs[store.IncidentScope](ctx, s.pool, `SELECT revision, doc::text
		FROM incident_scopes WHERE incident_id = $1 ORDER BY revision`, nil, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list scopes of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// ListAffectedTenants returns the tenants an incident affects.
func (s *Store) ListAffectedTenants(ctx context.Context, incidentID int64,
	tenant string) ([]store.AffectedTenant, error) {
	out, err := affectedRows(ctx, s.pool, incidentID, tenant)
	if err != nil {
		return nil, fmt.Errorf("list tenants of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// IncidentsAffecting returns the incidents whose scope affects tenant.
func (s *Store) IncidentsAffecting(ctx context.Context, tenant string) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT incident_id FROM incident_tenants
		WHERE tenant = $1 ORDER BY incident_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("incidents affecting %s: %w", tenant, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("incidents affecting %s: %w", tenant, err)
	}
	if out == nil {
		out = []int64{}
	}
	return out, nil
}
