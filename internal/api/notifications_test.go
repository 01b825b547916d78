package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// TestNotificationsAPI adds a webhook, moves a severity 1 incident to
// analysis, and checks the queued notifications, a manual retry and the
// webhook management answers.
func TestNotificationsAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	eve := &store.User{Name: "eve", Email: "eve@example.com", Roles: []string{"executive"}}
	if err := f.st.CreateUser(ctx, eve); err != nil {
		t.Fatal(err)
	}
	created := f.send(t, "POST", "/api/v1/webhooks", map[string]any{"name": "chat",
		"url": "https://chat.example/hook", "triggers": []string{"phase_changed"}})
	created.want(t, "create webhook", http.StatusCreated)
	secret, _ := created.body["secret"].(string)
	if len(secret) != 64 {
		t.Fatalf("generated secret %q, want 64 hex digits", secret)
	}
	_, _, raw := f.do(t, "GET", "/api/v1/webhooks", nil)
	if strings.Contains(string(raw), secret) || !strings.Contains(string(raw), `"chat"`) {
		t.Errorf("GET /api/v1/webhooks shows the secret or lacks the hook: %s", raw)
	}
	for _, bad := range []map[string]any{
		{"name": "x", "url": "ftp://x/"},
		{"name": "y", "url": "https://y/", "triggers": []string{"nope"}},
		{"name": "z", "url": "https://z/", "secret": "short"},
	} {
		f.send(t, "POST", "/api/v1/webhooks", bad).want(t, "bad webhook", http.StatusBadRequest)
	}
	f.send(t, "POST", "/api/v1/webhooks", map[string]any{"name": "chat",
		"url": "https://other.example/"}).want(t, "duplicate", http.StatusConflict)

	id := f.openIncident(t)
	f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/transitions",
		map[string]string{"to": "analysis"}).want(t, "to analysis", http.StatusOK)
	var page store.Page[notify.Notification]
	f.getJSON(t, "/api/v1/notifications?incident="+itoa(id), &page)
	var got []string
	for _, n := range page.Items {
		got = append(got, string(n.Channel)+":"+n.Recipient+":"+string(n.Trigger))
	}
	want := "webhook:1:phase_changed email:eve@example.com:phase_changed"
	if strings.Join(got, " ") != want {
		t.Fatalf("queued %v, want %s", got, want)
	}

	mail := page.Items[1]
	f.send(t, "POST", "/api/v1/notifications/"+itoa(mail.ID)+"/retry", nil).
		want(t, "retry pending", http.StatusConflict)
	err := f.st.RecordAttempt(ctx, mail.ID, notify.Delivery{At: time.Now(), Error: "554 no"},
		notify.StateDead, 8, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	f.getJSON(t, "/api/v1/notifications?state=dead", &page)
	if len(page.Items) != 1 || page.Items[0].ID != mail.ID {
		t.Fatalf("dead notifications %+v, want %d", page.Items, mail.ID)
	}
	f.send(t, "POST", "/api/v1/notifications/"+itoa(mail.ID)+"/retry", nil).
		want(t, "retry dead", http.StatusOK, "state", "pending")
	f.send(t, "POST", "/api/v1/notifications/999/retry", nil).
		want(t, "retry unknown", http.StatusNotFound)
	entries, err := f.st.ListAudit(ctx, store.AuditFilter{Action: audit.NotificationRetried})
	if err != nil || len(entries.Items) != 1 {
		t.Errorf("notification.retried entries: %d, %v; want 1", len(entries.Items), err)
	}

	// A high-impact task with an owner: the owner is assigned, executives
	// are asked to approve.
	ana := &store.User{Name: "ana", Email: "ana@example.com", Roles: []string{"responder"}}
	if err := f.st.CreateUser(ctx, ana); err != nil {
		t.Fatal(err)
	}
	f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/tasks", map[string]any{
		"phase": "eradication", "title": "wipe dc01", "owner": "ana", "high_impact": true}).
		want(t, "create task", http.StatusCreated)
	f.getJSON(t, "/api/v1/notifications?channel=email&state=pending", &page)
	got = nil
	for _, n := range page.Items {
		got = append(got, n.Recipient+":"+string(n.Trigger))
	}
	want = "eve@example.com:approval_requested ana@example.com:assigned " +
		"eve@example.com:phase_changed"
	if strings.Join(got, " ") != want {
		t.Errorf("queued e-mails %v, want %s", got, want)
	}

	status, _, _ := f.do(t, "GET", "/api/v1/notifications?state=lost", nil)
	if status != http.StatusBadRequest {
		t.Errorf("unknown state: status %d, want 400", status)
	}
	status, _, _ = f.do(t, "DELETE", "/api/v1/webhooks/1", nil)
	if status != http.StatusNoContent {
		t.Errorf("delete webhook: status %d, want 204", status)
	}
	if status, _, _ := f.do(t, "DELETE", "/api/v1/webhooks/1", nil); status != http.StatusNotFound {
		t.Errorf("delete again: status %d, want 404", status)
	}
}
