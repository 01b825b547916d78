package web

import "github.com/vigilsec/vigil/internal/auth"

// access says who may open a page: anyone (public), or a principal holding
// one of roles.
type access struct {
	public bool
	roles  []string
}

func allow(roles ...string) access { return access{roles: roles} }

// Groups of roles, the same as the API's table (internal/api/authz.go) for
// the routes each page calls.
var (
	staff      = auth.StaffRoles
	responders = []string{auth.RoleAdmin, auth.RoleResponder}
	signedIn   = auth.Roles
	// tenantReaders are staff and a tenant's own administrator.
	tenantReaders = append([]string{auth.RoleTenantAdmin}, auth.StaffRoles...)
)

// webhookReaders may see the webhooks on the notifications page, as GET
// /api/v1/webhooks allows.
var webhookReaders = []string{auth.RoleAdmin}

// pagePermissions maps every page route ("METHOD /pattern", as in
// server.routes) to who may open it. A route missing from it answers 403
// to everyone (fail closed), and TestPagePermissions fails. The API checks
// again on every call a page makes; this table keeps a page from showing
// forms its user cannot use.
var pagePermissions = map[string]access{
	"GET /{$}":     allow(signedIn...),
	"GET /login":   {public: true},
	"POST /login":  {public: true},
	"POST /logout": allow(signedIn...),

	"GET /alerts":                         allow(staff...),
	"POST /alerts/{id}/acknowledge":       allow(responders...),
	"POST /alerts/{id}/false-positive":    allow(responders...),
	"POST /alerts/{id}/confirm":           allow(responders...),
	"GET /incidents":                      allow(staff...),
	"GET /incidents/{id}":                 allow(staff...),
	"POST /incidents/{id}/actions":        allow(responders...),
	"POST /incidents/{id}/comments":       allow(responders...),
	"POST /incidents/{id}/indicators":     allow(responders...),
	"POST /incidents/{id}/classification": allow(responders...),
	"POST /incidents/{id}/steps":          allow(responders...),
	"POST /incidents/{id}/approvals":      allow(auth.RoleExecutive),
	"POST /incidents/{id}/checks":         allow(responders...),
	"POST /incidents/{id}/checks/done":    allow(responders...),
	"POST /incidents/{id}/transitions":    allow(responders...),
	"GET /audit":                          allow(auth.RoleAdmin, auth.RoleAuditor),

	// The plan, the virtual team, watch rules and evidence of an incident:
	// responders and admins change them (as the API's routes they call);
	// staff download evidence, each download in its chain of custody.
	"POST /incidents/{id}/tasks":                     allow(responders...),
	"POST /incidents/{id}/tasks/{task}":              allow(responders...),
	"POST /incidents/{id}/escalate":                  allow(responders...),
	"POST /incidents/{id}/team":                      allow(responders...),
	"POST /incidents/{id}/team/{member}/disengage":   allow(responders...),
	"POST /incidents/{id}/watch-rules":               allow(responders...),
	"POST /incidents/{id}/watch-rules/{rule}/remove": allow(responders...),
	"POST /incidents/{id}/evidence":                  allow(responders...),
	"POST /incidents/{id}/evidence/events":           allow(responders...),
	"POST /incidents/{id}/evidence/{ev}/custody":     allow(responders...),
	"POST /incidents/{id}/evidence/{ev}/download":    allow(staff...),

	// The directory of teams: staff read it, admins manage it.
	"GET /teams":              allow(staff...),
	"POST /teams":             allow(auth.RoleAdmin),
	"POST /teams/{id}":        allow(auth.RoleAdmin),
	"POST /teams/{id}/roster": allow(auth.RoleAdmin),

	// Notifications to people: staff read the outbox, responders and
	// admins retry a failed delivery. The webhooks on the same page are
	// for webhookReaders.
	"GET /notifications":             allow(staff...),
	"POST /notifications/{id}/retry": allow(responders...),

	// Support cases: the same roles as the API's routes they call.
	"GET /cases": allow(append([]string{auth.RoleTenantAdmin}, staff...)...),
	"POST /cases": allow(auth.RoleAdmin, auth.RoleResponder, auth.RoleServiceEngineer,
		auth.RoleTenantAdmin),
	"POST /cases/{id}/escalate": allow(responders...),

	// The preparation program: staff read findings and exercises (the page
	// leaves out training records for roles the API refuses them to).
	"GET /readiness": allow(staff...),
	// Inventory, tenants and incident scopes: the roles of the API routes
	// they call (a tenant-admin sees and manages its own tenant).
	"GET /inventory":                               allow(staff...),
	"POST /inventory/import":                       allow(auth.RoleAdmin),
	"GET /tenants":                                 allow(tenantReaders...),
	"POST /tenants":                                allow(auth.RoleAdmin),
	"GET /tenants/{id}":                            allow(tenantReaders...),
	"POST /tenants/{id}/contacts":                  allow(auth.RoleAdmin, auth.RoleTenantAdmin),
	"POST /tenants/{id}/contacts/{contact}/verify": allow(auth.RoleAdmin, auth.RoleTenantAdmin),
	"POST /incidents/{id}/scope": allow(auth.RoleAdmin, auth.RoleResponder,
		auth.RoleServiceEngineer),

	// Post-mortems and follow-ups: staff read; responders and admins edit
	// (as the API's routes they call); the commander (a responder) and
	// executives sign off; service engineers move the follow-ups they own.
	// The response metrics dashboard is for staff.
	"GET /incidents/{id}/postmortem":                             allow(staff...),
	"POST /incidents/{id}/postmortem/summary":                    allow(responders...),
	"POST /incidents/{id}/postmortem/entries":                    allow(responders...),
	"POST /incidents/{id}/postmortem/entries/{entry}/notes":      allow(responders...),
	"POST /incidents/{id}/postmortem/entries/{entry}/visibility": allow(responders...),
	"POST /incidents/{id}/postmortem/refresh":                    allow(responders...),
	"POST /incidents/{id}/postmortem/findings":                   allow(responders...),
	"POST /incidents/{id}/postmortem/signoffs": allow(auth.RoleAdmin, auth.RoleResponder,
		auth.RoleExecutive),
	"POST /incidents/{id}/follow-ups": allow(responders...),
	"POST /follow-ups/{id}": allow(auth.RoleAdmin, auth.RoleResponder,
		auth.RoleServiceEngineer),
	"POST /follow-ups/{id}/rule": allow(responders...),
	"GET /dashboard":             allow(staff...),

	// Regulatory obligations and notices on the incident page: the roles
	// of the API routes they call (internal/api/authz.go). Legal approves,
	// communications sends; a tenant's administrator reads and
	// acknowledges its own tenant's sent notices in the portal, which
	// staff may read for every tenant (as the API allows).
	"POST /incidents/{id}/facts": allow(auth.RoleAdmin, auth.RoleResponder, auth.RoleLegal),
	"POST /incidents/{id}/obligations/draft": allow(auth.RoleAdmin, auth.RoleResponder,
		auth.RoleLegal, auth.RoleCommunications),
	"POST /incidents/{id}/obligations/not-required":  allow(auth.RoleAdmin, auth.RoleLegal),
	"POST /incidents/{id}/obligations/reinstate":     allow(auth.RoleAdmin, auth.RoleLegal),
	"POST /incidents/{id}/obligations/clear-overdue": allow(auth.RoleAdmin, auth.RoleLegal),
	"POST /incidents/{id}/notices/{nid}": allow(auth.RoleAdmin, auth.RoleResponder,
		auth.RoleLegal, auth.RoleCommunications),
	"POST /incidents/{id}/notices/{nid}/approve": allow(auth.RoleLegal),
	"POST /incidents/{id}/notices/{nid}/send":    allow(auth.RoleAdmin, auth.RoleCommunications),
	"GET /portal":                   allow(tenantReaders...),
	"GET /portal/{id}":              allow(tenantReaders...),
	"POST /portal/{id}/acknowledge": allow(auth.RoleTenantAdmin),
}

// can reports whether p may use the page route key.
func can(p *auth.Principal, key string) bool {
	acc, ok := pagePermissions[key]
	if !ok || p == nil {
		return false
	}
	return acc.public || p.HasAnyRole(acc.roles...)
}
