package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
)

// contactItem is a contact as the API shows it.
type contactItem struct {
	scope.Contact
	Stale bool `json:"stale"`
}

// tenantsData is the data of the tenant list.
type tenantsData struct {
	Tenants   []scope.Tenant
	Stale     []contactItem
	StaleDays int
	CanCreate bool
	CanStale  bool
	Roles     []string
	Data      []string
	Error     string
}

func (tenantsData) pageTitle() string { return "Tenants" }

// tenantData is the data of one tenant's page.
type tenantData struct {
	Tenant     scope.Tenant
	Contacts   []contactItem
	CanContact bool
	Channels   []string
	Error      string
}

func (d tenantData) pageTitle() string { return d.Tenant.Name }

// tenantList lists the tenants the user may see (a tenant-admin its own),
// the contacts that need verifying and, for admins, the form to add one.
func (s *server) tenantList(w http.ResponseWriter, r *http.Request, se *session) {
	s.showTenants(w, r, se, http.StatusOK, "")
}

func (s *server) showTenants(w http.ResponseWriter, r *http.Request, se *session, status int,
	msg string) {
	d := tenantsData{Error: msg, CanCreate: can(se.Principal, "POST /tenants"),
		CanStale: se.Principal.HasAnyRole(staleReaders...), Roles: regulation.Roles,
		Data: regulation.DataCategories}
	var list struct {
		Items []scope.Tenant `json:"items"`
	}
	if err := se.api.get(r.Context(), "/api/v1/tenants", &list); err != nil {
		s.fail(w, r, se, err)
		return
	}
	d.Tenants = list.Items
	if d.CanStale {
		var stale struct {
			MaxAgeDays int           `json:"max_age_days"`
			Items      []contactItem `json:"items"`
		}
		if err := se.api.get(r.Context(), "/api/v1/contacts/stale", &stale); err != nil {
			s.fail(w, r, se, err)
			return
		}
		d.Stale, d.StaleDays = stale.Items, stale.MaxAgeDays
	}
	s.render(w, r, status, "tenants", se, d)
}

// staleReaders may list stale contacts (the API's GET /api/v1/contacts/stale).
var staleReaders = []string{"admin", "communications", "tenant-admin"}

// tenantPage shows one tenant with its contacts and their forms.
func (s *server) tenantPage(w http.ResponseWriter, r *http.Request, se *session) {
	s.showTenant(w, r, se, http.StatusOK, "")
}

func (s *server) showTenant(w http.ResponseWriter, r *http.Request, se *session, status int,
	msg string) {
	var t struct {
		scope.Tenant
		Contacts []contactItem `json:"contacts"`
	}
	if err := se.api.get(r.Context(), "/api/v1/tenants/"+pathEscape(r.PathValue("id")),
		&t); err != nil {
		s.fail(w, r, se, err)
		return
	}
	s.render(w, r, status, "tenant", se, tenantData{Tenant: t.Tenant, Contacts: t.Contacts,
		CanContact: can(se.Principal, "POST /tenants/{id}/contacts"), Channels: scope.Channels(),
		Error: msg})
}

// tenantChange answers for a change made from a tenant page: back to the
// page on success; a refusal the user can act on shows the page with the
// API's message.
func (s *server) tenantChange(w http.ResponseWriter, r *http.Request, se *session,
	back string, show func(status int, msg string), err error) {
	ae, ok := err.(*apiError)
	switch {
	case err == nil:
		http.Redirect(w, r, back, http.StatusSeeOther)
	case ok && ae.Status != http.StatusNotFound && ae.Status != http.StatusForbidden &&
		ae.Status < 500:
		show(ae.Status, ae.Msg)
	default:
		s.fail(w, r, se, err)
	}
}

// createTenant adds a tenant with its profile and notice language.
func (s *server) createTenant(w http.ResponseWriter, r *http.Request, se *session) {
	body := map[string]any{"id": form(r, "id"), "name": form(r, "name"),
		"profile": map[string][]string{
			"jurisdictions":   splitList(strings.ToUpper(form(r, "jurisdictions"))),
			"roles":           nonNilList(r.PostForm["roles"]),
			"data_categories": nonNilList(r.PostForm["data_categories"])}}
	if v := form(r, "language"); v != "" {
		body["language"] = v
	}
	err := se.post(r.Context(), "/api/v1/tenants", body)
	s.tenantChange(w, r, se, "/tenants/"+pathEscape(form(r, "id")),
		func(status int, msg string) { s.showTenants(w, r, se, status, msg) }, err)
}

// addContact adds a designated administrator to a tenant.
func (s *server) addContact(w http.ResponseWriter, r *http.Request, se *session) {
	id := pathEscape(r.PathValue("id"))
	body := map[string]any{"name": form(r, "name"), "preferred_channel": form(r, "channel")}
	for _, f := range []string{"email", "phone", "webhook_url"} {
		if v := form(r, f); v != "" {
			body[f] = v
		}
	}
	if form(r, "verified") != "" {
		body["verified"] = true
	}
	err := se.post(r.Context(), "/api/v1/tenants/"+id+"/contacts", body)
	s.tenantChange(w, r, se, "/tenants/"+id+"#contacts",
		func(status int, msg string) { s.showTenant(w, r, se, status, msg) }, err)
}

// verifyContact records that a contact's details were confirmed now.
func (s *server) verifyContact(w http.ResponseWriter, r *http.Request, se *session) {
	id, contact := pathEscape(r.PathValue("id")), r.PathValue("contact")
	version, err := strconv.ParseInt(form(r, "version"), 10, 64)
	if n, perr := strconv.ParseInt(contact, 10, 64); perr != nil || n <= 0 || err != nil {
		s.notFound(w, r)
		return
	}
	_, err = se.api.send(r.Context(), http.MethodPatch, "/api/v1/tenants/"+id+"/contacts/"+
		contact, map[string]bool{"verified": true},
		map[string]string{"If-Match": `"v` + strconv.FormatInt(version, 10) + `"`})
	s.tenantChange(w, r, se, "/tenants/"+id+"#contacts",
		func(status int, msg string) { s.showTenant(w, r, se, status, msg) }, err)
}

// splitList splits a form field at commas and spaces.
func splitList(s string) []string {
	return nonNilList(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }))
}

func nonNilList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
