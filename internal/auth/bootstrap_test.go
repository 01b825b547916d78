package auth

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

var _ TokenStore = (*sqlite.Store)(nil)

// memTokens is a TokenStore in memory with the store's semantics.
type memTokens struct {
	mu     sync.Mutex
	tokens []store.Token
	fail   error // returned by every method when set
}

func (m *memTokens) CreateToken(_ context.Context, t store.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if err := t.Validate(); err != nil {
		return err
	}
	for _, o := range m.tokens {
		if o.Name == t.Name || bytes.Equal(o.Hash, t.Hash) {
			return fmt.Errorf("create token: %w", store.ErrDuplicate)
		}
	}
	t.ID = int64(len(m.tokens) + 1)
	m.tokens = append(m.tokens, t)
	return nil
}

func (m *memTokens) TokenByHash(_ context.Context, hash []byte) (*store.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	for _, t := range m.tokens {
		if bytes.Equal(t.Hash, hash) && !t.Revoked &&
			(t.Expires.IsZero() || t.Expires.After(time.Now())) {
			return &t, nil
		}
	}
	return nil, store.ErrNotFound
}

func (m *memTokens) CountTokens(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tokens), m.fail
}

// names lists the stored tokens as name:role.
func (m *memTokens) names() []string {
	var out []string
	for _, t := range m.tokens {
		out = append(out, t.Name+":"+t.Role)
	}
	return out
}

const envSecret = "automation-secret-0123456789"

func TestBootstrap(t *testing.T) {
	other, _, _ := NewToken()
	tests := []struct {
		name        string
		existing    []store.Token
		env         string
		wantSecret  bool // a generated secret is returned
		wantCreated bool
		wantNames   string
		wantErr     string
	}{
		{name: "empty, random", wantSecret: true, wantCreated: true, wantNames: "admin:admin"},
		{name: "empty, from env", env: envSecret, wantCreated: true, wantNames: "admin:admin"},
		{name: "existing", wantNames: "ops:admin",
			existing: []store.Token{{Name: "ops", Hash: HashToken(other), Role: RoleAdmin}}},
		{name: "existing, env is new", env: envSecret,
			existing:    []store.Token{{Name: "ops", Hash: HashToken(other), Role: RoleAdmin}},
			wantCreated: true, wantNames: "ops:admin admin-env:admin"},
		{name: "existing, env is stored", env: envSecret,
			existing:  []store.Token{{Name: "ci", Hash: HashToken(envSecret), Role: RoleAdmin}},
			wantNames: "ci:admin"},
		{name: "only revoked tokens", existing: []store.Token{
			{Name: "ops", Hash: HashToken(other), Role: RoleAdmin, Revoked: true}},
			wantNames: "ops:admin"},
		{name: "env was revoked", env: envSecret, existing: []store.Token{
			{Name: "ci", Hash: HashToken(envSecret), Role: RoleAdmin, Revoked: true}},
			wantNames: "ci:admin", wantErr: "revoked"},
		{name: "admin-env from another secret", env: envSecret, existing: []store.Token{
			{Name: EnvTokenName, Hash: HashToken(other), Role: RoleAdmin}},
			wantNames: "admin-env:admin", wantErr: "admin-env"},
		{name: "env too short", env: "short", wantNames: "", wantErr: "at least"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &memTokens{tokens: tt.existing}
			secret, created, err := Bootstrap(t.Context(), m, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Bootstrap error = %v, want one mentioning %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Bootstrap: %v", err)
			}
			if (secret != "") != tt.wantSecret || created != tt.wantCreated {
				t.Errorf("Bootstrap = %q, %v; want secret %v, created %v", secret, created,
					tt.wantSecret, tt.wantCreated)
			}
			if got := strings.Join(m.names(), " "); got != tt.wantNames {
				t.Errorf("tokens %q, want %q", got, tt.wantNames)
			}
			if tt.env != "" && err == nil {
				if _, err := Authenticate(t.Context(), m, tt.env); err != nil {
					t.Errorf("env secret does not authenticate: %v", err)
				}
			}
			if secret != "" {
				if _, err := Authenticate(t.Context(), m, secret); err != nil {
					t.Errorf("returned secret does not authenticate: %v", err)
				}
			}
		})
	}
}

func TestBootstrapStoreError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, _, err := Bootstrap(t.Context(), &memTokens{fail: boom}, "")
	if !errors.Is(err, boom) {
		t.Errorf("Bootstrap = %v, want the store's error", err)
	}
}

// TestBootstrapConcurrent starts several nodes on one empty store.
func TestBootstrapConcurrent(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		secrets []string
	)
	for range 8 {
		wg.Go(func() {
			secret, _, err := Bootstrap(t.Context(), s, "")
			if err != nil {
				t.Errorf("Bootstrap: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if secret != "" {
				secrets = append(secrets, secret)
			}
		})
	}
	wg.Wait()
	n, err := s.CountTokens(t.Context())
	if err != nil || n != 1 || len(secrets) != 1 {
		t.Fatalf("%d tokens, %d secrets returned (%v); want 1 and 1", n, len(secrets), err)
	}
	tok, err := Authenticate(t.Context(), s, secrets[0])
	if err != nil || tok.Name != AdminTokenName || tok.Role != RoleAdmin {
		t.Fatalf("Authenticate(returned secret) = %+v, %v; want the admin token", tok, err)
	}
	if _, err := Authenticate(t.Context(), s, secrets[0]+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Authenticate(wrong secret) = %v, want ErrNotFound", err)
	}
}

// TestBootstrapAudit checks that each token created is in the audit trail,
// without its secret or hash.
func TestBootstrapAudit(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	secret, _, err := Bootstrap(t.Context(), s, "")
	if err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	env := strings.Repeat("e", MinSecretLen)
	if _, _, err := Bootstrap(t.Context(), s, env); err != nil {
		t.Fatalf("Bootstrap(env): %v", err)
	}
	page, err := s.ListAudit(t.Context(), store.AuditFilter{Action: audit.TokenCreated})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var names []string
	for _, e := range page.Items {
		names = append(names, e.ObjectID)
		for _, leak := range []string{secret, env, hex.EncodeToString(HashToken(secret))} {
			if strings.Contains(string(e.Details), leak) {
				t.Errorf("entry %d details %s hold a secret or hash", e.Seq, e.Details)
			}
		}
		if e.Actor != audit.SystemActor {
			t.Errorf("entry %d actor %q, want system", e.Seq, e.Actor)
		}
	}
	if want := []string{EnvTokenName, AdminTokenName}; !slices.Equal(names, want) {
		t.Errorf("token.created entries for %v, want %v", names, want)
	}
}
