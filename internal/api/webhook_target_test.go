package api_test

import (
	"net/http"
	"testing"

	"github.com/vigilsec/vigil/internal/api"
)

// TestWebhookPrivateTargets shows that a webhook URL naming a loopback,
// private or link-local address, or localhost, is refused with 400 unless
// Config.WebhookAllowPrivate is set (vigil serve --webhook-allow-private).
func TestWebhookPrivateTargets(t *testing.T) {
	t.Parallel()
	private := []string{
		"http://127.0.0.1:8080/hook",
		"http://localhost/hook",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.5/hook",
		"http://[::1]:9000/hook",
		"http://[::ffff:127.0.0.1]/hook",
		"https://192.168.1.10/hook",
	}
	f := newFixture(t, nil)
	for i, u := range private {
		f.send(t, "POST", "/api/v1/webhooks", map[string]any{"name": "p" + itoa(int64(i)),
			"url": u}).want(t, "private webhook "+u, http.StatusBadRequest)
	}
	f.send(t, "POST", "/api/v1/webhooks", map[string]any{"name": "public",
		"url": "https://hooks.example.com/x"}).want(t, "public webhook", http.StatusCreated)

	allowed := newFixture(t, func(c *api.Config) { c.WebhookAllowPrivate = true })
	for i, u := range private {
		allowed.send(t, "POST", "/api/v1/webhooks", map[string]any{"name": "p" +
			itoa(int64(i)), "url": u}).want(t, "allowed webhook "+u, http.StatusCreated)
	}
}
