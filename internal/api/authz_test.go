package api

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite docs/authorization.md from the matrix")

// cheapPasswords keeps argon2id fast in tests; hashes record their own
// parameters, so they verify like any other.
var cheapPasswords = auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}

const victimPassword = "victim-password-0123"

// matrixEnv is a server over a fresh store with one user and one token per
// role, and a victim user and token (ID 1) that the routes with {id} act on.
type matrixEnv struct {
	srv    *httptest.Server
	st     *sqlite.Store
	users  map[string]*store.User // by role
	tokens map[string]string      // secret by role
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &matrixEnv{st: st, users: map[string]*store.User{}, tokens: map[string]string{}}
	hash, err := auth.HashPassword(victimPassword, cheapPasswords)
	if err != nil {
		t.Fatal(err)
	}
	victim := &store.User{Name: "victim", Roles: []string{auth.RoleResponder}, PasswordHash: hash}
	if err := st.CreateUser(ctx, victim); err != nil || victim.ID != 1 {
		t.Fatalf("create victim: %v (ID %d)", err, victim.ID)
	}
	if err := st.CreateToken(ctx, store.Token{Name: "victim", Hash: auth.HashToken("victim"),
		Role: auth.RoleIngest}); err != nil {
		t.Fatal(err)
	}
	for _, role := range auth.Roles {
		tenant := ""
		if role == auth.RoleTenantAdmin {
			tenant = "acme"
		}
		u := &store.User{Name: "u-" + role, Roles: []string{role}, Tenant: tenant}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		env.users[role] = u
		secret, h, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		err = st.CreateToken(ctx, store.Token{Name: "t-" + role, Hash: h, Role: role,
			Tenant: tenant})
		if err != nil {
			t.Fatal(err)
		}
		env.tokens[role] = secret
	}
	p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
		Rules: noRules{}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Store: st, Pipeline: p, Gatherer: prometheus.NewRegistry(),
		InsecureCookies: true, PasswordParams: cheapPasswords, LoginFailures: 1 << 20,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	env.srv = httptest.NewServer(RecordResponses(h))
	t.Cleanup(env.srv.Close)
	return env
}

type noRules struct{}

func (noRules) Match(*event.Event, func(*sigma.Rule)) {}

// session starts a fresh session for the user of role, as login would.
func (env *matrixEnv) session(t *testing.T, role string) (secret, csrf string) {
	t.Helper()
	sec, se, err := auth.SessionPolicy{}.NewSession(env.users[role].ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := env.st.CreateSession(t.Context(), se); err != nil {
		t.Fatal(err)
	}
	return string(sec), se.CSRF
}

// credential is how a matrix request authenticates.
type credential int

const (
	none credential = iota
	byToken
	byCookie
	byCookieNoCSRF
)

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// call sends one request to the route key as role with the credential and
// returns the status.
func (env *matrixEnv) call(t *testing.T, key, role string, cred credential) int {
	t.Helper()
	method, pattern, _ := strings.Cut(key, " ")
	body := "{}"
	switch key {
	case "POST /api/v1/events":
		body = "{\"n\":1}\n"
	case "POST /api/v1/session":
		body = `{"name":"victim","password":"` + victimPassword + `"}`
	}
	req, err := http.NewRequest(method, env.srv.URL+pathParam.ReplaceAllString(pattern, "1"),
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch cred {
	case byToken:
		req.Header.Set("Authorization", "Bearer "+env.tokens[role])
	case byCookie, byCookieNoCSRF:
		secret, csrf := env.session(t, role)
		req.AddCookie(&http.Cookie{Name: insecureSessionCookie, Value: secret})
		if cred == byCookie {
			req.Header.Set(csrfHeader, csrf)
		}
	}
	resp, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// registeredRoutes lists the routes as the server registers them.
func registeredRoutes() []route {
	return testServer().routes()
}

// TestAuthorizationMatrix calls every registered route as every role, with
// a token and with a session, and checks the answer against the table: an
// allowed role is neither refused (403) nor unauthenticated (401), another
// gets 403. Without credentials an authenticated route answers 401, and a
// cookie-authenticated state change without the CSRF header answers 403.
// The observed matrix is docs/authorization.md (refresh with -update).
func TestAuthorizationMatrix(t *testing.T) {
	env := newMatrixEnv(t)
	var rows []matrixRow
	for _, rt := range registeredRoutes() {
		key := rt.method + " " + rt.path
		acc, ok := permissions[key]
		if !ok {
			t.Errorf("%s is registered but not in the authorization table (authz.go)", key)
			continue
		}
		row := matrixRow{key: key, public: !rt.auth}
		if got := env.call(t, key, "", none); rt.auth && got != http.StatusUnauthorized ||
			!rt.auth && (got == http.StatusUnauthorized || got == http.StatusForbidden) {
			t.Errorf("%s without credentials: status %d, want 401 unless public", key, got)
		}
		for _, role := range auth.Roles {
			want := acc.public || slices.Contains(acc.roles, role)
			for _, cred := range []credential{byToken, byCookie} {
				got := env.call(t, key, role, cred)
				allowed := got != http.StatusUnauthorized && got != http.StatusForbidden
				if allowed != want || !want && got != http.StatusForbidden {
					t.Errorf("%s as %s (credential %d): status %d, want allowed=%v",
						key, role, cred, got, want)
				}
			}
			if want {
				row.allowed = append(row.allowed, role)
			}
			if rt.auth && !safeMethod(rt.method) {
				if got := env.call(t, key, role, byCookieNoCSRF); got != http.StatusForbidden {
					t.Errorf("%s as %s by cookie without CSRF header: status %d, want 403",
						key, role, got)
				}
			}
		}
		rows = append(rows, row)
	}
	for key := range permissions {
		if !slices.ContainsFunc(registeredRoutes(), func(rt route) bool {
			return rt.method+" "+rt.path == key
		}) {
			t.Errorf("authorization table entry %s matches no registered route", key)
		}
	}
	checkMatrixDoc(t, rows)
}

type matrixRow struct {
	key     string
	public  bool
	allowed []string
}

const (
	docPath    = "../../docs/authorization.md"
	matrixFrom = "<!-- matrix: generated by TestAuthorizationMatrix; do not edit -->\n"
	matrixTo   = "<!-- end of matrix -->\n"
)

// checkMatrixDoc compares the matrix section of docs/authorization.md with
// rows, or rewrites it with -update.
func checkMatrixDoc(t *testing.T, rows []matrixRow) {
	t.Helper()
	// By path, then method.
	slices.SortFunc(rows, func(a, b matrixRow) int {
		am, ap, _ := strings.Cut(a.key, " ")
		bm, bp, _ := strings.Cut(b.key, " ")
		return strings.Compare(ap+" "+am, bp+" "+bm)
	})
	var b bytes.Buffer
	b.WriteString(matrixFrom + "\n| route | " + strings.Join(auth.Roles, " | ") + " |\n|---|")
	b.WriteString(strings.Repeat("---|", len(auth.Roles)) + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` |", r.key)
		for _, role := range auth.Roles {
			switch {
			case r.public:
				b.WriteString(" public |")
			case slices.Contains(r.allowed, role):
				b.WriteString(" ✓ |")
			default:
				b.WriteString(" 403 |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n" + matrixTo)

	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	start, end := bytes.Index(doc, []byte(matrixFrom)), bytes.Index(doc, []byte(matrixTo))
	if start < 0 || end < start {
		t.Fatalf("%s lacks the matrix markers", docPath)
	}
	current := doc[start : end+len(matrixTo)]
	if bytes.Equal(current, b.Bytes()) {
		return
	}
	if !*update {
		t.Errorf("%s is stale: run go test ./internal/api -run TestAuthorizationMatrix "+
			"-update\nwant:\n%s", docPath, b.String())
		return
	}
	out := slices.Concat(doc[:start], b.Bytes(), doc[end+len(matrixTo):])
	if err := os.WriteFile(docPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
