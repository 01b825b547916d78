package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
)

// Listing limits.
const (
	// DefaultLimit is the page size when a filter leaves Limit zero.
	DefaultLimit = 50
	// MaxLimit caps the page size.
	MaxLimit = 1000
)

// PageLimit returns the page size for a requested limit: DefaultLimit for
// zero or less, at most MaxLimit.
func PageLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}

// EncodeCursor returns the opaque cursor that resumes a newest-first listing
// after the row with the given id.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(nil, id, 10))
}

// DecodeCursor returns the row id held by a cursor from EncodeCursor, or 0 for
// the empty cursor (the first page). Anything else gives ErrBadCursor.
func DecodeCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil {
		return 0, ErrBadCursor
	}
	// Only the cursor EncodeCursor gives is accepted: not another spelling
	// of the id ("007"), nor the line breaks that base64 decoding skips.
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id <= 0 || EncodeCursor(id) != cursor {
		return 0, ErrBadCursor
	}
	return id, nil
}

// IncidentNumber formats the human identifier of the n-th incident of a year:
// "INC-2026-0042", with more than four digits once n passes 9999.
func IncidentNumber(year int, n int64) string {
	return fmt.Sprintf("INC-%04d-%04d", year, n)
}
