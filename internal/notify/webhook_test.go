package notify_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/notify"
)

// receiver is a real HTTP endpoint that verifies signatures. It answers the
// first fail requests with 500.
type receiver struct {
	secret notify.Secret
	now    func() time.Time

	mu       sync.Mutex
	fail     int
	keys     []string
	payloads []string
	bad      int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	err := notify.Verify(rc.secret, r.Header.Get(notify.SignatureHeader), body, rc.now(), 0)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.bad++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	rc.keys = append(rc.keys, r.Header.Get(notify.DeliveryHeader))
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "try later", http.StatusInternalServerError)
		return
	}
	rc.payloads = append(rc.payloads, string(body))
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhookSignedAndRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := &receiver{secret: "hook-secret-0123456789", now: e.clk.Now, fail: 1}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	h := &notify.Webhook{Name: "chat", URL: srv.URL + "/hook?token=url-token",
		Secret: rc.secret}
	if err := e.st.CreateWebhook(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	hooks := notify.NewWebhookSender(e.st, notify.WebhookClient(true), e.clk.Now)
	w := e.worker(t, notify.Retry{Base: time.Minute},
		map[notify.Channel]notify.Sender{notify.ChannelWebhook: hooks})
	n := &notify.Notification{Key: "phase:1:2:containment:webhook:1",
		Channel: notify.ChannelWebhook, Recipient: "1", Subject: "moved", Body: "b",
		Trigger: notify.TriggerPhase, Reason: "r", Created: e.clk.Now()}
	if _, err := e.st.EnqueueNotification(t.Context(), n); err != nil {
		t.Fatal(err)
	}

	runOnce(t, w, 1)
	got := e.get(t, n.ID)
	if got.State != notify.StateFailed || !strings.Contains(got.LastError, "500") {
		t.Fatalf("after a 500: %s, %q", got.State, got.LastError)
	}
	if strings.Contains(got.LastError, "url-token") {
		t.Errorf("stored error holds the URL's token: %q", got.LastError)
	}
	e.clk.Advance(time.Minute)
	runOnce(t, w, 1)
	if got := e.get(t, n.ID); got.State != notify.StateSent {
		t.Fatalf("after a 204: %s, %q", got.State, got.LastError)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.bad != 0 || len(rc.keys) != 2 || rc.keys[0] != n.Key || rc.keys[1] != n.Key {
		t.Errorf("receiver: %d bad signatures, delivery keys %v", rc.bad, rc.keys)
	}
	if len(rc.payloads) != 1 || !strings.Contains(rc.payloads[0], `"trigger":"phase_changed"`) {
		t.Errorf("payloads %v", rc.payloads)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":1}`)
	const secret notify.Secret = "s"
	good := notify.Sign(secret, now, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"good", good, body, now, nil},
		{"within window", good, body, now.Add(4 * time.Minute), nil},
		{"stale", good, body, now.Add(6 * time.Minute), notify.ErrStale},
		{"future", good, body, now.Add(-6 * time.Minute), notify.ErrStale},
		{"body changed", good, []byte(`{"id":2}`), now, notify.ErrBadSignature},
		{"other secret", notify.Sign("t", now, body), body, now, notify.ErrBadSignature},
		{"no time", strings.Split(good, ",")[1], body, now, notify.ErrBadSignature},
		{"garbage", "nonsense", body, now, notify.ErrBadSignature},
		{"second v1 matches", good + ",v1=00", body, now, nil},
	}
	for _, tt := range tests {
		err := notify.Verify(secret, tt.header, tt.body, tt.at, 0)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
}
