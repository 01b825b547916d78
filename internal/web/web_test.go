package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
)

// evilTitle is an incident title that must come out escaped.
const evilTitle = `<script>alert("x")</script>`

// seed stores one medium alert and one incident with evilTitle; it
// returns their IDs.
func (e *env) seed(t *testing.T) (alertID, incidentID int64) {
	t.Helper()
	ctx := t.Context()
	a := &detect.Alert{RuleID: "r-1", RuleTitle: "Suspicious <b>thing</b>", Level: "medium"}
	if err := e.st.InsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	model := &detect.Alert{RuleID: "anomaly.rate_spike", RuleTitle: "Log rate spike: host h",
		Level: "medium", Explanation: &detect.Explanation{Model: "rate_spike", Host: "web-<i>7",
			Text: "300 messages of host web-<i>7 where 20 were expected <img src=x>"}}
	if err := e.st.InsertAlert(ctx, model); err != nil {
		t.Fatal(err)
	}
	inc := &incident.Incident{Title: evilTitle, Severity: incident.SeverityHigh,
		Status: incident.StatusOpen, Phase: incident.PhaseDetected}
	if err := e.st.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	return a.ID, inc.ID
}

func TestPagePermissions(t *testing.T) {
	s := &server{}
	var keys []string
	for _, rt := range s.routes() {
		key := rt.method + " " + rt.path
		keys = append(keys, key)
		if _, ok := pagePermissions[key]; !ok {
			t.Errorf("page route %s has no entry in pagePermissions", key)
		}
	}
	for key := range pagePermissions {
		if !slices.Contains(keys, key) {
			t.Errorf("pagePermissions has %s, which is no page route", key)
		}
	}
}

func TestMissingPermissionFailsClosed(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cfg: Config{API: http.NotFoundHandler()}, log: slog.New(slog.DiscardHandler),
		pages: pages}
	called := false
	h := s.guard(route{"GET", "/unlisted", func(http.ResponseWriter, *http.Request, *session) {
		called = true
	}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/unlisted", nil))
	if rec.Code != http.StatusForbidden || called {
		t.Errorf("unlisted page: status %d, handler called %v; want 403 and not called",
			rec.Code, called)
	}
}

func TestPagesByRole(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	inc := fmt.Sprintf("/incidents/%d", incID)
	staffOnly := func(role string) int {
		if slices.Contains(auth.StaffRoles, role) {
			return http.StatusOK
		}
		return http.StatusForbidden
	}
	auditors := func(role string) int {
		if role == auth.RoleAdmin || role == auth.RoleAuditor {
			return http.StatusOK
		}
		return http.StatusForbidden
	}
	pages := []struct {
		path string
		want func(role string) int
	}{
		{"/alerts", staffOnly},
		{"/alerts?show=all", staffOnly},
		{"/incidents", staffOnly},
		{"/incidents?status=open&phase=detected&q=script", staffOnly},
		{inc, staffOnly},
		{"/incidents/999999", func(role string) int {
			if staffOnly(role) == http.StatusOK {
				return http.StatusNotFound
			}
			return http.StatusForbidden
		}},
		{"/audit", auditors},
		{"/teams", staffOnly},
		{"/notifications", staffOnly},
		{"/notifications?state=dead&channel=email", staffOnly},
	}
	for _, role := range auth.Roles {
		b := e.signIn(t, role)
		for _, pg := range pages {
			res, body := b.get(pg.path)
			if want := pg.want(role); res.StatusCode != want {
				t.Errorf("%s GET %s: status %d, want %d", role, pg.path, res.StatusCode, want)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s GET %s: Content-Type %q", role, pg.path, ct)
			}
			if strings.Contains(body, "<script>") {
				t.Errorf("%s GET %s: unescaped <script> in the page", role, pg.path)
			}
		}
	}
}

func TestSignedOut(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	b := e.browser(t)
	for _, path := range []string{"/", "/alerts", "/incidents", fmt.Sprintf("/incidents/%d",
		incID), "/audit", "/teams", "/notifications"} {
		res, _ := b.get(path)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Errorf("GET %s signed out: status %d to %q, want 303 to /login", path,
				res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, body := b.get("/login")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Errorf("GET /login: status %d, no password field", res.StatusCode)
	}
	res, _ = b.get("/no/such/page")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /no/such/page: status %d, want 404", res.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	b := e.signIn(t, auth.RoleResponder)
	for _, path := range []string{"/login", "/alerts", "/static/style.css", "/nowhere"} {
		res, _ := b.get(path)
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "same-origin",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("GET %s: %s %q, want %q", path, k, got, want)
			}
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
	}
}

func TestEscaping(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	b := e.signIn(t, auth.RoleResponder)
	inc := fmt.Sprintf("/incidents/%d", incID)
	res, _ := b.post(inc+"/comments", url.Values{"csrf_token": {b.csrf(inc)},
		"text": {`<img src=x onerror="alert(1)">`}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST comment: status %d", res.StatusCode)
	}
	for _, path := range []string{"/incidents", inc, "/alerts"} {
		_, body := b.get(path)
		for _, raw := range []string{"<script>", "<img src=x", "<b>thing</b>"} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s: %q unescaped", path, raw)
			}
		}
	}
	_, body := b.get(inc)
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("GET %s: escaped title missing", inc)
	}
	// An anomaly alert shows its explanation (escaped) and the host it names.
	_, body = b.get("/alerts")
	for _, want := range []string{"300 messages of host web-&lt;i&gt;7 where 20 were expected",
		"<td>web-&lt;i&gt;7</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /alerts lacks %q", want)
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	alertID, incID := e.seed(t)
	b := e.signIn(t, auth.RoleResponder)
	inc := fmt.Sprintf("/incidents/%d", incID)
	good := b.csrf(inc)
	posts := []struct {
		path string
		form url.Values
	}{
		{inc + "/comments", url.Values{"text": {"hello"}}},
		{inc + "/actions", url.Values{"what": {"isolated host"}}},
		{inc + "/transitions", url.Values{"to": {"analysis"}}},
		{fmt.Sprintf("/alerts/%d/confirm", alertID), url.Values{"incident": {"new"}}},
		{"/logout", url.Values{}},
		{inc + "/tasks", url.Values{"phase": {"analysis"}, "title": {"t"}}},
		{inc + "/escalate", url.Values{"reason": {"r"}}},
		{inc + "/team", url.Values{"user": {"u-legal"}, "role": {"expert"}, "reason": {"r"}}},
		{inc + "/evidence/events", url.Values{"event_ids": {"1"}}},
		{"/notifications/1/retry", url.Values{}},
	}
	for _, p := range posts {
		for _, token := range []string{"", "wrong-token"} {
			f := url.Values{}
			for k, v := range p.form {
				f[k] = v
			}
			if token != "" {
				f.Set("csrf_token", token)
			}
			res, body := b.post(p.path, f)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF") {
				t.Errorf("POST %s with token %q: status %d, want 403 naming CSRF", p.path,
					token, res.StatusCode)
			}
		}
	}
	rec, err := e.st.GetIncidentRecord(t.Context(), incID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Record.Comments) != 0 || len(rec.Record.Actions) != 0 ||
		rec.Record.Phase != incident.PhaseDetected {
		t.Errorf("refused posts changed the incident: %+v", rec.Record)
	}
	tasks, err1 := e.st.ListTasks(t.Context(), incID)
	team, err2 := e.st.ListEngagements(t.Context(), incID)
	if len(tasks) != 0 || len(team) != 0 || err1 != nil || err2 != nil {
		t.Errorf("refused posts added tasks %v or engagements %v (%v, %v)", tasks, team,
			err1, err2)
	}
	res, _ := b.post(inc+"/comments", url.Values{"csrf_token": {good}, "text": {"hello"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("POST comment with the right token: status %d, want 303", res.StatusCode)
	}
}

func TestLoginRefusals(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	res, body := b.post("/login", url.Values{"name": {"u-admin"}, "password": {"nope"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name") {
		t.Errorf("wrong password: status %d, want 401 with a message", res.StatusCode)
	}
	for range 6 {
		res, _ = b.post("/login", url.Values{"name": {"u-admin"}, "password": {"nope"}})
	}
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after 7 failures: status %d, want 429", res.StatusCode)
	}
	req, err := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(
		url.Values{"name": {"u-legal"}, "password": {testPassword}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err = b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if readBody(t, res); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-in: status %d, want 403", res.StatusCode)
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t, nil)
	b := e.signIn(t, auth.RoleLegal)
	res, _ := b.post("/logout", url.Values{"csrf_token": {b.csrf("/incidents")}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("sign out: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := b.get("/incidents"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: status %d, want 303 to sign in", res.StatusCode)
	}
}

func TestConfirmAndGates(t *testing.T) {
	e := newEnv(t, nil)
	alertID, _ := e.seed(t)
	r := e.signIn(t, auth.RoleResponder)
	res, _ := r.post(fmt.Sprintf("/alerts/%d/confirm", alertID), url.Values{
		"csrf_token": {r.csrf("/alerts")}, "incident": {"new"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: status %d", res.StatusCode)
	}
	inc := res.Header.Get("Location")
	res, body := r.get(inc)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Suspicious &lt;b&gt;") {
		t.Fatalf("GET %s: status %d or title missing", inc, res.StatusCode)
	}
	tok := r.csrf(inc)
	r.post(inc+"/transitions", url.Values{"csrf_token": {tok}, "to": {"analysis"}})
	res, body = r.post(inc+"/transitions", url.Values{"csrf_token": {tok},
		"to": {"containment"}})
	if res.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "containment needs the incident confirmed") {
		t.Errorf("containment unconfirmed: status %d, want 409 with the gate's reason",
			res.StatusCode)
	}
	// Only an executive approves.
	_, body = r.get(inc)
	version := regexpVersion(t, body)
	res, _ = r.post(inc+"/steps", url.Values{"csrf_token": {tok}, "version": {version},
		"description": {"rebuild the domain controller"}, "high_impact": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("plan step: status %d", res.StatusCode)
	}
	res, _ = r.post(inc+"/steps", url.Values{"csrf_token": {tok}, "version": {version},
		"description": {"stale"}})
	if res.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("plan step from a stale page: status %d, want 412", res.StatusCode)
	}
	res, _ = r.post(inc+"/approvals", url.Values{"csrf_token": {tok}, "step": {"step-1"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("responder approves: status %d, want 403", res.StatusCode)
	}
	x := e.signIn(t, auth.RoleExecutive)
	res, _ = x.post(inc+"/approvals", url.Values{"csrf_token": {x.csrf(inc)},
		"step": {"step-1"}, "note": {"ok"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("executive approves: status %d, want 303", res.StatusCode)
	}
	if _, body = r.get(inc); !strings.Contains(body, "approved by user:u-executive") {
		t.Errorf("approval not shown on the incident page")
	}
}

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

func regexpVersion(t *testing.T, body string) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no version field on the page")
	}
	return m[1]
}

func TestTriageDecisions(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	var ids []int64
	for i := range 3 {
		a := &detect.Alert{RuleID: fmt.Sprintf("r-%d", i), RuleTitle: fmt.Sprintf("Rule %d", i),
			Level: "medium"}
		if err := e.st.InsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	inc := &incident.Incident{Title: "Open one", Severity: incident.SeverityHigh,
		Status: incident.StatusOpen, Phase: incident.PhaseDetected}
	if err := e.st.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	r := e.signIn(t, auth.RoleResponder)
	tok := r.csrf("/alerts")
	post := func(path string, form url.Values) int {
		form.Set("csrf_token", tok)
		res, _ := r.post(path, form)
		return res.StatusCode
	}
	steps := []struct {
		path string
		form url.Values
		want int
	}{
		{fmt.Sprintf("/alerts/%d/acknowledge", ids[0]), url.Values{}, http.StatusSeeOther},
		{fmt.Sprintf("/alerts/%d/false-positive", ids[1]), url.Values{}, 422},
		{fmt.Sprintf("/alerts/%d/false-positive", ids[1]), url.Values{"reason": {"test host"}},
			http.StatusSeeOther},
		{fmt.Sprintf("/alerts/%d/confirm", ids[2]),
			url.Values{"incident": {fmt.Sprint(inc.ID)}}, http.StatusSeeOther},
		{"/alerts/999999/acknowledge", url.Values{}, http.StatusNotFound},
	}
	for _, st := range steps {
		if got := post(st.path, st.form); got != st.want {
			t.Errorf("POST %s %v: status %d, want %d", st.path, st.form, got, st.want)
		}
	}
	_, body := r.get("/alerts?show=all")
	for _, want := range []string{"acknowledged", "false_positive", inc.Number} {
		if !strings.Contains(body, want) {
			t.Errorf("queue does not show %q", want)
		}
	}
	got, err := e.st.GetIncident(ctx, inc.ID)
	if err != nil || !slices.Contains(got.AlertIDs, ids[2]) {
		t.Errorf("incident alerts %v (%v), want %d in them", got.AlertIDs, err, ids[2])
	}
	x := e.signIn(t, auth.RoleExecutive)
	res, _ := x.post(fmt.Sprintf("/alerts/%d/acknowledge", ids[0]),
		url.Values{"csrf_token": {x.csrf("/alerts")}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("executive acknowledges: status %d, want 403", res.StatusCode)
	}
}
