package obligation_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
)

// BenchmarkRecompute recomputes the obligations of an incident that
// affects 1,000 tenants in the EU with personal data (one GDPR Art. 33(2)
// obligation each), on SQLite, after a fact that moves every deadline.
func BenchmarkRecompute(b *testing.B) {
	w := newWorld(b)
	ctx := b.Context()
	var ids []string
	for i := range 1000 {
		tn := &scope.Tenant{ID: fmt.Sprintf("b%04d", i), Name: "T",
			Profile: regulation.Profile{Jurisdictions: []string{"FR"},
				DataCategories: []string{regulation.DataPersonal}}}
		tn.Normalize()
		if err := w.st.CreateTenant(ctx, tn); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, tn.ID)
	}
	w.setScope(b, 2, ids...)
	for i := 0; b.Loop(); i++ {
		f := yes(regulation.FactAwareness, t0.Add(-time.Duration(i%50)*time.Minute))
		f.IncidentID, f.By = w.inc.ID, "user:ana"
		f.Note = "awareness corrected" // a changed fact needs its reason
		if _, err := w.svc.RecordFact(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	recs, _ := w.svc.List(ctx, w.inc.ID)
	b.ReportMetric(float64(len(recs)), "obligations")
}
