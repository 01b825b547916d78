package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/auth"
)

// access says who may call a route: anyone (public), or a principal holding
// one of roles.
type access struct {
	public bool
	roles  []string
}

// public routes need no credentials.
var public = access{public: true}

// allow returns the access of a route that the given roles may call.
func allow(roles ...string) access { return access{roles: roles} }

// Groups of roles used in the table.
var (
	// staff may read alerts and incidents. Tenant admins may not yet:
	// alerts and incidents carry no tenant, so they cannot be scoped
	// (docs/authorization.md).
	staff = auth.StaffRoles
	// responders change incident records.
	responders = []string{auth.RoleAdmin, auth.RoleResponder}
	// anyone signed in, whatever the role.
	signedIn = auth.Roles
	// scopeSetters set an incident's scope: responders and the service
	// engineers who know where a service runs.
	scopeSetters = []string{auth.RoleAdmin, auth.RoleResponder, auth.RoleServiceEngineer}
	// tenantReaders are staff and a tenant's own administrator.
	tenantReaders = append([]string{auth.RoleTenantAdmin}, auth.StaffRoles...)
	// trainingReaders read people's training records and background checks.
	trainingReaders = []string{auth.RoleAdmin, auth.RoleResponder, auth.RoleExecutive,
		auth.RoleAuditor}
	// noticeWriters draft and edit notices to tenants and authorities.
	noticeWriters = []string{auth.RoleAdmin, auth.RoleResponder, auth.RoleLegal,
		auth.RoleCommunications}
)

// permissions maps every route ("METHOD /pattern", as registered in
// server.routes) to who may call it. It is the one authorization table of
// the API: a route missing from it answers 403 to everyone (fail closed),
// and TestAuthorizationMatrix fails. docs/authorization.md is generated from
// it.
var permissions = map[string]access{
	"POST /api/v1/events":        allow(auth.RoleAdmin, auth.RoleResponder, auth.RoleIngest),
	"GET /api/v1/alerts":         allow(staff...),
	"GET /api/v1/incidents":      allow(staff...),
	"GET /api/v1/incidents/{id}": allow(staff...),
	// The incident record: staff read, responders and admins write,
	// executives approve high-impact steps.
	"PATCH /api/v1/incidents/{id}":               allow(responders...),
	"POST /api/v1/incidents/{id}/transitions":    allow(responders...),
	"POST /api/v1/incidents/{id}/classification": allow(responders...),
	"POST /api/v1/incidents/{id}/approvals":      allow(auth.RoleExecutive),
	"POST /api/v1/incidents/{id}/actions":        allow(responders...),
	"POST /api/v1/incidents/{id}/comments":       allow(responders...),
	"POST /api/v1/incidents/{id}/indicators":     allow(responders...),
	"POST /api/v1/incidents/{id}/links":          allow(responders...),
	"GET /api/v1/incidents/{id}/related":         allow(staff...),
	"GET /api/v1/audit":                          allow(auth.RoleAdmin, auth.RoleAuditor),

	// Evidence (docs/evidence.md): staff read, responders and admins add
	// evidence and record transfers and exports; every download is in the
	// chain of custody.
	"POST /api/v1/incidents/{id}/evidence": allow(auth.RoleAdmin, auth.RoleResponder),
	"POST /api/v1/incidents/{id}/evidence/from-events": allow(auth.RoleAdmin,
		auth.RoleResponder),
	"GET /api/v1/incidents/{id}/evidence": allow(staff...),
	"GET /api/v1/evidence/{id}":           allow(staff...),
	"GET /api/v1/evidence/{id}/content":   allow(staff...),
	"POST /api/v1/evidence/{id}/custody":  allow(auth.RoleAdmin, auth.RoleResponder),

	"POST /api/v1/session":   public,
	"GET /api/v1/session":    allow(signedIn...),
	"DELETE /api/v1/session": allow(signedIn...),

	"POST /api/v1/tokens":        allow(auth.RoleAdmin),
	"GET /api/v1/tokens":         allow(auth.RoleAdmin),
	"DELETE /api/v1/tokens/{id}": allow(auth.RoleAdmin),

	"POST /api/v1/users": allow(auth.RoleAdmin),
	// A tenant admin sees the users of its own tenant.
	"GET /api/v1/users":        allow(auth.RoleAdmin, auth.RoleTenantAdmin),
	"GET /api/v1/users/{id}":   allow(auth.RoleAdmin, auth.RoleTenantAdmin),
	"PATCH /api/v1/users/{id}": allow(auth.RoleAdmin),

	// The response team (docs/team.md): admins manage the directory, staff
	// read it; responders escalate, disengage and manage tasks and watch
	// rules; executives approve high-impact tasks through the approvals.
	"GET /api/v1/teams":                                   allow(staff...),
	"POST /api/v1/teams":                                  allow(auth.RoleAdmin),
	"GET /api/v1/teams/{id}":                              allow(staff...),
	"PATCH /api/v1/teams/{id}":                            allow(auth.RoleAdmin),
	"PUT /api/v1/teams/{id}/roster":                       allow(auth.RoleAdmin),
	"GET /api/v1/teams/{id}/oncall":                       allow(staff...),
	"POST /api/v1/incidents/{id}/escalate":                allow(responders...),
	"GET /api/v1/incidents/{id}/team":                     allow(staff...),
	"POST /api/v1/incidents/{id}/team":                    allow(responders...),
	"POST /api/v1/incidents/{id}/team/{member}/disengage": allow(responders...),
	"GET /api/v1/incidents/{id}/tasks":                    allow(staff...),
	"POST /api/v1/incidents/{id}/tasks":                   allow(responders...),
	"PATCH /api/v1/incidents/{id}/tasks/{task}":           allow(responders...),
	"GET /api/v1/incidents/{id}/watch-rules":              allow(staff...),
	"POST /api/v1/incidents/{id}/watch-rules":             allow(responders...),
	"DELETE /api/v1/incidents/{id}/watch-rules/{rule}":    allow(responders...),

	// Notifications to people (docs/notifications.md): staff read the
	// outbox, responders and admins retry; only admins manage webhooks.
	"GET /api/v1/notifications":             allow(staff...),
	"POST /api/v1/notifications/{id}/retry": allow(responders...),
	"GET /api/v1/webhooks":                  allow(auth.RoleAdmin),
	"POST /api/v1/webhooks":                 allow(auth.RoleAdmin),
	"DELETE /api/v1/webhooks/{id}":          allow(auth.RoleAdmin),

	// Triage (docs/triage.md): responders and admins triage alerts and
	// escalate cases; staff read the queue. A tenant-admin files and reads
	// its own tenant's cases only (another tenant's case is 404); support
	// engineers (service-engineer) file cases too and work on
	// vulnerability reports.
	"GET /api/v1/queue":                               allow(staff...),
	"GET /api/v1/alerts/{id}":                         allow(staff...),
	"POST /api/v1/alerts/{id}/ack":                    allow(responders...),
	"POST /api/v1/alerts/{id}/assign":                 allow(responders...),
	"POST /api/v1/alerts/{id}/false-positive":         allow(responders...),
	"POST /api/v1/alerts/{id}/reopen":                 allow(responders...),
	"POST /api/v1/alerts/confirm":                     allow(responders...),
	"DELETE /api/v1/incidents/{id}/alerts/{alert_id}": allow(responders...),
	"GET /api/v1/suppressions":                        allow(staff...),
	"POST /api/v1/suppressions":                       allow(responders...),
	"DELETE /api/v1/suppressions/{id}":                allow(responders...),
	"POST /api/v1/cases": allow(auth.RoleAdmin, auth.RoleResponder, auth.RoleServiceEngineer,
		auth.RoleTenantAdmin),
	"GET /api/v1/cases":                allow(append([]string{auth.RoleTenantAdmin}, staff...)...),
	"GET /api/v1/cases/{id}":           allow(append([]string{auth.RoleTenantAdmin}, staff...)...),
	"POST /api/v1/cases/{id}/escalate": allow(responders...),
	"GET /api/v1/vulnerabilities":      allow(staff...),
	"GET /api/v1/vulnerabilities/{id}": allow(staff...),
	"PATCH /api/v1/vulnerabilities/{id}": allow(auth.RoleAdmin, auth.RoleResponder,
		auth.RoleServiceEngineer),

	// Inventory and tenants (docs/inventory.md): admins edit them; staff
	// read. A tenant-admin reads its own tenant and manages its own
	// contacts (another tenant is 404). Responders and service engineers
	// set an incident's scope; staff read it, and a tenant-admin sees
	// whether its own tenant is affected (an empty list otherwise).
	// Communications and tenant-admins follow up stale contacts.
	"GET /api/v1/inventory":                allow(staff...),
	"PUT /api/v1/inventory":                allow(auth.RoleAdmin),
	"GET /api/v1/inventory/lookup":         allow(staff...),
	"GET /api/v1/inventory/{kind}/{id}":    allow(staff...),
	"PUT /api/v1/inventory/{kind}/{id}":    allow(auth.RoleAdmin),
	"DELETE /api/v1/inventory/{kind}/{id}": allow(auth.RoleAdmin),
	"GET /api/v1/tenants":                  allow(tenantReaders...),
	"POST /api/v1/tenants":                 allow(auth.RoleAdmin),
	"GET /api/v1/tenants/{id}":             allow(tenantReaders...),
	"PATCH /api/v1/tenants/{id}":           allow(auth.RoleAdmin),
	"DELETE /api/v1/tenants/{id}":          allow(auth.RoleAdmin),
	"GET /api/v1/tenants/{id}/contacts":    allow(tenantReaders...),
	"POST /api/v1/tenants/{id}/contacts":   allow(auth.RoleAdmin, auth.RoleTenantAdmin),
	"PATCH /api/v1/tenants/{id}/contacts/{contact}": allow(auth.RoleAdmin,
		auth.RoleTenantAdmin),
	"DELETE /api/v1/tenants/{id}/contacts/{contact}": allow(auth.RoleAdmin,
		auth.RoleTenantAdmin),
	"GET /api/v1/contacts/stale": allow(auth.RoleAdmin, auth.RoleCommunications,
		auth.RoleTenantAdmin),
	// Admins send the stale-contact reminders at once, as those of
	// follow-ups and readiness.
	"POST /api/v1/contacts/reminders":             allow(auth.RoleAdmin),
	"GET /api/v1/incidents/{id}/scope":            allow(staff...),
	"PUT /api/v1/incidents/{id}/scope":            allow(scopeSetters...),
	"GET /api/v1/incidents/{id}/scope/history":    allow(staff...),
	"GET /api/v1/incidents/{id}/affected-tenants": allow(tenantReaders...),
	// The preparation program (docs/readiness.md): auditors read all of it.
	// Admins set the policy (training requirements, deadlines), keep the
	// training records and send reminders; training records, which hold
	// background checks, are read by admins, responders, executives and
	// auditors only. Staff read findings and exercises; responders and
	// admins enter findings and run exercises; service engineers update
	// the findings they own (checked by the handler).
	"GET /api/v1/readiness/policy":       allow(staff...),
	"PUT /api/v1/readiness/policy":       allow(auth.RoleAdmin),
	"POST /api/v1/readiness/reminders":   allow(auth.RoleAdmin),
	"GET /api/v1/training/people":        allow(trainingReaders...),
	"GET /api/v1/training/people/{name}": allow(trainingReaders...),
	"PUT /api/v1/training/people/{name}": allow(auth.RoleAdmin),
	"GET /api/v1/training/completions":   allow(trainingReaders...),
	"POST /api/v1/training/completions":  allow(auth.RoleAdmin),
	"GET /api/v1/training/report":        allow(trainingReaders...),
	"GET /api/v1/training/export":        allow(auth.RoleAdmin, auth.RoleAuditor),
	"GET /api/v1/findings":               allow(staff...),
	"POST /api/v1/findings":              allow(responders...),
	"POST /api/v1/findings/import":       allow(responders...),
	"GET /api/v1/findings/{id}":          allow(staff...),
	"PATCH /api/v1/findings/{id}": allow(auth.RoleAdmin, auth.RoleResponder,
		auth.RoleServiceEngineer),
	"GET /api/v1/exercises":             allow(staff...),
	"POST /api/v1/exercises":            allow(responders...),
	"GET /api/v1/exercises/{id}":        allow(staff...),
	"PATCH /api/v1/exercises/{id}":      allow(responders...),
	"POST /api/v1/exercises/{id}/runs":  allow(responders...),
	"GET /api/v1/exercises/{id}/alerts": allow(staff...),
	"GET /api/v1/exercises/{id}/report": allow(staff...),

	// Post-mortems, follow-ups and response metrics (docs/postmortem.md,
	// docs/metrics.md): staff read and export them; responders and admins
	// write the post-mortem and its follow-ups; the commander (a responder
	// engaged as such, checked by the handler) and an executive sign off;
	// service engineers move the follow-ups they own (checked by the
	// handler); admins send the overdue reminders at once.
	"GET /api/v1/incidents/{id}/postmortem":                              allow(staff...),
	"PATCH /api/v1/incidents/{id}/postmortem":                            allow(responders...),
	"POST /api/v1/incidents/{id}/postmortem/refresh":                     allow(responders...),
	"POST /api/v1/incidents/{id}/postmortem/timeline":                    allow(responders...),
	"POST /api/v1/incidents/{id}/postmortem/timeline/{entry}/notes":      allow(responders...),
	"POST /api/v1/incidents/{id}/postmortem/timeline/{entry}/visibility": allow(responders...),
	"POST /api/v1/incidents/{id}/postmortem/findings":                    allow(responders...),
	"PATCH /api/v1/incidents/{id}/postmortem/findings/{finding}":         allow(responders...),
	"POST /api/v1/incidents/{id}/postmortem/signoffs": allow(auth.RoleAdmin,
		auth.RoleResponder, auth.RoleExecutive),
	"GET /api/v1/incidents/{id}/postmortem/export": allow(staff...),
	"GET /api/v1/incidents/{id}/report":            allow(staff...),
	"GET /api/v1/incidents/{id}/follow-ups":        allow(staff...),
	"POST /api/v1/incidents/{id}/follow-ups":       allow(responders...),
	"GET /api/v1/follow-ups":                       allow(staff...),
	"POST /api/v1/follow-ups/reminders":            allow(auth.RoleAdmin),
	"GET /api/v1/follow-ups/{id}":                  allow(staff...),
	"PATCH /api/v1/follow-ups/{id}": allow(auth.RoleAdmin, auth.RoleResponder,
		auth.RoleServiceEngineer),
	"POST /api/v1/follow-ups/{id}/rule": allow(responders...),
	"GET /api/v1/response-metrics":      allow(staff...),

	// Notices to tenants and authorities (docs/notifications.md "Notices
	// to tenants"): staff read them; responders, legal and communications
	// draft and edit; only legal approves; communications (or an admin)
	// sends. The portal: a tenant-admin reads and acknowledges its own
	// tenant's sent notices (another tenant's is 404); staff read every
	// tenant's, and do not acknowledge for a tenant.
	"POST /api/v1/incidents/{id}/obligations/{key}/draft": allow(noticeWriters...),
	"GET /api/v1/incidents/{id}/notices":                  allow(staff...),
	"GET /api/v1/incidents/{id}/notices/{nid}":            allow(staff...),
	"PUT /api/v1/incidents/{id}/notices/{nid}":            allow(noticeWriters...),
	"POST /api/v1/incidents/{id}/notices/{nid}/approve":   allow(auth.RoleLegal),
	"POST /api/v1/incidents/{id}/notices/{nid}/send": allow(auth.RoleAdmin,
		auth.RoleCommunications),
	"GET /api/v1/portal/notices":                   allow(tenantReaders...),
	"GET /api/v1/portal/notices/{id}":              allow(tenantReaders...),
	"POST /api/v1/portal/notices/{id}/acknowledge": allow(auth.RoleTenantAdmin),

	"GET /api/v1/openapi.json": public,
	"GET /healthz":             public,
	"GET /readyz":              public,
	// Public instead when Config.MetricsPublic is set.
	"GET /metrics": allow(auth.RoleAdmin, auth.RoleAuditor),

	// Facts and obligations (docs/regulations.md): staff read; admins,
	// responders and legal record facts; admins and legal decide that an
	// obligation is not required, reinstate it or clear its overdue flag.
	"GET /api/v1/incidents/{id}/facts":                            allow(staff...),
	"POST /api/v1/incidents/{id}/facts":                           allow(factRecorders...),
	"GET /api/v1/incidents/{id}/obligations":                      allow(staff...),
	"GET /api/v1/incidents/{id}/obligations/{key}":                allow(staff...),
	"POST /api/v1/incidents/{id}/obligations/{key}/not-required":  allow(obligationDeciders...),
	"POST /api/v1/incidents/{id}/obligations/{key}/reinstate":     allow(obligationDeciders...),
	"POST /api/v1/incidents/{id}/obligations/{key}/clear-overdue": allow(obligationDeciders...),
}

// guard wraps a route's handler with authentication and authorization as
// the table says. It fails for a route that is served without credentials
// although the table does not make it public (only /metrics may be, by
// configuration).
func (s *server) guard(rt route) (http.Handler, error) {
	key := rt.method + " " + rt.path
	acc, ok := permissions[key]
	switch {
	case !ok:
		s.log.Error("route missing from the authorization table; it answers 403", "route", key)
		return s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			closeUnread(w, r)
			writeError(w, http.StatusForbidden, "forbidden: route not authorized for anyone")
		})), nil
	case !rt.auth && !acc.public && !(key == "GET /metrics" && s.cfg.MetricsPublic):
		return nil, fmt.Errorf("api: route %s is served without credentials but is not "+
			"public in the authorization table", key)
	case !rt.auth:
		return rt.handler, nil
	}
	return s.authenticate(authorize(acc, rt.handler)), nil
}

// authorize lets through a principal that holds one of the allowed roles,
// and answers 403 to others.
func authorize(acc access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok || !p.HasAnyRole(acc.roles...) {
			closeUnread(w, r)
			writeError(w, http.StatusForbidden, "forbidden: this needs one of the roles "+
				strings.Join(acc.roles, ", "))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// visible reports whether the request's principal may see an object of the
// given tenant; when not, it answers 404 as for an object that does not
// exist, so that another tenant's objects do not show. Handlers of objects
// that carry a tenant call it after loading the object.
func visible(w http.ResponseWriter, r *http.Request, tenant string) bool {
	p, ok := auth.PrincipalFrom(r.Context())
	if ok && p.CanSee(tenant) {
		return true
	}
	writeError(w, http.StatusNotFound, "not found")
	return false
}
