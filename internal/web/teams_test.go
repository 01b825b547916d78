package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/team"
)

func TestTeamsPage(t *testing.T) {
	e := newEnv(t, nil)
	a := e.signIn(t, auth.RoleAdmin)
	tok := a.csrf("/teams")
	if _, body := a.get("/teams"); !strings.Contains(body, "No team yet.") {
		t.Error("empty directory not said")
	}
	fields := url.Values{"csrf_token": {tok}, "id": {"Legal Team"}, "name": {"Legal"},
		"kind": {"legal"}, "members": {"u-legal, u-responder"},
		"escalation_contact": {"u-legal"}}
	res, body := a.post("/teams", fields)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "not a slug") ||
		!strings.Contains(body, `value="u-legal, u-responder"`) {
		t.Fatalf("bad team ID: status %d; want 422 with the message and the form kept:\n%.1500s",
			res.StatusCode, body)
	}
	fields.Set("id", "legal")
	if res, body = a.post("/teams", fields); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create team: status %d: %.500s", res.StatusCode, body)
	}

	checkRosterForm(t, a, tok)
	got, err := e.st.GetTeam(t.Context(), "legal")
	if err != nil || got.Name != "Legal and privacy" || len(got.Roster) != 2 ||
		got.Roster[1].TimeZone != "Europe/Paris" || got.Version != 3 {
		t.Fatalf("stored team %+v, %v", got, err)
	}

	// A responder reads the directory, with who is on call now, and no form.
	r := e.signIn(t, auth.RoleResponder)
	res, body = r.get("/teams")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("responder GET /teams: status %d", res.StatusCode)
	}
	oncall := body[strings.Index(body, `class="oncall"`):]
	if !strings.HasPrefix(oncall, `class="oncall"><strong>u-responder</strong>`) ||
		!strings.Contains(body, "Europe/Paris") || !strings.Contains(body, "Legal and privacy") {
		t.Errorf("directory does not show the roster and who is on call:\n%.3000s", body)
	}
	if strings.Contains(body, `id="create-team"`) || strings.Contains(body, "Save roster") {
		t.Error("responder sees the admin forms")
	}
	res, _ = r.post("/teams", url.Values{"csrf_token": {r.csrf("/teams")}, "id": {"x"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("responder creates a team: status %d, want 403", res.StatusCode)
	}
}

// checkRosterForm sets the legal team's roster (refusals naming the line
// first), then edits the team from a stale page and from the current one.
func checkRosterForm(t *testing.T, a *browser, tok string) {
	t.Helper()
	// One shift on now, one later in another zone.
	now := time.Now().UTC()
	roster := fmt.Sprintf("u-responder, %s, %s\n\n# next week\nu-legal, %s, %s, Europe/Paris\n",
		now.Add(-time.Hour).Format(wallLayout), now.Add(time.Hour).Format(wallLayout),
		now.Add(7*24*time.Hour).In(zone("Europe/Paris")).Format(wallLayout),
		now.Add(8*24*time.Hour).In(zone("Europe/Paris")).Format(wallLayout))
	res, body := a.post("/teams/legal/roster", url.Values{"csrf_token": {tok}, "version": {"1"},
		"roster": {"u-legal, tomorrow, later"}})
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "roster line 1") {
		t.Errorf("bad roster: status %d, want 422 naming line 1", res.StatusCode)
	}
	res, body = a.post("/teams/legal/roster", url.Values{"csrf_token": {tok}, "version": {"1"},
		"roster": {"u-legal, 2026-01-01 08:00, 2026-01-01 16:00\nu-intruder, 2026-01-02 08:00, " +
			"2026-01-02 16:00"}})
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "roster line 2: user &#34;u-intruder&#34; is not a member") {
		t.Errorf("roster with a stranger: status %d, want 422 naming line 2:\n%.2000s",
			res.StatusCode, body)
	}
	res, _ = a.post("/teams/legal/roster", url.Values{"csrf_token": {tok}, "version": {"1"},
		"roster": {roster}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set roster: status %d", res.StatusCode)
	}
	res, body = a.post("/teams/legal", url.Values{"csrf_token": {tok}, "version": {"1"},
		"name": {"Legal (stale)"}, "kind": {"legal"}, "members": {"u-legal"},
		"escalation_contact": {"u-legal"}})
	if res.StatusCode != http.StatusPreconditionFailed || !strings.Contains(body,
		`value="Legal (stale)"`) {
		t.Errorf("stale team edit: status %d, want 412 with the form kept", res.StatusCode)
	}
	res, _ = a.post("/teams/legal", url.Values{"csrf_token": {tok}, "version": {"2"},
		"name": {"Legal and privacy"}, "kind": {"legal"}, "members": {"u-legal, u-responder"},
		"escalation_contact": {"u-legal"}, "services": {""}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit team: status %d", res.StatusCode)
	}
}

// TestRosterText shows that the roster form's text reads back as the
// same instants, the hour that a daylight-saving change repeats included.
func TestRosterText(t *testing.T) {
	paris := zone("Europe/Paris")
	// 02:30 on 2026-10-25 happens twice in Paris (clocks go back at 03:00).
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST
	second := first.Add(time.Hour)                          // 02:30 CET
	plain := first.Add(-24 * time.Hour)
	rfc := 0
	for _, start := range []time.Time{first, second, plain} {
		text := rosterText([]team.Shift{{User: "u", Start: start, End: start.Add(time.Hour),
			TimeZone: "Europe/Paris"}})
		shifts, lines, err := parseRoster(text)
		if err != nil || len(shifts) != 1 || lines[0] != 1 {
			t.Fatalf("parse %q: %v, %v", text, shifts, err)
		}
		back, err := team.ParseShiftTime(shifts[0]["start"], paris)
		if err != nil || !back.Equal(start) || shifts[0]["time_zone"] != "Europe/Paris" {
			t.Errorf("roster line %q reads back as %v (%v), want %v", text, back, err, start)
		}
		if strings.Contains(shifts[0]["start"], "T") {
			rfc++
		}
		if start.Equal(plain) && !strings.HasPrefix(text, "u, 2026-10-24 02:30, ") {
			t.Errorf("plain shift written %q, want wall clock", text)
		}
	}
	if rfc != 1 {
		t.Errorf("%d of the two repeated 02:30s written as RFC 3339, want 1", rfc)
	}
}

// seedNotifications stores a notification whose delivery failed and one
// delivered, and returns them.
func (e *env) seedNotifications(t *testing.T) (failed, sent *notify.Notification) {
	t.Helper()
	ctx := t.Context()
	failed = &notify.Notification{Key: "k1", Channel: notify.ChannelEmail,
		Recipient: "exec@example.test", Subject: "INC-1 needs approval", Body: "b",
		Trigger: notify.TriggerApproval}
	sent = &notify.Notification{Key: "k2", Channel: notify.ChannelEmail,
		Recipient: "sam@example.test", Subject: "You were engaged", Body: "b",
		Trigger: notify.TriggerEngaged}
	for _, n := range []*notify.Notification{failed, sent} {
		if _, err := e.st.EnqueueNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	err := e.st.RecordAttempt(ctx, failed.ID, notify.Delivery{At: now,
		Error: "smtp: 554 5.7.1 relay refused", DurationMS: 41}, notify.StateFailed, 1,
		now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.RecordAttempt(ctx, sent.ID, notify.Delivery{At: now, OK: true, DurationMS: 12},
		notify.StateSent, 1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return failed, sent
}

func TestNotificationsPage(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	failed, sent := e.seedNotifications(t)
	hook := &notify.Webhook{Name: "pager", URL: "https://hooks.example.invalid/T0/s3cr3t-path",
		Secret: "0123456789abcdef0123", Triggers: []notify.Trigger{notify.TriggerPhase}}
	if err := e.st.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}

	x := e.signIn(t, auth.RoleExecutive)
	res, body := x.get("/notifications")
	if res.StatusCode != http.StatusOK ||
		!strings.Contains(body, "smtp: 554 5.7.1 relay refused") ||
		!strings.Contains(body, "INC-1 needs approval") || !strings.Contains(body, "delivered") {
		t.Fatalf("executive GET /notifications: status %d:\n%.3000s", res.StatusCode, body)
	}
	if strings.Contains(body, "Retry now") || strings.Contains(body, `id="webhooks"`) {
		t.Error("executive sees the retry button or the webhooks")
	}
	retry := fmt.Sprintf("/notifications/%d/retry", failed.ID)
	if res, _ = x.post(retry, url.Values{"csrf_token": {x.csrf("/notifications")}}); res.
		StatusCode != http.StatusForbidden {
		t.Errorf("executive retries: status %d, want 403", res.StatusCode)
	}

	a := e.signIn(t, auth.RoleAdmin)
	_, body = a.get("/notifications?state=failed")
	if !strings.Contains(body, fmt.Sprintf(`id="retry-%d"`, failed.ID)) ||
		strings.Contains(body, "You were engaged") {
		t.Error("admin, failed only: want the failed one with its retry button, not the sent one")
	}
	_, body = a.get("/notifications")
	if !strings.Contains(body, "hooks.example.invalid") || strings.Contains(body, "s3cr3t") ||
		strings.Contains(body, "0123456789abcdef") {
		t.Error("webhooks: want the host, neither the URL's path nor the secret")
	}
	tok := a.csrf("/notifications")
	res, _ = a.post(retry, url.Values{"csrf_token": {tok}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: status %d", res.StatusCode)
	}
	n, err := e.st.GetNotification(ctx, failed.ID)
	if err != nil || n.State != notify.StatePending || n.Attempts != 0 {
		t.Errorf("after retry: %+v, %v; want pending with no attempt", n, err)
	}
	res, body = a.post(fmt.Sprintf("/notifications/%d/retry", sent.ID),
		url.Values{"csrf_token": {tok}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "only a failed or dead") {
		t.Errorf("retry a sent one: status %d, want 409 with the API's message", res.StatusCode)
	}
}
