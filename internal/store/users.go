package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Users is the part of the contract that holds user accounts, their
// sign-in sessions and the management of API tokens. Store embeds it.
type Users interface {
	// CreateUser stores u, setting u.ID, and u.Created and u.Updated to the
	// store's clock when they are zero. A taken name gives ErrDuplicate.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user with the given ID, or ErrNotFound.
	GetUser(ctx context.Context, id int64) (*User, error)
	// UserByName returns the user with the given name, or ErrNotFound.
	UserByName(ctx context.Context, name string) (*User, error)
	// ListUsers returns the users that f selects, by ascending ID.
	ListUsers(ctx context.Context, f UserFilter) ([]User, error)
	// UpdateUser replaces the stored user with the same ID (every field but
	// Name and Created), setting u.Updated to the store's clock when it is
	// zero. An unknown ID gives ErrNotFound.
	UpdateUser(ctx context.Context, u *User) error
	// CountUsers reports how many users exist, disabled ones included.
	CountUsers(ctx context.Context) (int, error)

	// CreateSession stores a session by the SHA-256 of its secret. An
	// unknown user gives ErrNotFound.
	CreateSession(ctx context.Context, s Session) error
	// SessionByID returns the session with the given ID (a SHA-256), or
	// ErrNotFound. It does not check expiry: the caller applies its policy.
	SessionByID(ctx context.Context, id []byte) (*Session, error)
	// TouchSession sets the LastSeen of a session; an unknown one gives
	// ErrNotFound.
	TouchSession(ctx context.Context, id []byte, lastSeen time.Time) error
	// DeleteSession removes a session; an unknown one gives ErrNotFound.
	DeleteSession(ctx context.Context, id []byte) error
	// DeleteUserSessions removes every session of a user and reports how
	// many there were.
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)
	// DeleteExpiredSessions removes the sessions whose Expires is not after
	// now, or whose LastSeen is not after idleBefore, and reports how many.
	DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error)

	// ListTokens returns every token, revoked and expired ones included, by
	// ascending ID, with their hashes.
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks a token revoked. An unknown ID gives ErrNotFound;
	// revoking a revoked token is not an error.
	RevokeToken(ctx context.Context, id int64) error
}

// User is a person who signs in. PasswordHash is an argon2id PHC string
// (see internal/auth); empty means the user cannot sign in with a password.
// Times are kept to the microsecond.
type User struct {
	ID           int64
	Name         string
	DisplayName  string
	Email        string
	Roles        []string
	Tenant       string // empty: provider staff
	PasswordHash string
	Disabled     bool
	Created      time.Time
	Updated      time.Time
}

// Validate reports what makes u unstorable: an empty or over-long name, or
// no role. Which roles exist, and which need a tenant, is internal/auth's
// business.
func (u User) Validate() error {
	switch {
	case u.Name == "":
		return errors.New("user: empty name")
	case len(u.Name) > 128:
		return fmt.Errorf("user: name of %d bytes, want at most 128", len(u.Name))
	case len(u.Roles) == 0:
		return fmt.Errorf("user %q: no role", u.Name)
	}
	return nil
}

// UserFilter selects users. Tenant, when set, keeps the users of that
// tenant only.
type UserFilter struct {
	Tenant string
}

// Session is a signed-in user's session as stored: its ID is the SHA-256 of
// the secret held in the cookie, never the secret. CSRF is the token that
// state-changing requests of the session must echo.
type Session struct {
	ID       []byte
	UserID   int64
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time
	CSRF     string
}

// Validate reports what makes s unstorable: an ID that is not a SHA-256, no
// user, an empty CSRF token or a zero time.
func (s Session) Validate() error {
	switch {
	case len(s.ID) != 32:
		return fmt.Errorf("session: ID of %d bytes, want a SHA-256 (32)", len(s.ID))
	case s.UserID == 0:
		return errors.New("session: no user")
	case s.CSRF == "":
		return errors.New("session: empty CSRF token")
	case s.Created.IsZero() || s.LastSeen.IsZero() || s.Expires.IsZero():
		return errors.New("session: zero time")
	}
	return nil
}
