package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// txScopeWorld holds the committed inventory, tenants, contacts and
// preparation program objects that the scope and readiness writes of a
// transaction change. The writes change copies, so that a rolled-back run
// leaves it as it was.
type txScopeWorld struct {
	tenant, gone *scope.Tenant     // gone is deleted in the transaction
	contact      *scope.Contact    // updated
	dropped      *scope.Contact    // deleted
	person       *readiness.Person // replaced
	finding      readiness.Finding // updated
	exercise     *readiness.Exercise
}

// newTxScopeWorld stores the inventory (revision 1), two tenants with a
// contact each, a person, a finding and an exercise.
func newTxScopeWorld(t *testing.T, s store.Store) *txScopeWorld {
	t.Helper()
	ctx := t.Context()
	w := &txScopeWorld{tenant: sampleTenant("acme"), gone: sampleTenant("gone"),
		person: person("ana", "responder"),
		exercise: &readiness.Exercise{Name: "drill", Kind: readiness.ExerciseSimulation,
			Status: readiness.ExerciseRunning, Objectives: []string{},
			Participants: []readiness.Participant{}, Runs: []readiness.Run{}}}
	_, err := s.ChangeInventory(ctx, store.InventoryChange{Replace: sampleInventory()})
	err = errors.Join(err, s.CreateTenant(ctx, w.tenant), s.CreateTenant(ctx, w.gone))
	if err != nil {
		t.Fatalf("store the inventory and tenants: %v", err)
	}
	w.contact = &scope.Contact{Tenant: "acme", Name: "Ana", Email: "ana@acme.example",
		Channel: scope.ChannelEmail}
	w.dropped = &scope.Contact{Tenant: "acme", Name: "Al", Phone: "+1 555 0100",
		Channel: "phone"}
	fs := []readiness.Finding{finding("pentest", "PT-1", "SQL injection")}
	err = errors.Join(s.AddContact(ctx, w.contact), s.AddContact(ctx, w.dropped),
		s.PutPerson(ctx, w.person), s.CreateFindings(ctx, fs),
		s.CreateExercise(ctx, w.exercise))
	if err != nil {
		t.Fatalf("store the contacts and the preparation program: %v", err)
	}
	w.finding = fs[0]
	return w
}

// writeScope writes the inventory, tenants, contacts, an incident's scope
// and an alert with tenants in tx.
func writeScope(ctx context.Context, tx store.Tx, w *txWorld, incID int64) error {
	sw := w.scope
	tenant, contact := *sw.tenant, *sw.contact
	tenant.Name, contact.Email = "Acme renamed", "ana@elsewhere.example"
	rev, err := tx.ChangeInventory(ctx, store.InventoryChange{Revision: 1,
		Put: scope.Inventory{Regions: []scope.Region{{ID: "ap-south"}}}})
	if err != nil || rev != 2 {
		return fmt.Errorf("ChangeInventory = %d, %v; want revision 2", rev, err)
	}
	is := &store.IncidentScope{IncidentID: w.incident.ID, Revision: 1,
		Scope: scope.Scope{Farms: []string{"st-3"}}, InventoryRevision: rev, Tenants: 1,
		Unmatched: []scope.Via{}, Diff: scope.Diff{Added: []scope.Change{{Tenant: "acme"}},
			Removed: []scope.Change{}}, By: "user:ana", At: base}
	err = errors.Join(tx.CreateTenant(ctx, sampleTenant("new")),
		tx.UpdateTenant(ctx, &tenant), tx.DeleteTenant(ctx, sw.gone.ID),
		tx.AddContact(ctx, &scope.Contact{Tenant: "new", Name: "Nia", Channel: "email",
			Email: "nia@new.example"}),
		tx.UpdateContact(ctx, &contact), tx.DeleteContact(ctx, "acme", sw.dropped.ID),
		tx.SaveIncidentScope(ctx, is, []scope.Affected{affected("acme", "a")}),
		tx.InsertAlert(ctx, &detect.Alert{RuleID: "r3", Level: "low",
			EventIDs: []int64{w.eventID}, IncidentID: incID, Tenants: []string{"acme"}}))
	if err != nil {
		return fmt.Errorf("scope writes: %w", err)
	}
	return nil
}

// writeReadiness writes the preparation program and an exercise mark in tx.
func writeReadiness(ctx context.Context, tx store.Tx, w *txWorld, _ int64) error {
	sw := w.scope
	p, f, e := *sw.person, sw.finding, *sw.exercise
	p.Roles, f.Owner, e.Name = []string{"admin"}, "carol", "drill, renamed"
	fs := []readiness.Finding{finding("scan", "S-1", "Old TLS")}
	err := errors.Join(
		tx.PutReadinessPolicy(ctx, readiness.DefaultPolicy()),
		tx.PutPerson(ctx, &p), tx.PutPerson(ctx, person("bo")),
		tx.AddCompletion(ctx, &readiness.Completion{Person: "ana", Course: "basics",
			Completed: readiness.NewDate(base), Evidence: "cert-1", RecordedBy: "user:ana",
			Recorded: base}),
		tx.CreateFindings(ctx, fs), tx.UpdateFinding(ctx, &f),
		tx.CreateExercise(ctx, &readiness.Exercise{Name: "tabletop",
			Kind: readiness.ExerciseTabletop, Status: readiness.ExercisePlanned}),
		tx.UpdateExercise(ctx, &e),
		tx.MarkExercise(ctx, store.MarkAlert, w.alert.ID, e.ID))
	if err != nil {
		return fmt.Errorf("readiness writes: %w", err)
	}
	return nil
}

// scopeState reads back what writeScope and writeReadiness change.
func scopeState(t *testing.T, s store.Store, w *txWorld, keep func(string, any, error)) {
	t.Helper()
	ctx := t.Context()
	inv, rev, err := s.LoadInventory(ctx)
	keep("inventory", []any{inv, rev}, err)
	tenants, err := s.ListTenants(ctx)
	keep("tenants", tenants, err)
	contacts, err := s.ListContacts(ctx, store.ContactFilter{})
	keep("contacts", contacts, err)
	scopes, err := s.ListIncidentScopes(ctx, w.incident.ID)
	keep("incident scopes", scopes, err)
	affected, err := s.ListAffectedTenants(ctx, w.incident.ID, "")
	keep("affected tenants", affected, err)
	pol, err := s.GetReadinessPolicy(ctx)
	keep("readiness policy", pol, err)
	people, err := s.ListPeople(ctx)
	keep("people", people, err)
	done, err := s.ListCompletions(ctx, "")
	keep("completions", done, err)
	findings, err := s.ListFindings(ctx, readiness.FindingFilter{})
	keep("findings", findings, err)
	exercises, err := s.ListExercises(ctx)
	keep("exercises", exercises, err)
	marks, err := s.ExerciseMarks(ctx, store.MarkAlert, []int64{w.alert.ID})
	keep("exercise marks", marks, err)
}

// testAtomicScopeFailedAppend makes the audit append fail after the
// inventory, tenant, contact, incident scope, alert tenant, finding,
// training, exercise and exercise mark writes of a transaction, with the
// error returned and with it ignored: either way the transaction is
// refused whole and none of the writes is kept.
func testAtomicScopeFailedAppend(t *testing.T, open func(t *testing.T) store.Store,
	_ Tamper) {
	s := open(t)
	ctx := t.Context()
	w := newTxWorld(t, s)
	before := worldState(t, s, w)
	for _, ignore := range []bool{false, true} {
		err := s.Atomically(ctx, func(tx store.Tx) error {
			c := w.copyWorld()
			if err := errors.Join(writeScope(ctx, tx, c, w.incident.ID),
				writeReadiness(ctx, tx, c, 0)); err != nil {
				return err
			}
			e := &audit.Entry{Time: base, Actor: "user:ana", Action: "tenant.made_up",
				ObjectType: "tenant", ObjectID: "acme", Details: []byte(`{}`)}
			if err := tx.AppendAudit(ctx, e); !ignore {
				return err
			}
			return nil
		})
		if err == nil {
			t.Errorf("Atomically with a failed append (ignored: %v) = nil, want an error",
				ignore)
		}
		if diff := cmp.Diff(before, worldState(t, s, w)); diff != "" {
			t.Errorf("a transaction whose append failed (ignored: %v) left changes "+
				"(-before +after):\n%s", ignore, diff)
		}
	}
}
