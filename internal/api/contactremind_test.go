package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// TestContactRemindersOutbox runs api.ContactReminders, as vigil serve does
// every hour, over the sample inventory in a real SQLite store and its
// notification outbox, where Mei Tan (hooli, verified 2025-11-02) and Peter
// Gibbons (initech, never verified) are stale: each communications user
// gets one e-mail a week listing both, hooli's and initech's admins one
// listing their own, and nobody else anything; then POST
// /api/v1/contacts/reminders (admin only) adds nothing in the same week.
func TestContactRemindersOutbox(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	for _, u := range []store.User{
		{Name: "cora", Roles: []string{auth.RoleCommunications}, Email: "cora@example.com"},
		{Name: "carl", Roles: []string{auth.RoleCommunications, auth.RoleLegal},
			Email: "carl@example.com"},
		{Name: "cody", Roles: []string{auth.RoleCommunications}}, // no address
		{Name: "cleo", Roles: []string{auth.RoleCommunications}, Email: "cleo@example.com",
			Disabled: true},
		{Name: "rita", Roles: []string{auth.RoleResponder}, Email: "rita@example.com"},
		{Name: "hooli-admin", Roles: []string{auth.RoleTenantAdmin}, Tenant: "hooli",
			Email: "it@hooli.example"},
		{Name: "initech-admin", Roles: []string{auth.RoleTenantAdmin}, Tenant: "initech",
			Email: "it@initech.example"},
		{Name: "globex-admin", Roles: []string{auth.RoleTenantAdmin}, Tenant: "globex-bank",
			Email: "it@globex.example"},
	} {
		if err := f.st.CreateUser(t.Context(), &u); err != nil {
			t.Fatal(err)
		}
	}
	// scopeNow is Tuesday 2026-12-01 (2026-W49); the last two runs are in W50.
	runs := []time.Time{scopeNow, scopeNow.Add(time.Hour), scopeNow.AddDate(0, 0, 4),
		scopeNow.AddDate(0, 0, 6), scopeNow.AddDate(0, 0, 8)}
	for _, now := range runs {
		res, err := api.ContactReminders(t.Context(), f.st, 0, now)
		if err != nil {
			t.Fatalf("reminders at %s: %v", now, err)
		}
		if res.Stale != 2 || res.Communications != 2 || res.TenantAdmins != 2 {
			t.Errorf("reminders at %s: %+v, want 2 stale, 2 communications, 2 admins",
				now, res)
		}
	}
	at := f.send(t, "POST", "/api/v1/contacts/reminders", nil)
	at.want(t, "reminders at once", http.StatusOK)
	if at.num("stale") != 2 || at.num("communications") != 2 || at.num("tenant_admins") != 2 {
		t.Errorf("reminders at once: %s, want 2 stale, 2 communications, 2 admins", at.raw)
	}
	comms := f.tokenOf(t, "comms", auth.RoleCommunications, "")
	f.send(t, "POST", "/api/v1/contacts/reminders", nil, bearer(comms)...).
		want(t, "reminders by communications", http.StatusForbidden)

	page, err := f.st.ListNotifications(t.Context(), store.NotificationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	both := []string{"hooli: Mei Tan (last verified 2025-11-02)",
		"initech: Peter Gibbons (never verified)"}
	wantLines := map[string][]string{"cora@example.com": both, "carl@example.com": both,
		"it@hooli.example": both[:1], "it@initech.example": both[1:]}
	users := map[string]string{"cora@example.com": "cora", "carl@example.com": "carl",
		"it@hooli.example": "hooli-admin", "it@initech.example": "initech-admin"}
	got := map[string][]string{}
	for _, n := range page.Items {
		if n.Trigger != notify.TriggerReminder {
			continue
		}
		// The stored key is remind:contacts:<user>:<ISO week>:email:<address>.
		parts := strings.Split(n.Key, ":")
		if n.Channel != notify.ChannelEmail || len(parts) != 6 ||
			parts[0]+":"+parts[1] != "remind:contacts" || users[n.Recipient] != parts[2] {
			t.Errorf("reminder %s to %s on channel %s", n.Key, n.Recipient, n.Channel)
			continue
		}
		got[n.Recipient] = append(got[n.Recipient], parts[3])
		var lines []string
		for _, l := range strings.Split(n.Body, "\n") {
			if s, ok := strings.CutPrefix(l, "- "); ok {
				lines = append(lines, s)
			}
		}
		if diff := cmp.Diff(wantLines[n.Recipient], lines); diff != "" {
			t.Errorf("reminder to %s lists (-want +got):\n%s", n.Recipient, diff)
		}
	}
	for _, weeks := range got {
		slices.Sort(weeks)
	}
	weeks := []string{"2026-W49", "2026-W50"}
	want := map[string][]string{"cora@example.com": weeks, "carl@example.com": weeks,
		"it@hooli.example": weeks, "it@initech.example": weeks}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reminder weeks per recipient (-want +got):\n%s", diff)
	}
}

// TestContactRemindersNoneStale: with every contact fresh, nobody is told.
func TestContactRemindersNoneStale(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	if err := f.st.CreateUser(t.Context(), &store.User{Name: "cora",
		Roles: []string{auth.RoleCommunications}, Email: "cora@example.com"}); err != nil {
		t.Fatal(err)
	}
	// Ten years: Mei Tan, verified 2025-11-02, is fresh; Peter Gibbons is
	// never verified, so remove initech's contacts first.
	cs, err := f.st.ListContacts(t.Context(), store.ContactFilter{Tenant: "initech"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := f.st.DeleteContact(t.Context(), "initech", c.ID); err != nil {
			t.Fatal(err)
		}
	}
	res, err := api.ContactReminders(t.Context(), f.st, 3650*24*time.Hour, scopeNow)
	if err != nil || res != (scope.StaleRemindResult{}) {
		t.Fatalf("ContactReminders: %+v, %v; want nothing", res, err)
	}
	page, err := f.st.ListNotifications(t.Context(), store.NotificationFilter{Limit: 1000})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("notifications: %d (%v), want none", len(page.Items), err)
	}
}
