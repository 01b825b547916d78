package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/store"
)

const userPassword = "correct horse battery staple 42"

// userSession is a signed-in user of a fixture: its cookie and CSRF token.
type userSession struct {
	f      *fixture
	name   string
	cookie string
	csrf   string
}

// signIn creates a user with roles and signs it in.
func (f *fixture) signIn(t *testing.T, name string, roles ...string) *userSession {
	t.Helper()
	hash, err := auth.HashPassword(userPassword, auth.PasswordParams{Memory: 64, Time: 1,
		Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateUser(t.Context(), &store.User{Name: name, Roles: roles,
		PasswordHash: hash, Email: name + "@example.com"}); err != nil {
		t.Fatal(err)
	}
	body := `{"name":"` + name + `","password":"` + userPassword + `"}`
	st, h, raw := f.do(t, "POST", "/api/v1/session", strings.NewReader(body), "Authorization",
		"", "Content-Type", "application/json")
	if st != http.StatusOK {
		t.Fatalf("sign in %s: %d %s", name, st, raw)
	}
	var info struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(raw, &info)
	cookies := (&http.Response{Header: h}).Cookies()
	if len(cookies) != 1 || info.CSRF == "" {
		t.Fatalf("sign in %s: cookies %v, body %s", name, cookies, raw)
	}
	return &userSession{f: f, name: name, cookie: cookies[0].Name + "=" + cookies[0].Value,
		csrf: info.CSRF}
}

// send sends v as the user.
func (u *userSession) send(t *testing.T, method, path string, v any) answer {
	t.Helper()
	return u.f.send(t, method, path, v, "Authorization", "", "Cookie", u.cookie,
		"X-CSRF-Token", u.csrf)
}

// pmView is the part of the post-mortem view the tests read.
type pmView struct {
	PostMortem postmortem.PostMortem `json:"postmortem"`
	SignedOff  bool                  `json:"signed_off"`
	Pending    []string              `json:"pending"`
	Editable   bool                  `json:"editable"`
	Response   postmortem.Response   `json:"response"`
	FollowUps  []postmortem.FollowUp `json:"follow_ups"`
}

func (a answer) view(t *testing.T) pmView {
	t.Helper()
	var v pmView
	if err := json.Unmarshal(a.raw, &v); err != nil {
		t.Fatalf("decode the post-mortem: %v", err)
	}
	return v
}

// toPostIncident moves an incident from detected to post-incident as the
// good token, with ana as its commander.
func (f *fixture) toPostIncident(t *testing.T, id int64) {
	t.Helper()
	base := "/api/v1/incidents/" + itoa(id)
	f.send(t, "POST", base+"/escalate", map[string]string{"commander": "ana"}).
		want(t, "escalate", http.StatusOK)
	for _, step := range []struct {
		path string
		body map[string]any
	}{
		{"/transitions", map[string]any{"to": "analysis"}},
		{"/classification", map[string]any{"classification": "confirmed", "reason": "lsass"}},
		{"/actions", map[string]any{"what": "isolated WKS-0142", "result": "done"}},
		{"/transitions", map[string]any{"to": "containment"}},
		{"/transitions", map[string]any{"to": "eradication"}},
		{"/transitions", map[string]any{"to": "recovery", "time_zone": "Europe/Paris"}},
	} {
		f.send(t, "POST", base+step.path, step.body).want(t, step.path, http.StatusOK)
	}
	_, tag := f.record(t, id)
	f.send(t, "PATCH", base, map[string]any{"recovery_checks": []map[string]any{
		{"name": "no beacons for a day", "done": true}}}, "If-Match", tag).
		want(t, "checks", http.StatusOK)
	f.send(t, "POST", base+"/transitions", map[string]any{"to": "post-incident"}).
		want(t, "to post-incident", http.StatusOK)
}

// TestPostMortemLifecycle drives a post-mortem from its creation on entering
// post-incident through edits, findings, follow-ups and sign-offs, which
// open the incident's close gate, and checks the exports and the audit
// entries.
func TestPostMortemLifecycle(t *testing.T) {
	t.Parallel()
	rule := postmortem.RuleVersion{ID: "r-hta", Title: "HTA spawns PowerShell",
		File: "rules/hta.yml", SHA256: strings.Repeat("c", 64)}
	f := newFixture(t, func(c *api.Config) {
		c.Rules = postmortem.NewCatalog([]postmortem.RuleVersion{rule})
	})
	f.addExecutive(t)
	ana := f.signIn(t, "ana", auth.RoleResponder)
	sam := f.signIn(t, "sam", auth.RoleResponder)
	id := f.openIncident(t)
	base := "/api/v1/incidents/" + itoa(id)
	pm := base + "/postmortem"
	f.send(t, "GET", pm, nil).want(t, "before post-incident", http.StatusNotFound)
	f.toPostIncident(t, id)

	v := f.send(t, "GET", pm, nil)
	v.want(t, "get", http.StatusOK)
	got := v.view(t)
	kinds := map[postmortem.Kind]int{}
	for _, e := range got.PostMortem.Timeline {
		kinds[e.Kind]++
	}
	if !got.Editable || got.SignedOff || len(got.Pending) != 2 || kinds["phase"] != 5 ||
		kinds["alert"] == 0 || kinds["action"] != 2 || kinds["audit"] == 0 ||
		got.PostMortem.Revision != 1 || v.etag != `"v1"` {
		t.Fatalf("new post-mortem: %s", v.raw)
	}
	checkResponseTimes(t, got.Response)
	f.send(t, "POST", base+"/transitions", map[string]string{"to": "closed"}).want(t,
		"close unsigned", http.StatusConflict, "gate", "post-incident")

	editPostMortem(t, f, id)
	signOff(t, f, ana, sam, id)
	followUps(t, f, id, rule)
	exports(t, f, id)

	f.send(t, "POST", base+"/transitions", map[string]string{"to": "closed"}).
		want(t, "close signed", http.StatusOK)
	f.send(t, "POST", pm+"/timeline", map[string]any{"at": time.Now(), "text": "late"}).
		want(t, "edit after close", http.StatusConflict)
	var audit struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	f.getJSON(t, "/api/v1/audit?object_type=postmortem&object_id="+itoa(id)+"&limit=100",
		&audit)
	count := map[string]int{}
	for _, e := range audit.Items {
		count[e.Action]++
	}
	for action, n := range map[string]int{"postmortem.created": 1, "postmortem.signed_off": 4,
		"postmortem.entry_added": 2, "postmortem.finding_added": 1,
		"postmortem.entry_visibility": 1, "postmortem.updated": 2} {
		if count[action] != n {
			t.Errorf("audit: %d %s, want %d (%v)", count[action], action, n, count)
		}
	}
}

// checkResponseTimes checks that the measures known by post-incident are.
func checkResponseTimes(t *testing.T, r postmortem.Response) {
	t.Helper()
	known := map[string]bool{}
	for _, tm := range r.Times {
		known[string(tm.Measure)] = tm.Known
	}
	for m, want := range map[string]bool{"acknowledge": true, "confirm": true, "contain": true,
		"eradicate": true, "recover": true, "close": false} {
		if known[m] != want {
			t.Errorf("time to %s known %v, want %v (%+v)", m, known[m], want, r.Times)
		}
	}
}

// editPostMortem changes the summary, adds, annotates and hides entries,
// records a finding and refreshes the timeline.
func editPostMortem(t *testing.T, f *fixture, id int64) {
	t.Helper()
	base := "/api/v1/incidents/" + itoa(id)
	pm := base + "/postmortem"
	f.send(t, "PATCH", pm, map[string]any{"summary": "A phishing HTA dumped LSASS.",
		"actors": []string{"FIN7"}}).want(t, "summary", http.StatusOK)
	a := f.send(t, "POST", pm+"/timeline", map[string]any{"at": "2026-03-29T00:43:00Z",
		"time_zone": "Europe/Berlin", "text": "SOC phoned the on-call"})
	a.want(t, "add entry", http.StatusCreated)
	n := len(a.view(t).PostMortem.Timeline)
	f.send(t, "POST", pm+"/timeline", map[string]any{"at": "2026-03-29T00:43:00Z",
		"time_zone": "Mars/Olympus", "text": "x"}).want(t, "bad zone", 422, "field", "time_zone")
	f.send(t, "POST", pm+"/timeline/"+itoa(int64(n))+"/notes", map[string]any{
		"text": "from the phone log"}).want(t, "note", http.StatusOK)
	f.send(t, "POST", pm+"/timeline/1/visibility", map[string]any{"hidden": true,
		"reason": "duplicate"}).want(t, "hide", http.StatusOK)
	f.send(t, "POST", pm+"/timeline/99/notes", map[string]any{"text": "x"}).
		want(t, "note on nothing", 422, "field", "entry")
	f.send(t, "POST", pm+"/findings", map[string]any{"category": "unknown-attack-vector",
		"title": "HTA from a mail link", "evidence": []map[string]string{{"type": "alert",
			"id": "999"}}}).want(t, "finding with a foreign alert", 422, "field", "evidence[0].id")
	a = f.send(t, "POST", pm+"/findings", map[string]any{"category": "unknown-attack-vector",
		"title": "HTA from a mail link", "evidence": []map[string]string{{"type": "timeline",
			"id": "2"}}})
	a.want(t, "finding", http.StatusCreated)
	f.send(t, "PATCH", pm+"/findings/1", map[string]any{"category": "technical-lapse",
		"title": "No rule looks at mshta", "evidence": []map[string]string{{"type": "timeline",
			"id": "2"}}}).want(t, "patch finding", http.StatusOK)
	f.send(t, "POST", pm+"/refresh", nil).want(t, "refresh, nothing new", http.StatusConflict)
	f.send(t, "POST", base+"/comments", map[string]string{"text": "rotate krbtgt"}).
		want(t, "comment", http.StatusOK)
	r := f.send(t, "POST", pm+"/refresh", nil)
	r.want(t, "refresh", http.StatusOK)
	if got := len(r.view(t).PostMortem.Timeline); got != n+1 {
		t.Errorf("refresh: %d entries, want %d", got, n+1)
	}
	_, tag := f.record(t, id)
	f.send(t, "PATCH", base, map[string]any{"post_mortem_signed_off": true}, "If-Match", tag).
		want(t, "gate by hand", 422, "field", "post_mortem_signed_off")
}

// signOff checks who may sign as whom, that both sign-offs open the gate,
// and that a later change voids them until they sign again.
func signOff(t *testing.T, f *fixture, ana, sam *userSession, id int64) {
	t.Helper()
	so := "/api/v1/incidents/" + itoa(id) + "/postmortem/signoffs"
	exec := []string{"Authorization", "Bearer " + executiveToken}
	f.send(t, "POST", so, map[string]string{"role": "commander"}, exec...).
		want(t, "executive as commander", http.StatusForbidden)
	f.send(t, "POST", so, map[string]string{"role": "commander"}).
		want(t, "admin token as commander", http.StatusForbidden)
	sam.send(t, "POST", so, map[string]string{"role": "commander"}).
		want(t, "sam as commander", http.StatusForbidden)
	sam.send(t, "POST", so, map[string]string{"role": "executive"}).
		want(t, "sam as executive", http.StatusForbidden)
	ana.send(t, "POST", so, map[string]string{"role": "commander", "note": "reviewed"}).
		want(t, "ana as commander", http.StatusOK)
	ana.send(t, "POST", so, map[string]string{"role": "commander"}).
		want(t, "ana again", http.StatusConflict)
	v := f.send(t, "POST", so, map[string]string{"role": "executive"}, exec...)
	v.want(t, "executive", http.StatusOK)
	if got := v.view(t); !got.SignedOff || len(got.Pending) != 0 {
		t.Fatalf("both signed: %s", v.raw)
	}
	if rec, _ := f.record(t, id); !rec.Gates.PostMortemSignedOff {
		t.Error("signed off, but the incident's gate did not follow")
	}
	f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/postmortem/timeline", map[string]any{
		"at": "2026-03-29T01:00:00Z", "text": "found later"}).want(t, "late entry", 201)
	if rec, _ := f.record(t, id); rec.Gates.PostMortemSignedOff {
		t.Error("a change voided the sign-off, but the gate stayed open")
	}
	f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/transitions",
		map[string]string{"to": "closed"}).want(t, "close voided", http.StatusConflict)
	ana.send(t, "POST", so, map[string]string{"role": "commander"}).want(t, "again", 200)
	f.send(t, "POST", so, map[string]string{"role": "executive"}, exec...).want(t, "again", 200)
}

// followUps creates follow-ups, links one to a loaded rule, moves them
// and checks who may change what.
func followUps(t *testing.T, f *fixture, id int64, rule postmortem.RuleVersion) {
	t.Helper()
	path := "/api/v1/incidents/" + itoa(id) + "/follow-ups"
	due := time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly)
	a := f.send(t, "POST", path, map[string]any{"kind": "detection-rule", "finding": 1,
		"title": "Alert on HTA spawning PowerShell", "owner": "dana", "due": due})
	a.want(t, "create", http.StatusCreated)
	fid := itoa(int64(a.num("id")))
	f.send(t, "POST", path, map[string]any{"kind": "bug", "title": "x", "owner": "dana",
		"due": due, "finding": 9}).want(t, "unknown finding", 422, "field", "finding")
	f.send(t, "POST", path, map[string]any{"kind": "bug", "title": "x", "due": due}).
		want(t, "no owner", 422, "field", "owner")
	f.send(t, "POST", path, map[string]any{"kind": "training", "title": "HTA awareness",
		"owner": "lena", "due": "2099-01-01"}).want(t, "training", http.StatusCreated)
	f.send(t, "POST", "/api/v1/follow-ups/"+fid+"/rule", map[string]string{"rule_id": "nope"}).
		want(t, "unknown rule", 422, "field", "rule_id")
	r := f.send(t, "POST", "/api/v1/follow-ups/"+fid+"/rule", map[string]string{
		"rule_id": rule.ID})
	r.want(t, "link rule", http.StatusOK)
	if !strings.Contains(string(r.raw), rule.SHA256) {
		t.Errorf("link: %s, want the rule's hash", r.raw)
	}
	var list struct {
		Items   []postmortem.FollowUp `json:"items"`
		Overdue int                   `json:"overdue"`
	}
	f.getJSON(t, "/api/v1/follow-ups?overdue=true", &list)
	if len(list.Items) != 1 || !list.Items[0].Overdue || list.Overdue != 1 {
		t.Errorf("overdue follow-ups: %+v", list)
	}
	f.addToken(t, "engineer", engineerToken, auth.RoleServiceEngineer)
	eng := []string{"Authorization", "Bearer " + engineerToken}
	f.send(t, "PATCH", "/api/v1/follow-ups/"+fid, map[string]any{"state": "in_progress"},
		eng...).want(t, "not the owner", http.StatusForbidden)
	f.send(t, "PATCH", "/api/v1/follow-ups/"+fid, map[string]any{"state": "verified"}).
		want(t, "open to verified", 422, "field", "state")
	f.send(t, "PATCH", "/api/v1/follow-ups/"+fid, map[string]any{"state": "fixed",
		"reason": "rule r-hta deployed"}).want(t, "fixed", http.StatusOK)
	f.send(t, "GET", "/api/v1/follow-ups/"+fid, nil).want(t, "get", http.StatusOK)
	f.send(t, "GET", path, nil).want(t, "list", http.StatusOK)
	f.send(t, "POST", "/api/v1/follow-ups/reminders", nil).want(t, "reminders", 200)
}

// exports reads the post-mortem and the incident report in each format.
func exports(t *testing.T, f *fixture, id int64) {
	t.Helper()
	for _, path := range []string{"/postmortem/export", "/report"} {
		for format, ctype := range map[string]string{"markdown": "text/markdown",
			"html": "text/html", "pdf": "application/pdf"} {
			st, h, body := f.do(t, "GET", "/api/v1/incidents/"+itoa(id)+path+"?format="+format,
				nil)
			if st != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), ctype) ||
				len(body) < 500 {
				t.Errorf("%s as %s: %d %s, %d bytes", path, format, st, h.Get("Content-Type"),
					len(body))
			}
			if format == "pdf" && !bytes.HasPrefix(body, []byte("%PDF-")) {
				t.Errorf("%s as pdf: not a PDF", path)
			}
			if format == "html" && (!strings.Contains(string(body), "<svg") ||
				!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'")) {
				t.Errorf("%s as html: no chart or no policy", path)
			}
		}
	}
	st, _, _ := f.do(t, "GET", "/api/v1/incidents/"+itoa(id)+"/report?format=doc", nil)
	if st != http.StatusBadRequest {
		t.Errorf("format=doc: %d, want 400", st)
	}
}

// TestResponseMetricsAPI checks the metrics endpoint's JSON and CSV and its
// parameters on a closed incident.
func TestResponseMetricsAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.openIncident(t)
	base := "/api/v1/incidents/" + itoa(id)
	f.send(t, "POST", base+"/transitions", map[string]string{"to": "analysis"}).want(t, "a", 200)
	f.send(t, "POST", base+"/classification", map[string]string{
		"classification": "false-positive"}).want(t, "fp", 200)
	f.send(t, "POST", base+"/transitions", map[string]string{"to": "closed"}).want(t, "c", 200)
	var rep struct {
		Overall struct {
			Incidents int `json:"incidents"`
			Times     map[string]struct {
				Count int `json:"count"`
			} `json:"times"`
		} `json:"overall"`
		Groups []struct {
			Key string `json:"key"`
		} `json:"groups"`
	}
	f.getJSON(t, "/api/v1/response-metrics?group=severity", &rep)
	if rep.Overall.Incidents != 1 || rep.Overall.Times["close"].Count != 1 ||
		rep.Overall.Times["acknowledge"].Count != 1 || rep.Overall.Times["contain"].Count != 0 ||
		len(rep.Groups) != 1 || rep.Groups[0].Key != "high" {
		t.Errorf("metrics: %+v", rep)
	}
	st, h, body := f.do(t, "GET", "/api/v1/response-metrics?format=csv&table=times", nil)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(string(body), "group_by,group,incidents,measure,count") {
		t.Errorf("csv: %d %s\n%s", st, h.Get("Content-Type"), body)
	}
	// Each CSV table reads only what it prints, and prints what the whole
	// report gives.
	for _, g := range []string{"severity", "service", "period"} {
		var full metrics.Report
		f.getJSON(t, "/api/v1/response-metrics?exercises=true&group="+g, &full)
		for _, tb := range metrics.Tables() {
			var want bytes.Buffer
			if err := metrics.WriteCSV(&want, &full, tb); err != nil {
				t.Fatal(err)
			}
			st, _, body := f.do(t, "GET", "/api/v1/response-metrics?exercises=true&group="+g+
				"&format=csv&table="+string(tb), nil)
			if st != 200 || string(body) != want.String() {
				t.Errorf("group %s, table %s: %d\n%s\nwant\n%s", g, tb, st, body, want.String())
			}
		}
	}
	for _, q := range []string{"group=planet", "from=yesterday", "from=2026-02-01&to=2026-01-01",
		"table=x"} {
		if st, _, _ := f.do(t, "GET", "/api/v1/response-metrics?"+q, nil); st != 400 {
			t.Errorf("%s: %d, want 400", q, st)
		}
	}
	st, _, body = f.do(t, "GET", base+"/report?format=markdown", nil)
	if st != 200 || !strings.Contains(string(body), "No post-mortem yet") {
		t.Errorf("report without a post-mortem: %d\n%s", st, body)
	}
}
