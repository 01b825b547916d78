package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// backfillStatement returns the INSERT of a migration file that fills
// incident_facts from the incidents stored before.
func backfillStatement(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "INSERT INTO incident_facts")
	j := strings.Index(s[i:], ";")
	if i < 0 || j < 0 {
		t.Fatalf("%s: no INSERT INTO incident_facts", file)
	}
	return s[i : i+j]
}

// TestFactsBackfill runs migration 0015's backfill over incidents that the
// store wrote and compares it with the facts the writes kept.
func TestFactsBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	insert := backfillStatement(t, filepath.Join("migrations", "0015_metrics.sql"))
	storetest.RunFactsBackfill(t, s, func(stmt string) {
		t.Helper()
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}, insert)
}
