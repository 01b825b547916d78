package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// TestEvidenceAppendOnly checks the triggers that refuse changes to
// evidence and custody rows.
func TestEvidenceAppendOnly(t *testing.T) {
	var paths sync.Map // *testing.T → database path
	open := func(t *testing.T) store.Store {
		p, _ := paths.LoadOrStore(t, filepath.Join(t.TempDir(), "vigil.db"))
		s, err := sqlite.Open(t.Context(), p.(string))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	storetest.RunEvidenceAppendOnly(t, open, func(t *testing.T, stmt string) error {
		p, _ := paths.Load(t)
		db, err := sql.Open("sqlite", p.(string)+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = db.Exec(stmt)
		return err
	})
}
