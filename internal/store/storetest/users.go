package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

// testUsers covers the Users part of the contract: accounts, sessions and
// token management.
func testUsers(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Accounts", func(t *testing.T) { testUserAccounts(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("TokenManagement", func(t *testing.T) { testTokenManagement(t, open(t)) })
}

func testUserAccounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	ana := &store.User{Name: "ana", DisplayName: "Ana Lima", Email: "ana@example.org",
		Roles: []string{"admin", "responder"}, PasswordHash: "$argon2id$x", Created: base}
	bob := &store.User{Name: "bob", Roles: []string{"tenant-admin"}, Tenant: "acme",
		Disabled: true}
	for _, u := range []*store.User{ana, bob} {
		if err := s.CreateUser(ctx, u); err != nil || u.ID == 0 {
			t.Fatalf("CreateUser(%s) = %v, ID %d", u.Name, err, u.ID)
		}
	}
	if ana.Updated != base.Truncate(time.Microsecond) || bob.Created.IsZero() {
		t.Errorf("times not set: ana updated %v, bob created %v", ana.Updated, bob.Created)
	}
	if err := s.CreateUser(ctx, &store.User{Name: "ana", Roles: []string{"x"}}); !errors.Is(err,
		store.ErrDuplicate) {
		t.Errorf("CreateUser(taken name) = %v, want ErrDuplicate", err)
	}
	for _, bad := range []store.User{{Roles: []string{"admin"}}, {Name: "nobody"}} {
		if err := s.CreateUser(ctx, &bad); err == nil {
			t.Errorf("CreateUser(%+v) succeeded, want an error", bad)
		}
	}

	got, err := s.GetUser(ctx, ana.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if diff := cmp.Diff(ana, got); diff != "" {
		t.Errorf("GetUser (-want +got):\n%s", diff)
	}
	if got, err := s.UserByName(ctx, "bob"); err != nil || !cmp.Equal(got, bob) {
		t.Errorf("UserByName(bob) = %+v, %v; want %+v", got, err, bob)
	}
	if _, err := s.UserByName(ctx, "carol"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByName(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetUser(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser(unknown) = %v, want ErrNotFound", err)
	}

	all, err := s.ListUsers(ctx, store.UserFilter{})
	if err != nil || len(all) != 2 || all[0].Name != "ana" {
		t.Errorf("ListUsers = %+v, %v; want ana and bob", all, err)
	}
	acme, err := s.ListUsers(ctx, store.UserFilter{Tenant: "acme"})
	if err != nil || len(acme) != 1 || acme[0].Name != "bob" {
		t.Errorf("ListUsers(acme) = %+v, %v; want bob", acme, err)
	}
	if n, err := s.CountUsers(ctx); n != 2 || err != nil {
		t.Errorf("CountUsers = %d, %v; want 2", n, err)
	}

	ana.Roles, ana.Disabled, ana.PasswordHash = []string{"auditor"}, true, "$argon2id$y"
	ana.Updated = base.Add(time.Hour)
	if err := s.UpdateUser(ctx, ana); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if got, err := s.GetUser(ctx, ana.ID); err != nil || !cmp.Equal(got, ana) {
		t.Errorf("after UpdateUser: %+v, %v; want %+v", got, err, ana)
	}
	gone := &store.User{ID: 9999, Name: "x", Roles: []string{"admin"}}
	if err := s.UpdateUser(ctx, gone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser(unknown) = %v, want ErrNotFound", err)
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := &store.User{Name: "ana", Roles: []string{"responder"}}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	fresh := store.Session{ID: hash("s1"), UserID: u.ID, Created: base, LastSeen: base,
		Expires: base.Add(12 * time.Hour), CSRF: "csrf-1"}
	idle := store.Session{ID: hash("s2"), UserID: u.ID, Created: base,
		LastSeen: base.Add(-3 * time.Hour), Expires: base.Add(time.Hour), CSRF: "csrf-2"}
	old := store.Session{ID: hash("s3"), UserID: u.ID, Created: base.Add(-24 * time.Hour),
		LastSeen: base, Expires: base.Add(-time.Second), CSRF: "csrf-3"}
	for _, se := range []store.Session{fresh, idle, old} {
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	orphan := fresh
	orphan.ID, orphan.UserID = hash("s4"), 9999
	if err := s.CreateSession(ctx, orphan); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateSession(unknown user) = %v, want ErrNotFound", err)
	}
	got, err := s.SessionByID(ctx, fresh.ID)
	want := fresh
	want.Created, want.LastSeen = base.Truncate(time.Microsecond), base.Truncate(time.Microsecond)
	want.Expires = want.Expires.Truncate(time.Microsecond)
	if err != nil || !cmp.Equal(got, &want) {
		t.Errorf("SessionByID = %+v, %v; want %+v", got, err, want)
	}
	later := base.Add(time.Minute).Truncate(time.Microsecond)
	if err := s.TouchSession(ctx, fresh.ID, later); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}
	if got, _ := s.SessionByID(ctx, fresh.ID); got == nil || !got.LastSeen.Equal(later) {
		t.Errorf("after TouchSession: %+v, want LastSeen %v", got, later)
	}

	n, err := s.DeleteExpiredSessions(ctx, base, base.Add(-2*time.Hour))
	if err != nil || n != 2 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 2 (idle and expired)", n, err)
	}
	if _, err := s.SessionByID(ctx, idle.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("idle session after prune: %v, want ErrNotFound", err)
	}
	if err := s.DeleteSession(ctx, fresh.ID); err != nil {
		t.Errorf("DeleteSession: %v", err)
	}
	if err := s.DeleteSession(ctx, fresh.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteSession again = %v, want ErrNotFound", err)
	}
	if err := s.TouchSession(ctx, fresh.ID, later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchSession(deleted) = %v, want ErrNotFound", err)
	}
	for i, id := range []string{"a", "b"} {
		se := fresh
		se.ID, se.CSRF = hash(id), "c"+id
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession %d: %v", i, err)
		}
	}
	if n, err := s.DeleteUserSessions(ctx, u.ID); n != 2 || err != nil {
		t.Errorf("DeleteUserSessions = %d, %v; want 2", n, err)
	}
}

func testTokenManagement(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	tokens := []store.Token{
		{Name: "admin", Hash: hash("a"), Role: "admin", Created: now},
		{Name: "acme", Hash: hash("b"), Role: "tenant-admin", Tenant: "acme",
			CreatedBy: "user:ana", Created: now, Expires: now.Add(time.Hour)},
	}
	for _, tok := range tokens {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken(%s): %v", tok.Name, err)
		}
	}
	got, err := s.ListTokens(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("ListTokens = %+v, %v; want 2 tokens", got, err)
	}
	for i := range tokens {
		tokens[i].ID = got[i].ID
	}
	if diff := cmp.Diff(tokens, got); diff != "" {
		t.Errorf("ListTokens (-want +got):\n%s", diff)
	}
	for range 2 {
		if err := s.RevokeToken(ctx, got[1].ID); err != nil {
			t.Errorf("RevokeToken: %v", err)
		}
	}
	if _, err := s.TokenByHash(ctx, hash("b")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash(revoked) = %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(unknown) = %v, want ErrNotFound", err)
	}
	if got, _ := s.ListTokens(ctx); len(got) != 2 || !got[1].Revoked {
		t.Errorf("ListTokens after revoke = %+v, want the second revoked", got)
	}
}
