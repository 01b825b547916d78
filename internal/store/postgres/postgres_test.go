package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/postgres/pgtest"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// open opens a store and closes it when the test ends.
func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	pgtest.RequireServer(t)
	var dsns sync.Map // *testing.T → DSN
	openT := func(t *testing.T) store.Store {
		dsn, ok := dsns.Load(t)
		if !ok {
			dsn = pgtest.NewDatabase(t)
			dsns.Store(t, dsn)
		}
		return open(t, dsn.(string))
	}
	storetest.Run(t, openT)
	storetest.RunAudit(t, openT, func(t *testing.T, stmt string) {
		t.Helper()
		dsn, ok := dsns.Load(t)
		if !ok {
			t.Fatal("tamper before open")
		}
		conn, err := pgx.Connect(t.Context(), dsn.(string))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		if _, err := conn.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("tamper %q: %v", stmt, err)
		}
	})
}

// TestSchemaTooNew opens a database that a newer binary migrated.
func TestSchemaTooNew(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	open(t, dsn).Close()

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied)
		VALUES (9999, 'future', now())`)
	conn.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	_, err = postgres.Open(t.Context(), dsn)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open(newer schema) = %v, want ErrSchemaTooNew", err)
	}
}

// TestOpenConcurrent opens one new database from several nodes at once:
// the advisory lock lets one of them migrate.
func TestOpenConcurrent(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
}

// BenchmarkInsertEvents measures batches of 500 events.
func BenchmarkInsertEvents(b *testing.B) {
	s := open(b, pgtest.NewDatabase(b))
	const batch = 500
	events := make([]*event.Event, batch)
	for i := range events {
		events[i] = &event.Event{
			Fields: map[string]any{
				"EventID": "4625", "Channel": "Security", "Computer": fmt.Sprintf("host-%d", i%20),
				"TargetUserName": "administrator", "IpAddress": "203.0.113.7", "LogonType": "3",
			},
			Source: event.Source{File: "bench.json", Line: i + 1},
		}
	}
	for b.Loop() {
		if _, err := s.InsertEvents(b.Context(), events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}
