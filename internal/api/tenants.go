package api

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// tenantInput is the body of POST /api/v1/tenants and, with every field
// optional and the ID fixed, of PATCH /api/v1/tenants/{id}.
type tenantInput struct {
	ID      *string             `json:"id"`
	Name    *string             `json:"name"`
	Profile *regulation.Profile `json:"profile"`
	// Language is the tenant's notice language; "" removes it.
	Language *string `json:"language"`
}

// contactView is a contact as the API shows it, with whether it is stale.
type contactView struct {
	scope.Contact
	Stale bool `json:"stale"`
}

// tenantView is a tenant with its contacts.
type tenantView struct {
	scope.Tenant
	Contacts []contactView `json:"contacts"`
}

// staleAfter returns the configured age of stale contacts.
func (s *server) staleAfter() time.Duration {
	if s.cfg.Scope.StaleAfter > 0 {
		return s.cfg.Scope.StaleAfter
	}
	return scope.DefaultStaleAfter
}

func (s *server) contactViews(cs []scope.Contact) []contactView {
	now, age := s.scopeNow(), s.staleAfter()
	out := make([]contactView, 0, len(cs))
	for _, c := range cs {
		out = append(out, contactView{Contact: c, Stale: c.Stale(now, age)})
	}
	return out
}

// listTenants answers GET /api/v1/tenants: every tenant for staff, its
// own for a tenant-admin.
func (s *server) listTenants(w http.ResponseWriter, r *http.Request) {
	if q := newQuery(r); q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	ts, err := s.cfg.Store.ListTenants(r.Context())
	if err != nil {
		s.storeError(w, "list tenants", err)
		return
	}
	p, ok := auth.PrincipalFrom(r.Context())
	ts = slices.DeleteFunc(ts, func(t scope.Tenant) bool { return !ok || !p.CanSee(t.ID) })
	for i := range ts {
		ts[i].Normalize()
	}
	writeJSON(w, http.StatusOK, struct {
		Items []scope.Tenant `json:"items"`
	}{ts})
}

// createTenant answers POST /api/v1/tenants.
func (s *server) createTenant(w http.ResponseWriter, r *http.Request) {
	var in tenantInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	var t scope.Tenant
	in.apply(&t)
	if in.ID != nil {
		t.ID = *in.ID
	}
	t.Normalize()
	if err := t.Validate(); err != nil {
		writeRequestError(w, tenantInvalid(err))
		return
	}
	err := s.audited(r, func(tx store.Tx) error { return tx.CreateTenant(r.Context(), &t) },
		func() audit.Entry {
			return audit.Entry{Action: audit.TenantCreated, ObjectType: "tenant",
				ObjectID: t.ID, Tenant: t.ID, Details: auditDetails(map[string]any{
					"name": t.Name, "profile": t.Profile, "language": t.Language,
					"version": t.Version})}
		})
	if errors.Is(err, store.ErrDuplicate) {
		writeError(w, http.StatusConflict, "tenant "+t.ID+" exists already")
		return
	} else if err != nil {
		s.storeError(w, "create tenant", err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusCreated, tenantView{Tenant: t, Contacts: []contactView{}})
}

// apply sets the fields sent on t and returns their names.
func (in *tenantInput) apply(t *scope.Tenant) []string {
	var fields []string
	if in.Name != nil {
		t.Name, fields = strings.TrimSpace(*in.Name), append(fields, "name")
	}
	if in.Profile != nil {
		t.Profile, fields = *in.Profile, append(fields, "profile")
	}
	if in.Language != nil {
		t.Language, fields = strings.TrimSpace(*in.Language), append(fields, "language")
	}
	return fields
}

// tenantInvalid turns a validation error ("profile.roles[0]: ...") into a
// 422 naming its field.
func tenantInvalid(err error) *requestError {
	field, _, _ := strings.Cut(err.Error(), ":")
	return &requestError{Status: http.StatusUnprocessableEntity, Field: field, Msg: err.Error()}
}

// tenantOf loads the tenant of the path that the principal may see; else
// it answers 404 (another tenant's too) and returns nil.
func (s *server) tenantOf(w http.ResponseWriter, r *http.Request) *scope.Tenant {
	id := r.PathValue("id")
	if p, ok := auth.PrincipalFrom(r.Context()); !ok || !p.CanSee(id) {
		closeUnread(w, r)
		writeError(w, http.StatusNotFound, "not found")
		return nil
	}
	t, err := s.cfg.Store.GetTenant(r.Context(), id)
	if err != nil {
		closeUnread(w, r)
		s.storeError(w, "get tenant", err)
		return nil
	}
	t.Normalize()
	return t
}

// getTenant answers GET /api/v1/tenants/{id}: the tenant with its
// contacts, each flagged when stale.
func (s *server) getTenant(w http.ResponseWriter, r *http.Request) {
	t := s.tenantOf(w, r)
	if t == nil {
		return
	}
	cs, err := s.cfg.Store.ListContacts(r.Context(), store.ContactFilter{Tenant: t.ID})
	if err != nil {
		s.storeError(w, "list contacts", err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusOK, tenantView{Tenant: *t, Contacts: s.contactViews(cs)})
}

// patchTenant answers PATCH /api/v1/tenants/{id}; If-Match is required.
func (s *server) patchTenant(w http.ResponseWriter, r *http.Request) {
	var in tenantInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	if in.ID != nil {
		writeRequestError(w, invalid("id", "a tenant's ID does not change"))
		return
	}
	want, ok := requireIfMatch(w, r, "tenant")
	if !ok {
		return
	}
	t := s.tenantOf(w, r)
	if t == nil {
		return
	}
	if t.Version != want {
		stale(w, want, t.Version)
		return
	}
	fields := in.apply(t)
	t.Normalize()
	if err := t.Validate(); err != nil {
		writeRequestError(w, tenantInvalid(err))
		return
	}
	err := s.audited(r, func(tx store.Tx) error { return tx.UpdateTenant(r.Context(), t) },
		func() audit.Entry {
			return audit.Entry{Action: audit.TenantUpdated, ObjectType: "tenant",
				ObjectID: t.ID, Tenant: t.ID, Details: auditDetails(map[string]any{
					"fields": fields, "profile": t.Profile, "language": t.Language,
					"version": t.Version})}
		})
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		stale(w, want, ce.Current)
		return
	} else if err != nil {
		s.storeError(w, "update tenant", err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusOK, t)
}

// requireIfMatch reads the If-Match a change needs, answering 400 or 428.
func requireIfMatch(w http.ResponseWriter, r *http.Request, what string) (int64, bool) {
	want, sent, err := ifMatch(r)
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return 0, false
	case !sent:
		writeError(w, http.StatusPreconditionRequired,
			"If-Match is required: send the ETag of the "+what+" you edited")
		return 0, false
	}
	return want, true
}

// deleteTenant answers DELETE /api/v1/tenants/{id}: refused (409) while
// the inventory serves the tenant or an incident affects it.
func (s *server) deleteTenant(w http.ResponseWriter, r *http.Request) {
	t := s.tenantOf(w, r)
	if t == nil {
		return
	}
	inv, _, err := s.cfg.Store.LoadInventory(r.Context())
	if err != nil {
		s.storeError(w, "load inventory", err)
		return
	}
	if slices.Contains(inv.Tenants(), t.ID) {
		writeError(w, http.StatusConflict, "tenant "+t.ID+" is served by entries of the "+
			"inventory: remove it from them first")
		return
	}
	incs, err := s.cfg.Store.IncidentsAffecting(r.Context(), t.ID)
	if err != nil {
		s.storeError(w, "incidents affecting tenant", err)
		return
	}
	if len(incs) > 0 {
		writeError(w, http.StatusConflict, "tenant "+t.ID+" is affected by incidents; it is "+
			"kept for their record")
		return
	}
	err = s.audited(r, func(tx store.Tx) error { return tx.DeleteTenant(r.Context(), t.ID) },
		func() audit.Entry {
			return audit.Entry{Action: audit.TenantDeleted, ObjectType: "tenant",
				ObjectID: t.ID, Tenant: t.ID, Details: auditDetails(map[string]any{
					"name": t.Name})}
		})
	if err != nil {
		s.storeError(w, "delete tenant", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listContacts answers GET /api/v1/tenants/{id}/contacts.
func (s *server) listContacts(w http.ResponseWriter, r *http.Request) {
	t := s.tenantOf(w, r)
	if t == nil {
		return
	}
	cs, err := s.cfg.Store.ListContacts(r.Context(), store.ContactFilter{Tenant: t.ID})
	if err != nil {
		s.storeError(w, "list contacts", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []contactView `json:"items"`
	}{s.contactViews(cs)})
}

// contactInput is the body of POST /api/v1/tenants/{id}/contacts and,
// with every field optional, of PATCH. Verified true sets last_verified
// to now: the details were confirmed with the person.
type contactInput struct {
	Name         *string    `json:"name"`
	Email        *string    `json:"email"`
	Phone        *string    `json:"phone"`
	WebhookURL   *string    `json:"webhook_url"`
	Channel      *string    `json:"preferred_channel"`
	LastVerified *time.Time `json:"last_verified"`
	Verified     bool       `json:"verified"`
}

// apply sets the fields sent on c and returns their names.
func (in *contactInput) apply(c *scope.Contact, now time.Time) []string {
	var fields []string
	for _, f := range []struct {
		name string
		dst  *string
		v    *string
	}{{"name", &c.Name, in.Name}, {"email", &c.Email, in.Email}, {"phone", &c.Phone, in.Phone},
		{"webhook_url", &c.WebhookURL, in.WebhookURL},
		{"preferred_channel", &c.Channel, in.Channel}} {
		if f.v != nil {
			*f.dst, fields = strings.TrimSpace(*f.v), append(fields, f.name)
		}
	}
	switch {
	case in.Verified:
		c.Verified, fields = now.UTC().Truncate(time.Microsecond), append(fields, "last_verified")
	case in.LastVerified != nil:
		c.Verified = in.LastVerified.UTC().Truncate(time.Microsecond)
		fields = append(fields, "last_verified")
	}
	return fields
}

// checkContact validates c and its webhook's host (the webhook SSRF
// policy, unless private targets are allowed).
func (s *server) checkContact(c *scope.Contact) *requestError {
	if err := c.Validate(); err != nil {
		return tenantInvalid(err)
	}
	if c.WebhookURL != "" && !s.cfg.WebhookAllowPrivate {
		if err := notify.CheckTargetHost(hostOnly(c.WebhookURL)); err != nil {
			return invalid("webhook_url", "%v (vigil serve --webhook-allow-private allows it)",
				err)
		}
	}
	return nil
}

// addContact answers POST /api/v1/tenants/{id}/contacts.
func (s *server) addContact(w http.ResponseWriter, r *http.Request) {
	var in contactInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	t := s.tenantOf(w, r)
	if t == nil {
		return
	}
	c := scope.Contact{Tenant: t.ID, Channel: scope.ChannelEmail}
	fields := in.apply(&c, s.scopeNow())
	if err := s.checkContact(&c); err != nil {
		writeRequestError(w, err)
		return
	}
	err := s.audited(r, func(tx store.Tx) error { return tx.AddContact(r.Context(), &c) },
		func() audit.Entry {
			return audit.Entry{Action: audit.ContactAdded, ObjectType: "contact",
				ObjectID: strconv.FormatInt(c.ID, 10), Tenant: t.ID,
				Details: auditDetails(map[string]any{"fields": fields, "channel": c.Channel})}
		})
	if err != nil {
		s.storeError(w, "add contact", err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusCreated, s.contactViews([]scope.Contact{c})[0])
}

// contactOf loads the contact of the path, of a tenant the principal may
// see; else it answers and returns nil.
func (s *server) contactOf(w http.ResponseWriter, r *http.Request) *scope.Contact {
	id, ok := pathInt(w, r, "contact")
	if !ok {
		return nil
	}
	t := s.tenantOf(w, r)
	if t == nil {
		return nil
	}
	c, err := s.cfg.Store.GetContact(r.Context(), t.ID, id)
	if err != nil {
		closeUnread(w, r)
		s.storeError(w, "get contact", err)
		return nil
	}
	return c
}

// patchContact answers PATCH /api/v1/tenants/{id}/contacts/{contact};
// If-Match is required.
func (s *server) patchContact(w http.ResponseWriter, r *http.Request) {
	var in contactInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	want, ok := requireIfMatch(w, r, "contact")
	if !ok {
		return
	}
	c := s.contactOf(w, r)
	if c == nil {
		return
	}
	if c.Version != want {
		stale(w, want, c.Version)
		return
	}
	fields := in.apply(c, s.scopeNow())
	if err := s.checkContact(c); err != nil {
		writeRequestError(w, err)
		return
	}
	err := s.audited(r, func(tx store.Tx) error { return tx.UpdateContact(r.Context(), c) },
		func() audit.Entry {
			return audit.Entry{Action: audit.ContactUpdated, ObjectType: "contact",
				ObjectID: strconv.FormatInt(c.ID, 10), Tenant: c.Tenant,
				Details: auditDetails(map[string]any{"fields": fields, "version": c.Version})}
		})
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		stale(w, want, ce.Current)
		return
	} else if err != nil {
		s.storeError(w, "update contact", err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, s.contactViews([]scope.Contact{*c})[0])
}

// deleteContact answers DELETE /api/v1/tenants/{id}/contacts/{contact}.
func (s *server) deleteContact(w http.ResponseWriter, r *http.Request) {
	c := s.contactOf(w, r)
	if c == nil {
		return
	}
	err := s.audited(r, func(tx store.Tx) error {
		return tx.DeleteContact(r.Context(), c.Tenant, c.ID)
	}, func() audit.Entry {
		return audit.Entry{Action: audit.ContactRemoved, ObjectType: "contact",
			ObjectID: strconv.FormatInt(c.ID, 10), Tenant: c.Tenant,
			Details: auditDetails(map[string]any{})}
	})
	if err != nil {
		s.storeError(w, "delete contact", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// staleContacts answers GET /api/v1/contacts/stale?max_age_days=: the
// contacts whose details were never verified or not for longer than the
// age (default Config.Scope.StaleAfter); a tenant-admin's own only.
func (s *server) staleContacts(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "max_age_days")
	age := s.staleAfter()
	if v := q.str("max_age_days"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 || days > 3650 {
			writeError(w, http.StatusBadRequest,
				"query parameter \"max_age_days\": want a whole number of days from 1 to 3650")
			return
		}
		age = time.Duration(days) * 24 * time.Hour
	}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	now := s.scopeNow()
	f := store.ContactFilter{VerifiedBefore: now.Add(-age)}
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		f.Tenant = p.Tenant
	}
	cs, err := s.cfg.Store.ListContacts(r.Context(), f)
	if err != nil {
		s.storeError(w, "list stale contacts", err)
		return
	}
	out := make([]contactView, 0, len(cs))
	for _, c := range cs {
		out = append(out, contactView{Contact: c, Stale: true})
	}
	writeJSON(w, http.StatusOK, struct {
		MaxAgeDays int           `json:"max_age_days"`
		Items      []contactView `json:"items"`
	}{int(age / (24 * time.Hour)), out})
}
