package notify_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vigilsec/vigil/internal/notify"
)

func TestCheckTargetHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"hooks.example.com", true},
		{"93.184.216.34", true},
		{"[2606:4700::1111]", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"localhost", false},
		{"LOCALHOST.", false},
		{"api.localhost", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"224.0.0.1", false},
		{"[::1]", false},
		{"[fe80::1]", false},
		{"[fd00::1]", false},
		{"[::ffff:127.0.0.1]", false},
		{"[::ffff:169.254.169.254]", false},
	} {
		err := notify.CheckTargetHost(tc.host)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, notify.ErrPrivateTarget) {
			t.Errorf("CheckTargetHost(%q) = %v, want ok %v", tc.host, err, tc.ok)
		}
	}
	if err := notify.CheckTargetAddr(netip.Addr{}); err == nil {
		t.Error("CheckTargetAddr(zero) = nil, want an error")
	}
}

// TestWebhookClientRefusesLoopback shows that the default client refuses a
// receiver on 127.0.0.1 when it dials (so a name resolving there is refused
// as well), and that allowPrivate lets it through.
func TestWebhookClientRefusesLoopback(t *testing.T) {
	t.Parallel()
	var hit atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit.Add(1)
	}))
	defer srv.Close()
	// "localhost" resolves to loopback: the dial-time check catches it.
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, u := range []string{srv.URL, url} {
		_, err := notify.WebhookClient(false).Post(u, "application/json", nil)
		if !errors.Is(err, notify.ErrPrivateTarget) {
			t.Errorf("POST %s with the default client: err %v, want ErrPrivateTarget", u, err)
		}
	}
	if hit.Load() != 0 {
		t.Fatalf("the receiver was reached %d times", hit.Load())
	}
	resp, err := notify.WebhookClient(true).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatalf("POST with allowPrivate: %v", err)
	}
	resp.Body.Close()
	if hit.Load() != 1 {
		t.Errorf("receiver reached %d times with allowPrivate, want 1", hit.Load())
	}
}
