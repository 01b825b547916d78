package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// maxTokenLen bounds the secret that is hashed and looked up; real tokens
// are far shorter.
const maxTokenLen = 512

// authenticate lets the request through only with a usable bearer token:
// known by its SHA-256, not revoked, not expired (the store checks both).
// Otherwise it answers 401 with a WWW-Authenticate challenge (RFC 6750). The
// token itself is never logged.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			unauthorized(w, "", "missing bearer token")
			return
		}
		if len(secret) > maxTokenLen {
			unauthorized(w, "invalid_token", "invalid bearer token")
			return
		}
		_, err := auth.Authenticate(r.Context(), s.cfg.Store, secret)
		switch {
		case errors.Is(err, store.ErrNotFound):
			unauthorized(w, "invalid_token", "invalid, revoked or expired bearer token")
			return
		case err != nil:
			s.log.Error("authenticate", "err", err)
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer extracts the token from an Authorization header value. The scheme
// is case-insensitive.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// unauthorized answers 401 with a Bearer challenge; code is the RFC 6750
// error code, empty when no credentials were sent.
func unauthorized(w http.ResponseWriter, code, msg string) {
	challenge := `Bearer realm="vigil"`
	if code != "" {
		challenge += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, msg)
}
