package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres/pgtest"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// TestEvidenceAppendOnly checks the triggers that refuse changes to
// evidence and custody rows, TRUNCATE included.
func TestEvidenceAppendOnly(t *testing.T) {
	pgtest.RequireServer(t)
	dsn := pgtest.NewDatabase(t)
	exec := func(t *testing.T, stmt string) error {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		_, err = conn.Exec(t.Context(), stmt)
		return err
	}
	storetest.RunEvidenceAppendOnly(t, func(t *testing.T) store.Store { return open(t, dsn) },
		exec)
	for _, stmt := range []string{`TRUNCATE evidence_custody`, `TRUNCATE evidence CASCADE`} {
		if err := exec(t, stmt); err == nil {
			t.Errorf("%s: succeeded, want refused", stmt)
		}
	}
}
