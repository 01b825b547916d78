package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store"
)

// CreateToken stores an API token. A zero Created becomes the store's clock.
// A taken name or hash gives store.ErrDuplicate.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if t.Created.IsZero() {
		t.Created = s.now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (name, hash, role, created, expires, revoked,
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
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+`
		FROM tokens WHERE hash = $1 AND NOT revoked AND (expires IS NULL OR expires > $2)`,
		hash, timeArg(s.now())))
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
