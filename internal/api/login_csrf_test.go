package api

import (
	"net/http"
	"testing"
)

// TestLoginRefusesCrossSite shows that POST /api/v1/session refuses a post
// that the browser marks cross-site, so that another site's form (with a
// text/plain body holding JSON) cannot sign a browser into its account,
// while a same-origin or non-browser sign-in still works.
func TestLoginRefusesCrossSite(t *testing.T) {
	env := newMatrixEnv(t)
	login := `{"name":"victim","password":"` + victimPassword + `"}`
	status, h, _ := env.do(t, "POST", "/api/v1/session", login, nil,
		"Content-Type", "text/plain", "Sec-Fetch-Site", "cross-site")
	if status != http.StatusForbidden || h.Get("Set-Cookie") != "" {
		t.Errorf("cross-site sign-in: status %d, Set-Cookie %q; want 403 and no cookie",
			status, h.Get("Set-Cookie"))
	}
	for _, site := range []string{"same-origin", "none", ""} {
		status, _, body := env.do(t, "POST", "/api/v1/session", login, nil,
			"Sec-Fetch-Site", site)
		if status != http.StatusOK {
			t.Errorf("sign-in with Sec-Fetch-Site %q: status %d, body %s", site, status, body)
		}
	}
}
