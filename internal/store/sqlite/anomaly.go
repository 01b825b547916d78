package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/store"
)

// SaveAnomalyState stores data under name, replacing what was there.
func (s *Store) SaveAnomalyState(ctx context.Context, name string, data []byte) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO anomaly_state (name, data, saved)
		VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data,
		saved = excluded.saved`, name, data, timeText(s.now()))
	if err != nil {
		return fmt.Errorf("save anomaly state %s: %w", name, err)
	}
	return nil
}

// LoadAnomalyState returns the data last saved under name, or
// store.ErrNotFound.
func (s *Store) LoadAnomalyState(ctx context.Context, name string) ([]byte, error) {
	var data []byte
	err := s.r.QueryRowContext(ctx, `SELECT data FROM anomaly_state WHERE name = ?`, name).
		Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load anomaly state %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load anomaly state %s: %w", name, err)
	}
	return data, nil
}
