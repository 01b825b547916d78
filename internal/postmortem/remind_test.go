package postmortem

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/readiness"
)

// outbox is a readiness.Notifier that keeps one message per key, as the
// notification outbox does (a second enqueue with a known key stores
// nothing).
type outbox struct {
	byKey map[string]sent
	calls int
}

// sent is one stored reminder.
type sent struct {
	person, subject, body string
}

func (o *outbox) Remind(_ context.Context, key, person, _, subject, body string) error {
	o.calls++
	if _, ok := o.byKey[key]; !ok {
		o.byKey[key] = sent{person, subject, body}
	}
	return nil
}

// recipients returns who got a message whose key has prefix, by week slot.
func (o *outbox) recipients(prefix string) map[string][]string {
	out := map[string][]string{}
	for _, k := range slices.Sorted(maps.Keys(o.byKey)) {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		slot := k[strings.LastIndex(k, ":")+1:]
		out[slot] = append(out[slot], o.byKey[k].person)
	}
	return out
}

// TestRemindOncePerWeek runs Remind several times over two weeks and
// checks that each owner of an overdue follow-up and each member of the
// incident response team get exactly one reminder per ISO week, listing
// the right items; items not overdue (not due yet, fixed, verified) are
// never listed.
func TestRemindOncePerWeek(t *testing.T) {
	// Wednesday 2 December 2026 is in ISO week 2026-W49.
	wed := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	item := func(id int64, owner string, due time.Time, state readiness.State) FollowUp {
		return FollowUp{ID: id, IncidentID: 7, Kind: KindBug, Title: "item " + string(
			rune('A'+id-1)), Tracking: readiness.Tracking{Owner: owner, Due: due,
			State: state}}
	}
	items := []FollowUp{
		item(1, "dana", wed.Add(-3*day), readiness.StateOpen),
		item(2, "dana", wed.Add(-10*day), readiness.StateInProgress),
		item(3, "lena", wed.Add(-1*day), readiness.StateOpen),
		item(4, "omar", wed.Add(30*day), readiness.StateOpen),    // not due yet
		item(5, "omar", wed.Add(-5*day), readiness.StateFixed),   // fixed
		item(6, "sam", wed.Add(-5*day), readiness.StateVerified), // closed
	}
	team := []string{"rita", "sam", "rita", ""}
	box := &outbox{byKey: map[string]sent{}}
	// Twice on Wednesday, Thursday and Sunday of W49, then Monday and
	// Friday of W50.
	for _, now := range []time.Time{wed, wed.Add(time.Hour), wed.Add(day), wed.Add(4 * day),
		wed.Add(5 * day), wed.Add(9 * day)} {
		res, err := Remind(t.Context(), box, items, team, now)
		if err != nil {
			t.Fatalf("remind at %s: %v", now, err)
		}
		// Every run asks again; the keys keep it to one per week.
		if res.Owners != 2 || res.Team != 2 {
			t.Errorf("remind at %s: %+v, want 2 owners and 2 of the team", now, res)
		}
	}
	wantOwners := map[string][]string{"2026-W49": {"dana", "lena"},
		"2026-W50": {"dana", "lena"}}
	if diff := cmp.Diff(wantOwners, box.recipients("remind:follow-ups:")); diff != "" {
		t.Errorf("owners' reminders per week (-want +got):\n%s", diff)
	}
	wantTeam := map[string][]string{"2026-W49": {"rita", "sam"},
		"2026-W50": {"rita", "sam"}}
	if diff := cmp.Diff(wantTeam, box.recipients("remind:follow-ups-team:")); diff != "" {
		t.Errorf("team's reminders per week (-want +got):\n%s", diff)
	}
	if len(box.byKey) != 8 {
		t.Errorf("%d reminders stored, want 8: %v", len(box.byKey),
			slices.Sorted(maps.Keys(box.byKey)))
	}
	dana := box.byKey["remind:follow-ups:dana:2026-W49"]
	if !strings.Contains(dana.body, "follow-up 1 ") || !strings.Contains(dana.body,
		"follow-up 2 ") || strings.Contains(dana.body, "follow-up 3 ") ||
		dana.subject != "Overdue follow-ups: 2" {
		t.Errorf("dana's reminder: %+v, want items 1 and 2 only", dana)
	}
	rita := box.byKey["remind:follow-ups-team:rita:2026-W49"]
	for _, want := range []string{"follow-up 1 ", "follow-up 2 ", "follow-up 3 ",
		"owner lena"} {
		if !strings.Contains(rita.body, want) {
			t.Errorf("team reminder lacks %q:\n%s", want, rita.body)
		}
	}
	for _, k := range slices.Collect(maps.Keys(box.byKey)) {
		if b := box.byKey[k].body; strings.Contains(b, "follow-up 4 ") ||
			strings.Contains(b, "follow-up 5 ") || strings.Contains(b, "follow-up 6 ") {
			t.Errorf("%s lists an item that is not overdue:\n%s", k, b)
		}
	}
}

// TestRemindNothingOverdue checks that no one is reminded when nothing is
// overdue, not even the team.
func TestRemindNothingOverdue(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	box := &outbox{byKey: map[string]sent{}}
	res, err := Remind(t.Context(), box, []FollowUp{{ID: 1, Tracking: readiness.Tracking{
		Owner: "dana", Due: now, State: readiness.StateOpen}}}, []string{"rita"}, now)
	if err != nil || res != (RemindResult{}) || box.calls != 0 {
		t.Errorf("remind: %+v, %v, %d calls; want nothing", res, err, box.calls)
	}
}
