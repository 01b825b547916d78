package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// testObligations runs the tests of incident facts and obligation records.
func testObligations(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Facts", testIncidentFacts},
		{"Records", testObligationRecords},
		{"Filters", testObligationFilters},
		{"TxReads", testObligationTxReads},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// us is base kept to the microsecond, as the stores keep times.
var us = base.Truncate(time.Microsecond)

// testIncidentFacts appends facts to two incidents, reads each one's
// history in order with every field, refuses an unknown incident (keeping
// nothing), and picks the current facts.
func testIncidentFacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	other := createIncident(t, s, newIncident(base))
	facts := []store.IncidentFact{
		{IncidentID: inc.ID, Name: regulation.FactAwareness, By: "user:ana",
			Fact: regulation.Fact{Truth: regulation.Yes, At: base, RecordedAt: base,
				Note: "SOC call"}},
		{IncidentID: other.ID, Name: regulation.FactPersonalData, By: "user:bo",
			Fact: regulation.Fact{Truth: regulation.No, RecordedAt: base}},
		{IncidentID: inc.ID, Tenant: "acme", Name: regulation.FactAffectedIndividuals,
			By: "user:ana", Fact: regulation.Fact{Truth: regulation.Yes, Count: 1200,
				Residents:  map[string]int64{"US-CA": 700, "DE": 500},
				RecordedAt: base.Add(time.Minute)}},
		{IncidentID: inc.ID, Name: regulation.FactAwareness, By: "user:bo",
			Fact: regulation.Fact{Truth: regulation.Yes, At: base.Add(-time.Hour),
				RecordedAt: base.Add(2 * time.Minute), Note: "earlier log"}},
	}
	err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range facts {
			if err := tx.AddIncidentFact(ctx, &facts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("AddIncidentFact: %v", err)
	}
	for i, f := range facts {
		if f.ID == 0 || i > 0 && f.ID <= facts[i-1].ID {
			t.Errorf("fact %d: ID %d, want ascending IDs", i, f.ID)
		}
	}
	err = inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddIncidentFact(ctx, &store.IncidentFact{IncidentID: other.ID,
			Name: regulation.FactRisk, By: "user:ana"}); err != nil {
			return err
		}
		return tx.AddIncidentFact(ctx, &store.IncidentFact{IncidentID: 99999,
			Name: regulation.FactRisk, By: "user:ana"})
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddIncidentFact(unknown incident) = %v, want ErrNotFound", err)
	}

	want := []store.IncidentFact{facts[0], facts[2], facts[3]}
	for i := range want {
		want[i].At = want[i].At.Truncate(time.Microsecond)
		want[i].RecordedAt = want[i].RecordedAt.Truncate(time.Microsecond)
	}
	got, err := s.ListIncidentFacts(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	opt := cmpopts.EquateApproxTime(time.Microsecond)
	if diff := cmp.Diff(want, got, opt); diff != "" {
		t.Errorf("ListIncidentFacts (-want +got):\n%s", diff)
	}
	if got, _ := s.ListIncidentFacts(ctx, other.ID); len(got) != 1 {
		t.Errorf("facts of the other incident: %d, want 1 (the rolled back one is not kept)",
			len(got))
	}
	cur := store.CurrentFacts(got)
	if diff := cmp.Diff([]store.IncidentFact{want[2], want[1]}, cur, opt); diff != "" {
		t.Errorf("CurrentFacts (-want +got):\n%s", diff)
	}
	if got, err := s.ListIncidentFacts(ctx, 424242); err != nil || len(got) != 0 {
		t.Errorf("ListIncidentFacts(unknown) = %v, %v; want none", got, err)
	}
}

// sampleObligation returns an obligation of regime for tenant (empty: per
// incident) due at deadline, and its new record.
func sampleObligation(incidentID int64, regime, tenant string,
	deadline time.Time) *store.ObligationRecord {
	ob := regulation.Obligation{Key: regulation.Key{Regime: regime, Stage: "initial",
		Tenant: tenant}, Regime: "Regime " + regime, Version: "2026-01", Stage: "Initial",
		Holder: regulation.HolderProvider, Recipient: regulation.Recipient{
			Party: regulation.PartyTenant}, Status: regulation.StatusDue, Deadline: deadline,
		Statutory: true, ClockStart: deadline.Add(-72 * time.Hour), Clock: "awareness",
		Rule: "72 hours", Triggers: []string{"tenant " + tenant + " is affected"},
		Content: []string{"description"}, Sources: []regulation.Source{{Citation: "Art. 1",
			URL: "https://example.org"}}}
	return &store.ObligationRecord{IncidentID: incidentID, Key: ob.Key.String(),
		Obligation: ob, Record: regulation.NewRecord(ob, deadline.Add(-72*time.Hour))}
}

func putObligation(ctx context.Context, s store.Store, o *store.ObligationRecord) error {
	return s.Atomically(ctx, func(tx store.Tx) error { return tx.PutObligation(ctx, o) })
}

// testObligationRecords creates a record, refuses a second one with its
// key and one for a missing incident or a mismatched key, reads it back
// whole, updates it at its version (state, overdue flag, withdrawn) and
// refuses a stale version.
func testObligationRecords(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	o := sampleObligation(inc.ID, "gdpr-33", "acme", us.Add(72*time.Hour))
	if err := putObligation(ctx, s, o); err != nil {
		t.Fatalf("PutObligation(create) = %v", err)
	}
	if o.Version != 1 || o.Created.IsZero() || !o.Created.Equal(o.Updated) {
		t.Errorf("created: version %d, created %v, updated %v; want 1 and equal times",
			o.Version, o.Created, o.Updated)
	}
	dup := sampleObligation(inc.ID, "gdpr-33", "acme", us)
	if err := putObligation(ctx, s, dup); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("PutObligation(same key) = %v, want ErrDuplicate", err)
	}
	if err := putObligation(ctx, s, sampleObligation(77777, "x", "", us)); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("PutObligation(unknown incident) = %v, want ErrNotFound", err)
	}
	bad := sampleObligation(inc.ID, "x", "", us)
	bad.Key = "other/key"
	if err := putObligation(ctx, s, bad); err == nil {
		t.Error("PutObligation(key not the obligation's) = nil, want an error")
	}

	got, err := s.GetObligation(ctx, inc.ID, "gdpr-33/initial@acme")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(o, got, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("GetObligation (-want +got):\n%s", diff)
	}
	if _, err := s.GetObligation(ctx, inc.ID, "nope/x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetObligation(unknown) = %v, want ErrNotFound", err)
	}

	next := *got
	next.Record, err = got.Record.Transition(regulation.StateDrafted,
		regulation.Actor{ID: "ana", Role: "communications"}, us.Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	next.Record, _ = next.Record.Observe(us.Add(100 * time.Hour))
	next.Withdrawn, next.WithdrawnReason, next.Exercise = true, "scope revision 2", true
	if err := putObligation(ctx, s, &next); err != nil {
		t.Fatalf("PutObligation(update) = %v", err)
	}
	if next.Version != 2 || !next.Created.Equal(o.Created) {
		t.Errorf("updated: version %d, created %v; want 2 and %v", next.Version, next.Created,
			o.Created)
	}
	got, err = s.GetObligation(ctx, inc.ID, next.Key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&next, got, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	if got.Record.OverdueSince.IsZero() || got.Record.State != regulation.StateDrafted {
		t.Errorf("record: state %s, overdue since %v; want drafted and overdue",
			got.Record.State, got.Record.OverdueSince)
	}
	stale := next
	stale.Version = 1
	err = putObligation(ctx, s, &stale)
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Current != 2 {
		t.Errorf("PutObligation(stale) = %v, want a ConflictError at 2", err)
	}
}

// testObligationFilters lists the records by incident, tenant, for tenants
// and open ones, which leave out sent and withdrawn records.
func testObligationFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createIncident(t, s, newIncident(base))
	b := createIncident(t, s, newIncident(base))
	recs := []*store.ObligationRecord{
		sampleObligation(a.ID, "dora", "acme", us),
		sampleObligation(a.ID, "nis2", "", us),
		sampleObligation(a.ID, "gdpr", "globex", us),
		sampleObligation(b.ID, "dora", "acme", us),
		sampleObligation(b.ID, "sec", "initech", us),
	}
	recs[2].Withdrawn, recs[2].WithdrawnReason = true, "scope"
	by := regulation.Actor{ID: "ana", Role: regulation.RoleLegal}
	r := recs[4].Record
	for _, st := range []regulation.State{regulation.StateDrafted, regulation.StateApproved,
		regulation.StateSent} {
		r, _ = r.Transition(st, by, us.Add(time.Hour), "")
	}
	if r.State != regulation.StateSent {
		t.Fatalf("setup: record state %s, want sent", r.State)
	}
	recs[4].Record = r
	for _, o := range recs {
		if err := putObligation(ctx, s, o); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(f store.ObligationFilter) []string {
		t.Helper()
		got, err := s.ListObligations(ctx, f)
		if err != nil {
			t.Fatalf("ListObligations(%+v) = %v", f, err)
		}
		out := []string{}
		for _, o := range got {
			out = append(out, fmt.Sprintf("%s#%d", o.Key, o.IncidentID-a.ID))
		}
		return out
	}
	tests := []struct {
		f    store.ObligationFilter
		want []string
	}{
		{store.ObligationFilter{IncidentID: a.ID},
			[]string{"dora/initial@acme#0", "gdpr/initial@globex#0", "nis2/initial#0"}},
		{store.ObligationFilter{Tenant: "acme"},
			[]string{"dora/initial@acme#0", "dora/initial@acme#1"}},
		{store.ObligationFilter{Tenants: true, IncidentID: a.ID},
			[]string{"dora/initial@acme#0", "gdpr/initial@globex#0"}},
		{store.ObligationFilter{Open: true},
			[]string{"dora/initial@acme#0", "nis2/initial#0", "dora/initial@acme#1"}},
		{store.ObligationFilter{Open: true, IncidentID: b.ID}, []string{"dora/initial@acme#1"}},
		{store.ObligationFilter{IncidentID: 99999}, []string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, keys(tt.f)); diff != "" {
			t.Errorf("ListObligations(%+v) (-want +got):\n%s", tt.f, diff)
		}
	}
}

// testObligationTxReads checks that the reads inside a transaction see
// its writes (a scope saved, a fact and a record added), that a read
// finding nothing does not spoil it, and that a rolled back transaction
// keeps nothing.
func testObligationTxReads(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	for _, id := range []string{"acme", "zeta"} {
		if err := s.CreateTenant(ctx, sampleTenant(id)); err != nil {
			t.Fatal(err)
		}
	}
	ex := &readiness.Exercise{Name: "drill", Kind: readiness.ExerciseTabletop,
		Status: readiness.ExercisePlanned, Objectives: []string{},
		Participants: []readiness.Participant{}, Runs: []readiness.Run{}}
	if err := s.CreateExercise(ctx, ex); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkExercise(ctx, store.MarkIncident, inc.ID, ex.ID); err != nil {
		t.Fatal(err)
	}
	wantEx := ex.ID
	errRollback := errors.New("roll back")
	for _, commit := range []bool{false, true} {
		err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			if !commit {
				sc := &store.IncidentScope{IncidentID: inc.ID, Revision: 1,
					Scope: scope.Scope{Farms: []string{"f"}}, Tenants: 1,
					Unmatched: []scope.Via{}, By: "user:ana", At: base}
				if err := tx.SaveIncidentScope(ctx, sc,
					[]scope.Affected{affected("acme", "a")}); err != nil {
					return err
				}
				got, err := tx.ListAffectedTenants(ctx, inc.ID, "")
				if err != nil || len(got) != 1 || got[0].Tenant != "acme" {
					t.Errorf("ListAffectedTenants in tx = %v, %v; want acme", got, err)
				}
			}
			if _, err := tx.GetObligation(ctx, inc.ID, "dora/initial@acme"); !errors.Is(err,
				store.ErrNotFound) {
				t.Errorf("GetObligation before = %v, want ErrNotFound", err)
			}
			f := &store.IncidentFact{IncidentID: inc.ID, Name: regulation.FactAwareness,
				By: "user:ana", Fact: regulation.Fact{Truth: regulation.Yes, At: base,
					RecordedAt: base}}
			if err := tx.AddIncidentFact(ctx, f); err != nil {
				return err
			}
			if got, err := tx.ListIncidentFacts(ctx, inc.ID); err != nil || len(got) != 1 {
				t.Errorf("ListIncidentFacts in tx = %d facts, %v; want 1", len(got), err)
			}
			o := sampleObligation(inc.ID, "dora", "acme", us)
			if err := tx.PutObligation(ctx, o); err != nil {
				return err
			}
			if got, err := tx.GetObligation(ctx, inc.ID, o.Key); err != nil || got.Version != 1 {
				t.Errorf("GetObligation in tx = %v, %v; want version 1", got, err)
			}
			got, err := tx.ListObligations(ctx, store.ObligationFilter{IncidentID: inc.ID})
			if err != nil || len(got) != 1 {
				t.Errorf("ListObligations in tx = %d, %v; want 1", len(got), err)
			}
			tenants, err := tx.ObligationTenants(ctx, []string{"zeta", "nope", "acme"})
			if err != nil || len(tenants) != 2 || tenants[0].ID != "acme" ||
				tenants[1].ID != "zeta" || tenants[0].Name == "" {
				t.Errorf("ObligationTenants = %v, %v; want acme and zeta", tenants, err)
			}
			if got, err := tx.ObligationTenants(ctx, nil); err != nil || len(got) != 0 {
				t.Errorf("ObligationTenants(none) = %v, %v", got, err)
			}
			if ex, err := tx.IncidentExercise(ctx, inc.ID); err != nil || ex != wantEx {
				t.Errorf("IncidentExercise = %d, %v; want %d", ex, err, wantEx)
			}
			if !commit {
				return errRollback
			}
			return nil
		})
		if commit && err != nil {
			t.Fatalf("commit: %v", err)
		}
		if !commit && !errors.Is(err, errRollback) {
			t.Fatalf("rollback: %v", err)
		}
		facts, _ := s.ListIncidentFacts(ctx, inc.ID)
		recs, _ := s.ListObligations(ctx, store.ObligationFilter{IncidentID: inc.ID})
		want := 0
		if commit {
			want = 1
		}
		if len(facts) != want || len(recs) != want {
			t.Errorf("commit %v: %d facts and %d records kept, want %d", commit, len(facts),
				len(recs), want)
		}
	}
}
