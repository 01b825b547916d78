package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var cur int64
	err = tx.QueryRowContext(ctx, `SELECT coalesce(max(revision), 0) FROM incident_scopes
		WHERE incident_id = ?`, sc.IncidentID).Scan(&cur)
	if err != nil {
		return err
	}
	if sc.Revision != cur+1 {
		return &store.ConflictError{Version: sc.Revision - 1, Current: cur}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO incident_scopes (incident_id, revision, doc)
		VALUES (?, ?, ?)`, sc.IncidentID, sc.Revision, string(doc))
	if err != nil {
		return foreignKey(err, "incident")
	}
	before, err := affectedRows(ctx, tx, sc.IncidentID, "")
	if err != nil {
		return err
	}
	rows := store.MergeAffected(before, affected, sc.Revision, sc.At)
	if _, err := tx.ExecContext(ctx, `DELETE FROM incident_tenants WHERE incident_id = ?`,
		sc.IncidentID); err != nil {
		return err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO incident_tenants
		(incident_id, tenant, since_revision, since, doc) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, r := range rows {
		doc, err := json.Marshal(r.Affected)
		if err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, sc.IncidentID, r.Tenant, r.SinceRevision,
			timeText(r.Since), string(doc)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// queryer is a database or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// affectedRows reads an incident's affected tenants (only tenant's when
// not empty), by tenant.
func affectedRows(ctx context.Context, q queryer, incidentID int64,
	tenant string) ([]store.AffectedTenant, error) {
	var w where
	w.add("incident_id = ?", incidentID)
	if tenant != "" {
		w.add("tenant = ?", tenant)
	}
	rows, err := q.QueryContext(ctx, `SELECT since_revision, since, doc FROM incident_tenants`+
		w.String()+` ORDER BY tenant`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.AffectedTenant{}
	for rows.Next() {
		var (
			a     store.AffectedTenant
			since sql.NullString
			doc   string
		)
		if err := rows.Scan(&a.SinceRevision, &since, &doc); err != nil {
			return nil, err
		}
		if a.Since, err = parseTime(since); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(doc), &a.Affected); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// GetIncidentScope returns the latest scope revision of an incident.
func (s *Store) GetIncidentScope(ctx context.Context, incidentID int64) (*store.IncidentScope,
	error) {
	var doc string
	err := s.r.QueryRowContext(ctx, `SELECT doc FROM incident_scopes WHERE incident_id = ?
		ORDER BY revision DESC LIMIT 1`, incidentID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
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
	out, err := queryDocs[store.IncidentScope](ctx, s.r, `SELECT revision, doc
		FROM incident_scopes WHERE incident_id = ? ORDER BY revision`, nil, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list scopes of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// ListAffectedTenants returns the tenants an incident affects.
func (s *Store) ListAffectedTenants(ctx context.Context, incidentID int64,
	tenant string) ([]store.AffectedTenant, error) {
	out, err := affectedRows(ctx, s.r, incidentID, tenant)
	if err != nil {
		return nil, fmt.Errorf("list tenants of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// IncidentsAffecting returns the incidents whose scope affects tenant.
func (s *Store) IncidentsAffecting(ctx context.Context, tenant string) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT incident_id FROM incident_tenants
		WHERE tenant = ? ORDER BY incident_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("incidents affecting %s: %w", tenant, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("incidents affecting %s: %w", tenant, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
