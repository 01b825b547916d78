package postgres_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/store/postgres/pgtest"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// BenchmarkAtomic measures a change with its audit entry in one transaction
// and in two (storetest.BenchAtomic).
func BenchmarkAtomic(b *testing.B) {
	storetest.BenchAtomic(b, open(b, pgtest.NewDatabase(b)))
}
