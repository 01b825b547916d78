package store

import (
	"encoding/json"
	"fmt"
)

// DocRows is the part of a result set that DecodeDocs reads: *sql.Rows and
// pgx.Rows both have it.
type DocRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// DecodeDocs reads rows of (id, JSON document), decodes each document into
// a T and calls set, when not nil, with the row's ID. It never returns a nil
// slice. The caller closes rows.
func DecodeDocs[T any](rows DocRows, set func(*T, int64)) ([]T, error) {
	out := []T{}
	for rows.Next() {
		var (
			id  int64
			doc string
			v   T
		)
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("row %d: %w", id, err)
		}
		if set != nil {
			set(&v, id)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
