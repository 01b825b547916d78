package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// CreateToken stores an API token. A zero Created becomes the store's clock.
// A taken name or hash gives store.ErrDuplicate.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateToken(ctx, t) })
}

// CreateToken is Store.CreateToken in the transaction.
func (tx *txn) CreateToken(ctx context.Context, t store.Token) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if t.Created.IsZero() {
		t.Created = tx.now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO tokens (name, hash, role, created, expires, revoked,
		tenant, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Name, t.Hash, t.Role, timeText(t.Created), timeText(t.Expires), t.Revoked, t.Tenant,
		t.CreatedBy)
	if isUnique(err) {
		return fmt.Errorf("create token %q: name or hash: %w", t.Name, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	return nil
}

// TokenByHash returns the token with the given SHA-256 hash. A revoked token,
// or one whose Expires is not after the store's clock, gives store.ErrNotFound
// like an unknown one.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*store.Token, error) {
	return tokenByHash(ctx, s.r, hash, s.now())
}

// TokenByHash is Store.TokenByHash in the transaction: it sees the
// transaction's tokens.
func (tx *txn) TokenByHash(ctx context.Context, hash []byte) (*store.Token, error) {
	return tokenByHash(ctx, tx.Tx, hash, tx.now())
}

// tokenByHash reads a usable token from db, a *sql.DB or a *sql.Tx.
func tokenByHash(ctx context.Context, db interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, hash []byte, now time.Time) (*store.Token, error) {
	row := db.QueryRowContext(ctx, `SELECT `+tokenColumns+`
		FROM tokens WHERE hash = ? AND revoked = 0 AND (expires IS NULL OR expires > ?)`,
		hash, timeText(now))
	t, err := scanToken(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token by hash: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}

// CountTokens reports how many tokens exist, revoked and expired ones
// included.
func (s *Store) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}
