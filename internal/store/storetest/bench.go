package storetest

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// BenchAtomic measures a change with its audit entry (a support case filed
// and case.filed) on s: in one transaction, as Vigil stores them, and, for
// comparison, as the change and then the entry in two transactions, as it
// stored them before.
func BenchAtomic(b *testing.B, s store.Store) {
	ctx := b.Context()
	change := func(ctx context.Context, write func(*store.Case) error,
		app audit.Appender) error {
		c := &store.Case{Tenant: "acme", Title: "odd", Seen: "x", Service: "mail",
			Level: "low", State: "open", Reporter: "user:t", Created: base, Updated: base}
		if err := write(c); err != nil {
			return err
		}
		return app.AppendAudit(ctx, &audit.Entry{Time: base, Actor: "user:t",
			Action: audit.CaseFiled, ObjectType: "case", ObjectID: strconv.FormatInt(c.ID, 10),
			Details: json.RawMessage(`{"tenant":"acme"}`)})
	}
	b.Run("one transaction", func(b *testing.B) {
		for b.Loop() {
			err := s.Atomically(ctx, func(tx store.Tx) error {
				return change(ctx, func(c *store.Case) error { return tx.CreateCase(ctx, c) }, tx)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("two transactions", func(b *testing.B) {
		for b.Loop() {
			err := change(ctx, func(c *store.Case) error { return s.CreateCase(ctx, c) }, s)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
