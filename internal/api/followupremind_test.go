package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// TestFollowUpRemindersOutbox runs api.FollowUpReminders, as vigil serve
// does every hour, over a real store and its notification outbox: the
// owners of overdue follow-ups and the members and escalation contact of
// the security-response team each get exactly one e-mail per ISO week,
// however often it runs; the owner of an item not yet due gets none.
func TestFollowUpRemindersOutbox(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, name := range []string{"ana", "dana", "lena", "omar", "rita", "sam", "cora"} {
		if err := f.st.CreateUser(t.Context(), &store.User{Name: name,
			Roles: []string{"responder"}, Email: name + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tm := range []map[string]any{
		{"id": "security-response", "name": "SIRT", "kind": "security-response",
			"members": []string{"rita", "sam"}, "escalation_contact": "sam"},
		{"id": "communications", "name": "Comms", "kind": "communications",
			"members": []string{"cora"}, "escalation_contact": "cora"},
	} {
		f.send(t, "POST", "/api/v1/teams", tm).want(t, "create team", http.StatusCreated)
	}
	id := f.openIncident(t)
	f.toPostIncident(t, id)
	today := time.Now().UTC()
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	for _, fu := range []map[string]any{
		{"kind": "bug", "title": "Patch the VPN", "owner": "dana", "due": day(-3)},
		{"kind": "sop-change", "title": "Isolation SOP", "owner": "dana", "due": day(-1)},
		{"kind": "training", "title": "HTA awareness", "owner": "lena", "due": day(-2)},
		{"kind": "change-request", "title": "Later", "owner": "omar", "due": day(60)},
	} {
		f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/follow-ups", fu).
			want(t, "create follow-up", http.StatusCreated)
	}
	// Monday noon of this ISO week, then hours and days later in the same
	// week, then twice in the next week.
	monday := time.Date(today.Year(), today.Month(), today.Day(), 12, 0, 0, 0, time.UTC)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, -1)
	}
	runs := []time.Time{monday, monday.Add(time.Hour), monday.Add(50 * time.Hour),
		monday.AddDate(0, 0, 6), monday.AddDate(0, 0, 7), monday.AddDate(0, 0, 9)}
	for _, now := range runs {
		// A run before today moves to today, in the same week, so that the
		// items due before today are overdue at every run.
		if now.Before(today) {
			now = today
		}
		res, err := api.FollowUpReminders(t.Context(), f.st, now)
		if err != nil {
			t.Fatalf("reminders at %s: %v", now, err)
		}
		if res.Owners != 2 || res.Team != 2 {
			t.Errorf("reminders at %s: %+v, want 2 owners and 2 of the team", now, res)
		}
	}
	page, err := f.st.ListNotifications(t.Context(), store.NotificationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	perWeek := map[string][]string{}
	for _, n := range page.Items {
		if n.Trigger != notify.TriggerReminder {
			continue
		}
		if n.Channel != notify.ChannelEmail {
			t.Errorf("reminder %s on channel %s", n.Key, n.Channel)
		}
		week := n.Key[strings.Index(n.Key, "-W")-4 : strings.Index(n.Key, "-W")+4]
		perWeek[week] = append(perWeek[week], n.Recipient)
		if strings.Contains(n.Body, "Later") {
			t.Errorf("reminder to %s lists the item not yet due:\n%s", n.Recipient, n.Body)
		}
		if strings.HasPrefix(n.Key, "remind:follow-ups-team:") && (!strings.Contains(n.Body,
			"Patch the VPN") || !strings.Contains(n.Body, "HTA awareness")) {
			t.Errorf("team reminder to %s lacks an overdue item:\n%s", n.Recipient, n.Body)
		}
	}
	y1, w1 := monday.ISOWeek()
	y2, w2 := monday.AddDate(0, 0, 7).ISOWeek()
	want := []string{"dana@example.com", "lena@example.com", "rita@example.com",
		"sam@example.com"}
	got := map[string][]string{}
	for k, v := range perWeek {
		slices.Sort(v)
		got[k] = v
	}
	wantWeeks := map[string][]string{weekKey(y1, w1): want, weekKey(y2, w2): want}
	if diff := cmp.Diff(wantWeeks, got); diff != "" {
		t.Errorf("reminder recipients per week (-want +got):\n%s", diff)
	}
}

// weekKey formats an ISO week as the reminder keys do: "2026-W49".
func weekKey(y, w int) string { return fmt.Sprintf("%d-W%02d", y, w) }
