package obligation_test

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// TestDeadlinesSource checks the obligations as deadlines of the metrics:
// acme's notice, sent two hours late, is a missed tenant deadline done at
// its sending; the window bounds and a not-required obligation leave
// deadlines out.
func TestDeadlinesSource(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.fact(t, yes(regulation.FactAwareness, t0))
	deadline := t0.Add(24 * time.Hour)
	sent := deadline.Add(2 * time.Hour)
	for _, st := range []regulation.State{regulation.StateDrafted, regulation.StateApproved,
		regulation.StateSent} {
		err := w.st.Atomically(ctx, func(tx store.Tx) error {
			_, err := w.svc.Transition(ctx, tx, w.inc.ID, gdpr, func(r *regulation.Record) error {
				out, err := r.Transition(st, regulation.Actor{ID: "user:lee",
					Role: regulation.RoleLegal}, sent, "")
				*r = out
				return err
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	src := obligation.Deadlines{Store: w.st}
	all, err := src.IncidentDeadlines(ctx, w.inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got *metrics.Deadline
	for i := range all {
		if all[i].Ref == "obligation/"+gdpr {
			got = &all[i]
		}
		if all[i].Due.IsZero() {
			t.Errorf("%s: a deadline without a due time", all[i].Ref)
		}
	}
	if got == nil {
		t.Fatalf("no deadline of %s in %v", gdpr, all)
	}
	if got.Kind != "tenant" || !got.Due.Equal(deadline) || !got.Done.Equal(sent) ||
		got.Outcome(sent.Add(time.Hour)) != metrics.Missed || got.Severity == "" {
		t.Errorf("deadline %+v; want tenant, due %v, done %v, missed", got, deadline, sent)
	}
	for _, tt := range []struct {
		from, to time.Time
		want     bool
	}{
		{time.Time{}, time.Time{}, true},
		{deadline, deadline.Add(time.Second), true},
		{deadline.Add(time.Second), time.Time{}, false},
		{time.Time{}, deadline, false},
	} {
		dl, err := src.Deadlines(ctx, tt.from, tt.to, false)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range dl {
			found = found || d.Ref == "obligation/"+gdpr
		}
		if found != tt.want {
			t.Errorf("Deadlines(%v, %v): has %s %v, want %v", tt.from, tt.to, gdpr, found,
				tt.want)
		}
	}
	legal := regulation.Actor{ID: "user:lee", Role: regulation.RoleLegal}
	for k, o := range w.records(t) {
		if k == gdpr || o.Record.Deadline.IsZero() {
			continue
		}
		if _, err := w.svc.NotRequired(ctx, w.inc.ID, k, legal, "not ours"); err != nil {
			continue // not every state allows it
		}
		dl, _ := src.IncidentDeadlines(ctx, w.inc.ID)
		for _, d := range dl {
			if d.Ref == "obligation/"+k {
				t.Errorf("%s is not required but still a deadline", k)
			}
		}
	}
}
