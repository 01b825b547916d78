// Package auth owns who may call Vigil and as what: the roles, API tokens,
// users with argon2id passwords, sign-in sessions, the sign-in rate
// limiter, and the Principal that a request carries in its context, with
// the tenant rule (CanSee: another tenant's object is not found).
//
// A token is a random secret shown once ("vgl_" and 43 base64url
// characters); Vigil stores only its SHA-256 (see store.Token), so a stolen
// database yields no usable secret. Session secrets ("vgs_…") are kept the
// same way. Passwords are hashed with argon2id (DefaultPasswordParams) into
// PHC strings. Secrets are never logged: hold them in a Secret, which
// prints and logs redacted.
//
// The package knows nothing about HTTP (internal/api reads the bearer header
// and the session cookie, and holds the table of which role may call which
// route) or SQL: it declares TokenStore and UserLookup, which the store back
// ends implement.
package auth
