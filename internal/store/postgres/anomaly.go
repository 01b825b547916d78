package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store"
)

// SaveAnomalyState stores data under name, replacing what was there.
func (s *Store) SaveAnomalyState(ctx context.Context, name string, data []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO anomaly_state (name, data, saved)
		VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET data = excluded.data,
		saved = excluded.saved`, name, data, timeArg(s.now()))
	if err != nil {
		return fmt.Errorf("save anomaly state %s: %w", name, err)
	}
	return nil
}

// LoadAnomalyState returns the data last saved under name, or
// store.ErrNotFound.
func (s *Store) LoadAnomalyState(ctx context.Context, name string) ([]byte, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM anomaly_state WHERE name = $1`, name).
		Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("load anomaly state %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load anomaly state %s: %w", name, err)
	}
	return data, nil
}
