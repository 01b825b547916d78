package regulation

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	legal  = Actor{ID: "lena", Role: RoleLegal}
	comms  = Actor{ID: "carl", Role: "communications"}
	system = Actor{ID: "system"}
)

func testRecord(t *testing.T) Record {
	t.Helper()
	ob := Obligation{Key: Key{Regime: "sec-8k-105", Stage: "filing", Tenant: "acme"},
		Status: StatusDue, ClockStart: ts(t, "2026-07-01T00:00:00Z"),
		Deadline: ts(t, "2026-07-05T00:00:00Z")}
	return NewRecord(ob, ts(t, "2026-07-01T01:00:00Z"))
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	at := ts(t, "2026-07-02T00:00:00Z")
	for _, tc := range []struct {
		path   []State // states to reach first, in order
		to     State
		by     Actor
		reason string
		want   string // "" when allowed; else a part of the error
	}{
		{nil, StateDrafted, comms, "", ""},
		{[]State{StateDrafted}, StateApproved, legal, "", ""},
		{[]State{StateDrafted}, StateApproved, comms, "", "approval needs the legal role, not communications"},
		{[]State{StateDrafted, StateApproved}, StateSent, comms, "", ""},
		{[]State{StateDrafted, StateApproved, StateSent}, StateAcknowledged, system, "", ""},
		{nil, StateSent, comms, "", "pending -> sent: allowed from pending: drafted, not-required"},
		{nil, StateApproved, legal, "", "pending -> approved"},
		{[]State{StateDrafted}, StateSent, comms, "", "drafted -> sent"},
		{nil, StateNotRequired, legal, "", "a reason is required"},
		{nil, StateNotRequired, legal, "no EU tenant affected", ""},
		{[]State{StateDrafted}, StateNotRequired, legal, "facts changed", ""},
		{[]State{StateDrafted, StateApproved}, StateNotRequired, legal, "x", "approved -> not-required"},
		{[]State{StateDrafted, StateApproved}, StateDrafted, comms, "edit", ""},
		{[]State{StateDrafted, StateApproved, StateSent}, StatePending, comms, "", "sent -> pending"},
		{[]State{StateDrafted, StateApproved, StateSent, StateAcknowledged}, StateSent, comms, "",
			"no change is allowed from acknowledged"},
		{nil, StateDrafted, Actor{}, "", "who makes the change is required"},
	} {
		r := testRecord(t)
		var err error
		for _, s := range tc.path {
			by := comms
			if s == StateApproved {
				by = legal
			}
			if r, err = r.Transition(s, by, at, "reach "+string(s)); err != nil {
				t.Fatalf("path %v: %v", tc.path, err)
			}
		}
		from := r.State
		got, err := r.Transition(tc.to, tc.by, at, tc.reason)
		if tc.want == "" {
			if err != nil || got.State != tc.to {
				t.Errorf("%s -> %s by %+v: %v", from, tc.to, tc.by, err)
			}
			if last := got.History[len(got.History)-1]; last.From != from || last.To != tc.to ||
				last.By != tc.by {
				t.Errorf("%s -> %s: history ends with %+v", from, tc.to, last)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrTransition) {
			t.Errorf("%s -> %s by %+v: %v, want ErrTransition with %q", from, tc.to, tc.by, err, tc.want)
		}
		if got.State != from || len(got.History) != len(r.History) {
			t.Errorf("%s -> %s refused but the record changed", from, tc.to)
		}
	}
}

func TestTransitionDoesNotChangeTheReceiver(t *testing.T) {
	t.Parallel()
	r := testRecord(t)
	n := len(r.History)
	if _, err := r.Transition(StateDrafted, comms, ts(t, "2026-07-02T00:00:00Z"), ""); err != nil {
		t.Fatal(err)
	}
	if r.State != StatePending || len(r.History) != n {
		t.Error("Transition changed the record it was called on")
	}
	if _, err := r.Transition(StateDrafted, comms, ts(t, "2026-06-30T00:00:00Z"), ""); err == nil {
		t.Error("a change dated before the record's last event was accepted")
	}
}

func TestOverdueIsNeverClearedSilently(t *testing.T) {
	t.Parallel()
	r := testRecord(t) // deadline 2026-07-05 00:00 UTC
	before := ts(t, "2026-07-04T23:00:00Z")
	after := ts(t, "2026-07-05T01:00:00Z")
	if r.Overdue(before) {
		t.Error("overdue before the deadline")
	}
	r, changed := r.Observe(before)
	if changed || r.WasOverdue() {
		t.Error("Observe before the deadline marked it overdue")
	}
	if !r.Overdue(after) {
		t.Fatal("not overdue after the deadline while pending")
	}
	r, changed = r.Observe(after)
	if !changed || !r.OverdueSince.Equal(r.Deadline) {
		t.Fatalf("Observe after the deadline: changed=%v since=%v", changed, r.OverdueSince)
	}
	if _, again := r.Observe(after.Add(time.Hour)); again {
		t.Error("Observe marked it overdue twice")
	}

	// Sending clears Overdue but not WasOverdue.
	r, _ = r.Transition(StateDrafted, comms, after, "")
	r, _ = r.Transition(StateApproved, legal, after, "")
	r, err := r.Transition(StateSent, comms, after.Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Overdue(after.Add(2*time.Hour)) || !r.WasOverdue() {
		t.Errorf("after sending: Overdue=%v WasOverdue=%v, want false and true",
			r.Overdue(after.Add(2*time.Hour)), r.WasOverdue())
	}

	// A later deadline from new facts does not clear it either.
	later := Obligation{Key: r.Key, ClockStart: r.Start, Deadline: ts(t, "2026-07-10T00:00:00Z")}
	r = r.Reschedule(later, after.Add(3*time.Hour))
	if !r.WasOverdue() || !r.Deadline.Equal(later.Deadline) {
		t.Error("Reschedule cleared the overdue flag or did not take the new deadline")
	}

	// Only an explicit clearance with a reason does, and the history keeps it.
	if _, err := r.ClearOverdue(legal, after.Add(4*time.Hour), " "); err == nil {
		t.Error("ClearOverdue without a reason was accepted")
	}
	if _, err := r.ClearOverdue(Actor{}, after.Add(4*time.Hour), "x"); err == nil {
		t.Error("ClearOverdue without an actor was accepted")
	}
	r, err = r.ClearOverdue(legal, after.Add(4*time.Hour), "materiality date was corrected")
	if err != nil || r.WasOverdue() {
		t.Fatalf("ClearOverdue: %v, WasOverdue=%v", err, r.WasOverdue())
	}
	var actions []string
	for _, e := range r.History {
		actions = append(actions, e.Action)
	}
	if !slices.Contains(actions, "overdue") || !slices.Contains(actions, "overdue-cleared") ||
		!slices.Contains(actions, "rescheduled") {
		t.Errorf("history actions %v lack overdue, rescheduled or overdue-cleared", actions)
	}
}

func TestSentLateIsOverdue(t *testing.T) {
	t.Parallel()
	r := testRecord(t)
	late := ts(t, "2026-07-06T00:00:00Z")
	r, _ = r.Transition(StateDrafted, comms, late, "")
	r, _ = r.Transition(StateApproved, legal, late, "")
	// Nobody called Observe; sending after the deadline still records it.
	r, err := r.Transition(StateSent, comms, late, "")
	if err != nil {
		t.Fatal(err)
	}
	if !r.WasOverdue() || !r.OverdueSince.Equal(r.Deadline) {
		t.Errorf("sent a day late: OverdueSince=%v, want the deadline %v", r.OverdueSince, r.Deadline)
	}
	if _, err := r.ClearOverdue(legal, late, "x"); err != nil {
		t.Errorf("clearing a sent, late record with a reason: %v", err)
	}
}

func TestReminders(t *testing.T) {
	t.Parallel()
	r := testRecord(t) // clock 2026-07-01 00:00, deadline 2026-07-05 00:00: 96 hours
	s := DefaultSchedule()
	names := func(as []Alert) []string {
		var out []string
		for _, a := range as {
			n := a.Name
			if a.Superseded {
				n += " (superseded)"
			}
			out = append(out, n)
		}
		return out
	}
	for _, tc := range []struct {
		now  string
		want []string
	}{
		{"2026-07-02T23:59:00Z", nil}, // 49.98%
		{"2026-07-03T00:00:00Z", []string{"reminder-50"}},
		{"2026-07-04T00:00:00Z", []string{"reminder-50 (superseded)", "reminder-75"}},
		// 90%: the last reminder and the at-risk escalation.
		{"2026-07-04T14:24:00Z", []string{"reminder-50 (superseded)", "reminder-75 (superseded)",
			"reminder-90", "escalation-90"}},
		{"2026-07-05T00:00:01Z", []string{"reminder-50 (superseded)", "reminder-75 (superseded)",
			"reminder-90", "escalation-90 (superseded)", "overdue"}},
	} {
		if got := names(s.Due(r, ts(t, tc.now))); !slices.Equal(got, tc.want) {
			t.Errorf("due at %s = %v, want %v", tc.now, got, tc.want)
		}
	}

	// Sent alerts are not due again.
	now := ts(t, "2026-07-04T00:00:00Z")
	for _, a := range s.Due(r, now) {
		r = r.MarkAlert(a, now)
	}
	if got := s.Due(r, now); len(got) != 0 {
		t.Errorf("after marking, still due: %v", names(got))
	}
	if got := names(s.Due(r, ts(t, "2026-07-04T15:00:00Z"))); !slices.Equal(got,
		[]string{"reminder-90", "escalation-90"}) {
		t.Errorf("at 90%% after the earlier ones were sent: %v", got)
	}

	// Nothing once sent, and nothing without a deadline.
	r, _ = r.Transition(StateDrafted, comms, now, "")
	r, _ = r.Transition(StateApproved, legal, now, "")
	r, _ = r.Transition(StateSent, comms, now, "")
	if got := s.Due(r, ts(t, "2026-07-06T00:00:00Z")); len(got) != 0 {
		t.Errorf("a sent notice has alerts due: %v", names(got))
	}
	if got := s.Due(Record{State: StatePending}, now); len(got) != 0 {
		t.Errorf("a record with no deadline has alerts due: %v", names(got))
	}

	// A custom schedule.
	custom := Schedule{Reminders: []float64{0.25}, Escalation: 0.8}
	if err := custom.Validate(); err != nil {
		t.Fatal(err)
	}
	fresh := testRecord(t)
	if got := names(custom.Due(fresh, ts(t, "2026-07-04T05:00:00Z"))); !slices.Equal(got,
		[]string{"reminder-25", "escalation-80"}) {
		t.Errorf("custom schedule at 80%%: %v", got)
	}
	for _, bad := range []Schedule{{Reminders: []float64{0.5, 0.4}, Escalation: 0.9},
		{Reminders: []float64{1}, Escalation: 0.9}, {Escalation: 0},
		{Reminders: []float64{math.NaN()}, Escalation: 0.9}, {Escalation: math.NaN()}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
}
