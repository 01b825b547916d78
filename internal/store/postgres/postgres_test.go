package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// defaultDSN is the server the tests use unless VIGIL_TEST_PG_DSN names
// another; it must allow CREATE DATABASE.
const defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// adminDSN returns the DSN of the server's maintenance database.
func adminDSN() string {
	if dsn := os.Getenv("VIGIL_TEST_PG_DSN"); dsn != "" {
		return dsn
	}
	return defaultDSN
}

// server connects to the test server once per test binary.
var server = sync.OnceValues(func() (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(adminDSN())
	if err != nil {
		return nil, errors.New("VIGIL_TEST_PG_DSN does not parse")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return cfg, err
	}
	return cfg, conn.Close(ctx)
})

// requireServer skips the test when PostgreSQL does not answer, or fails it
// on CI, where the server is part of the job.
func requireServer(t testing.TB) *pgx.ConnConfig {
	t.Helper()
	cfg, err := server()
	if err == nil {
		return cfg
	}
	addr := "the server in VIGIL_TEST_PG_DSN"
	if cfg != nil {
		addr = fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
	}
	msg := fmt.Sprintf("PostgreSQL at %s is required for this test (set VIGIL_TEST_PG_DSN to "+
		"use another): %v", addr, err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return nil
}

// newDatabase creates an empty database, dropped when the test ends, and
// returns its DSN.
func newDatabase(t testing.TB) string {
	t.Helper()
	cfg := requireServer(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "vigil_test_" + hex.EncodeToString(b)

	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return withDatabase(adminDSN(), name)
}

// withDatabase returns dsn pointed at another database.
func withDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil &&
		(strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")) {
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

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
	requireServer(t)
	var dsns sync.Map // *testing.T → DSN
	storetest.Run(t, func(t *testing.T) store.Store {
		dsn, ok := dsns.Load(t)
		if !ok {
			dsn = newDatabase(t)
			dsns.Store(t, dsn)
		}
		return open(t, dsn.(string))
	})
}

// TestSchemaTooNew opens a database that a newer binary migrated.
func TestSchemaTooNew(t *testing.T) {
	dsn := newDatabase(t)
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
	dsn := newDatabase(t)
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
	s := open(b, newDatabase(b))
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
