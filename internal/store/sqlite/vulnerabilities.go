package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
	res, err := tx.ExecContext(ctx, `INSERT INTO vulnerabilities (title, kind, description,
		severity, deadline, state, owner, tenant, case_id, alert_id, created, updated, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		v.Title, v.Kind, v.Description, v.Severity, timeText(v.Deadline), v.State, v.Owner,
		v.Tenant, zeroNull(v.CaseID), zeroNull(v.AlertID), timeText(v.Created),
		timeText(v.Updated))
	if err != nil {
		return fmt.Errorf("create vulnerability: %w", foreignKey(err, "alert"))
	}
	if v.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create vulnerability: %w", err)
	}
	v.Version = 1
	return nil
}

// scanVuln reads one row of vulnColumns.
func scanVuln(row triageRow) (store.Vulnerability, error) {
	var (
		v                          store.Vulnerability
		deadline, created, updated sql.NullString
	)
	err := row.Scan(&v.ID, &v.Title, &v.Kind, &v.Description, &v.Severity, &deadline, &v.State,
		&v.Owner, &v.Tenant, &v.CaseID, &v.AlertID, &created, &updated, &v.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return v, store.ErrNotFound
	}
	if err != nil {
		return v, err
	}
	return v, parseTimePairs(fmt.Sprintf("vulnerability %d", v.ID),
		&v.Deadline, deadline, &v.Created, created, &v.Updated, updated)
}

// GetVulnerability returns one vulnerability report.
func (s *Store) GetVulnerability(ctx context.Context, id int64) (*store.Vulnerability, error) {
	v, err := scanVuln(s.r.QueryRowContext(ctx,
		`SELECT `+vulnColumns+` FROM vulnerabilities WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get vulnerability %d: %w", id, err)
	}
	return &v, nil
}

// ListVulnerabilities returns reports, newest first.
func (s *Store) ListVulnerabilities(ctx context.Context,
	f store.VulnerabilityFilter) (store.Page[store.Vulnerability], error) {
	var w where
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Owner != "" {
		w.add("owner = ?", f.Owner)
	}
	page, err := listNewest(ctx, s.r, "vulnerabilities", vulnColumns, w, f.Cursor, f.Limit,
		func(r *sql.Rows) (store.Vulnerability, int64, error) {
			v, err := scanVuln(r)
			return v, v.ID, err
		})
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
	res, err := tx.ExecContext(ctx, `UPDATE vulnerabilities SET title = ?, kind = ?,
		description = ?, severity = ?, deadline = ?, state = ?, owner = ?, updated = ?,
		version = version + 1 WHERE id = ? AND version = ?`,
		v.Title, v.Kind, v.Description, v.Severity, timeText(v.Deadline), v.State, v.Owner,
		timeText(v.Updated), v.ID, v.Version)
	if err := tx.updateVersioned(ctx, "vulnerability", v.ID, res, err); err != nil {
		return err
	}
	v.Version++
	return nil
}
