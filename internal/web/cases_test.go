package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// apiPost sends body as JSON to an API path with the browser's session and
// CSRF token (read from page) and fails the test unless the answer is 2xx.
func (b *browser) apiPost(page, path string, body any) {
	b.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		b.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(b.t.Context(), "POST", b.base+path,
		bytes.NewReader(raw))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf(page))
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	if got := readBody(b.t, res); res.StatusCode/100 != 2 {
		b.t.Fatalf("POST %s: status %d: %s", path, res.StatusCode, got)
	}
}

// fileCase files a case through the page's form and checks the redirect.
func fileCase(t *testing.T, b *browser, title, tenant string) {
	t.Helper()
	res, body := b.post("/cases", url.Values{"csrf_token": {b.csrf("/cases")},
		"title": {title}, "seen": {"login page shows errors"}, "service": {"portal"},
		"seen_at": {"2026-12-01T10:30"}, "level": {"high"}, "tenant": {tenant}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("file case %q: status %d, want 303: %s", title, res.StatusCode, body)
	}
}

func TestCasesPage(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.signIn(t, auth.RoleAdmin)
	fileCase(t, admin, "Globex portal down", "globex")
	tenant := e.signIn(t, auth.RoleTenantAdmin)
	fileCase(t, tenant, "Acme <b>portal</b> slow", "globex") // filed for acme anyway

	// A tenant's administrator lands on its notices (portal.go).
	res, _ := tenant.get("/")
	if loc := res.Header.Get("Location"); loc != "/portal" {
		t.Errorf("tenant-admin home: redirect to %q, want /portal", loc)
	}
	res, body := tenant.get("/cases")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("tenant-admin GET /cases: status %d", res.StatusCode)
	}
	if !strings.Contains(body, "Acme &lt;b&gt;portal&lt;/b&gt; slow") ||
		strings.Contains(body, "Globex portal down") {
		t.Errorf("tenant-admin sees the wrong cases:\n%s", body)
	}
	if strings.Contains(body, "Escalate to incident") || !strings.Contains(body, `id="file"`) {
		t.Error("tenant-admin: want the filing form and no escalation")
	}
	if !strings.Contains(body, `href="/cases"`) {
		t.Error("tenant-admin: /cases missing from the menu")
	}

	resp := e.signIn(t, auth.RoleResponder)
	_, body = resp.get("/cases")
	for _, want := range []string{"Globex portal down", "Acme &lt;b&gt;portal&lt;/b&gt; slow",
		"Escalate to incident"} {
		if !strings.Contains(body, want) {
			t.Errorf("responder /cases lacks %q", want)
		}
	}
	cases, err := e.st.ListCases(t.Context(), store.CaseFilter{Tenant: "acme"})
	if err != nil || len(cases.Items) != 1 {
		t.Fatalf("acme cases: %v, %v", cases, err)
	}
	acme := cases.Items[0]
	if acme.SeenAt.IsZero() || acme.Service != "portal" || acme.Level != "high" {
		t.Errorf("filed case = %+v", acme)
	}
	esc := fmt.Sprintf("/cases/%d/escalate", acme.ID)
	res, body = resp.post(esc, url.Values{"csrf_token": {resp.csrf("/cases")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("escalate: status %d: %s", res.StatusCode, body)
	}
	got, err := e.st.GetCase(t.Context(), acme.ID)
	if err != nil || got.State != "escalated" || got.IncidentID == 0 {
		t.Fatalf("after escalation: %+v, %v", got, err)
	}
	_, body = resp.get("/cases")
	if !strings.Contains(body, fmt.Sprintf(`href="/incidents/%d"`, got.IncidentID)) {
		t.Error("escalated case does not link its incident")
	}

	// A tenant-admin may not escalate; an executive reads but files nothing.
	res, _ = tenant.post(esc, url.Values{"csrf_token": {tenant.csrf("/cases")}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("tenant-admin escalate: status %d, want 403", res.StatusCode)
	}
	_, body = e.signIn(t, auth.RoleExecutive).get("/cases")
	if strings.Contains(body, `id="file"`) || strings.Contains(body, "Escalate to incident") {
		t.Error("executive sees forms it cannot use")
	}
}

func TestCasesCSRF(t *testing.T) {
	e := newEnv(t, nil)
	b := e.signIn(t, auth.RoleTenantAdmin)
	for _, token := range []string{"", "wrong"} {
		res, _ := b.post("/cases", url.Values{"csrf_token": {token}, "title": {"t"},
			"seen": {"s"}, "service": {"portal"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("csrf %q: status %d, want 403", token, res.StatusCode)
		}
	}
	cases, err := e.st.ListCases(t.Context(), store.CaseFilter{})
	if err != nil || len(cases.Items) != 0 {
		t.Errorf("cases after refused posts: %v, %v", cases, err)
	}
}

func TestIncidentTeamAndTasks(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	page := fmt.Sprintf("/incidents/%d", incID)
	b := e.signIn(t, auth.RoleResponder)
	_, body := b.get(page)
	for _, want := range []string{"No one engaged yet.", "No task yet."} {
		if !strings.Contains(body, want) {
			t.Errorf("empty incident page lacks %q", want)
		}
	}
	base := "/api/v1" + page
	b.apiPost(page, base+"/escalate", map[string]string{"commander": "u-responder",
		"reason": "customer data at risk"})
	b.apiPost(page, base+"/tasks", map[string]any{"phase": "analysis",
		"title": "Collect <proxy> logs", "owner": "u-responder",
		"due": "2026-12-24T12:00:00Z"})
	_, body = b.get(page)
	for _, want := range []string{`id="team"`, "u-responder", "named commander by",
		`id="tasks"`, "Collect &lt;proxy&gt; logs", "2026-12-24 12:00 UTC"} {
		if !strings.Contains(body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	for _, gone := range []string{"No one engaged yet.", "No task yet."} {
		if strings.Contains(body, gone) {
			t.Errorf("incident page still says %q", gone)
		}
	}
}
