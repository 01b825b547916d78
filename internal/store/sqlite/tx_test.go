package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// BenchmarkAtomic measures a change with its audit entry in one transaction
// and in two (storetest.BenchAtomic).
func BenchmarkAtomic(b *testing.B) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "vigil.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchAtomic(b, s)
}
