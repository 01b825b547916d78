package auth

import (
	"context"
	"slices"

	"github.com/vigilsec/vigil/internal/audit"
)

// Kinds of principal.
const (
	// KindUser is a signed-in user (a session cookie).
	KindUser = "user"
	// KindToken is an API token (a bearer header).
	KindToken = "token"
)

// Principal is who makes a request: a user or a token, with its roles and
// tenant. An empty Tenant means provider staff, who see every tenant.
type Principal struct {
	Kind   string   `json:"kind"`
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Roles  []string `json:"roles"`
	Tenant string   `json:"tenant,omitempty"`
}

// Actor returns the principal as the actor of audit entries: "user:<name>"
// or "token:<name>".
func (p *Principal) Actor() string {
	if p.Kind == KindToken {
		return audit.TokenActor(p.Name)
	}
	return audit.UserActor(p.Name)
}

// HasAnyRole reports whether the principal holds one of roles.
func (p *Principal) HasAnyRole(roles ...string) bool {
	for _, r := range p.Roles {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// CanSee reports whether the principal may see an object of the given
// tenant: staff (no tenant) see every object; a tenant's principal sees its
// own tenant's objects only, and no provider-wide ones (empty tenant).
// Callers answer "not found" when it is false, so that another tenant's
// objects do not show that they exist.
func (p *Principal) CanSee(tenant string) bool {
	return p.Tenant == "" || p.Tenant == tenant
}

type principalKey struct{}

// WithPrincipal returns a context carrying p; it also names p as the actor
// of audit entries (audit.WithActor).
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	ctx = audit.WithActor(ctx, p.Actor())
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of a request's context, or nil and
// false when the request is not authenticated (a public route).
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
