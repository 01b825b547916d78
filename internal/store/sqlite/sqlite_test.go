package sqlite_test

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

func TestStore(t *testing.T) {
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
	storetest.Run(t, open)
	storetest.RunAudit(t, open, func(t *testing.T, stmt string) {
		t.Helper()
		p, ok := paths.Load(t)
		if !ok {
			t.Fatal("tamper before open")
		}
		db, err := sql.Open("sqlite", p.(string)+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("tamper %q: %v", stmt, err)
		}
	})
}

// TestSchemaTooNew opens a database that a newer binary migrated.
func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	s.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO schema_migrations (version, name, applied)
		VALUES (9999, 'future', '2030-01-01T00:00:00.000000Z')`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	_, err = sqlite.Open(t.Context(), path)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open(newer schema) = %v, want ErrSchemaTooNew", err)
	}
	t.Logf("error reads: %v", err)
}

// TestOpenBadPath rejects paths that the driver would read as options.
func TestOpenBadPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "dir.db")
	for _, p := range []string{"", "file:x.db", "x.db?mode=memory", missing} {
		if s, err := sqlite.Open(t.Context(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

// BenchmarkInsertEvents measures batches of 500 events.
func BenchmarkInsertEvents(b *testing.B) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "vigil.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
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
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.InsertEvents(b.Context(), events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// TestClock checks that the injected clock sets defaults and judges expiry.
func TestClock(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"),
		sqlite.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	hash := sha256.Sum256([]byte("x"))
	tok := store.Token{Name: "t", Hash: hash[:], Role: "admin", Expires: now.Add(time.Second)}
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByHash(t.Context(), hash[:])
	if err != nil || !got.Created.Equal(now) {
		t.Fatalf("TokenByHash = %+v, %v; want Created %v", got, err, now)
	}
	now = now.Add(time.Second)
	if _, err := s.TokenByHash(t.Context(), hash[:]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash at expiry = %v, want ErrNotFound", err)
	}
	inc := &incident.Incident{Title: "t"}
	if err := s.CreateIncident(t.Context(), inc); err != nil || inc.Number != "INC-2030-0001" {
		t.Errorf("CreateIncident = %q, %v; want INC-2030-0001", inc.Number, err)
	}
}
