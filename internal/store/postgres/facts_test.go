package postgres_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store/postgres/pgtest"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// TestFactsBackfill runs migration 0015's backfill over incidents that the
// store wrote and compares it with the facts the writes kept.
func TestFactsBackfill(t *testing.T) {
	pgtest.RequireServer(t)
	dsn := pgtest.NewDatabase(t)
	s := open(t, dsn)
	b, err := os.ReadFile(filepath.Join("migrations", "0015_metrics.sql"))
	if err != nil {
		t.Fatal(err)
	}
	sql := string(b)
	i := strings.Index(sql, "INSERT INTO incident_facts")
	j := strings.Index(sql[i:], ";")
	if i < 0 || j < 0 {
		t.Fatal("0015_metrics.sql: no INSERT INTO incident_facts")
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	storetest.RunFactsBackfill(t, s, func(stmt string) {
		t.Helper()
		if _, err := conn.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}, sql[i:i+j])
}
