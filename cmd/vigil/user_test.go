package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = st.CreateTenant(t.Context(), &scope.Tenant{ID: "acme", Name: "ACME"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "VIGIL_DATA" {
			return dir
		}
		return ""
	}
	tests := []struct {
		name, stdin string
		args        []string
		want        int
		wantOut     string
	}{
		{"password on stdin", "a long passphrase\n", []string{"--name", "ana", "--role", "admin"},
			exitOK, "user ana created"},
		{"generated", "", []string{"--name", "bob", "--role", "tenant-admin", "--tenant", "acme"},
			exitOK, "password (shown once"},
		{"taken", "another passphrase\n", []string{"--name", "ana", "--role", "admin"},
			exitError, ""},
		{"short password", "short\n", []string{"--name", "cy", "--role", "admin"}, exitUsage, ""},
		{"no role", "", []string{"--name", "cy"}, exitUsage, ""},
		{"tenant without tenant-admin", "", []string{"--name", "cy", "--role", "admin",
			"--tenant", "acme"}, exitUsage, ""},
		{"no such tenant", "", []string{"--name", "cy", "--role", "tenant-admin",
			"--tenant", "nosuch"}, exitError, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := userAdd(context.Background(), tt.args, getenv, strings.NewReader(tt.stdin),
			&out, &errOut)
		if code != tt.want || !strings.Contains(out.String(), tt.wantOut) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and %q", tt.name, code,
				out.String(), errOut.String(), tt.want, tt.wantOut)
		}
	}

	var out, errOut bytes.Buffer
	userAdd(context.Background(), []string{"--name", "cy", "--role", "tenant-admin",
		"--tenant", "nosuch"}, getenv, strings.NewReader(""), &out, &errOut)
	if want := `tenant "nosuch" does not exist; create it first`; !strings.Contains(
		errOut.String(), want) {
		t.Errorf("user add --tenant nosuch: stderr %q, want %q", errOut.String(), want)
	}

	st, err = sqlite.Open(t.Context(), filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := auth.NewPasswords(auth.PasswordParams{}).Login(t.Context(), st, "ana",
		"a long passphrase")
	if err != nil || u.Roles[0] != auth.RoleAdmin {
		t.Errorf("Login(ana) = %+v, %v; want the admin", u, err)
	}
	page, err := st.ListAudit(t.Context(), store.AuditFilter{Action: "user.created"})
	if err != nil || page.Total != 2 {
		t.Errorf("user.created entries: %d, %v; want 2", page.Total, err)
	}
}

// TestUserAddFreshDataFolder checks that the first admin can be created
// before the first start of vigil serve: the data folder and store are
// created, and serve then opens them.
func TestUserAddFreshDataFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new-data")
	getenv := func(k string) string {
		if k == "VIGIL_DATA" {
			return dir
		}
		return ""
	}
	var out, errOut bytes.Buffer
	code := userAdd(context.Background(), []string{"--name", "ana", "--role", "admin"}, getenv,
		strings.NewReader("a long passphrase\n"), &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("data folder: %v, mode %v; want it created 0700", err, info.Mode().Perm())
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UserByName(t.Context(), "ana"); err != nil {
		t.Errorf("user ana not stored: %v", err)
	}
}
