package sqlite

import (
	"path/filepath"
	"testing"
)

// TestPragmas checks the settings that durability and integrity rest on.
func TestPragmas(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	tests := []struct {
		pragma         string
		writer, reader string
	}{
		{"journal_mode", "wal", "wal"},
		{"synchronous", "2", "2"},
		{"foreign_keys", "1", "1"},
		{"busy_timeout", "5000", "5000"},
		{"query_only", "0", "1"},
	}
	for _, tt := range tests {
		var w, r string
		if err := s.w.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&w); err != nil {
			t.Fatalf("writer PRAGMA %s: %v", tt.pragma, err)
		}
		if err := s.r.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&r); err != nil {
			t.Fatalf("reader PRAGMA %s: %v", tt.pragma, err)
		}
		if w != tt.writer || r != tt.reader {
			t.Errorf("PRAGMA %s: writer %q, reader %q; want %q, %q", tt.pragma, w, r, tt.writer,
				tt.reader)
		}
	}
	if _, err := s.r.ExecContext(t.Context(), "DELETE FROM events"); err == nil {
		t.Errorf("a reader connection wrote")
	}
}
