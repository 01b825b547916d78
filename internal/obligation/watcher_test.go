package obligation_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// addUsers stores the staff and a tenant admin that the watcher may alert.
func (w *world) addUsers(t *testing.T) {
	t.Helper()
	for _, u := range []store.User{
		{Name: "lee", Email: "lee@provider.example", Roles: []string{"legal"}},
		{Name: "cy", Email: "cy@provider.example", Roles: []string{"communications"}},
		{Name: "eve", Email: "eve@provider.example", Roles: []string{"executive"}},
		{Name: "bo", Email: "bo@provider.example", Roles: []string{"responder"}},
		{Name: "old", Email: "old@provider.example", Roles: []string{"legal"}, Disabled: true},
		{Name: "acme-admin", Email: "admin@acme.example", Roles: []string{"tenant-admin"},
			Tenant: "acme"},
	} {
		if err := w.st.CreateUser(t.Context(), &u); err != nil {
			t.Fatal(err)
		}
	}
}

// outbox returns the e-mails queued, as "key -> recipient", sorted.
func (w *world) outbox(t *testing.T) []string {
	t.Helper()
	p, err := w.st.ListNotifications(t.Context(), store.NotificationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range p.Items {
		key, _, _ := strings.Cut(n.Key, ":email:")
		out = append(out, strings.TrimPrefix(key, "obligation:")+" -> "+n.Recipient)
	}
	slices.Sort(out)
	return out
}

func newWatcher(t *testing.T, w *world) *obligation.Watcher {
	t.Helper()
	d := notify.NewDispatcher(w.st, store.NotifyDirectory(w.st))
	wt, err := obligation.NewWatcher(obligation.WatcherConfig{Service: w.svc, People: w.st,
		Notifier: d})
	if err != nil {
		t.Fatal(err)
	}
	return wt
}

// TestWatcherReminders moves the clock across acme's GDPR Art. 33(2)
// window (24 hours from awareness) and checks each look: the reminders to
// the owners (legal and communications, as nobody is engaged), the at-risk
// escalation to legal and the executive, the overdue flag and alert, each
// queued once however often the watcher looks; then the notice is sent
// late, the flag stays, and the watcher stops.
func TestWatcherReminders(t *testing.T) {
	w := newWorld(t)
	w.addUsers(t)
	ctx := t.Context()
	w.fact(t, yes(regulation.FactAwareness, t0))
	wt := newWatcher(t, w)
	id := itoa(w.inc.ID)
	owners := func(kind, n string) []string {
		k := id + ":" + gdpr + ":" + kind + ":" + n
		return []string{k + " -> cy@provider.example", k + " -> lee@provider.example"}
	}
	escalation := func(n string) []string {
		k := id + ":" + gdpr + ":escalation:" + n
		return []string{k + " -> eve@provider.example", k + " -> lee@provider.example"}
	}
	want := []string{}
	steps := []struct {
		at      time.Duration
		overdue int
		alerts  int
		add     []string
	}{
		{time.Hour, 0, 0, nil},
		{12 * time.Hour, 0, 1, owners("reminder", "50")},
		{13 * time.Hour, 0, 0, nil},
		// 75% and 90% both passed: only the 90% reminder goes out
		{22 * time.Hour, 0, 2, append(owners("reminder", "90"), escalation("90")...)},
		{22 * time.Hour, 0, 0, nil},
		{25 * time.Hour, 1, 1, []string{
			id + ":" + gdpr + ":overdue:100 -> cy@provider.example",
			id + ":" + gdpr + ":overdue:100 -> eve@provider.example",
			id + ":" + gdpr + ":overdue:100 -> lee@provider.example"}},
		{30 * time.Hour, 0, 0, nil},
	}
	for _, st := range steps {
		w.clk.Set(t0.Add(st.at))
		res, err := wt.Tick(ctx)
		if err != nil {
			t.Fatalf("tick at +%s: %v", st.at, err)
		}
		if res.Overdue != st.overdue || res.Alerts != st.alerts {
			t.Errorf("tick at +%s: %+v, want %d overdue and %d alerts", st.at, res, st.overdue,
				st.alerts)
		}
		want = append(want, st.add...)
		slices.Sort(want)
		got := w.outbox(t)
		if diff := cmp.Diff(want, filterPrefix(got, id+":"+gdpr+":")); diff != "" {
			t.Fatalf("outbox after the tick at +%s (-want +got):\n%s", st.at, diff)
		}
	}
	for _, n := range w.outbox(t) {
		if strings.Contains(n, "acme.example") || strings.Contains(n, "bo@") ||
			strings.Contains(n, "old@") {
			t.Errorf("alert to %s: tenants, responders and disabled users get none", n)
		}
	}
	o := w.records(t)[gdpr]
	if !o.Record.OverdueSince.Equal(t0.Add(24*time.Hour)) || o.Version < 2 {
		t.Errorf("overdue since %v, want the deadline %v", o.Record.OverdueSince,
			t0.Add(24*time.Hour))
	}
	if want := []string{"reminder-50", "reminder-75", "escalation-90", "reminder-90",
		"overdue"}; !sameSet(o.Record.Alerts, want) {
		t.Errorf("alerts recorded %v, want %v", o.Record.Alerts, want)
	}
	if n := w.auditCount(t, audit.ObligationOverdue); n != 1 {
		t.Errorf("%d obligation.overdue entries, want 1", n)
	}
	if n := w.auditCount(t, audit.ObligationAlerted); n != 4 {
		t.Errorf("%d obligation.alerted entries, want 4 (50, 90, escalation, overdue)", n)
	}

	// a later awareness moves the deadline; the flag stays
	later := yes(regulation.FactAwareness, t0.Add(20*time.Hour))
	later.Note = "the first report was about another host"
	w.fact(t, later)
	o = w.records(t)[gdpr]
	if !o.Record.Deadline.Equal(t0.Add(44*time.Hour)) || !o.Record.WasOverdue() {
		t.Errorf("after a later awareness: deadline %v, overdue %v; want %v and still overdue",
			o.Record.Deadline, o.Record.WasOverdue(), t0.Add(44*time.Hour))
	}
	legal := regulation.Actor{ID: "user:lee", Role: regulation.RoleLegal}
	if _, err := w.svc.ClearOverdue(ctx, w.inc.ID, gdpr, legal,
		"awareness was recorded wrongly"); err != nil {
		t.Fatalf("ClearOverdue with a reason = %v", err)
	}
	if n := w.auditCount(t, audit.ObligationOverdueCleared); n != 1 {
		t.Errorf("%d obligation.overdue_cleared entries, want 1", n)
	}
}

// TestWatcherOwnersEngaged checks that the engaged commander is an owner,
// and that an exercise's alerts say so in the subject.
func TestWatcherOwnersEngaged(t *testing.T) {
	w := newWorld(t)
	w.addUsers(t)
	ctx := t.Context()
	err := w.st.AddEngagements(ctx, []team.Engagement{{IncidentID: w.inc.ID, User: "bo",
		Role: team.RoleCommander, Reason: "on call", EngagedAt: t0, EngagedBy: "user:bo"}})
	if err != nil {
		t.Fatal(err)
	}
	w.fact(t, yes(regulation.FactAwareness, t0))
	wt := newWatcher(t, w)
	w.clk.Set(t0.Add(12 * time.Hour))
	if _, err := wt.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	k := itoa(w.inc.ID) + ":" + gdpr + ":reminder:50"
	want := []string{k + " -> bo@provider.example"}
	if diff := cmp.Diff(want, filterPrefix(w.outbox(t), itoa(w.inc.ID)+":"+gdpr+":")); diff != "" {
		t.Errorf("reminder with a commander engaged (-want +got):\n%s", diff)
	}
}

// TestWatcherSentStops checks that a notice sent before its deadline is
// neither reminded nor found overdue.
func TestWatcherSentStops(t *testing.T) {
	w := newWorld(t)
	w.addUsers(t)
	ctx := t.Context()
	w.fact(t, yes(regulation.FactAwareness, t0))
	for _, st := range []regulation.State{regulation.StateDrafted, regulation.StateApproved,
		regulation.StateSent} {
		err := w.st.Atomically(ctx, func(tx store.Tx) error {
			_, err := w.svc.Transition(ctx, tx, w.inc.ID, gdpr, func(r *regulation.Record) error {
				out, err := r.Transition(st, regulation.Actor{ID: "user:lee",
					Role: regulation.RoleLegal}, t0.Add(time.Hour), "")
				*r = out
				return err
			})
			return err
		})
		if err != nil {
			t.Fatalf("to %s: %v", st, err)
		}
	}
	wt := newWatcher(t, w)
	w.clk.Set(t0.Add(48 * time.Hour))
	if _, err := wt.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := filterPrefix(w.outbox(t), itoa(w.inc.ID)+":"+gdpr+":"); len(got) != 0 {
		t.Errorf("alerts of a sent notice: %v", got)
	}
	if o := w.records(t)[gdpr]; o.Record.WasOverdue() {
		t.Error("a notice sent in time is overdue")
	}
}

func filterPrefix(list []string, prefix string) []string {
	out := []string{}
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestWatcherExercise checks that an exercise's incident is watched too,
// its alerts going to staff and saying it is an exercise.
func TestWatcherExercise(t *testing.T) {
	w := newWorld(t)
	w.addUsers(t)
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
	w.clk.Set(t0.Add(12 * time.Hour))
	if _, err := newWatcher(t, w).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := w.st.ListNotifications(ctx, store.NotificationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range p.Items {
		if !strings.Contains(m.Key, gdpr) {
			continue
		}
		n++
		if !strings.HasPrefix(m.Subject, "[EXERCISE ") || !strings.Contains(m.Body,
			"no tenant is notified") || strings.Contains(m.Recipient, "acme.example") {
			t.Errorf("exercise alert to %s: %q", m.Recipient, m.Subject)
		}
	}
	if n == 0 {
		t.Error("no alert about the exercise's obligation")
	}
}

// TestWatcherUndeliverable checks that an alert to people without an
// e-mail address is not recorded as sent: it is listed as undelivered,
// logged, and goes out at a later look once someone has an address.
func TestWatcherUndeliverable(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for _, u := range []store.User{
		{Name: "lee", Roles: []string{"legal"}},
		{Name: "cy", Roles: []string{"communications"}},
		{Name: "eve", Roles: []string{"executive"}},
	} {
		if err := w.st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	w.fact(t, yes(regulation.FactAwareness, t0))
	var logs bytes.Buffer
	d := notify.NewDispatcher(w.st, store.NotifyDirectory(w.st))
	wt, err := obligation.NewWatcher(obligation.WatcherConfig{Service: w.svc, People: w.st,
		Notifier: d, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	prefix := itoa(w.inc.ID) + ":" + gdpr + ":"
	for _, at := range []time.Duration{12 * time.Hour, 13 * time.Hour} {
		w.clk.Set(t0.Add(at))
		res, err := wt.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Alerts != 0 {
			t.Errorf("tick at +%s: %d alerts counted, want 0 (nobody has an address)", at,
				res.Alerts)
		}
	}
	if got := filterPrefix(w.outbox(t), prefix); len(got) != 0 {
		t.Errorf("outbox: %v, want nothing", got)
	}
	o := w.records(t)[gdpr]
	if slices.Contains(o.Record.Alerts, "reminder-50") {
		t.Errorf("alerts recorded %v: an undelivered reminder is recorded as sent",
			o.Record.Alerts)
	}
	if diff := cmp.Diff([]string{"reminder-50"}, o.Record.Undelivered); diff != "" {
		t.Errorf("undelivered (-want +got):\n%s", diff)
	}
	if v := obligation.ViewOf(&o, "", w.clk.Now()); !slices.Equal(v.UndeliveredAlerts,
		[]string{"reminder-50"}) {
		t.Errorf("view's undelivered_alerts %v, want [reminder-50]", v.UndeliveredAlerts)
	}
	for _, e := range o.Record.History {
		if strings.Contains(e.Reason, "sent") {
			t.Errorf("history says %q", e.Reason)
		}
	}
	if n := w.auditCount(t, audit.ObligationAlerted); n != 0 {
		t.Errorf("%d obligation.alerted entries, want 0", n)
	}
	if n := strings.Count(logs.String(), "obligation alert undeliverable"); n != 1 {
		t.Errorf("%d undeliverable warnings over two looks, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "kind=reminder") ||
		!strings.Contains(logs.String(), "key="+gdpr) {
		t.Errorf("warning without kind and key:\n%s", logs.String())
	}

	// lee gets an address: the next look sends the reminder, to lee only
	u, err := w.st.UserByName(ctx, "lee")
	if err != nil {
		t.Fatal(err)
	}
	u.Email = "lee@provider.example"
	if err := w.st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	w.clk.Set(t0.Add(14 * time.Hour))
	res, err := wt.Tick(ctx)
	if err != nil || res.Alerts != 1 {
		t.Fatalf("tick after an address was added: %+v, %v; want 1 alert", res, err)
	}
	want := []string{prefix + "reminder:50 -> lee@provider.example"}
	if diff := cmp.Diff(want, filterPrefix(w.outbox(t), prefix)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	o = w.records(t)[gdpr]
	if !slices.Contains(o.Record.Alerts, "reminder-50") || len(o.Record.Undelivered) != 0 {
		t.Errorf("alerts %v, undelivered %v; want reminder-50 sent", o.Record.Alerts,
			o.Record.Undelivered)
	}
	p, err := w.st.ListAudit(ctx, store.AuditFilter{Action: audit.ObligationAlerted, Limit: 10})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("obligation.alerted entries: %v, %v; want 1", p, err)
	}
	var d2 struct {
		Recipients int      `json:"recipients"`
		To         []string `json:"to"`
	}
	if err := json.Unmarshal(p.Items[0].Details, &d2); err != nil {
		t.Fatal(err)
	}
	if d2.Recipients != 1 || !slices.Equal(d2.To, []string{"lee"}) {
		t.Errorf("audit recipients %d %v, want 1 [lee]", d2.Recipients, d2.To)
	}
}

// TestSentThenDeadlineMovedEarlier checks that a notice sent in time
// becomes overdue when a backdated awareness moves its deadline before the
// send time, and stays so.
func TestSentThenDeadlineMovedEarlier(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.clk.Set(t0.Add(30 * time.Hour))
	w.fact(t, yes(regulation.FactAwareness, t0.Add(30*time.Hour))) // deadline +54h
	w.clk.Set(t0.Add(40 * time.Hour))
	for _, st := range []regulation.State{regulation.StateDrafted, regulation.StateApproved,
		regulation.StateSent} {
		err := w.st.Atomically(ctx, func(tx store.Tx) error {
			_, err := w.svc.Transition(ctx, tx, w.inc.ID, gdpr, func(r *regulation.Record) error {
				out, err := r.Transition(st, regulation.Actor{ID: "user:lee",
					Role: regulation.RoleLegal}, w.clk.Now(), "")
				*r = out
				return err
			})
			return err
		})
		if err != nil {
			t.Fatalf("to %s: %v", st, err)
		}
	}
	if o := w.records(t)[gdpr]; o.Record.WasOverdue() {
		t.Fatal("a notice sent in time is overdue")
	}
	f := yes(regulation.FactAwareness, t0) // deadline +24h, before the send at +40h
	f.Note = "the SOC knew earlier"
	w.fact(t, f)
	o := w.records(t)[gdpr]
	if want := t0.Add(24 * time.Hour); !o.Record.Deadline.Equal(want) ||
		!o.Record.OverdueSince.Equal(want) {
		t.Errorf("deadline %v, overdue since %v; want both %v", o.Record.Deadline,
			o.Record.OverdueSince, want)
	}
	if v := obligation.ViewOf(&o, "", w.clk.Now()); !v.Overdue {
		t.Error("the view does not say overdue")
	}

	// a later awareness again: the flag stays
	f = yes(regulation.FactAwareness, t0.Add(30*time.Hour))
	f.Note = "corrected back"
	w.fact(t, f)
	if o := w.records(t)[gdpr]; !o.Record.OverdueSince.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("overdue since %v after a later deadline, want it kept", o.Record.OverdueSince)
	}
}
