package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
)

// importSample imports the sample inventory through the page's form.
func importSample(t *testing.T, b *browser) {
	t.Helper()
	data, err := os.ReadFile("../../samples/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, body := b.post("/inventory/import", url.Values{"csrf_token": {b.csrf("/inventory")},
		"format": {"yaml"}, "file": {string(data)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: status %d, want 303: %s", res.StatusCode, body)
	}
}

func TestInventoryPage(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.signIn(t, auth.RoleAdmin)
	importSample(t, admin)
	_, body := admin.get("/inventory?imported=1")
	for _, want := range []string{"Imported: inventory revision 1.", `id="farm-st-3"`,
		"st-3-01.fra1.example.net", "whole service in eu-west serves globex-bank",
		"7 farms · 7 servers"} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("inventory page lacks %q", want)
		}
	}

	// A bad file keeps the text and lists each problem with its line.
	bad := "kind,id,farm\nserver,web-1.example,st-9\n"
	res, body := admin.post("/inventory/import", url.Values{"csrf_token": {
		admin.csrf("/inventory")}, "format": {"csv"}, "file": {bad}})
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(html.UnescapeString(body),
			`line 2: server web-1.example: farm: "st-9" is not in the inventory`) ||
		!strings.Contains(body, "server,web-1.example,st-9") {
		t.Errorf("bad import: status %d, page lacks the problem or the text:\n%s",
			res.StatusCode, body)
	}

	responder := e.signIn(t, auth.RoleResponder)
	if _, body := responder.get("/inventory"); strings.Contains(body, `id="import"`) {
		t.Error("a responder sees the import form")
	}
	res, _ = responder.post("/inventory/import", url.Values{"csrf_token": {
		responder.csrf("/inventory")}, "file": {"regions: []"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("responder imports: status %d, want 403", res.StatusCode)
	}
	tenant := e.signIn(t, auth.RoleTenantAdmin)
	if res, _ := tenant.get("/inventory"); res.StatusCode != http.StatusForbidden {
		t.Errorf("tenant-admin opens the inventory: status %d, want 403", res.StatusCode)
	}
}

func TestTenantPages(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.signIn(t, auth.RoleAdmin)
	importSample(t, admin)
	res, body := admin.post("/tenants", url.Values{"csrf_token": {admin.csrf("/tenants")},
		"id": {"acme"}, "name": {"Acme Corp"}, "jurisdictions": {"de, us-ca"},
		"language": {"en"}, "roles": {"sec-registrant"},
		"data_categories": {"personal", "financial"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tenants/acme" {
		t.Fatalf("create tenant: status %d, Location %q: %s", res.StatusCode,
			res.Header.Get("Location"), body)
	}
	res, body = admin.post("/tenants", url.Values{"csrf_token": {admin.csrf("/tenants")},
		"id": {"Bad Id"}, "name": {"x"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "id: ") {
		t.Errorf("bad tenant ID: status %d", res.StatusCode)
	}
	res, body = admin.post("/tenants", url.Values{"csrf_token": {admin.csrf("/tenants")},
		"id": {"bad"}, "name": {"x"}, "language": {"English"}})
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "language: &#34;English&#34; is not a language subtag") {
		t.Errorf("bad tenant language: status %d, want 422 naming the field:\n%s",
			res.StatusCode, body)
	}
	if _, body = admin.get("/tenants/acme"); !strings.Contains(body, `<dd id="language">en</dd>`) {
		t.Errorf("the tenant page does not show the notice language en:\n%s", body)
	}
	if _, body = admin.get("/tenants/hooli"); !strings.Contains(body,
		`<dd id="language"><span class="muted">none: guessed from the jurisdiction`) {
		t.Errorf("the tenant page of hooli (no language) does not say so:\n%s", body)
	}
	_, body = admin.get("/tenants")
	if !strings.Contains(body, `id="tenant-acme"`) || !strings.Contains(body, "DE, US-CA") ||
		!strings.Contains(body, "Mei Tan") || !strings.Contains(body, "Peter Gibbons") {
		t.Errorf("tenant list lacks acme or the stale contacts:\n%s", body)
	}

	// The tenant-admin of acme sees acme only, adds and verifies contacts.
	tenant := e.signIn(t, auth.RoleTenantAdmin)
	_, body = tenant.get("/tenants")
	if !strings.Contains(body, `id="tenant-acme"`) || strings.Contains(body, "hooli") {
		t.Errorf("tenant-admin's tenant list shows other tenants:\n%s", body)
	}
	if res, _ := tenant.get("/tenants/hooli"); res.StatusCode != http.StatusNotFound {
		t.Errorf("another tenant's page: status %d, want 404", res.StatusCode)
	}
	res, body = tenant.post("/tenants/acme/contacts", url.Values{"csrf_token": {
		tenant.csrf("/tenants/acme")}, "name": {"Ada"}, "email": {"ada@acme.example"},
		"channel": {"email"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add contact: status %d: %s", res.StatusCode, body)
	}
	_, body = tenant.get("/tenants/acme")
	if !strings.Contains(body, "ada@acme.example") || !strings.Contains(body, "stale") {
		t.Errorf("the new, never verified contact is not shown stale:\n%s", body)
	}
	m := regexp.MustCompile(`<tr id="contact-(\d+)"><td>Ada<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row of Ada:\n%s", body)
	}
	res, body = tenant.post("/tenants/acme/contacts/"+m[1]+"/verify", url.Values{
		"csrf_token": {tenant.csrf("/tenants/acme")}, "version": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("verify: status %d: %s", res.StatusCode, body)
	}
	if _, body = tenant.get("/tenants/acme"); strings.Contains(body, `class="tag stale"`) {
		t.Errorf("a verified contact is still stale:\n%s", body)
	}
	res, _ = tenant.post("/tenants/hooli/contacts", url.Values{"csrf_token": {
		tenant.csrf("/tenants/acme")}, "name": {"X"}, "email": {"x@x.example"},
		"channel": {"email"}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("add a contact to another tenant: status %d, want 404", res.StatusCode)
	}
}

// scopedIncident imports the sample inventory and stores an incident.
func scopedIncident(t *testing.T, e *env) (*browser, string) {
	t.Helper()
	admin := e.signIn(t, auth.RoleAdmin)
	importSample(t, admin)
	inc := &incident.Incident{Title: "Storage farm breach", Severity: incident.SeverityHigh,
		Status: incident.StatusOpen, Phase: incident.PhaseDetected}
	if err := e.st.CreateIncident(t.Context(), inc); err != nil {
		t.Fatal(err)
	}
	return admin, fmt.Sprintf("/incidents/%d", inc.ID)
}

func TestIncidentScopeSection(t *testing.T) {
	e := newEnv(t, nil)
	_, inc := scopedIncident(t, e)
	engineer := e.signIn(t, auth.RoleServiceEngineer)
	res, body := engineer.post(inc+"/scope", url.Values{"csrf_token": {engineer.csrf(inc)},
		"farms": {"st-3"}, "revision": {"0"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set scope: status %d: %s", res.StatusCode, body)
	}
	_, body = engineer.get(inc)
	text := html.UnescapeString(body)
	for _, want := range []string{"revision 1 · set by user:u-service-engineer",
		`id="affected-initech"`,
		"farm st-3: region eu-west ▸ datacenter fra1 ▸ service storage ▸ farm st-3 serves initech",
		"farm st-3: region eu-west ▸ service storage serves globex-bank"} {
		if !strings.Contains(text, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	res, body = engineer.post(inc+"/scope", url.Values{"csrf_token": {engineer.csrf(inc)},
		"farms": {"st-9"}, "revision": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(html.UnescapeString(body), `farm "st-9" is not in the inventory`) {
		t.Errorf("unknown farm: status %d", res.StatusCode)
	}
	res, _ = engineer.post(inc+"/scope", url.Values{"csrf_token": {engineer.csrf(inc)},
		"services": {"mail@ap-south"}, "revision": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set scope to a service in a region: status %d", res.StatusCode)
	}
	_, body = engineer.get(inc)
	if !strings.Contains(body, `value="mail@ap-south"`) ||
		!strings.Contains(body, `id="affected-hooli"`) ||
		strings.Contains(body, `id="affected-initech"`) ||
		!strings.Contains(body, "Scope history (2)") {
		t.Errorf("after the second scope the page shows the wrong tenants or form:\n%s", body)
	}
	executive := e.signIn(t, auth.RoleExecutive)
	if _, body := executive.get(inc); !strings.Contains(body, `id="affected-hooli"`) ||
		strings.Contains(body, `id="scope-form"`) {
		t.Error("an executive should see the tenants but not the scope form")
	}
}

// TestBrowserIncidentScope sets an incident's scope in headless Chromium
// and reads the affected tenants with their paths from the page.
func TestBrowserIncidentScope(t *testing.T) {
	chrome := chromiumPath(t)
	out := testOutput(t)
	e := newEnv(t, nil)
	_, inc := scopedIncident(t, e)
	p := &page{t: t, ctx: newChrome(t, chrome), base: e.srv.URL}
	p.signIn(auth.RoleResponder)
	p.do("open the incident", chromedp.Navigate(e.srv.URL+inc),
		chromedp.WaitVisible(chromedp.ID("scope-form")))
	if got := p.text("#scope"); !strings.Contains(got, "The scope is not set yet.") {
		t.Errorf("scope section of a new incident:\n%s", got)
	}
	status := p.submit("set the scope",
		chromedp.SendKeys(chromedp.CSS(`#scope-form input[name=farms]`), "st-3"),
		chromedp.Click(chromedp.ID("set-scope")))
	if status != http.StatusOK {
		t.Fatalf("set the scope: status %d", status)
	}
	p.do("wait for the tenants", chromedp.WaitVisible(chromedp.ID("affected-tenants")))
	got := p.text("#affected-tenants")
	for _, want := range []string{"globex-bank", "hooli", "initech",
		"farm st-3: region eu-west ▸ datacenter fra1 ▸ service storage ▸ farm st-3 ▸ server " +
			"st-3-01.fra1.example.net serves hooli"} {
		if !strings.Contains(got, want) {
			t.Errorf("affected tenants lack %q:\n%s", want, got)
		}
	}
	p.do("open the form again", chromedp.Click(chromedp.CSS(`#scope details:last-of-type summary`)),
		chromedp.WaitVisible(chromedp.ID("scope-form")))
	if v := p.value(`#scope-form input[name=farms]`); v != "st-3" {
		t.Errorf("the form shows farms %q, want st-3", v)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("scope")))
	if err != nil {
		t.Fatalf("screenshot of the scope section: %v", err)
	}
	if err := os.WriteFile(filepath.Join(out, "incident-scope.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// value returns the value of the first input matching the CSS selector.
func (p *page) value(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}
