package web

import (
	"testing"

	"github.com/vigilsec/vigil/internal/regulation"
)

func TestTimeLeft(t *testing.T) {
	for _, tc := range []struct {
		secs int64
		want string
	}{
		{0, "00:00:00 left"},
		{59, "00:00:59 left"},
		{3600 + 2*60 + 3, "01:02:03 left"},
		{86400, "1d 00:00:00 left"},
		{3*86400 + 23*3600 + 59*60 + 59, "3d 23:59:59 left"},
		{-1, "overdue by 00:00:01"},
		{-(2*86400 + 3600), "overdue by 2d 01:00:00"},
	} {
		if got := timeLeft(tc.secs); got != tc.want {
			t.Errorf("timeLeft(%d) = %q, want %q", tc.secs, got, tc.want)
		}
	}
}

func TestClearable(t *testing.T) {
	ev := func(actions ...string) []regulation.Event {
		var out []regulation.Event
		for _, a := range actions {
			out = append(out, regulation.Event{Action: a})
		}
		return out
	}
	secs := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		name string
		o    obligationItem
		want bool
	}{
		{"never flagged", obligationItem{State: "pending", SecondsLeft: secs(60)}, false},
		{"flagged, deadline moved later", obligationItem{State: "pending",
			SecondsLeft: secs(60), History: ev("transition", "overdue")}, true},
		{"flagged, still late", obligationItem{State: "drafted", SecondsLeft: secs(-1),
			History: ev("overdue")}, false},
		{"flagged, sent late", obligationItem{State: "sent", SecondsLeft: secs(-600),
			History: ev("overdue", "transition")}, true},
		{"cleared", obligationItem{State: "sent", SecondsLeft: secs(-600),
			History: ev("overdue", "overdue-cleared")}, false},
		{"flagged again", obligationItem{State: "pending", SecondsLeft: secs(5),
			History: ev("overdue", "overdue-cleared", "rescheduled", "overdue")}, true},
	} {
		if got := tc.o.Clearable(); got != tc.want {
			t.Errorf("%s: Clearable() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTally(t *testing.T) {
	secs := func(n int64) *int64 { return &n }
	sec := &dutySection{Obligations: []obligationItem{
		{Key: "a/x@acme", Tenant: "acme", State: "pending", SecondsLeft: secs(500)},
		{Key: "a/y@acme", Tenant: "acme", State: "drafted", SecondsLeft: secs(-5), Overdue: true},
		{Key: "a/z@acme", Tenant: "acme", State: "sent", SecondsLeft: secs(-50), Overdue: true},
		{Key: "b/x@acme", Tenant: "acme", State: "pending", Withdrawn: true,
			SecondsLeft: secs(-900)},
		{Key: "c/x@hooli", Tenant: "hooli", State: "pending"},
		{Key: "d/x", State: "pending", SecondsLeft: secs(-1), Overdue: true},
	}}
	sec.tally()
	acme, hooli := sec.ByTenant["acme"], sec.ByTenant["hooli"]
	if acme == nil || acme.Open != 2 || acme.Overdue != 1 || acme.Next == nil ||
		acme.Next.Key != "a/y@acme" {
		t.Errorf("acme: %+v, want 2 open, 1 overdue, next a/y@acme", acme)
	}
	if hooli == nil || hooli.Open != 1 || hooli.Next != nil {
		t.Errorf("hooli: %+v, want 1 open without a deadline", hooli)
	}
	if sec.Overdue != 2 {
		t.Errorf("overdue %d, want 2 (acme's drafted one and the authority's)", sec.Overdue)
	}
}
