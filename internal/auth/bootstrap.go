package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// Names of the tokens that Bootstrap creates.
const (
	// AdminTokenName names the first token of a new data folder.
	AdminTokenName = "admin"
	// EnvTokenName names the token that Bootstrap adds for an operator's
	// secret when the data folder has tokens already.
	EnvTokenName = "admin-env"
)

// Bootstrap makes sure that someone can call the API on first start.
//
// When the store has no token at all, it creates an admin token named
// "admin": from envSecret when it is set (the caller reads it from
// VIGIL_ADMIN_TOKEN), else from a new random secret, which it returns so that
// the caller prints it once; it is not stored anywhere in clear. Tokens that
// were revoked or have expired count as tokens: revoking every token does
// not make a new one appear.
//
// When tokens exist, it does nothing, except that a set envSecret that is
// not a usable token yet is stored under the name "admin-env", so that
// automation holding the secret works against an existing data folder. If
// "admin-env" exists already (from another secret, or revoked), or the
// secret is a revoked one, Bootstrap refuses: a revoked secret does not come
// back through the environment.
//
// secret is non-empty only when Bootstrap generated it; created reports
// whether it stored a token. An envSecret shorter than MinSecretLen is an
// error. Nodes that bootstrap one store at the same time create one token.
//
// When tokens is also an audit.Appender (the stores are), each token created
// is recorded in the audit trail as token.created by "system", with its name
// and role, never its secret or hash. The entry is appended right after the
// token is stored; if that fails, Bootstrap returns the error and the token
// stays without its entry.
func Bootstrap(ctx context.Context, tokens TokenStore, envSecret string) (secret string, created bool, err error) {
	if envSecret != "" && len(envSecret) < MinSecretLen {
		return "", false, fmt.Errorf("bootstrap admin token: the given secret has %d characters, "+
			"want at least %d", len(envSecret), MinSecretLen)
	}
	n, err := tokens.CountTokens(ctx)
	if err != nil {
		return "", false, fmt.Errorf("bootstrap admin token: %w", err)
	}
	if n == 0 {
		secret, hash := envSecret, HashToken(envSecret)
		if envSecret == "" {
			if secret, hash, err = NewToken(); err != nil {
				return "", false, fmt.Errorf("bootstrap admin token: %w", err)
			}
		}
		err := tokens.CreateToken(ctx,
			store.Token{Name: AdminTokenName, Hash: hash, Role: RoleAdmin})
		if err == nil {
			err = recordToken(ctx, tokens, AdminTokenName, RoleAdmin)
		}
		switch {
		case err == nil && envSecret == "":
			return secret, true, nil
		case err == nil:
			return "", true, nil
		case !errors.Is(err, store.ErrDuplicate):
			return "", false, fmt.Errorf("bootstrap admin token: %w", err)
		}
		// Another node created the first token meanwhile: carry on as if it
		// had been there.
	}
	if envSecret == "" {
		return "", false, nil
	}

	_, err = tokens.TokenByHash(ctx, HashToken(envSecret))
	if err == nil {
		return "", false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", false, fmt.Errorf("bootstrap admin token: %w", err)
	}
	err = tokens.CreateToken(ctx, store.Token{Name: EnvTokenName, Hash: HashToken(envSecret),
		Role: RoleAdmin})
	if errors.Is(err, store.ErrDuplicate) {
		return "", false, fmt.Errorf("bootstrap admin token: the given secret is not a usable "+
			"token, and it cannot be added: it was revoked or expired, or a token named %q "+
			"exists already: %w", EnvTokenName, err)
	}
	if err != nil {
		return "", false, fmt.Errorf("bootstrap admin token: %w", err)
	}
	if err := recordToken(ctx, tokens, EnvTokenName, RoleAdmin); err != nil {
		return "", false, fmt.Errorf("bootstrap admin token: %w", err)
	}
	return "", true, nil
}

// recordToken records token.created when tokens is an audit.Appender.
func recordToken(ctx context.Context, tokens TokenStore, name, role string) error {
	app, ok := tokens.(audit.Appender)
	if !ok {
		return nil
	}
	details, err := json.Marshal(map[string]string{"name": name, "role": role})
	if err != nil {
		return fmt.Errorf("record token %q: %w", name, err)
	}
	_, err = audit.New(app, nil).Record(ctx, audit.Entry{
		Actor: audit.SystemActor, Action: audit.TokenCreated, ObjectType: "token", ObjectID: name,
		Details: details,
	})
	return err
}
