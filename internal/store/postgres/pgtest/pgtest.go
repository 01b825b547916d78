// Package pgtest gives tests a fresh PostgreSQL database of their own. It
// owns finding the test server (VIGIL_TEST_PG_DSN, else the local default),
// skipping or failing when it does not answer, and creating and dropping
// databases; it does not own the schema, which the store migrates.
package pgtest

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
)

// DefaultDSN is the server the tests use unless VIGIL_TEST_PG_DSN names
// another; it must allow CREATE DATABASE.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminDSN returns the DSN of the server's maintenance database.
func AdminDSN() string {
	if dsn := os.Getenv("VIGIL_TEST_PG_DSN"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// server connects to the test server once per test binary.
var server = sync.OnceValues(func() (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(AdminDSN())
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

// RequireServer skips the test when PostgreSQL does not answer, or fails it
// when CI is set, where the server is part of the job. It returns the
// maintenance database's configuration.
func RequireServer(t testing.TB) *pgx.ConnConfig {
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

// NewDatabase creates an empty database with a random name, dropped when
// the test ends, and returns its DSN. It calls RequireServer first.
func NewDatabase(t testing.TB) string {
	t.Helper()
	cfg := RequireServer(t)
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
	return WithDatabase(AdminDSN(), name)
}

// WithDatabase returns dsn, a URL or a keyword/value DSN, pointed at
// another database.
func WithDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil &&
		(strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")) {
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}
