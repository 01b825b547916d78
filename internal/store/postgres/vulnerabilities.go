package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store"
)

const vulnColumns = `id, title, kind, description, severity, deadline, state, owner, tenant,
	coalesce(case_id, 0), coalesce(alert_id, 0), created, updated, version`

// CreateVulnerability stores a vulnerability report.
func (s *Store) CreateVulnerability(ctx context.Context, v *store.Vulnerability) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateVulnerability(ctx, v) })
}

// CreateVulnerability is Store.CreateVulnerability in the transaction.
func (tx *txn) CreateVulnerability(ctx context.Context, v *store.Vulnerability) error {
	err := tx.QueryRow(ctx, `INSERT INTO vulnerabilities (title, kind, description,
		severity, deadline, state, owner, tenant, case_id, alert_id, created, updated, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1) RETURNING id`,
		v.Title, v.Kind, v.Description, v.Severity, timeArg(v.Deadline), v.State, v.Owner,
		v.Tenant, idArg(v.CaseID), idArg(v.AlertID), timeArg(v.Created),
		timeArg(v.Updated)).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create vulnerability: %w", foreignKey(err, "alert"))
	}
	v.Version = 1
	return nil
}

// scanVuln reads one row of vulnColumns.
func scanVuln(row pgx.CollectableRow) (store.Vulnerability, error) {
	var (
		v                          store.Vulnerability
		deadline, created, updated *time.Time
	)
	err := row.Scan(&v.ID, &v.Title, &v.Kind, &v.Description, &v.Severity, &deadline, &v.State,
		&v.Owner, &v.Tenant, &v.CaseID, &v.AlertID, &created, &updated, &v.Version)
	v.Deadline, v.Created, v.Updated = timeOf(deadline), timeOf(created), timeOf(updated)
	return v, err
}

// GetVulnerability returns one vulnerability report.
func (s *Store) GetVulnerability(ctx context.Context, id int64) (*store.Vulnerability, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+vulnColumns+` FROM vulnerabilities WHERE id = $1`,
		id)
	if err != nil {
		return nil, fmt.Errorf("get vulnerability %d: %w", id, err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, scanVuln)
	if err != nil {
		return nil, fmt.Errorf("get vulnerability %d: %w", id, notFound(err))
	}
	return &v, nil
}

// ListVulnerabilities returns reports, newest first.
func (s *Store) ListVulnerabilities(ctx context.Context,
	f store.VulnerabilityFilter) (store.Page[store.Vulnerability], error) {
	var w where
	if f.State != "" {
		w.add("state = $%d", f.State)
	}
	if f.Owner != "" {
		w.add("owner = $%d", f.Owner)
	}
	page, err := newestPage(ctx, s, "vulnerabilities", vulnColumns, w, f.Cursor, f.Limit,
		scanVuln, func(v store.Vulnerability) int64 { return v.ID })
	if err != nil {
		return page, fmt.Errorf("list vulnerabilities: %w", err)
	}
	return page, nil
}

// UpdateVulnerability stores a report at its version.
func (s *Store) UpdateVulnerability(ctx context.Context, v *store.Vulnerability) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateVulnerability(ctx, v) })
}

// UpdateVulnerability is Store.UpdateVulnerability in the transaction.
func (tx *txn) UpdateVulnerability(ctx context.Context, v *store.Vulnerability) error {
	tag, err := tx.Exec(ctx, `UPDATE vulnerabilities SET title = $1, kind = $2,
		description = $3, severity = $4, deadline = $5, state = $6, owner = $7, updated = $8,
		version = version + 1 WHERE id = $9 AND version = $10`,
		v.Title, v.Kind, v.Description, v.Severity, timeArg(v.Deadline), v.State, v.Owner,
		timeArg(v.Updated), v.ID, v.Version)
	if err := tx.checkVersioned(ctx, "vulnerabilities", v.ID, tag, err); err != nil {
		return fmt.Errorf("update vulnerability %d: %w", v.ID, err)
	}
	v.Version++
	return nil
}
