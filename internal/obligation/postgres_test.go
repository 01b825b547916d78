package obligation_test

import (
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/postgres/pgtest"
)

// TestConcurrentFactsPostgres records facts of one incident from several
// goroutines on PostgreSQL, where their transactions overlap: every fact
// is kept, the obligations end as the facts say, and no record is lost or
// doubled.
func TestConcurrentFactsPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	w := newWorldOn(t, func(clk *clock) (store.Store, error) {
		return postgres.Open(t.Context(), dsn, postgres.WithClock(clk.Now))
	})
	w.setScope(t, 2, "acme", "globex", "initech")
	facts := []store.IncidentFact{
		yes(regulation.FactAwareness, t0.Add(-time.Hour)),
		yes(regulation.FactPersonalData, t0.Add(-time.Hour)),
		no(regulation.FactProviderController),
		yes(regulation.FactClassification, t0.Add(-30*time.Minute)),
	}
	var wg sync.WaitGroup
	errs := make([]error, len(facts))
	for i, f := range facts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.IncidentID, f.By = w.inc.ID, "user:ana"
			_, errs[i] = w.svc.RecordFact(t.Context(), f)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("RecordFact(%s): %v", facts[i].Name, err)
		}
	}
	_, history, err := w.svc.Facts(t.Context(), w.inc.ID)
	if err != nil || len(history) != len(facts) {
		t.Fatalf("facts: %d, %v; want %d", len(history), err, len(facts))
	}
	o := w.records(t)[gdpr]
	if o.Obligation.Status != regulation.StatusDue || !o.Record.Deadline.Equal(
		t0.Add(23*time.Hour)) {
		t.Errorf("%s: %s by %v; want due by %v", gdpr, o.Obligation.Status, o.Record.Deadline,
			t0.Add(23*time.Hour))
	}
	dora := false
	for k, o := range w.records(t) {
		if k == "dora-art19/initial@globex" {
			dora = !o.Record.Deadline.IsZero()
		}
	}
	if !dora {
		t.Error("globex's DORA initial report has no deadline after its classification")
	}
}
