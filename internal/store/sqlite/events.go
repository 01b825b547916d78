package sqlite

import (
	"context"
	"fmt"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// InsertEvents stores events in one transaction, committed (and synced to
// disk) before it returns, and returns their IDs in order. Received is set to
// the store's clock.
func (s *Store) InsertEvents(ctx context.Context, events []*event.Event) ([]int64, error) {
	if len(events) == 0 {
		return []int64{}, nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	defer tx.Rollback()

	stmt, err := tx.PrepareContext(ctx, `INSERT INTO events
		(time, received, source_file, source_line, fields) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	defer stmt.Close()

	received := timeText(s.now())
	ids := make([]int64, len(events))
	for i, e := range events {
		if e == nil {
			return nil, fmt.Errorf("insert events: event %d is nil", i)
		}
		fields, err := store.EncodeFields(e.Fields)
		if err != nil {
			return nil, fmt.Errorf("insert events: event %d: %w", i, err)
		}
		res, err := stmt.ExecContext(ctx, timeText(e.Time), received, e.Source.File, e.Source.Line,
			string(fields))
		if err != nil {
			return nil, fmt.Errorf("insert events: event %d: %w", i, err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("insert events: event %d: %w", i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	return ids, nil
}

// CountEvents reports how many events are stored.
func (s *Store) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
