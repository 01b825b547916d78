package auth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Session lifetimes by default: a session ends after an hour without a
// request, and twelve hours after sign-in whatever its use.
const (
	DefaultSessionIdle     = time.Hour
	DefaultSessionLifetime = 12 * time.Hour
)

// SessionPrefix starts every session secret, so that a leaked cookie is
// recognizable.
const SessionPrefix = "vgs_"

// SessionPolicy says when a session ends. Zero fields take the defaults.
type SessionPolicy struct {
	// Idle is how long a session lasts without a request.
	// Default DefaultSessionIdle.
	Idle time.Duration
	// Lifetime is how long a session lasts after sign-in.
	// Default DefaultSessionLifetime.
	Lifetime time.Duration
}

// WithDefaults returns p with its zero fields set to the defaults.
func (p SessionPolicy) WithDefaults() SessionPolicy {
	if p.Idle <= 0 {
		p.Idle = DefaultSessionIdle
	}
	if p.Lifetime <= 0 {
		p.Lifetime = DefaultSessionLifetime
	}
	return p
}

// NewSession starts a session for a user at now: it returns the secret for
// the cookie (shown to the client only) and the session to store, whose ID
// is the secret's SHA-256 and whose CSRF token is another random value.
func (p SessionPolicy) NewSession(userID int64, now time.Time) (Secret, store.Session, error) {
	p = p.WithDefaults()
	b := make([]byte, 2*tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", store.Session{}, fmt.Errorf("new session: %w", err)
	}
	secret := SessionPrefix + base64.RawURLEncoding.EncodeToString(b[:tokenBytes])
	now = now.UTC().Truncate(time.Microsecond)
	return Secret(secret), store.Session{
		ID:       HashToken(secret),
		UserID:   userID,
		Created:  now,
		LastSeen: now,
		Expires:  now.Add(p.Lifetime),
		CSRF:     base64.RawURLEncoding.EncodeToString(b[tokenBytes:]),
	}, nil
}

// Expired reports whether the session has ended at now: past its absolute
// expiry, or idle for Idle or longer.
func (p SessionPolicy) Expired(s *store.Session, now time.Time) bool {
	p = p.WithDefaults()
	return !now.Before(s.Expires) || !now.Before(s.LastSeen.Add(p.Idle))
}
