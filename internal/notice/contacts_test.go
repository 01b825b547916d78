package notice_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/notice"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// contacts is a fixed list of tenant contacts.
type contacts []scope.Contact

func (c contacts) ListContacts(context.Context, store.ContactFilter) ([]scope.Contact, error) {
	return c, nil
}

// TestContactWebhook posts a notice to a tenant contact's own webhook on
// loopback: signed with the tenant's derived secret (which another tenant's
// secret does not verify), with the notification's key as X-Vigil-Delivery,
// which is the sender's delivery ID; an unknown contact and a missing
// operator key fail with a clear error.
func TestContactWebhook(t *testing.T) {
	t.Parallel()
	const operator = notify.Secret("operator-key")
	type post struct {
		sig, delivery string
		body          []byte
	}
	got := make(chan post, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- post{r.Header.Get(notify.SignatureHeader), r.Header.Get(notify.DeliveryHeader), b}
	}))
	t.Cleanup(srv.Close)
	hooks := notice.ContactHooks{Secret: operator, Store: contacts{
		{ID: 7, Tenant: "acme", Name: "SOC", WebhookURL: srv.URL + "/vigil",
			Channel: scope.ChannelWebhook},
	}}
	s := notify.NewWebhookSender(nil, notify.WebhookClient(true), nil).WithContacts(hooks)
	n := &notify.Notification{ID: 3, Key: "notice:1:webhook:contact:7",
		Channel: notify.ChannelWebhook, Recipient: notify.ContactPrefix + "7",
		Subject: "Security incident", Body: "What happened.", Trigger: notify.TriggerNotice}
	if err := s.Send(t.Context(), n); err != nil {
		t.Fatalf("Send: %v", err)
	}
	p := <-got
	if p.delivery != n.Key || s.DeliveryID(n) != n.Key {
		t.Errorf("X-Vigil-Delivery %q, DeliveryID %q; want the key %q", p.delivery,
			s.DeliveryID(n), n.Key)
	}
	now := time.Now()
	if err := notify.Verify(notice.TenantSecret(operator, "acme"), p.sig, p.body, now,
		0); err != nil {
		t.Errorf("the tenant's secret does not verify the post: %v", err)
	}
	if err := notify.Verify(notice.TenantSecret(operator, "globex"), p.sig, p.body, now,
		0); err == nil {
		t.Error("another tenant's secret verifies the post")
	}
	var payload notify.WebhookPayload
	if err := json.Unmarshal(p.body, &payload); err != nil || payload.Subject != n.Subject {
		t.Errorf("payload %s: %v", p.body, err)
	}

	for _, tt := range []struct {
		name      string
		hooks     notice.ContactHooks
		recipient string
		want      string
	}{
		{"unknown contact", hooks, "contact:8", "contact 8"},
		{"not a contact ID", hooks, "contact:x", "no such contact webhook"},
		{"no operator key", notice.ContactHooks{Store: hooks.Store}, "contact:7",
			"VIGIL_NOTICE_WEBHOOK_SECRET"},
	} {
		s := notify.NewWebhookSender(nil, notify.WebhookClient(true), nil).WithContacts(
			tt.hooks)
		m := *n
		m.Recipient = tt.recipient
		err := s.Send(t.Context(), &m)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}
