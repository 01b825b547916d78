package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var cheap = PasswordParams{Memory: 64, Time: 1, Threads: 1}

func TestPasswordRoundTrip(t *testing.T) {
	phc, err := HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("PHC %q, want the argon2id prefix with its parameters", phc)
	}
	other, _ := HashPassword("correct horse battery", cheap)
	if other == phc {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		password, phc string
		want          bool
		wantErr       bool
	}{
		{"correct horse battery", phc, true, false},
		{"correct horse batterx", phc, false, false},
		{"", phc, false, false},
		{"x", "$2a$10$bcrypt", false, true},
		{"x", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", false, true},
		{"x", strings.Replace(phc, "v=19", "v=16", 1), false, true},
	}
	for _, tt := range tests {
		got, err := VerifyPassword(tt.password, tt.phc)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("VerifyPassword(%q, %q) = %v, %v; want %v, error %v", tt.password, tt.phc,
				got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrBadPasswordHash) {
			t.Errorf("error %v does not wrap ErrBadPasswordHash", err)
		}
	}
}

func TestDefaultPasswordParams(t *testing.T) {
	phc, err := HashPassword("correct horse battery", PasswordParams{})
	if err != nil || !strings.Contains(phc, "$m=65536,t=3,p=4$") {
		t.Errorf("HashPassword with zero params = %q, %v; want RFC 9106's second set", phc, err)
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{"short": false, "twelve chars": true,
		strings.Repeat("é", 12): true, strings.Repeat("x", 2000): false} {
		if err := CheckPassword(pw); (err == nil) != ok {
			t.Errorf("CheckPassword(%.20q) = %v, want ok %v", pw, err, ok)
		}
	}
}

func TestCheckRoles(t *testing.T) {
	tests := []struct {
		roles  []string
		tenant string
		ok     bool
	}{
		{[]string{RoleAdmin}, "", true},
		{[]string{RoleResponder, RoleExecutive}, "", true},
		{[]string{RoleTenantAdmin}, "acme", true},
		{nil, "", false},
		{[]string{"root"}, "", false},
		{[]string{RoleAdmin, RoleAdmin}, "", false},
		{[]string{RoleTenantAdmin}, "", false},
		{[]string{RoleTenantAdmin, RoleAuditor}, "acme", false},
		{[]string{RoleAuditor}, "acme", false},
	}
	for _, tt := range tests {
		if err := CheckRoles(tt.roles, tt.tenant); (err == nil) != tt.ok {
			t.Errorf("CheckRoles(%v, %q) = %v, want ok %v", tt.roles, tt.tenant, err, tt.ok)
		}
	}
}

type oneUser struct{ u *store.User }

func (o oneUser) UserByName(_ context.Context, name string) (*store.User, error) {
	if o.u != nil && o.u.Name == name {
		c := *o.u
		return &c, nil
	}
	return nil, store.ErrNotFound
}

func TestLogin(t *testing.T) {
	pw := NewPasswords(cheap)
	hash, err := pw.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	users := oneUser{&store.User{ID: 7, Name: "ana", PasswordHash: hash}}
	if u, err := pw.Login(t.Context(), users, "ana", "correct horse battery"); err != nil ||
		u.ID != 7 {
		t.Fatalf("Login = %+v, %v", u, err)
	}
	disabled := oneUser{&store.User{ID: 7, Name: "ana", PasswordHash: hash, Disabled: true}}
	noHash := oneUser{&store.User{ID: 7, Name: "ana"}}
	for _, tc := range []struct {
		users      UserLookup
		name, pass string
	}{{users, "ana", "wrong"}, {users, "bob", "correct horse battery"},
		{disabled, "ana", "correct horse battery"}, {noHash, "ana", "vigil-dummy-password"}} {
		if _, err := pw.Login(t.Context(), tc.users, tc.name, tc.pass); !errors.Is(err,
			ErrBadCredentials) {
			t.Errorf("Login(%s, %s) = %v, want ErrBadCredentials", tc.name, tc.pass, err)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	for range 3 {
		if _, ok := l.Allow("k"); !ok {
			t.Fatal("blocked before the limit")
		}
		l.Fail("k")
		now = now.Add(10 * time.Second)
	}
	wait, ok := l.Allow("k")
	if ok || wait != 30*time.Second {
		t.Errorf("after 3 failures: Allow = %v, %v; want blocked for 30s", wait, ok)
	}
	if _, ok := l.Allow("other"); !ok {
		t.Error("another key is blocked")
	}
	now = now.Add(wait)
	if _, ok := l.Allow("k"); !ok {
		t.Error("still blocked once the oldest failure left the window")
	}
	l.Fail("k")
	l.Reset("k")
	if _, ok := l.Allow("k"); !ok {
		t.Error("blocked after Reset")
	}
}

func TestSessionPolicy(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	p := SessionPolicy{}
	secret, se, err := p.NewSession(3, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(secret), SessionPrefix) || !Verify(string(secret), se.ID) ||
		se.CSRF == "" || se.Validate() != nil {
		t.Fatalf("NewSession = %v, %+v", secret, se)
	}
	tests := []struct {
		lastSeen, at time.Time
		want         bool
	}{
		{now, now.Add(59 * time.Minute), false},
		{now, now.Add(DefaultSessionIdle), true},
		{now.Add(11 * time.Hour), now.Add(11*time.Hour + time.Minute), false},
		{now.Add(11*time.Hour + 59*time.Minute), now.Add(DefaultSessionLifetime), true},
	}
	for _, tt := range tests {
		se.LastSeen = tt.lastSeen
		if got := p.Expired(&se, tt.at); got != tt.want {
			t.Errorf("Expired(last seen %v, at %v) = %v, want %v", tt.lastSeen, tt.at, got,
				tt.want)
		}
	}
}
