package auth

import (
	"fmt"
	"slices"
)

// The roles of users and tokens. A principal holds one or more; what each
// may call is the authorization table of internal/api (docs/authorization.md).
const (
	// RoleAdmin may do everything, users and tokens included.
	RoleAdmin = "admin"
	// RoleResponder is a member of the security incident response team.
	RoleResponder = "responder"
	// RoleServiceEngineer is a member of a service team.
	RoleServiceEngineer = "service-engineer"
	// RoleExecutive is an incident manager who approves high-impact steps.
	RoleExecutive = "executive"
	// RoleLegal is counsel reviewing incidents and notifications.
	RoleLegal = "legal"
	// RoleCommunications writes to customers and the public.
	RoleCommunications = "communications"
	// RoleAuditor reads everything, the audit trail included, and changes
	// nothing.
	RoleAuditor = "auditor"
	// RoleTenantAdmin is a customer's designated administrator: it sees only
	// its own tenant's data and needs a tenant.
	RoleTenantAdmin = "tenant-admin"
	// RoleIngest is for log collectors: it may post events and nothing else.
	RoleIngest = "ingest"
)

// Roles lists every role in a stable order (the columns of the
// authorization matrix).
var Roles = []string{RoleAdmin, RoleResponder, RoleServiceEngineer, RoleExecutive, RoleLegal,
	RoleCommunications, RoleAuditor, RoleTenantAdmin, RoleIngest}

// StaffRoles are the roles of the provider's own people, who see every
// tenant: every role but tenant-admin and ingest.
var StaffRoles = []string{RoleAdmin, RoleResponder, RoleServiceEngineer, RoleExecutive,
	RoleLegal, RoleCommunications, RoleAuditor}

// ValidRole reports whether role is one this version knows.
func ValidRole(role string) bool {
	return slices.Contains(Roles, role)
}

// CheckRoles reports what is wrong with a set of roles for a principal of
// the given tenant: no role, an unknown or repeated one, tenant-admin
// without a tenant, or a tenant given to a principal that is not solely a
// tenant-admin (a tenant's administrator cannot also be provider staff).
func CheckRoles(roles []string, tenant string) error {
	if len(roles) == 0 {
		return fmt.Errorf("no role: want one or more of %v", Roles)
	}
	for i, r := range roles {
		if !ValidRole(r) {
			return fmt.Errorf("unknown role %q: want one of %v", r, Roles)
		}
		if slices.Contains(roles[:i], r) {
			return fmt.Errorf("role %q given twice", r)
		}
	}
	tenantAdmin := slices.Contains(roles, RoleTenantAdmin)
	switch {
	case tenantAdmin && tenant == "":
		return fmt.Errorf("role %s needs a tenant", RoleTenantAdmin)
	case tenantAdmin && len(roles) > 1:
		return fmt.Errorf("role %s cannot be combined with other roles", RoleTenantAdmin)
	case !tenantAdmin && tenant != "":
		return fmt.Errorf("only role %s takes a tenant; staff roles see every tenant",
			RoleTenantAdmin)
	}
	return nil
}
