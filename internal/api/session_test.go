package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// do sends a JSON request with the given headers (name, value pairs) and
// cookies, and returns the status, headers and body.
func (env *matrixEnv) do(t *testing.T, method, path, body string, cookies []*http.Cookie,
	headers ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, env.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestLoginFlow(t *testing.T) {
	env := newMatrixEnv(t)
	login := `{"name":"victim","password":"` + victimPassword + `"}`
	status, h, body := env.do(t, "POST", "/api/v1/session", login, nil)
	if status != http.StatusOK {
		t.Fatalf("login: status %d, body %s", status, body)
	}
	resp := &http.Response{Header: h}
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != insecureSessionCookie || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/" {
		t.Fatalf("login cookies %+v, want one HttpOnly SameSite=Strict session cookie", cookies)
	}
	var info struct {
		CSRFToken string `json:"csrf_token"`
		User      struct{ Name string }
	}
	if err := json.Unmarshal(body, &info); err != nil || info.CSRFToken == "" ||
		info.User.Name != "victim" || strings.Contains(string(body), "argon2") {
		t.Fatalf("login answer %s (%v): want the user and a CSRF token, no hash", body, err)
	}

	if status, _, body := env.do(t, "GET", "/api/v1/session", "", cookies); status != 200 ||
		!strings.Contains(string(body), `"kind":"user"`) {
		t.Errorf("whoami: %d %s", status, body)
	}
	// The victim is a responder: it may post events, with the CSRF header.
	if status, _, _ := env.do(t, "POST", "/api/v1/events", "{}\n", cookies); status != 403 {
		t.Errorf("POST without CSRF: %d, want 403", status)
	}
	if status, _, _ := env.do(t, "POST", "/api/v1/events", "{}\n", cookies,
		csrfHeader, "wrong"); status != 403 {
		t.Errorf("POST with a wrong CSRF token: %d, want 403", status)
	}
	if status, _, body := env.do(t, "POST", "/api/v1/events", "{}\n", cookies,
		csrfHeader, info.CSRFToken); status != 200 {
		t.Errorf("POST with CSRF: %d %s, want 200", status, body)
	}
	if status, _, _ := env.do(t, "DELETE", "/api/v1/session", "", cookies,
		csrfHeader, info.CSRFToken); status != http.StatusNoContent {
		t.Errorf("logout: %d, want 204", status)
	}
	if status, _, _ := env.do(t, "GET", "/api/v1/session", "", cookies); status != 401 {
		t.Errorf("whoami after logout: %d, want 401", status)
	}
	// A secure server sends a Secure __Host- cookie.
	if got := (&server{}).cookieName(); got != sessionCookie {
		t.Errorf("secure cookie name %q, want %q", got, sessionCookie)
	}
}

// TestLoginRefusals checks that an unknown user and a wrong password get
// one answer, and that the sixth failure is rate-limited.
func TestLoginRefusals(t *testing.T) {
	env := newMatrixEnv(t)
	var bodies []string
	for _, req := range []string{`{"name":"victim","password":"wrong-password-123"}`,
		`{"name":"nobody","password":"wrong-password-123"}`,
		`{"name":"u-admin","password":"no password set"}`} {
		status, _, body := env.do(t, "POST", "/api/v1/session", req, nil)
		if status != http.StatusUnauthorized {
			t.Errorf("login %s: status %d, want 401", req, status)
		}
		bodies = append(bodies, string(body))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Errorf("refusals differ: %q", bodies)
	}
}

func TestLoginRateLimit(t *testing.T) {
	env := newMatrixEnv(t)
	// newMatrixEnv lifts the limit; build a server with the default one.
	h, err := New(Config{Store: env.st, Pipeline: nopIngester{},
		PasswordParams: cheapPasswords, InsecureCookies: true})
	if err != nil {
		t.Fatal(err)
	}
	env.srv.Config.Handler = h
	bad := `{"name":"victim","password":"wrong-password-123"}`
	for i := range auth.DefaultLoginFailures {
		if status, _, _ := env.do(t, "POST", "/api/v1/session", bad, nil); status != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, status)
		}
	}
	good := `{"name":"victim","password":"` + victimPassword + `"}`
	status, h2, _ := env.do(t, "POST", "/api/v1/session", good, nil)
	retry, _ := strconv.Atoi(h2.Get("Retry-After"))
	if status != http.StatusTooManyRequests || retry <= 0 || retry > 15*60 {
		t.Errorf("after %d failures: status %d, Retry-After %q; want 429 within 15 min",
			auth.DefaultLoginFailures, status, h2.Get("Retry-After"))
	}
}

type nopIngester struct{}

func (nopIngester) Ingest(context.Context, []*event.Event) (detect.Result, error) {
	return detect.Result{}, nil
}

// TestUserAndTokenManagement creates a user and a token as admin, uses the
// token, revokes it, disables the user, and checks the audit trail holds no
// secrets.
func TestUserAndTokenManagement(t *testing.T) {
	env := newMatrixEnv(t)
	admin := "Bearer " + env.tokens[auth.RoleAdmin]

	// An account bound to a tenant that does not exist is refused.
	const noSuch = `{"error":"tenant \"nosuch\" does not exist; create it first` +
		` (vigil inventory import or POST /api/v1/tenants)","field":"tenant"}`
	for path, body := range map[string]string{
		"/api/v1/users":  `{"name":"dan","roles":["tenant-admin"],"tenant":"nosuch"}`,
		"/api/v1/tokens": `{"name":"dan","role":"tenant-admin","tenant":"nosuch"}`,
	} {
		status, _, got := env.do(t, "POST", path, body, nil, "Authorization", admin)
		if status != http.StatusUnprocessableEntity || strings.TrimSpace(string(got)) != noSuch {
			t.Errorf("POST %s for tenant nosuch: %d %s, want 422 %s", path, status, got, noSuch)
		}
	}
	if err := env.st.CreateTenant(t.Context(), &scope.Tenant{ID: "globex",
		Name: "Globex"}); err != nil {
		t.Fatal(err)
	}
	status, _, body := env.do(t, "POST", "/api/v1/users",
		`{"name":"carol","roles":["tenant-admin"],"tenant":"globex"}`, nil, "Authorization", admin)
	var created struct {
		ID       int64  `json:"id"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal(body, &created); status != 201 || err != nil ||
		len(created.Password) < auth.MinPasswordLen {
		t.Fatalf("create user: %d %s, want 201 with a generated password", status, body)
	}
	for _, bad := range []string{`{"name":"dan","roles":["tenant-admin"]}`,
		`{"name":"dan","roles":["root"]}`, `{"name":"dan","roles":["admin"],"tenant":"x"}`,
		`{"name":"carol","roles":["admin"]}`, `{"name":"dan","roles":["admin"],"password":"x"}`} {
		if status, _, body := env.do(t, "POST", "/api/v1/users", bad, nil,
			"Authorization", admin); status != 400 && status != 409 {
			t.Errorf("create user %s: %d %s, want 400 or 409", bad, status, body)
		}
	}

	// Tenant scoping: acme's admin does not see globex's carol.
	acme := "Bearer " + env.tokens[auth.RoleTenantAdmin]
	path := "/api/v1/users/" + strconv.FormatInt(created.ID, 10)
	if status, _, _ := env.do(t, "GET", path, "", nil, "Authorization", acme); status != 404 {
		t.Errorf("tenant-admin of acme GET globex user: %d, want 404", status)
	}
	if status, _, body := env.do(t, "GET", "/api/v1/users", "", nil,
		"Authorization", acme); status != 200 || strings.Contains(string(body), "carol") ||
		!strings.Contains(string(body), "u-tenant-admin") {
		t.Errorf("tenant-admin list: %d %s, want acme's users only", status, body)
	}

	status, _, body = env.do(t, "POST", "/api/v1/tokens",
		`{"name":"collector","role":"ingest","expires_in":3600}`, nil, "Authorization", admin)
	var tok struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &tok); status != 201 || err != nil || tok.Token == "" {
		t.Fatalf("create token: %d %s", status, body)
	}
	bearer := "Bearer " + tok.Token
	if status, _, _ := env.do(t, "POST", "/api/v1/events", "{}\n", nil,
		"Authorization", bearer); status != 200 {
		t.Errorf("ingest token POST events: %d, want 200", status)
	}
	if status, _, _ := env.do(t, "GET", "/api/v1/alerts", "", nil,
		"Authorization", bearer); status != 403 {
		t.Errorf("ingest token GET alerts: %d, want 403", status)
	}
	_, _, list := env.do(t, "GET", "/api/v1/tokens", "", nil, "Authorization", admin)
	if strings.Contains(string(list), tok.Token) || strings.Contains(string(list), "hash") {
		t.Errorf("token list shows a secret or hash: %s", list)
	}
	if status, _, _ := env.do(t, "DELETE", "/api/v1/tokens/"+strconv.FormatInt(tok.ID, 10), "",
		nil, "Authorization", admin); status != 204 {
		t.Errorf("revoke: %d, want 204", status)
	}
	if status, _, _ := env.do(t, "POST", "/api/v1/events", "{}\n", nil,
		"Authorization", bearer); status != 401 {
		t.Errorf("revoked token: %d, want 401", status)
	}

	checkUserPatch(t, env, admin)
	checkAuditClean(t, env, created.Password, tok.Token)
}

// checkUserPatch disables the victim (signed in) and checks that its
// session ends.
func checkUserPatch(t *testing.T, env *matrixEnv, admin string) {
	t.Helper()
	secret, _ := env.session(t, auth.RoleResponder)
	cookie := []*http.Cookie{{Name: insecureSessionCookie, Value: secret}}
	status, _, body := env.do(t, "PATCH", "/api/v1/users/"+
		strconv.FormatInt(env.users[auth.RoleResponder].ID, 10),
		`{"disabled":true,"roles":["responder","legal"]}`, nil, "Authorization", admin)
	if status != 200 || !strings.Contains(string(body), `"disabled":true`) {
		t.Fatalf("patch user: %d %s", status, body)
	}
	if status, _, _ := env.do(t, "GET", "/api/v1/session", "", cookie); status != 401 {
		t.Errorf("disabled user's session: %d, want 401", status)
	}
}

// checkAuditClean checks the entries recorded and that no secret leaked.
func checkAuditClean(t *testing.T, env *matrixEnv, secrets ...string) {
	t.Helper()
	page, err := env.st.ListAudit(t.Context(), store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range page.Items {
		seen[string(e.Action)] = true
		for _, s := range append(secrets, "argon2id", victimPassword) {
			if strings.Contains(string(e.Details), s) || strings.Contains(e.ObjectID, s) {
				t.Errorf("audit entry %d %s leaks a secret: %s", e.Seq, e.Action, e.Details)
			}
		}
	}
	for _, want := range []string{"user.created", "user.updated", "user.role_changed",
		"token.created", "token.revoked"} {
		if !seen[want] {
			t.Errorf("no %s entry in the audit trail", want)
		}
	}
}
