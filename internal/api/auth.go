package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// maxTokenLen bounds the secret that is hashed and looked up; real tokens
// are far shorter.
const maxTokenLen = 512

// authenticate lets the request through only with credentials: a bearer
// token, or else a session cookie (see sessionAuth). A bearer token must be
// usable: known by its SHA-256, not revoked, not expired (the store checks
// both). Otherwise it answers 401 with a WWW-Authenticate challenge (RFC
// 6750). Credentials are never logged. The request's context carries the
// principal (auth.PrincipalFrom), which is also the actor of audit entries.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if header == "" {
			if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" {
				s.sessionAuth(w, r, c.Value, next)
				return
			}
		}
		secret, ok := bearer(header)
		if !ok {
			unauthorized(w, r, "", "missing bearer token or session")
			return
		}
		if len(secret) > maxTokenLen {
			unauthorized(w, r, "invalid_token", "invalid bearer token")
			return
		}
		tok, err := auth.Authenticate(r.Context(), s.cfg.Store, secret)
		switch {
		case errors.Is(err, store.ErrNotFound):
			unauthorized(w, r, "invalid_token", "invalid, revoked or expired bearer token")
			return
		case err != nil:
			s.log.Error("authenticate", "err", err)
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		}
		p := &auth.Principal{Kind: auth.KindToken, ID: tok.ID, Name: tok.Name,
			Roles: []string{tok.Role}, Tenant: tok.Tenant}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
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
// error code, empty when no credentials were sent. The request body is not
// read, so the connection is closed after the answer (see closeUnread).
func unauthorized(w http.ResponseWriter, r *http.Request, code, msg string) {
	challenge := `Bearer realm="vigil"`
	if code != "" {
		challenge += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	closeUnread(w, r)
	writeError(w, http.StatusUnauthorized, msg)
}

// closeUnread gives up the request body before an answer sent without
// reading it, and closes the connection after the answer. Otherwise
// net/http reads up to 256 KiB of the unread body, before and after it
// sends the answer, with no deadline of its own: a client that announces a
// body and never sends it would hold the connection and its goroutine for
// as long as it likes, token or not.
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return
	}
	w.Header().Set("Connection", "close")
	// An expired read deadline makes those reads fail at once. The error
	// only means that the writer cannot set deadlines (a test recorder).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}
