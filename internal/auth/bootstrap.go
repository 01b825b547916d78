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
// When tokens is also a store.Transactor (the stores are), each token
// created is recorded in the audit trail as token.created by "system", with
// its name and role, never its secret or hash, in the transaction that
// stores the token: if recording fails, the token is not stored either.
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
		err := createToken(ctx, tokens,
			store.Token{Name: AdminTokenName, Hash: hash, Role: RoleAdmin})
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
	err = createToken(ctx, tokens, store.Token{Name: EnvTokenName, Hash: HashToken(envSecret),
		Role: RoleAdmin})
	if errors.Is(err, store.ErrDuplicate) {
		return "", false, fmt.Errorf("bootstrap admin token: the given secret is not a usable "+
			"token, and it cannot be added: it was revoked or expired, or a token named %q "+
			"exists already: %w", EnvTokenName, err)
	}
	if err != nil {
		return "", false, fmt.Errorf("bootstrap admin token: %w", err)
	}
	return "", true, nil
}

// createToken stores t, and records token.created in the same transaction
// when tokens is a store.Transactor.
func createToken(ctx context.Context, tokens TokenStore, t store.Token) error {
	tr, ok := tokens.(store.Transactor)
	if !ok {
		return tokens.CreateToken(ctx, t)
	}
	details, err := json.Marshal(map[string]string{"name": t.Name, "role": t.Role})
	if err != nil {
		return fmt.Errorf("record token %q: %w", t.Name, err)
	}
	return tr.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		return audit.New(nil, nil).RecordIn(ctx, tx, audit.Entry{
			Actor: audit.SystemActor, Action: audit.TokenCreated, ObjectType: "token",
			ObjectID: t.Name, Details: details,
		})
	})
}
