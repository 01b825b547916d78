package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/vigilsec/vigil/internal/store"
)

// ErrBadCredentials is returned by Passwords.Login for an unknown user, a
// wrong password, a disabled account and an account without a password
// alike, so that a caller cannot tell them apart.
var ErrBadCredentials = errors.New("wrong user name or password")

// UserLookup is the part of the store that sign-in needs.
type UserLookup interface {
	UserByName(ctx context.Context, name string) (*store.User, error)
}

// Passwords hashes and checks user passwords with one parameter set. It is
// safe for concurrent use.
type Passwords struct {
	params PasswordParams
	// dummy is a hash verified for unknown users, so that they take as
	// long to refuse as a wrong password.
	dummy func() (string, error)
	// slots bounds the password checks that run at once: each takes the
	// memory of its parameters (64 MiB by default), and sign-in is open to
	// anyone.
	slots chan struct{}
}

// MaxConcurrentLogins is how many password checks of Passwords.Login run at
// once; more wait for a slot (or for their request to end).
const MaxConcurrentLogins = 4

// NewPasswords returns Passwords hashing with p (the zero value means
// DefaultPasswordParams).
func NewPasswords(p PasswordParams) *Passwords {
	if p == (PasswordParams{}) {
		p = DefaultPasswordParams
	}
	return &Passwords{params: p, dummy: sync.OnceValues(func() (string, error) {
		return HashPassword("vigil-dummy-password", p)
	}), slots: make(chan struct{}, MaxConcurrentLogins)}
}

// Hash checks a new password (CheckPassword) and returns its PHC string.
func (pw *Passwords) Hash(password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	return HashPassword(password, pw.params)
}

// Login returns the enabled user whose name and password are given. Every
// refusal wraps ErrBadCredentials and costs one password hash, whether the
// user exists or not; a store failure is returned as itself. At most
// MaxConcurrentLogins run at once; the others wait, and return ctx's error
// if it ends first.
func (pw *Passwords) Login(ctx context.Context, users UserLookup, name,
	password string) (*store.User, error) {
	select {
	case pw.slots <- struct{}{}:
		defer func() { <-pw.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("login: %w", ctx.Err())
	}
	u, err := users.UserByName(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("login: %w", err)
	}
	phc := ""
	if u != nil {
		phc = u.PasswordHash
	}
	if phc == "" {
		if phc, err = pw.dummy(); err != nil {
			return nil, fmt.Errorf("login: %w", err)
		}
		u = nil
	}
	ok, err := VerifyPassword(password, phc)
	if err != nil {
		return nil, fmt.Errorf("login %q: %w", name, err)
	}
	if !ok || u == nil || u.Disabled {
		return nil, fmt.Errorf("login: %w", ErrBadCredentials)
	}
	return u, nil
}

// CheckUser reports what makes a new or changed user invalid: a name that
// is empty, over 64 bytes or holds characters other than letters, digits
// and ".-_@", or roles that CheckRoles refuses.
func CheckUser(u *store.User) error {
	if u.Name == "" || len(u.Name) > 64 || strings.IndexFunc(u.Name, badNameRune) >= 0 {
		return fmt.Errorf("user name %q: want 1 to 64 letters, digits or .-_@", u.Name)
	}
	if err := CheckRoles(u.Roles, u.Tenant); err != nil {
		return fmt.Errorf("user %q: %w", u.Name, err)
	}
	return nil
}

func badNameRune(r rune) bool {
	ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune(".-_@", r)
	return !ok
}
