package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
)

var needsRE = regexp.MustCompile(`[^>]*needs one of the roles[^<]*`)

// TestFormsByRole posts to every form route as every role, with the
// session's CSRF token: a role the page table refuses gets 403 from the
// page, and a role it allows is never refused with 403 by the API behind
// it, so that no role sees a form that can only fail.
func TestFormsByRole(t *testing.T) {
	e := newEnv(t, nil)
	alertID, incID := e.seed(t)
	ids := strings.NewReplacer("{id}", "1", "{task}", "1", "{member}", "1", "{rule}", "1",
		"{ev}", "1", "{nid}", "1")
	s := &server{}
	for _, role := range auth.Roles {
		b := e.signIn(t, role)
		tok := b.csrf("/incidents") // a 403 page has it too, in the sign-out form
		for _, rt := range s.routes() {
			key := rt.method + " " + rt.path
			if rt.method != http.MethodPost || pagePermissions[key].public ||
				rt.path == "/logout" {
				continue
			}
			path := rt.path
			switch {
			case strings.HasPrefix(path, "/incidents/{id}"):
				path = strings.Replace(path, "{id}", fmt.Sprint(incID), 1)
			case strings.HasPrefix(path, "/alerts/{id}"):
				path = strings.Replace(path, "{id}", fmt.Sprint(alertID), 1)
			}
			res, body := b.post(ids.Replace(path), url.Values{"csrf_token": {tok}})
			allowed := can(&auth.Principal{Roles: []string{role}}, key)
			switch {
			case !allowed && res.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: status %d, want 403 from the page table", key, role,
					res.StatusCode)
			case allowed && res.StatusCode == http.StatusForbidden:
				t.Errorf("%s as %s: the page allows it, the API refuses: %s", key, role,
					needsRE.FindString(body))
			}
		}
	}
}
