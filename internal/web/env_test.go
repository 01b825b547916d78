package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/notice"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/notify/smtptest"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/triage"
)

// cheapPasswords keeps password hashing fast in tests.
var cheapPasswords = auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// testPassword is the password of every test user.
const testPassword = "correct-horse-battery-staple"

// ingestToken is the bearer token that posts events in tests.
const ingestToken = "vgl_web-test-ingest-token-0123456789"

// env is the API and the web UI over a SQLite store in a temporary folder,
// served on a loopback port, with one user per role ("u-<role>").
type env struct {
	srv   *httptest.Server
	st    *sqlite.Store
	ev    *evidence.Service
	blobs *evidence.FileBlobs
	// With envOptions.Notices: the SMTP peer that receives the e-mail
	// notices and the outbox worker that the test runs (RunOnce).
	smtp        *smtptest.Server
	outbox      *notify.Worker
	obligations *obligation.Service
}

// envOptions add parts to the env of newEnvWith.
type envOptions struct {
	// Notices wires the obligation and notice services into the API, with
	// an outbox worker that e-mails to a real SMTP peer on loopback and
	// keeps the proof of each delivery.
	Notices bool
}

type noRules struct{}

func (noRules) Match(*event.Event, func(*sigma.Rule)) {}

// newEnv starts the servers; rules nil means no detection.
func newEnv(t *testing.T, rules detect.Rules) *env {
	t.Helper()
	return newEnvWith(t, rules, envOptions{})
}

// newEnvWith starts the servers with the parts opts asks for.
func newEnvWith(t *testing.T, rules detect.Rules, opts envOptions) *env {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := auth.HashPassword(testPassword, cheapPasswords)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range auth.Roles {
		u := &store.User{Name: "u-" + role, Roles: []string{role}, PasswordHash: hash}
		if role == auth.RoleTenantAdmin {
			u.Tenant = "acme"
		}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	err = st.CreateToken(ctx, store.Token{Name: "ingest", Hash: auth.HashToken(ingestToken),
		Role: auth.RoleIngest})
	if err != nil {
		t.Fatal(err)
	}
	if rules == nil {
		rules = noRules{}
	}
	log := audit.New(st, nil)
	p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
		Rules: rules, Audit: log, Tx: store.View[detect.Tx]{Store: st}})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := evidence.NewFileBlobs(filepath.Join(dir, "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := evidence.New(evidence.Config{Store: store.View[evidence.Tx]{Store: st},
		Blobs: blobs, Audit: log})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Store: st, Pipeline: p, Evidence: ev, InsecureCookies: true,
		PasswordParams: cheapPasswords}
	e := &env{st: st, ev: ev, blobs: blobs}
	if opts.Notices {
		e.wireNotices(t, &cfg, log)
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tri, err := triage.New(triage.Config{Store: st, Audit: log})
	if err != nil {
		t.Fatal(err)
	}
	ui, err := New(Config{API: h, Triage: ServiceTriage{Service: tri}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(ui)
	t.Cleanup(e.srv.Close)
	return e
}

// wireNotices adds the obligation and notice services to cfg and starts
// the SMTP peer and the outbox worker of the notices' e-mails.
func (e *env) wireNotices(t *testing.T, cfg *api.Config, log *audit.Log) {
	t.Helper()
	cat, err := regulation.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	obs, err := obligation.New(obligation.Config{Store: e.st, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := notice.New(notice.Config{Store: e.st, Catalog: cat, Obligations: obs,
		Blobs: e.blobs, Audit: log, Provider: "Vigil Cloud",
		Contact: "security@vigil-cloud.example", SuggestedActions: []string{
			"Rotate the access keys of your storage buckets"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Obligations, cfg.Notices, e.obligations = obs, ns, obs
	e.smtp = smtptest.Start(t, smtptest.Config{})
	mail, err := notify.NewEmail(notify.SMTPConfig{Host: e.smtp.Host(), Port: e.smtp.Port(),
		From: "Vigil Cloud <notices@vigil-cloud.example>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// No webhook sender: a webhook delivery fails visibly and reaches no
	// host beyond loopback.
	e.outbox, err = notify.NewWorker(notify.WorkerConfig{Outbox: e.st,
		Senders: map[notify.Channel]notify.Sender{notify.ChannelEmail: mail}, Audit: log,
		Tx: store.View[notify.Tx]{Store: e.st}, Observer: ns.Observer()})
	if err != nil {
		t.Fatal(err)
	}
}

// browser is an HTTP client with its own cookies that does not follow
// redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (e *env) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: e.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
}

// signIn signs in as u-<role> and fails the test unless it worked.
func (e *env) signIn(t *testing.T, role string) *browser {
	t.Helper()
	b := e.browser(t)
	res, _ := b.post("/login", url.Values{"name": {"u-" + role}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d, want 303", role, res.StatusCode)
	}
	return b
}

// get fetches path and returns the answer and its body.
func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return res, readBody(b.t, res)
}

// post sends a form to path.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return res, readBody(b.t, res)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf reads the CSRF token from a page the user may open.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no csrf_token on %s", path)
	}
	return m[1]
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// postEvents posts NDJSON events with the ingest token.
func (e *env) postEvents(t *testing.T, ctx context.Context, ndjson string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/api/v1/events",
		strings.NewReader(ndjson))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ingestToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, res); res.StatusCode != http.StatusOK {
		t.Fatalf("POST events: status %d: %s", res.StatusCode, body)
	}
}
