package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// tokenColumns are the columns that scanToken reads, in order.
const tokenColumns = `id, name, hash, role, created, expires, revoked, tenant, created_by`

// scanToken reads one token row of tokenColumns.
func scanToken(row interface{ Scan(...any) error }) (*store.Token, error) {
	var (
		t                store.Token
		created, expires sql.NullString
	)
	err := row.Scan(&t.ID, &t.Name, &t.Hash, &t.Role, &created, &expires, &t.Revoked, &t.Tenant,
		&t.CreatedBy)
	if err != nil {
		return nil, err
	}
	if t.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	if t.Expires, err = parseTime(expires); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTokens returns every token by ascending ID.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []store.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken marks a token revoked.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.RevokeToken(ctx, id) })
}

// RevokeToken is Store.RevokeToken in the transaction.
func (tx *txn) RevokeToken(ctx context.Context, id int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked = 1 WHERE id = ?`, id)
	return changedOne(res, err, fmt.Sprintf("revoke token %d", id))
}

// changedOne turns the result of a statement that must touch one row into
// an error: store.ErrNotFound when it touched none.
func changedOne(res sql.Result, err error, op string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// userColumns are the columns that scanUser reads, in order.
const userColumns = `id, name, display_name, email, roles, tenant, password_hash, disabled,
	created, updated`

// scanUser reads one user row of userColumns.
func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var (
		u                store.User
		roles            string
		created, updated sql.NullString
	)
	err := row.Scan(&u.ID, &u.Name, &u.DisplayName, &u.Email, &roles, &u.Tenant,
		&u.PasswordHash, &u.Disabled, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return nil, fmt.Errorf("user %d roles: %w", u.ID, err)
	}
	if u.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	if u.Updated, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser stores u and sets u.ID.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateUser(ctx, u) })
}

// CreateUser is Store.CreateUser in the transaction.
func (tx *txn) CreateUser(ctx context.Context, u *store.User) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if u.Created.IsZero() {
		u.Created = tx.now()
	}
	if u.Updated.IsZero() {
		u.Updated = u.Created
	}
	u.Created = u.Created.UTC().Truncate(time.Microsecond)
	u.Updated = u.Updated.UTC().Truncate(time.Microsecond)
	roles, err := json.Marshal(u.Roles)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO users (name, display_name, email, roles, tenant,
		password_hash, disabled, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`, u.Name, u.DisplayName, u.Email, string(roles), u.Tenant, u.PasswordHash,
		u.Disabled, timeText(u.Created), timeText(u.Updated)).Scan(&u.ID)
	if isUnique(err) {
		return fmt.Errorf("create user %q: %w", u.Name, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	return nil
}

// GetUser returns the user with the given ID.
func (s *Store) GetUser(ctx context.Context, id int64) (*store.User, error) {
	return s.oneUser(ctx, fmt.Sprintf("get user %d", id), `id = ?`, id)
}

// UserByName returns the user with the given name.
func (s *Store) UserByName(ctx context.Context, name string) (*store.User, error) {
	return s.oneUser(ctx, "user by name", `name = ?`, name)
}

func (s *Store) oneUser(ctx context.Context, op, cond string, arg any) (*store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return u, nil
}

// ListUsers returns the users that f selects, by ascending ID.
func (s *Store) ListUsers(ctx context.Context, f store.UserFilter) ([]store.User, error) {
	q, args := `SELECT `+userColumns+` FROM users`, []any{}
	if f.Tenant != "" {
		q, args = q+` WHERE tenant = ?`, append(args, f.Tenant)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser replaces the stored user with u's ID.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateUser(ctx, u) })
}

// UpdateUser is Store.UpdateUser in the transaction.
func (tx *txn) UpdateUser(ctx context.Context, u *store.User) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if u.Updated.IsZero() {
		u.Updated = tx.now()
	}
	u.Updated = u.Updated.UTC().Truncate(time.Microsecond)
	roles, err := json.Marshal(u.Roles)
	if err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET display_name = ?, email = ?, roles = ?,
		tenant = ?, password_hash = ?, disabled = ?, updated = ? WHERE id = ?`,
		u.DisplayName, u.Email, string(roles), u.Tenant, u.PasswordHash, u.Disabled,
		timeText(u.Updated), u.ID)
	return changedOne(res, err, fmt.Sprintf("update user %d", u.ID))
}

// CountUsers reports how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}
