package obligation_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// t0 is the start of every test's clock.
var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// clock is a clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// world is a store with tenants and an incident, and a service over it.
type world struct {
	st  store.Store
	svc *obligation.Service
	clk *clock
	inc *incident.Incident
}

// newWorld opens a SQLite store with the tenants acme (DE, personal
// data), globex (FR, DORA financial entity) and initech (US, SEC
// registrant), and an incident whose scope affects acme.
func newWorld(t testing.TB) *world {
	t.Helper()
	return newWorldOn(t, func(clk *clock) (store.Store, error) {
		return sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"),
			sqlite.WithClock(clk.Now))
	})
}

// newWorldOn is newWorld on the store that open returns.
func newWorldOn(t testing.TB, open func(*clock) (store.Store, error)) *world {
	t.Helper()
	ctx := t.Context()
	clk := &clock{now: t0}
	st, err := open(clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, tn := range []*scope.Tenant{
		{ID: "acme", Name: "Acme GmbH", Profile: regulation.Profile{Jurisdictions: []string{"DE"},
			DataCategories: []string{regulation.DataPersonal}}},
		{ID: "globex", Name: "Globex SA", Profile: regulation.Profile{
			Jurisdictions: []string{"FR"}, Roles: []string{regulation.RoleDORAFinancialEntity},
			DataCategories: []string{regulation.DataFinancial}}},
		{ID: "initech", Name: "Initech Inc.", Profile: regulation.Profile{
			Jurisdictions: []string{"US"}, Roles: []string{regulation.RoleSECRegistrant}}},
	} {
		tn.Normalize()
		if err := st.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	inc := &incident.Incident{Title: "Storage farm breach", Severity: incident.SeverityHigh,
		Status: incident.StatusOpen, Phase: incident.PhaseDetected, Opened: t0}
	if err := st.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	cat, err := regulation.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := obligation.New(obligation.Config{Store: st, Catalog: cat, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, svc: svc, clk: clk, inc: inc}
	w.setScope(t, 1, "acme")
	return w
}

// setScope saves scope revision rev affecting tenants and recomputes the
// obligations in the same transaction, as the API does.
func (w *world) setScope(t testing.TB, rev int64, tenants ...string) []regulation.Change {
	t.Helper()
	var aff []scope.Affected
	for _, tn := range tenants {
		aff = append(aff, scope.Affected{Tenant: tn, Paths: []scope.Path{{
			Via: scope.Via{Kind: "farm", Value: "st-3"}, Text: "farm st-3"}}, PathCount: 1})
	}
	is := &store.IncidentScope{IncidentID: w.inc.ID, Revision: rev,
		Scope: scope.Scope{Farms: []string{"st-3"}}, Tenants: len(aff),
		Unmatched: []scope.Via{}, By: "user:ana", At: w.clk.Now()}
	var changes []regulation.Change
	err := w.st.Atomically(t.Context(), func(tx store.Tx) error {
		if err := tx.SaveIncidentScope(t.Context(), is, aff); err != nil {
			return err
		}
		var err error
		changes, err = w.svc.Recompute(t.Context(), tx, w.inc.ID,
			fmt.Sprintf("scope revision %d", rev))
		return err
	})
	if err != nil {
		t.Fatalf("set scope %d: %v", rev, err)
	}
	return changes
}

// fact records a fact and fails the test on error.
func (w *world) fact(t testing.TB, f store.IncidentFact) *obligation.Result {
	t.Helper()
	f.IncidentID = w.inc.ID
	if f.By == "" {
		f.By = "user:ana"
	}
	res, err := w.svc.RecordFact(t.Context(), f)
	if err != nil {
		t.Fatalf("RecordFact(%s): %v", f.Name, err)
	}
	return res
}

func yes(name string, at time.Time) store.IncidentFact {
	return store.IncidentFact{Name: name, Fact: regulation.Fact{Truth: regulation.Yes, At: at}}
}

func no(name string) store.IncidentFact {
	return store.IncidentFact{Name: name, Fact: regulation.Fact{Truth: regulation.No}}
}

// records returns the incident's records by key.
func (w *world) records(t *testing.T) map[string]store.ObligationRecord {
	t.Helper()
	list, err := w.svc.List(t.Context(), w.inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.ObligationRecord{}
	for _, o := range list {
		out[o.Key] = o
	}
	return out
}

// auditCount counts the entries with action.
func (w *world) auditCount(t *testing.T, action audit.Action) int {
	t.Helper()
	p, err := w.st.ListAudit(t.Context(), store.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

const gdpr = "gdpr-art33-2/notification@acme"

// TestRecordFactRecomputes records awareness and the personal-data facts
// and checks that acme's GDPR Art. 33(2) obligation goes from
// clock-not-started to due with a deadline 24 hours after awareness, with
// the fact and each difference audited.
func TestRecordFactRecomputes(t *testing.T) {
	w := newWorld(t)
	recs := w.records(t)
	o, ok := recs[gdpr]
	if !ok {
		t.Fatalf("no %s after the scope; have %v", gdpr, keys(recs))
	}
	if o.Obligation.Status != regulation.StatusClockNotStarted || o.Record.State !=
		regulation.StatePending || !o.Record.Deadline.IsZero() {
		t.Fatalf("before awareness: status %s, state %s, deadline %v", o.Obligation.Status,
			o.Record.State, o.Record.Deadline)
	}
	recomputed := w.auditCount(t, audit.ObligationsRecomputed)

	aware := t0.Add(-2 * time.Hour)
	res := w.fact(t, yes(regulation.FactAwareness, aware))
	if res.Fact.ID == 0 || !res.Fact.RecordedAt.Equal(t0) || res.Fact.By != "user:ana" {
		t.Errorf("fact as stored: %+v", res.Fact)
	}
	var changed bool
	for _, c := range res.Changes {
		if c.Key.String() == gdpr && c.Kind == regulation.ChangeChanged {
			changed = true
		}
	}
	if !changed {
		t.Errorf("changes %v: want %s changed", res.Changes, gdpr)
	}
	w.fact(t, yes(regulation.FactPersonalData, aware))
	w.fact(t, no(regulation.FactProviderController))

	o = w.records(t)[gdpr]
	if o.Obligation.Status != regulation.StatusDue {
		t.Errorf("status %s, want due (unknown: %v)", o.Obligation.Status, o.Obligation.Unknown)
	}
	if want := aware.Add(24 * time.Hour); !o.Record.Deadline.Equal(want) {
		t.Errorf("deadline %v, want %v", o.Record.Deadline, want)
	}
	if got := w.auditCount(t, audit.FactRecorded); got != 3 {
		t.Errorf("%d incident.fact_recorded entries, want 3", got)
	}
	if got := w.auditCount(t, audit.ObligationsRecomputed); got < recomputed+2 {
		t.Errorf("%d obligation.recomputed entries after two changing facts, want >= %d", got,
			recomputed+2)
	}
	current, history, err := w.svc.Facts(t.Context(), w.inc.ID)
	if err != nil || len(history) != 3 || len(current) != 3 {
		t.Errorf("Facts = %d current, %d history, %v; want 3 and 3", len(current),
			len(history), err)
	}

	// the same fact again changes nothing and audits no recomputation
	before := w.auditCount(t, audit.ObligationsRecomputed)
	res = w.fact(t, no(regulation.FactProviderController))
	if len(res.Changes) != 0 {
		t.Errorf("same fact again: changes %v, want none", res.Changes)
	}
	if got := w.auditCount(t, audit.ObligationsRecomputed); got != before {
		t.Errorf("same fact again: %d recomputed entries, want %d", got, before)
	}
}

// TestRecordFactRefuses checks the validation of facts: each bad one is
// refused naming its field, and nothing is stored.
func TestRecordFactRefuses(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name  string
		f     store.IncidentFact
		field string
	}{
		{"no name", store.IncidentFact{}, "name"},
		{"unknown name", store.IncidentFact{Name: "vibes"}, "name"},
		{"bad truth", store.IncidentFact{Name: regulation.FactAwareness,
			Fact: regulation.Fact{Truth: "maybe"}}, "truth"},
		{"count on a bool", store.IncidentFact{Name: regulation.FactPersonalData,
			Fact: regulation.Fact{Truth: regulation.Yes, Count: 3}}, "count"},
		{"negative count", store.IncidentFact{Name: regulation.FactAffectedIndividuals,
			Fact: regulation.Fact{Truth: regulation.Yes, Count: -1}}, "count"},
		{"bad residents", store.IncidentFact{Name: regulation.FactAffectedIndividuals,
			Fact: regulation.Fact{Truth: regulation.Yes, Count: 1,
				Residents: map[string]int64{"Germany": 1}}}, "residents"},
		{"future", yes(regulation.FactAwareness, t0.Add(time.Hour)), "at"},
		{"over 5 minutes ahead", yes(regulation.FactAwareness, t0.Add(6*time.Minute)), "at"},
		{"before 2000", yes(regulation.FactAwareness,
			time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC)), "at"},
		{"residents EU", store.IncidentFact{Name: regulation.FactAffectedIndividuals,
			Fact: regulation.Fact{Truth: regulation.Yes, Count: 5,
				Residents: map[string]int64{"EU": 1}}}, "residents"},
		{"residents over the count", store.IncidentFact{Name: regulation.FactAffectedIndividuals,
			Fact: regulation.Fact{Truth: regulation.Yes, Count: 5,
				Residents: map[string]int64{"DE": 3, "FR": 3}}}, "residents"},
		{"unknown with a time", store.IncidentFact{Name: regulation.FactAwareness,
			Fact: regulation.Fact{At: t0}}, "at"},
		{"tenant not affected", store.IncidentFact{Name: regulation.FactPersonalData,
			Tenant: "globex", Fact: regulation.Fact{Truth: regulation.Yes}}, "tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.IncidentID = w.inc.ID
			_, err := w.svc.RecordFact(t.Context(), tt.f)
			var fe *obligation.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err,
				obligation.ErrInvalid) {
				t.Errorf("RecordFact = %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
	if _, h, _ := w.svc.Facts(t.Context(), w.inc.ID); len(h) != 0 {
		t.Errorf("%d facts stored, want none", len(h))
	}
	_, err := w.svc.RecordFact(t.Context(), store.IncidentFact{IncidentID: 9999,
		Name: regulation.FactRisk})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordFact(unknown incident) = %v, want ErrNotFound", err)
	}
}

// TestScopeChangeWithdrawsAndRestores widens the scope (globex's DORA
// obligations appear), narrows it (acme's are withdrawn, kept with the
// reason and their history, a drafted state included), and widens it again
// (they come back as they were).
func TestScopeChangeWithdrawsAndRestores(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.fact(t, yes(regulation.FactAwareness, t0.Add(-time.Hour)))
	changes := w.setScope(t, 2, "acme", "globex")
	var added []string
	for _, c := range changes {
		if c.Kind == regulation.ChangeAdded {
			added = append(added, c.Key.String())
		}
	}
	if len(added) == 0 || !allContain(added, "@globex") {
		t.Errorf("scope 2 added %v, want globex's obligations", added)
	}
	err := w.st.Atomically(ctx, func(tx store.Tx) error {
		_, err := w.svc.Transition(ctx, tx, w.inc.ID, gdpr, func(r *regulation.Record) error {
			out, err := r.Transition(regulation.StateDrafted, regulation.Actor{ID: "user:cy",
				Role: "communications"}, w.clk.Now(), "")
			*r = out
			return err
		})
		return err
	})
	if err != nil {
		t.Fatalf("Transition(drafted): %v", err)
	}
	if got := w.auditCount(t, audit.ObligationStateChanged); got != 1 {
		t.Errorf("%d obligation.state_changed entries, want 1", got)
	}

	w.clk.Set(t0.Add(time.Hour))
	w.setScope(t, 3, "globex")
	o := w.records(t)[gdpr]
	if !o.Withdrawn || !strings.Contains(o.WithdrawnReason, "scope revision 3") ||
		o.Record.State != regulation.StateDrafted {
		t.Errorf("after scope 3: withdrawn %v (%q), state %s; want withdrawn, drafted kept",
			o.Withdrawn, o.WithdrawnReason, o.Record.State)
	}
	p, err := w.st.ListAudit(ctx, store.AuditFilter{Action: audit.ObligationsRecomputed,
		Limit: 1})
	if err != nil || len(p.Items) != 1 || !strings.Contains(string(p.Items[0].Details),
		gdpr) || !strings.Contains(string(p.Items[0].Details), `"withdrawn"`) {
		t.Errorf("last recomputed entry = %v, %v; want it to name the withdrawn %s", p.Items,
			err, gdpr)
	}
	// a withdrawn obligation refuses to move on
	err = w.st.Atomically(ctx, func(tx store.Tx) error {
		_, err := w.svc.Transition(ctx, tx, w.inc.ID, gdpr, func(r *regulation.Record) error {
			out, err := r.Transition(regulation.StateApproved, regulation.Actor{ID: "user:lee",
				Role: regulation.RoleLegal}, w.clk.Now(), "")
			*r = out
			return err
		})
		return err
	})
	if !errors.Is(err, obligation.ErrState) {
		t.Errorf("Transition of a withdrawn obligation = %v, want ErrState", err)
	}

	w.setScope(t, 4, "acme", "globex")
	o = w.records(t)[gdpr]
	if o.Withdrawn || o.Record.State != regulation.StateDrafted {
		t.Errorf("after scope 4: withdrawn %v, state %s; want restored and drafted",
			o.Withdrawn, o.Record.State)
	}
	var actions []string
	for _, e := range o.Record.History {
		actions = append(actions, e.Action)
	}
	if !strings.Contains(strings.Join(actions, ","), "withdrawn,restored") {
		t.Errorf("history actions %v, want withdrawn then restored", actions)
	}
}

// TestTransitionRefused checks that a refused transition stores nothing
// and matches ErrState and regulation.ErrTransition, and that an unknown
// key is not found.
func TestTransitionRefused(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	err := w.st.Atomically(ctx, func(tx store.Tx) error {
		_, err := w.svc.Transition(ctx, tx, w.inc.ID, gdpr, func(r *regulation.Record) error {
			out, err := r.Transition(regulation.StateSent, regulation.Actor{ID: "user:cy"},
				w.clk.Now(), "")
			*r = out
			return err
		})
		return err
	})
	if !errors.Is(err, obligation.ErrState) || !errors.Is(err, regulation.ErrTransition) {
		t.Errorf("pending -> sent = %v, want ErrState and ErrTransition", err)
	}
	if o := w.records(t)[gdpr]; o.Record.State != regulation.StatePending || o.Version != 1 {
		t.Errorf("after a refused change: state %s, version %d", o.Record.State, o.Version)
	}
	err = w.st.Atomically(ctx, func(tx store.Tx) error {
		_, err := w.svc.Transition(ctx, tx, w.inc.ID, "nope/x", func(*regulation.Record) error {
			return nil
		})
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown key = %v, want ErrNotFound", err)
	}
}

// TestNotRequiredAndReinstate marks an obligation not required and
// reinstates it, both audited with their reason; a missing reason is
// refused.
func TestNotRequiredAndReinstate(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	legal := regulation.Actor{ID: "user:lee", Role: regulation.RoleLegal}
	if _, err := w.svc.NotRequired(ctx, w.inc.ID, gdpr, legal, " "); !errors.Is(err,
		obligation.ErrInvalid) {
		t.Errorf("NotRequired without reason = %v, want ErrInvalid", err)
	}
	o, err := w.svc.NotRequired(ctx, w.inc.ID, gdpr, legal, "encrypted at rest, key safe")
	if err != nil || o.Record.State != regulation.StateNotRequired {
		t.Fatalf("NotRequired = %v, %v", o, err)
	}
	if _, err := w.svc.NotRequired(ctx, w.inc.ID, gdpr, legal, "again"); !errors.Is(err,
		obligation.ErrState) {
		t.Errorf("NotRequired twice = %v, want ErrState", err)
	}
	o, err = w.svc.Reinstate(ctx, w.inc.ID, gdpr, legal, "key was exposed after all")
	if err != nil || o.Record.State != regulation.StatePending {
		t.Fatalf("Reinstate = %v, %v", o, err)
	}
	if _, err := w.svc.Reinstate(ctx, w.inc.ID, gdpr, legal, "again"); !errors.Is(err,
		obligation.ErrState) {
		t.Errorf("Reinstate of a pending one = %v, want ErrState", err)
	}
	for _, a := range []audit.Action{audit.ObligationNotRequired, audit.ObligationReinstated} {
		if got := w.auditCount(t, a); got != 1 {
			t.Errorf("%d %s entries, want 1", got, a)
		}
	}
}

// TestExerciseFlag marks the incident as an exercise's: its obligations
// are computed all the same, flagged exercise.
func TestExerciseFlag(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	e := &readiness.Exercise{Name: "drill", Kind: readiness.ExerciseTabletop,
		Status: readiness.ExercisePlanned, Objectives: []string{},
		Participants: []readiness.Participant{}, Runs: []readiness.Run{}}
	if err := w.st.CreateExercise(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := w.st.MarkExercise(ctx, store.MarkIncident, w.inc.ID, e.ID); err != nil {
		t.Fatal(err)
	}
	w.fact(t, yes(regulation.FactAwareness, t0))
	recs := w.records(t)
	if len(recs) == 0 {
		t.Fatal("no obligations for the exercise's incident")
	}
	for k, o := range recs {
		if !o.Exercise {
			t.Errorf("%s: exercise false, want true", k)
		}
		if v := obligation.ViewOf(&o, "", t0); !v.Exercise {
			t.Errorf("%s: view exercise false", k)
		}
	}
}

// TestViewOf checks the view of a record: the deadline, the seconds left
// (negative once past) and the overdue flag before the watcher looked.
func TestViewOf(t *testing.T) {
	w := newWorld(t)
	w.fact(t, yes(regulation.FactAwareness, t0))
	o := w.records(t)[gdpr]
	deadline := t0.Add(24 * time.Hour)
	tests := []struct {
		now     time.Time
		left    int64
		overdue bool
	}{
		{t0, 24 * 3600, false},
		{deadline, 0, false},
		{deadline.Add(90 * time.Second), -90, true},
	}
	for _, tt := range tests {
		v := obligation.ViewOf(&o, "Acme GmbH", tt.now)
		if v.Deadline == nil || !v.Deadline.Equal(deadline) || v.SecondsLeft == nil ||
			*v.SecondsLeft != tt.left || v.Overdue != tt.overdue {
			t.Errorf("at %v: deadline %v, left %v, overdue %v; want %v, %d, %v", tt.now,
				v.Deadline, v.SecondsLeft, v.Overdue, deadline, tt.left, tt.overdue)
		}
	}
	v := obligation.ViewOf(&o, "Acme GmbH", t0)
	if v.Regime != "gdpr-art33-2" || v.Stage != "notification" || v.Tenant != "acme" ||
		v.TenantName != "Acme GmbH" || v.Explain == "" || v.Version != o.Version {
		t.Errorf("view: %+v", v)
	}
}

// TestViewTargetMissed checks HIPAA's internal target of 72 hours inside
// the 60-day limit: target_at is set, and target_missed turns true once
// the target passes unsent, or when the notice went out after it.
func TestViewTargetMissed(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	tn := &scope.Tenant{ID: "medco", Name: "MedCo Inc.", Profile: regulation.Profile{
		Jurisdictions: []string{"US"}, Roles: []string{regulation.RoleHIPAACoveredEntity},
		DataCategories: []string{regulation.DataHealth}}}
	tn.Normalize()
	if err := w.st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	w.setScope(t, 2, "acme", "medco")
	w.fact(t, yes(regulation.FactAwareness, t0))
	w.fact(t, yes(regulation.FactHealthData, t0))
	const key = "hipaa-ba/notification@medco"
	o, ok := w.records(t)[key]
	if !ok {
		t.Fatalf("no %s in %v", key, keys(w.records(t)))
	}
	target, deadline := t0.Add(72*time.Hour), t0.Add(60*24*time.Hour)
	sent := func(at time.Time) store.ObligationRecord {
		t.Helper()
		c, rec := o, o.Record
		for _, to := range []regulation.State{regulation.StateDrafted,
			regulation.StateApproved, regulation.StateSent} {
			var err error
			rec, err = rec.Transition(to, regulation.Actor{ID: "user:lea",
				Role: regulation.RoleLegal}, at, "")
			if err != nil {
				t.Fatal(err)
			}
		}
		c.Record = rec
		return c
	}
	tests := []struct {
		name   string
		rec    store.ObligationRecord
		now    time.Time
		missed bool
	}{
		{"pending before the target", o, target, false},
		{"pending past the target", o, target.Add(time.Second), true},
		{"sent before the target", sent(target.Add(-time.Hour)), deadline, false},
		{"sent after the target", sent(target.Add(time.Hour)), target.Add(2 * time.Hour), true},
	}
	for _, tt := range tests {
		v := obligation.ViewOf(&tt.rec, "MedCo Inc.", tt.now)
		if v.Deadline == nil || !v.Deadline.Equal(deadline) || v.TargetAt == nil ||
			!v.TargetAt.Equal(target) {
			t.Fatalf("%s: deadline %v, target_at %v; want %v, %v", tt.name, v.Deadline,
				v.TargetAt, deadline, target)
		}
		if v.TargetMissed != tt.missed || v.Overdue {
			t.Errorf("%s: target_missed %v, overdue %v; want %v, false", tt.name,
				v.TargetMissed, v.Overdue, tt.missed)
		}
	}

	// GDPR's deadline is statutory with no earlier target: neither is set.
	g := w.records(t)[gdpr]
	if v := obligation.ViewOf(&g, "", t0.Add(48*time.Hour)); v.TargetAt != nil || v.TargetMissed {
		t.Errorf("gdpr: target_at %v, target_missed %v; want none", v.TargetAt, v.TargetMissed)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func allContain(list []string, sub string) bool {
	for _, s := range list {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestManyTenants affects more tenants than are read one by one: each
// gets its obligation, and a tenant deleted since the scope was resolved
// gets only those of regimes that apply to every profile.
func TestManyTenants(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	var ids []string
	for i := range 40 {
		tn := &scope.Tenant{ID: fmt.Sprintf("t%02d", i), Name: fmt.Sprintf("Tenant %d", i),
			Profile: regulation.Profile{Jurisdictions: []string{"FR"},
				DataCategories: []string{regulation.DataPersonal}}}
		tn.Normalize()
		if err := w.st.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tn.ID)
	}
	w.setScope(t, 2, append(ids, "gone")...)
	recs := w.records(t)
	for _, id := range ids {
		if _, ok := recs["gdpr-art33-2/notification@"+id]; !ok {
			t.Errorf("no GDPR Art. 33(2) obligation for %s", id)
		}
	}
	for k := range recs {
		if strings.HasSuffix(k, "@gone") {
			t.Errorf("%s: a tenant without a profile triggers a regime that needs one", k)
		}
	}
}

// TestRecordFactChangeNeedsNote checks that a fact already recorded with a
// value changes only with a note, that recording the same value again or
// a first value needs none, and that a time a few minutes ahead is
// accepted.
func TestRecordFactChangeNeedsNote(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.fact(t, yes(regulation.FactAwareness, t0.Add(-time.Hour)))
	w.fact(t, yes(regulation.FactAwareness, t0.Add(-time.Hour))) // the same again
	w.fact(t, store.IncidentFact{Name: regulation.FactAffectedIndividuals,
		Fact: regulation.Fact{Truth: regulation.Yes, Count: 5,
			Residents: map[string]int64{"DE": 2, "US-CA": 3}}})
	tests := []struct {
		name string
		f    store.IncidentFact
	}{
		{"other time", yes(regulation.FactAwareness, t0.Add(-2*time.Hour))},
		{"other truth", no(regulation.FactAwareness)},
		{"other count", store.IncidentFact{Name: regulation.FactAffectedIndividuals,
			Fact: regulation.Fact{Truth: regulation.Yes, Count: 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.IncidentID = w.inc.ID
			_, err := w.svc.RecordFact(ctx, f)
			var fe *obligation.FieldError
			if !errors.As(err, &fe) || fe.Field != "note" {
				t.Fatalf("RecordFact without a note = %v, want a FieldError on note", err)
			}
			f.Note = "   "
			if _, err := w.svc.RecordFact(ctx, f); !errors.As(err, &fe) || fe.Field != "note" {
				t.Fatalf("RecordFact with a blank note = %v, want a FieldError on note", err)
			}
		})
	}
	_, h, _ := w.svc.Facts(ctx, w.inc.ID)
	if len(h) != 3 {
		t.Errorf("%d facts stored, want 3 (the refused changes stored nothing)", len(h))
	}
	f := yes(regulation.FactAwareness, t0.Add(4*time.Minute))
	f.Note = "the first time was a typo"
	if res := w.fact(t, f); !res.Fact.At.Equal(t0.Add(4 * time.Minute)) {
		t.Errorf("fact at %v, want 4 minutes ahead accepted", res.Fact.At)
	}
}

// TestAwarenessNoReason checks that awareness recorded as no says so in
// the reason of the obligations that wait for it, not "unknown".
func TestAwarenessNoReason(t *testing.T) {
	w := newWorld(t)
	w.fact(t, no(regulation.FactAwareness))
	o := w.records(t)[gdpr]
	if o.Obligation.Status != regulation.StatusClockNotStarted ||
		!strings.Contains(o.Obligation.Reason, "awareness was recorded as no") {
		t.Errorf("status %s, reason %q; want clock-not-started, awareness recorded as no",
			o.Obligation.Status, o.Obligation.Reason)
	}
}
