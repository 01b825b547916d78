// Package auth owns who may call Vigil: API tokens and their roles. For now
// that is one role, admin, and bearer tokens; users, finer roles and tenant
// scoping come with issue #3.
//
// A token is a random secret shown once ("vgl_" and 43 base64url
// characters); Vigil stores only its SHA-256 (see store.Token), so a stolen
// database yields no usable secret. Secrets are never logged: hold them in a
// Secret, which prints and logs redacted.
//
// The package knows nothing about HTTP (internal/api reads the bearer header)
// or SQL: it declares TokenStore, which the store back ends implement.
package auth
