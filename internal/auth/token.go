package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"

	"github.com/vigilsec/vigil/internal/store"
)

// TokenPrefix starts every secret that NewToken makes, so that a leaked
// token is easy to recognize (secret scanners, log reviews).
const TokenPrefix = "vgl_"

// tokenBytes is the entropy of a secret.
const tokenBytes = 32

// MinSecretLen is the shortest secret that Bootstrap accepts from the
// operator; NewToken's are 47 characters.
const MinSecretLen = 16

// NewToken returns a new random secret, "vgl_" followed by 32 random bytes in
// unpadded base64url, and its SHA-256 for storage. The error comes from the
// system's random source.
func NewToken() (secret string, hash []byte, err error) {
	return newToken(rand.Reader)
}

// newToken is NewToken reading from r.
func newToken(r io.Reader) (string, []byte, error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret), nil
}

// HashToken returns the SHA-256 of a secret, as tokens are stored and
// looked up. A fast hash is enough: secrets are random, not passwords.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Verify reports whether secret hashes to hash, in constant time.
func Verify(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashToken(secret), hash) == 1
}

// TokenStore is the part of the store that tokens need; store.Store
// implements it. See store.Store for the semantics of each method: notably
// TokenByHash checks revocation and expiry itself, so a token it returns is
// usable.
type TokenStore interface {
	CreateToken(ctx context.Context, t store.Token) error
	TokenByHash(ctx context.Context, hash []byte) (*store.Token, error)
	CountTokens(ctx context.Context) (int, error)
}

// Authenticate returns the usable token whose secret is given, or an error
// wrapping store.ErrNotFound for an unknown, revoked or expired one.
func Authenticate(ctx context.Context, tokens TokenStore, secret string) (*store.Token, error) {
	hash := HashToken(secret)
	t, err := tokens.TokenByHash(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	// The store found the row by its hash; checking again costs nothing and
	// does not trust the store's comparison.
	if !Verify(secret, t.Hash) {
		return nil, fmt.Errorf("authenticate: %w", store.ErrNotFound)
	}
	return t, nil
}

// Secret is a token secret (or any credential) in memory. It formats, logs
// and encodes to JSON as "[redacted]"; string(s) gives the value.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// Format writes "[redacted]" for every verb, %#v and %x included.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue makes log/slog write "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
