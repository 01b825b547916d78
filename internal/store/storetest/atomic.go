package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// incidentEntry returns the audit entry that records opening inc.
func incidentEntry(inc *incident.Incident) *audit.Entry {
	return &audit.Entry{Time: base, Actor: "user:ana", Action: audit.IncidentOpened,
		ObjectType: "incident", ObjectID: strconv.FormatInt(inc.ID, 10),
		Details: json.RawMessage(`{"number":"` + inc.Number + `"}`)}
}

// openIn opens an incident in tx with its audit entry, and returns both.
func openIn(ctx context.Context, tx store.Tx) (*incident.Incident, *audit.Entry, error) {
	inc := newIncident(base)
	if err := tx.CreateIncident(ctx, inc); err != nil {
		return nil, nil, err
	}
	e := incidentEntry(inc)
	return inc, e, tx.AppendAudit(ctx, e)
}

// trail is what the failure cases compare: the incidents, users and the
// audit chain.
type trail struct {
	Incidents []incident.Incident
	Users     []store.User
	Head      audit.Head
	Entries   int64
}

func readTrail(t *testing.T, s store.Store) trail {
	t.Helper()
	incs, err := s.ListIncidents(t.Context(), store.IncidentFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.ListUsers(t.Context(), store.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verifyAudit(t, s)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return trail{Incidents: incs.Items, Users: users, Head: rep.Head, Entries: rep.Entries}
}

// testAtomicFailures makes a transaction fail in each way a change and its
// audit entry can: nothing of it is kept, the entry is not sealed, and the
// store goes on working. Then a change commits with its entries.
func testAtomicFailures(t *testing.T, open func(t *testing.T) store.Store, _ Tamper) {
	s := open(t)
	ctx := t.Context()
	if err := s.CreateUser(ctx, &store.User{Name: "ana", Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	appendAudit(t, s, 2)
	var sealed []*audit.Entry
	before := readTrail(t, s)
	for _, tt := range failureCases(&sealed) {
		ctx, cancel := context.WithCancel(ctx)
		err := s.Atomically(ctx, func(tx store.Tx) error { return tt.fn(ctx, tx, cancel) })
		cancel()
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: Atomically = %v, want an error (%v)", tt.name, err, tt.want)
		}
		if diff := cmp.Diff(before, readTrail(t, s)); diff != "" {
			t.Errorf("%s: changes kept (-before +after):\n%s", tt.name, diff)
		}
	}
	for _, e := range sealed {
		if e != nil && e.Seq != 0 {
			t.Errorf("entry of a failed transaction published as seq %d", e.Seq)
		}
	}
	err := store.View[interface{ Nope() }]{Store: s}.Atomically(ctx,
		func(interface{ Nope() }) error {
			t.Error("View called fn with a transaction that is not its view")
			return nil
		})
	if err == nil {
		t.Error("View of a transaction that is not one: no error")
	}
	testAtomicPanic(t, s, before)
	testAtomicCommit(t, s, before)
}

// failureCase is a transaction that must fail and keep nothing.
type failureCase struct {
	name string
	fn   func(ctx context.Context, tx store.Tx, cancel context.CancelFunc) error
	want error // nil: any error
}

// failureCases returns the ways a change and its entry can fail; the
// entries they append are added to sealed.
func failureCases(sealed *[]*audit.Entry) []failureCase {
	boom := errors.New("boom")
	return []failureCase{
		{"function fails after the change and its entry", func(ctx context.Context,
			tx store.Tx, _ context.CancelFunc) error {
			_, e, err := openIn(ctx, tx)
			*sealed = append(*sealed, e)
			return errors.Join(err, boom)
		}, boom},
		{"entry invalid", func(ctx context.Context, tx store.Tx, _ context.CancelFunc) error {
			inc := newIncident(base)
			if err := tx.CreateIncident(ctx, inc); err != nil {
				return err
			}
			e := incidentEntry(inc)
			e.Action = "incident.made_up"
			*sealed = append(*sealed, e)
			return tx.AppendAudit(ctx, e)
		}, nil},
		{"entry invalid, error ignored", func(ctx context.Context, tx store.Tx,
			_ context.CancelFunc) error {
			_, e, err := openIn(ctx, tx)
			bad := *e
			bad.Details = json.RawMessage(`[1]`)
			_ = tx.AppendAudit(ctx, &bad)
			*sealed = append(*sealed, e, &bad)
			return err
		}, nil},
		{"write fails, error ignored", func(ctx context.Context, tx store.Tx,
			_ context.CancelFunc) error {
			_ = tx.CreateUser(ctx, &store.User{Name: "ana", Roles: []string{"auditor"}})
			_, e, err := openIn(ctx, tx)
			*sealed = append(*sealed, e)
			return err
		}, store.ErrDuplicate},
		{"write half done, error ignored", func(ctx context.Context, tx store.Tx,
			_ context.CancelFunc) error {
			_ = tx.CreateIncident(ctx, newIncident(base, 1<<40))
			_, e, err := openIn(ctx, tx)
			*sealed = append(*sealed, e)
			return err
		}, store.ErrNotFound},
		{"context cancelled before commit", func(ctx context.Context, tx store.Tx,
			cancel context.CancelFunc) error {
			_, e, err := openIn(ctx, tx)
			*sealed = append(*sealed, e)
			cancel()
			return err
		}, nil},
	}
}

// testAtomicPanic panics in a transaction: nothing is kept and the store
// (on SQLite, its one writer connection) is free again.
func testAtomicPanic(t *testing.T, s store.Store, before trail) {
	t.Helper()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Atomically swallowed the panic")
			}
		}()
		_ = s.Atomically(t.Context(), func(tx store.Tx) error {
			if _, _, err := openIn(t.Context(), tx); err != nil {
				return err
			}
			panic("in the middle of a change")
		})
	}()
	if diff := cmp.Diff(before, readTrail(t, s)); diff != "" {
		t.Errorf("after a panic: changes kept (-before +after):\n%s", diff)
	}
}

// testAtomicCommit commits a change with two entries, through a domain
// package's view of the transaction too: both are kept, the entries follow
// the head in order, and the numbers that failed transactions took are
// not used up.
func testAtomicCommit(t *testing.T, s store.Store, before trail) {
	t.Helper()
	ctx := t.Context()
	var inc *incident.Incident
	var entries []*audit.Entry
	err := s.Atomically(ctx, func(tx store.Tx) error {
		var e *audit.Entry
		var err error
		if inc, e, err = openIn(ctx, tx); err != nil {
			return err
		}
		more := *incidentEntry(inc)
		more.Action = audit.IncidentUpdated
		entries = append(entries, e, &more)
		return tx.AppendAudit(ctx, &more)
	})
	if err != nil {
		t.Fatalf("Atomically: %v", err)
	}
	if want := store.IncidentNumber(base.Year(), 1); inc.Number != want {
		t.Errorf("committed incident numbered %s, want %s: failed transactions used numbers",
			inc.Number, want)
	}
	for i, e := range entries {
		if e.Seq != before.Head.Seq+int64(i)+1 || e.Hash != audit.ComputeHash(*e) {
			t.Errorf("entry %d published as seq %d, want %d", i, e.Seq, before.Head.Seq+int64(i)+1)
		}
	}
	ev := newEvidence(inc.ID, sha("c"))
	err = store.View[evidence.Tx]{Store: s}.Atomically(ctx, func(tx evidence.Tx) error {
		first := &evidence.Custody{Action: evidence.Acquired, By: "user:ana", At: base}
		return errors.Join(tx.AddEvidence(ctx, ev, first), tx.AppendAudit(ctx, &audit.Entry{
			Time: base, Actor: "user:ana", Action: audit.EvidenceAdded, ObjectType: "evidence",
			ObjectID: strconv.FormatInt(ev.ID, 10), Details: json.RawMessage(`{}`)}))
	})
	if err != nil {
		t.Fatalf("View[evidence.Tx].Atomically: %v", err)
	}
	got := readTrail(t, s)
	if len(got.Incidents) != len(before.Incidents)+1 || got.Entries != before.Entries+3 {
		t.Errorf("after commits: %d incidents and %d entries, want %d and %d",
			len(got.Incidents), got.Entries, len(before.Incidents)+1, before.Entries+3)
	}
	if list, err := s.ListEvidence(ctx, inc.ID); err != nil || len(list) != 1 {
		t.Errorf("evidence after commit: %v, %v; want one", list, err)
	}
}

// testAtomicConcurrent runs changes with two audit entries each from many
// goroutines, a fifth of them failing after their writes: the chain stays
// gapless and valid, each committed change has exactly its two entries,
// next to each other and in order, and incident numbers have no gaps. Half
// the changes open incidents, which share the counter row of their year;
// the other half file support cases, which share nothing but the chain.
func testAtomicConcurrent(t *testing.T, open func(t *testing.T) store.Store, _ Tamper) {
	s := open(t)
	const workers, each = 8, 16
	rollback := errors.New("rollback")
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		committed = map[string]string{} // "incident 7" → its number, "case 3" → ""
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				var key, number string
				err := s.Atomically(t.Context(), func(tx store.Tx) error {
					var err error
					if key, number, err = changeIn(t.Context(), tx, i%2 == 0); err != nil {
						return err
					}
					if (w*each+i)%5 == 4 {
						return rollback
					}
					return nil
				})
				if err != nil && !errors.Is(err, rollback) {
					t.Errorf("Atomically: %v", err)
					return
				}
				if err == nil {
					mu.Lock()
					committed[key] = number
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	checkConcurrentTrail(t, s, committed)
}

// pairActions are the two actions a change of changeIn records, by object.
var pairActions = map[string][2]audit.Action{
	"incident": {audit.IncidentOpened, audit.IncidentUpdated},
	"case":     {audit.CaseFiled, audit.CaseEscalated},
}

// changeIn opens an incident, or files a case, in tx, with its two audit
// entries, and returns its key ("incident 7") and incident number.
func changeIn(ctx context.Context, tx store.Tx, incident bool) (key, number string,
	err error) {
	objType, id := "case", int64(0)
	if incident {
		inc := newIncident(base)
		err = tx.CreateIncident(ctx, inc)
		objType, id, number = "incident", inc.ID, inc.Number
	} else {
		c := &store.Case{Tenant: "acme", Title: "odd", Seen: "x", Service: "mail",
			Level: "low", State: "open", Reporter: "user:t", Created: base, Updated: base}
		err = tx.CreateCase(ctx, c)
		id = c.ID
	}
	if err != nil {
		return "", "", err
	}
	for _, action := range pairActions[objType] {
		err := tx.AppendAudit(ctx, &audit.Entry{Time: base, Actor: "user:ana", Action: action,
			ObjectType: objType, ObjectID: strconv.FormatInt(id, 10),
			Details: json.RawMessage(`{}`)})
		if err != nil {
			return "", "", err
		}
	}
	return objType + " " + strconv.FormatInt(id, 10), number, nil
}

// checkConcurrentTrail checks the chain and the incidents that
// testAtomicConcurrent committed.
func checkConcurrentTrail(t *testing.T, s store.Store, committed map[string]string) {
	t.Helper()
	rep, err := verifyAudit(t, s)
	if err != nil {
		t.Fatalf("verify after concurrent transactions: %v", err)
	}
	if want := int64(2 * len(committed)); rep.Entries != want || rep.Head.Seq != want {
		t.Errorf("chain of %d entries, head seq %d; want %d", rep.Entries, rep.Head.Seq, want)
	}
	page, err := s.ListAudit(t.Context(), store.AuditFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	es := page.Items
	slices.Reverse(es)
	seen := map[string]bool{}
	var numbers []string
	for i := 0; i+1 < len(es); i += 2 {
		a, b := es[i], es[i+1]
		key := a.ObjectType + " " + a.ObjectID
		number, ok := committed[key]
		pair := pairActions[a.ObjectType]
		if key != b.ObjectType+" "+b.ObjectID || a.Action != pair[0] || b.Action != pair[1] ||
			!ok || seen[key] {
			t.Fatalf("seq %d and %d: %s %s and %s %s; want the two entries of one committed "+
				"change", a.Seq, b.Seq, a.Action, key, b.Action, b.ObjectType+" "+b.ObjectID)
		}
		seen[key] = true
		if number != "" {
			numbers = append(numbers, number)
		}
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if want := store.IncidentNumber(base.Year(), int64(i+1)); n != want {
			t.Fatalf("incident numbers %v: %s where %s was expected", numbers, n, want)
		}
	}
	if len(numbers) == 0 || len(seen) == len(numbers) {
		t.Fatalf("%d changes committed, %d of them incidents: want both kinds", len(seen),
			len(numbers))
	}
}
