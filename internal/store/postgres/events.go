package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// InsertEvents stores events in one transaction, committed before it
// returns, and returns their IDs in order. Received is set to the store's
// clock. The IDs are drawn from the sequence first, so that they follow the
// order of events; the rows then go in with COPY.
func (s *Store) InsertEvents(ctx context.Context, events []*event.Event) ([]int64, error) {
	if len(events) == 0 {
		return []int64{}, nil
	}
	received := timeArg(s.now())
	rows := make([][]any, len(events))
	for i, e := range events {
		if e == nil {
			return nil, fmt.Errorf("insert events: event %d is nil", i)
		}
		fields, err := store.EncodeFields(e.Fields)
		if err != nil {
			return nil, fmt.Errorf("insert events: event %d: %w", i, err)
		}
		rows[i] = []any{nil, timeArg(e.Time), received, e.Source.File, e.Source.Line,
			json.RawMessage(fields)}
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	defer tx.Rollback(ctx)

	idRows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('events', 'id'))
		FROM generate_series(1, $1)`, len(events))
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	ids, err := pgx.CollectRows(idRows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	if len(ids) != len(events) {
		return nil, fmt.Errorf("insert events: got %d IDs for %d events", len(ids), len(events))
	}
	slices.Sort(ids)
	for i := range rows {
		rows[i][0] = ids[i]
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"events"},
		[]string{"id", "time", "received", "source_file", "source_line", "fields"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	return ids, nil
}

// CountEvents reports how many events are stored.
func (s *Store) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
