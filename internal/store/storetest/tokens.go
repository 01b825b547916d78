package storetest

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

// hash returns the SHA-256 of s.
func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// testTokens stores tokens and looks them up by hash.
func testTokens(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	tokens := []store.Token{
		{Name: "admin", Hash: hash("a"), Role: "admin", Created: now},
		{Name: "ci", Hash: hash("b"), Role: "admin", Created: now, Expires: now.Add(time.Hour)},
		{Name: "old", Hash: hash("c"), Role: "admin", Created: now, Expires: now.Add(-time.Hour)},
		{Name: "gone", Hash: hash("d"), Role: "admin", Created: now, Revoked: true},
	}
	for _, tok := range tokens {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken(%s): %v", tok.Name, err)
		}
	}
	if n, err := s.CountTokens(ctx); err != nil || n != len(tokens) {
		t.Errorf("CountTokens = %d, %v; want %d (revoked and expired count)", n, err, len(tokens))
	}

	for _, tok := range tokens[:2] {
		got, err := s.TokenByHash(ctx, tok.Hash)
		if err != nil {
			t.Errorf("TokenByHash(%s): %v", tok.Name, err)
			continue
		}
		want := tok
		want.ID = got.ID
		if diff := cmp.Diff(&want, got); diff != "" || got.ID == 0 {
			t.Errorf("TokenByHash(%s) (-want +got):\n%s", tok.Name, diff)
		}
	}
	for _, h := range [][]byte{tokens[2].Hash, tokens[3].Hash, hash("unknown")} {
		if _, err := s.TokenByHash(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TokenByHash(expired, revoked or unknown) = %v, want ErrNotFound", err)
		}
	}

	dup := []store.Token{
		{Name: "admin", Hash: hash("e"), Role: "admin"},
		{Name: "other", Hash: hash("a"), Role: "admin"},
	}
	for _, tok := range dup {
		if err := s.CreateToken(ctx, tok); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("CreateToken(duplicate %s) = %v, want ErrDuplicate", tok.Name, err)
		}
	}
	bad := []store.Token{
		{Hash: hash("f"), Role: "admin"},
		{Name: "short", Hash: []byte("f"), Role: "admin"},
		{Name: "norole", Hash: hash("f")},
	}
	for _, tok := range bad {
		if err := s.CreateToken(ctx, tok); err == nil {
			t.Errorf("CreateToken(%+v) succeeded, want an error", tok)
		}
	}
	if n, err := s.CountTokens(ctx); err != nil || n != len(tokens) {
		t.Errorf("after rejected tokens: CountTokens = %d, %v; want %d", n, err, len(tokens))
	}
}
