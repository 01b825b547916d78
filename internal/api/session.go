package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// Names of the session cookie: with the __Host- prefix, which browsers
// accept only when Secure, for path / and without a domain, unless
// Config.InsecureCookies.
const (
	sessionCookie         = "__Host-vigil_session"
	insecureSessionCookie = "vigil_session"
)

// csrfHeader carries the session's CSRF token on state-changing requests
// authenticated by the session cookie.
const csrfHeader = "X-CSRF-Token"

// touchEvery is how stale LastSeen may get before a request writes it: the
// idle timeout is kept to this precision, and reads do not all write.
const touchEvery = time.Minute

// maxLoginBody caps a POST /api/v1/session body.
const maxLoginBody = 64 << 10

type sessionKey struct{}

func (s *server) cookieName() string {
	if s.cfg.InsecureCookies {
		return insecureSessionCookie
	}
	return sessionCookie
}

// sessionAuth authenticates a request by its session cookie: the session
// must exist and not have expired (idle or absolute), its user must exist
// and be enabled, and a request with a method other than GET, HEAD or
// OPTIONS must carry the session's CSRF token in X-CSRF-Token (403
// otherwise). The principal has the user's current roles.
func (s *server) sessionAuth(w http.ResponseWriter, r *http.Request, secret string,
	next http.Handler) {
	ctx := r.Context()
	if len(secret) > maxTokenLen {
		unauthorized(w, r, "", "invalid session")
		return
	}
	se, err := s.cfg.Store.SessionByID(ctx, auth.HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		unauthorized(w, r, "", "invalid or expired session")
		return
	}
	if err != nil {
		s.internalError(w, "session by id", err)
		return
	}
	now := time.Now()
	if s.cfg.Sessions.Expired(se, now) {
		if err := s.cfg.Store.DeleteSession(ctx, se.ID); err != nil &&
			!errors.Is(err, store.ErrNotFound) {
			s.log.Warn("delete expired session", "err", err)
		}
		unauthorized(w, r, "", "invalid or expired session")
		return
	}
	u, err := s.cfg.Store.GetUser(ctx, se.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internalError(w, "get session user", err)
		return
	}
	if u == nil || u.Disabled {
		unauthorized(w, r, "", "invalid or expired session")
		return
	}
	if !safeMethod(r.Method) && subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)),
		[]byte(se.CSRF)) != 1 {
		closeUnread(w, r)
		writeError(w, http.StatusForbidden, "missing or wrong "+csrfHeader+" header")
		return
	}
	if now.Sub(se.LastSeen) >= touchEvery {
		if err := s.cfg.Store.TouchSession(ctx, se.ID, now); err != nil {
			s.log.Warn("touch session", "err", err)
		}
	}
	p := &auth.Principal{Kind: auth.KindUser, ID: u.ID, Name: u.Name, Roles: u.Roles,
		Tenant: u.Tenant}
	ctx = context.WithValue(auth.WithPrincipal(ctx, p), sessionKey{}, se)
	next.ServeHTTP(w, r.WithContext(ctx))
}

// safeMethod reports whether a method does not change state.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sessionInfo is the answer of POST and GET /api/v1/session.
type sessionInfo struct {
	Principal *auth.Principal `json:"principal"`
	User      *userView       `json:"user,omitempty"`
	CSRFToken string          `json:"csrf_token,omitempty"`
	Expires   *time.Time      `json:"expires,omitempty"`
}

// login answers POST /api/v1/session: it checks a name and password and
// starts a session, set as a cookie. Failures are counted per user name and
// per client address (auth.Limiter); past the limit it answers 429 with
// Retry-After, before checking the password. A post that a browser marks
// as cross-site (Sec-Fetch-Site) is refused with 403: a form on another
// site could otherwise sign the browser into an account of its choice
// (login CSRF), as a text/plain form body can carry JSON.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		closeUnread(w, r)
		writeError(w, http.StatusForbidden, "sign-in from another site is not allowed")
		return
	}
	var req struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if !decodeBody(w, r, maxLoginBody, &req) {
		return
	}
	// Each try counts as a failure before the password is checked, so that
	// concurrent tries cannot all pass the limit; a try that does not fail
	// is forgiven.
	// No user name is over 64 bytes: a longer one is counted by its start
	// (the key of a 64 KiB name must not take 64 KiB of memory).
	name := req.Name
	if len(name) > 65 {
		name = name[:65]
	}
	keys := []string{"user:" + name, "addr:" + clientAddr(r)}
	for i, k := range keys {
		if wait, ok := s.limiter.Take(k); !ok {
			for _, taken := range keys[:i] {
				s.limiter.Forgive(taken)
			}
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeError(w, http.StatusTooManyRequests, "too many failed sign-ins; try later")
			return
		}
	}
	u, err := s.passwords.Login(r.Context(), s.cfg.Store, req.Name, req.Password)
	if errors.Is(err, auth.ErrBadCredentials) {
		s.recordLoginFailed(r, req.Name)
		unauthorized(w, r, "", "wrong user name or password")
		return
	}
	if err != nil {
		for _, k := range keys {
			s.limiter.Forgive(k)
		}
		s.internalError(w, "login", err)
		return
	}
	s.limiter.Reset(keys[0])
	s.limiter.Forgive(keys[1])
	s.startSession(w, r, u)
}

// startSession stores a new session for u with its user.login entry, and
// sets the cookie.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, u *store.User) {
	ctx := r.Context()
	now := time.Now()
	p := &auth.Principal{Kind: auth.KindUser, ID: u.ID, Name: u.Name, Roles: u.Roles,
		Tenant: u.Tenant}
	secret, se, err := s.cfg.Sessions.NewSession(u.ID, now)
	if err == nil {
		err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
			if err := tx.CreateSession(ctx, se); err != nil {
				return err
			}
			pctx := auth.WithPrincipal(ctx, p)
			return s.audit.RecordIn(pctx, tx, audit.Entry{Action: audit.UserLogin,
				ObjectType: "user", ObjectID: u.Name, Tenant: u.Tenant,
				Details: mustJSON(map[string]string{"remote": clientAddr(r)})})
		})
	}
	if err != nil {
		s.internalError(w, "create session", err)
		return
	}
	// Sign-in is a good moment to drop the sessions that have ended.
	if _, err := s.cfg.Store.DeleteExpiredSessions(ctx, now,
		now.Add(-s.cfg.Sessions.Idle)); err != nil {
		s.log.Warn("delete expired sessions", "err", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: string(secret), Path: "/", Expires: se.Expires,
		Secure: !s.cfg.InsecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, sessionInfo{Principal: p, User: newUserView(u),
		CSRFToken: se.CSRF, Expires: &se.Expires})
}

// recordLoginFailed records user.login_failed; the name is what the client
// sent, capped, and the password never appears. The entry is the whole
// change (nothing else is stored), so it is appended on its own.
func (s *server) recordLoginFailed(r *http.Request, name string) {
	if len(name) > 64 {
		name = name[:64]
	}
	_, err := s.audit.Record(r.Context(), audit.Entry{Actor: "anonymous",
		Action: audit.UserLoginFailed, ObjectType: "user", ObjectID: name,
		Details: mustJSON(map[string]string{"remote": clientAddr(r)})})
	if err != nil {
		s.log.Error("record failed sign-in", "err", err)
	}
}

// whoami answers GET /api/v1/session: the principal, and for a session its
// user, CSRF token and expiry.
func (s *server) whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	info := sessionInfo{Principal: p}
	if se, ok := r.Context().Value(sessionKey{}).(*store.Session); ok {
		u, err := s.cfg.Store.GetUser(r.Context(), se.UserID)
		if err != nil {
			s.storeError(w, "get user", err)
			return
		}
		info.User, info.CSRFToken, info.Expires = newUserView(u), se.CSRF, &se.Expires
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, info)
}

// logout answers DELETE /api/v1/session: it ends the session and clears the
// cookie. A request with a bearer token has no session: 400.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	se, ok := r.Context().Value(sessionKey{}).(*store.Session)
	if !ok {
		writeError(w, http.StatusBadRequest, "no session: this request used a bearer token")
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	err := s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.DeleteSession(r.Context(), se.ID); err != nil {
			return err
		}
		return s.audit.RecordIn(r.Context(), tx, audit.Entry{Action: audit.UserSessionEnded,
			ObjectType: "user", ObjectID: p.Name, Tenant: p.Tenant,
			Details: mustJSON(map[string]string{"reason": "logout"})})
	})
	if err != nil {
		s.storeError(w, "delete session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1,
		Secure: !s.cfg.InsecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// clientAddr is the address the request came from: the connection's peer.
// Forwarded headers are not trusted (a proxy in front makes every client
// share its address for rate limiting).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// decodeBody decodes a JSON object body of at most limit bytes into v,
// refusing unknown fields; on failure it answers 400 (413 when too large)
// and returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil && d.More() {
		err = errors.New("trailing data after the JSON object")
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "request body: "+err.Error())
		return false
	}
	return true
}

// internalError logs err and answers 500.
func (s *server) internalError(w http.ResponseWriter, op string, err error) {
	s.log.Error(op, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

// mustJSON marshals audit details, which are maps of plain values.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("api: audit details: " + err.Error())
	}
	return b
}
