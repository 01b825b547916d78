package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNewToken(t *testing.T) {
	shape := regexp.MustCompile(`^vgl_[A-Za-z0-9_-]{43}$`)
	seen := map[string]bool{}
	for range 100 {
		secret, hash, err := NewToken()
		if err != nil {
			t.Fatalf("NewToken: %v", err)
		}
		if !shape.MatchString(secret) {
			t.Errorf("NewToken secret %q, want vgl_ and 43 base64url characters", secret)
		}
		if !bytes.Equal(hash, HashToken(secret)) || len(hash) != 32 {
			t.Errorf("NewToken hash %x, want the SHA-256 of the secret", hash)
		}
		if len(secret) < MinSecretLen {
			t.Errorf("NewToken secret of %d characters, below MinSecretLen", len(secret))
		}
		if seen[secret] {
			t.Fatalf("NewToken repeated %q", secret)
		}
		seen[secret] = true
	}
}

func TestNewTokenRandomFails(t *testing.T) {
	_, _, err := newToken(iotest.ErrReader(errors.New("no entropy")))
	if err == nil || !strings.Contains(err.Error(), "no entropy") {
		t.Fatalf("newToken(failing reader) = %v, want the reader's error", err)
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256 of "abc", from FIPS 180-2.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := fmt.Sprintf("%x", HashToken("abc")); got != want {
		t.Errorf("HashToken(abc) = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		secret string
		hash   []byte
		want   bool
	}{
		{secret, hash, true},
		{secret + "x", hash, false},
		{"", hash, false},
		{secret, hash[:31], false},
		{secret, nil, false},
	}
	for _, tt := range tests {
		if got := Verify(tt.secret, tt.hash); got != tt.want {
			t.Errorf("Verify(%q, %x) = %v, want %v", tt.secret, tt.hash, got, tt.want)
		}
	}
}

func TestSecretRedacts(t *testing.T) {
	const value = "vgl_do-not-print-me"
	s := Secret(value)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "token", s)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "token", s)
	j, err := json.Marshal(struct{ Token Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{
		s.String(),
		fmt.Sprint(s),
		fmt.Sprintf("%s %v %+v %#v %q %x %X %d", s, s, s, s, s, s, s, s),
		fmt.Sprintf("%v", struct{ S Secret }{s}),
		fmt.Sprintf("%+v", &struct{ S Secret }{s}),
		logs.String(),
		string(j),
	}
	for _, out := range outputs {
		if strings.Contains(out, "do-not-print") || !strings.Contains(out, "[redacted]") {
			t.Errorf("output %q shows the secret or lacks [redacted]", out)
		}
	}
	if string(s) != value {
		t.Errorf("string(Secret) = %q, want the value", string(s))
	}
}

func TestValidRole(t *testing.T) {
	roles := map[string]bool{RoleAdmin: true, "": false, "Admin": false, "root": false}
	for role, want := range roles {
		if got := ValidRole(role); got != want {
			t.Errorf("ValidRole(%q) = %v, want %v", role, got, want)
		}
	}
}
