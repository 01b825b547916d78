package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	_, err := tx.Exec(ctx, `INSERT INTO tokens (name, hash, role, created, expires, revoked,
		tenant, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.Name, t.Hash, t.Role, timeArg(t.Created), timeArg(t.Expires), t.Revoked, t.Tenant,
		t.CreatedBy)
	if pgCode(err) == codeUnique {
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
	return tokenByHash(ctx, s.pool, hash, s.now())
}

// TokenByHash is Store.TokenByHash in the transaction: it sees the
// transaction's tokens.
func (tx *txn) TokenByHash(ctx context.Context, hash []byte) (*store.Token, error) {
	return tokenByHash(ctx, tx, hash, tx.now())
}

// tokenByHash reads a usable token from db, a pool or a transaction.
func tokenByHash(ctx context.Context, db querier, hash []byte, now time.Time) (*store.Token,
	error) {
	t, err := scanToken(db.QueryRow(ctx, `SELECT `+tokenColumns+`
		FROM tokens WHERE hash = $1 AND NOT revoked AND (expires IS NULL OR expires > $2)`,
		hash, timeArg(now)))
	if errors.Is(err, pgx.ErrNoRows) {
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
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}
