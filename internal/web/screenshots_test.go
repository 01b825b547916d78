package web

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/readiness/replay"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/scenarios"
)

// screenshots makes TestReadmeScreenshots write the README's screenshots.
var screenshots = flag.Bool("screenshots", false,
	"write the README's screenshots of the post-mortem, dashboard and readiness pages "+
		"to docs/img")

// TestReadmeScreenshots fills a server with sample data (six months of
// incidents with their milestones, alerts triaged per rule, notifications,
// open follow-ups; people, training, findings; the four shipped scenarios
// replayed as exercises; one incident worked through the API to its
// post-mortem) and saves the post-mortem page, the dashboard and the
// readiness page, as headless Chromium draws them, in docs/img:
//
//	go test -run TestReadmeScreenshots -screenshots ./internal/web
func TestReadmeScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to write docs/img")
	}
	chrome := chromiumPath(t)
	rs, _, err := sigma.Load([]string{"../../rules"}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, rs)
	now := time.Now().UTC()
	r := rand.New(rand.NewPCG(5, 2026))
	seedHistory(t, e, r, now)
	seedPreparation(t, e, now)
	id := workedIncident(t, e)
	out := filepath.Join("..", "..", "docs", "img")

	p := &page{t: t, ctx: newChrome(t, chrome), base: e.srv.URL}
	p.signIn(auth.RoleResponder)
	p.do("open the post-mortem", chromedp.Navigate(fmt.Sprintf("%s/incidents/%d/postmortem",
		e.srv.URL, id)), chromedp.WaitVisible(chromedp.ID("timeline-entries")))
	for sel, want := range map[string]string{
		"#finding-list":   "rundll32 comsvcs MiniDump ran unhindered",
		"#follow-up-list": "Block comsvcs.dll MiniDump",
		"#signed-off":     "waiting for executive",
	} {
		if got := p.text(sel); !strings.Contains(got, want) {
			t.Errorf("post-mortem %s: %q lacks %q", sel, got, want)
		}
	}
	// The top of the page: summary, response times, the timeline chart and
	// its first entries (the whole page is four screens long).
	p.do("size the window", chromedp.EmulateViewport(1360, 1700))
	t.Logf("wrote %s", viewportShot(p, out, "postmortem-page.png"))
	p.do("size the window back", chromedp.EmulateViewport(1360, 900))

	p.do("open the dashboard", chromedp.Navigate(e.srv.URL+"/dashboard?group=severity&from="+
		now.AddDate(0, -6, 0).Format(time.DateOnly)), chromedp.WaitVisible(chromedp.ID("charts")))
	if got := p.text("#groups"); !strings.Contains(got, "critical") ||
		!strings.Contains(got, "low") {
		t.Errorf("dashboard groups: %q, want the severities", got)
	}
	t.Logf("wrote %s", p.screenshot(out, "dashboard.png"))

	p.do("open the readiness page", chromedp.Navigate(e.srv.URL+"/readiness"),
		chromedp.WaitVisible(chromedp.ID("exercise-list")))
	for sel, want := range map[string]string{
		"#training-overdue": "Background check for production access",
		"#findings-list":    "SQL injection in the order search",
		"#exercise-list":    "storage-exfiltration",
	} {
		if got := p.text(sel); !strings.Contains(got, want) {
			t.Errorf("readiness %s: %q lacks %q", sel, got, want)
		}
	}
	t.Logf("wrote %s", p.screenshot(out, "readiness-page.png"))
}

// viewportShot saves what the window shows as name in dir.
func viewportShot(p *page, dir, name string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// seedHistory stores six months of incidents as the store would hold them
// after their response (milestones in the record, alerts with their event
// times), alerts of the shipped rules triaged into confirmed and false
// positives, notifications delivered on time or late, and open follow-ups
// of various ages.
func seedHistory(t *testing.T, e *env, r *rand.Rand, now time.Time) {
	t.Helper()
	ctx := t.Context()
	rules := []struct {
		id, title string
		fp        float64 // share of false positives
	}{
		{"ssh-root-guess", "SSH Password Guessing Against Root", 0.55},
		{"ssh-invalid-user", "SSH Login Attempt For A Non-Existent User", 0.8},
		{"sudo-root-shell", "Interactive Root Shell Through Sudo", 0.35},
		{"cms-probe", "Probe For Admin Pages Of Software Not Installed", 0.9},
		{"sqli", "SQL Injection Attempt In Web Request", 0.4},
		{"webshell", "Web Shell Command Execution", 0.05},
		{"lsass-comsvcs", "LSASS Memory Dump Through Comsvcs MiniDump", 0.02},
		{"ps-encoded", "PowerShell With An Encoded Command", 0.6},
		{"bucket-sync", "Storage Objects Read With A Bulk Copy Tool", 0.3},
	}
	for i, rule := range rules {
		for range 20 + r.IntN(40) {
			created := now.Add(-time.Duration(r.Int64N(int64(180 * 24 * time.Hour))))
			a := &detect.Alert{RuleID: rule.id, RuleTitle: rule.title, Level: "medium",
				EventTime: created.Add(-time.Minute), Created: created}
			if err := e.st.InsertAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
			state := "confirmed"
			switch x := r.Float64(); {
			case x < rule.fp:
				state = "false_positive"
			case x > 0.97 && i%2 == 0:
				continue // still new
			}
			err := e.st.SetAlertTriage(ctx, a.ID, "new", store.AlertTriage{State: state,
				Updated: created.Add(20 * time.Minute), Reason: "triaged"})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	severities := []string{"low", "low", "low", "medium", "medium", "medium", "high", "high",
		"critical"}
	categories := []incident.Category{incident.CategoryUnauthorizedAccess,
		incident.CategoryMalware, incident.CategoryReconnaissance,
		incident.CategoryDataExfiltration, incident.CategoryImproperUsage}
	services := []string{"portal", "payments", "orders", "mail", "storage", "vpn"}
	minutes := func(lo, hi int) time.Duration {
		return time.Duration(lo+r.IntN(hi-lo+1)) * time.Minute
	}
	for i := range 160 {
		opened := now.Add(-time.Duration(r.Int64N(int64(178*24*time.Hour))) - 6*time.Hour).
			Truncate(time.Second)
		sev := severities[r.IntN(len(severities))]
		a := &detect.Alert{RuleID: rules[i%len(rules)].id, RuleTitle: rules[i%len(rules)].title,
			Level: sev, EventTime: opened.Add(-minutes(1, 90)), Created: opened}
		if err := e.st.InsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
		inc := &incident.Incident{Title: a.RuleTitle + " on " + services[i%len(services)],
			Severity: sev, Status: incident.StatusOpen, Phase: incident.PhaseDetected,
			AlertIDs: []int64{a.ID}, Opened: opened}
		if err := e.st.CreateIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
		rec, err := e.st.GetIncidentRecord(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		rc := &rec.Record
		rc.Category = categories[r.IntN(len(categories))]
		rc.Resources.Services = []string{services[r.IntN(len(services))]}
		if r.IntN(4) == 0 {
			rc.Resources.Services = append(rc.Resources.Services, services[r.IntN(len(services))])
		}
		// Faster for the severe ones; the newest are still in progress.
		scale := map[string]int{"critical": 1, "high": 2, "medium": 4, "low": 6}[sev]
		at := opened
		steps := []time.Duration{minutes(2, 15*scale), minutes(10, 60*scale),
			minutes(30, 240*scale), minutes(120, 960*scale), minutes(240, 2880*scale),
			minutes(1440, 7200)}
		age := now.Sub(opened)
		done := 6
		if age < 20*24*time.Hour {
			done = 1 + r.IntN(5)
		}
		for k := range done {
			at = at.Add(steps[k])
			if at.After(now) {
				break
			}
			from, to := incident.Phases()[k], incident.Phases()[k+1]
			rc.PhaseChanges = append(rc.PhaseChanges, incident.PhaseChange{From: from, To: to,
				At: at, Location: "Europe/Berlin", By: "user:u-responder"})
			rc.Phase = to
			if to == incident.PhaseContainment {
				rc.Classification, rc.Confirmed = incident.Confirmed, at.Add(-time.Minute)
			}
		}
		if rc.Phase == incident.PhaseClosed {
			rc.Status = incident.StatusClosed
		}
		if err := e.st.UpdateIncidentRecord(ctx, rec); err != nil {
			t.Fatalf("incident %d: %v", inc.ID, err)
		}
		seedNotice(t, e, r, inc.ID, opened)
		if rc.Phase == incident.PhaseClosed && r.IntN(3) == 0 {
			seedFollowUp(t, e, r, inc.ID, at, now)
		}
	}
}

// seedNotice stores a notification about an incident made when it opened,
// delivered within the 15-minute target, late, or never.
func seedNotice(t *testing.T, e *env, r *rand.Rand, id int64, opened time.Time) {
	t.Helper()
	n := &notify.Notification{Key: fmt.Sprintf("engaged-%d", id), Channel: notify.ChannelEmail,
		Recipient: "oncall@example.com", Subject: "You were engaged", Body: "b",
		Trigger: notify.TriggerEngaged, IncidentID: id, Created: opened.Add(time.Minute)}
	if _, err := e.st.EnqueueNotification(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	after := time.Duration(r.IntN(12)) * time.Minute
	if r.IntN(8) == 0 {
		after = time.Duration(20+r.IntN(60)) * time.Minute
	}
	state, ok := notify.StateSent, true
	if r.IntN(25) == 0 {
		state, ok = notify.StateDead, false
	}
	err := e.st.RecordAttempt(t.Context(), n.ID, notify.Delivery{At: n.Created.Add(after),
		OK: ok, DurationMS: 40}, state, 1, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
}

// seedFollowUp stores an open follow-up of a closed incident.
func seedFollowUp(t *testing.T, e *env, r *rand.Rand, id int64, closed, now time.Time) {
	t.Helper()
	kinds := postmortem.FollowUpKinds()
	owners := []string{"dana", "lena", "omar", "u-service-engineer"}
	f := &postmortem.FollowUp{IncidentID: id, Kind: kinds[r.IntN(len(kinds))],
		Title: "Follow-up of incident " + fmt.Sprint(id), Created: closed, CreatedBy: "user:u-responder",
		Updated: closed, Tracking: readiness.Tracking{Owner: owners[r.IntN(len(owners))],
			Due: readiness.Day(closed).AddDate(0, 0, 14+r.IntN(60)), State: readiness.StateOpen,
			History: []readiness.StateChange{}}}
	if closed.After(now) {
		return
	}
	if err := e.st.Atomically(t.Context(), func(tx store.Tx) error {
		return tx.CreateFollowUp(t.Context(), f)
	}); err != nil {
		t.Fatal(err)
	}
}

// seedPreparation stores training records for a small program, pen-test
// findings and replays the four shipped scenarios as exercises.
func seedPreparation(t *testing.T, e *env, now time.Time) {
	t.Helper()
	ctx := t.Context()
	day := func(months, days int) readiness.Date {
		return readiness.NewDate(now.AddDate(0, months, days))
	}
	people := []*readiness.Person{
		{Name: "u-responder", Roles: []string{"responder"}, Teams: []string{"sirt"},
			Joined: day(-30, 0), Environments: []string{"production", "customer-data"},
			Checks: []readiness.BackgroundCheck{{Date: day(-64, 0),
				Status: readiness.CheckPassed}}},
		{Name: "rita", Roles: []string{"responder"}, Teams: []string{"sirt"},
			Joined: day(-14, 3), Environments: []string{"production"},
			Checks: []readiness.BackgroundCheck{{Date: day(-14, 0),
				Status: readiness.CheckPassed}}},
		{Name: "sam", Roles: []string{"responder"}, Teams: []string{"sirt"},
			Joined: day(0, -12)},
		{Name: "u-executive", Roles: []string{"executive"}, Teams: []string{"leadership"},
			Joined: day(-40, 0)},
		{Name: "lena", Roles: []string{"legal"}, Teams: []string{"legal"}, Joined: day(-3, -2)},
		{Name: "cora", Roles: []string{"communications"}, Teams: []string{"communications"},
			Joined: day(-20, 0)},
	}
	for _, p := range people {
		if err := e.st.PutPerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []readiness.Completion{
		{Person: "u-responder", Course: "ir-basics", Completed: day(-11, -20)},
		{Person: "u-responder", Course: "escalation", Completed: day(-13, 0)},
		{Person: "u-responder", Course: "privacy", Completed: day(-5, 0)},
		{Person: "rita", Course: "ir-basics", Completed: day(-12, 6)},
		{Person: "rita", Course: "responder-handbook", Completed: day(-2, 0)},
		{Person: "u-executive", Course: "ir-basics", Completed: day(-14, 0)},
		{Person: "u-executive", Course: "incident-command", Completed: day(-6, 0)},
		{Person: "lena", Course: "ir-basics", Completed: day(-3, 10)},
		{Person: "cora", Course: "ir-basics", Completed: day(-4, 0)},
		{Person: "cora", Course: "customer-communication", Completed: day(-4, 0)},
	} {
		c.Evidence, c.RecordedBy, c.Recorded = "LMS certificate", "user:u-admin", now
		if err := e.st.AddCompletion(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	score := func(v float64) *float64 { return &v }
	var findings []readiness.Finding
	for _, f := range []struct {
		ref, title, vector string
		sev                readiness.Severity
		cvss               *float64
		svc, owner         string
		found              time.Time
		state              readiness.State
	}{
		{"PT-2026-01", "SQL injection in the order search",
			"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N", readiness.SeverityHigh, score(8.1),
			"orders", "dana", now.AddDate(0, 0, -41), readiness.StateInProgress},
		{"PT-2026-02", "Session fixation on the customer portal",
			"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", readiness.SeverityHigh, score(8.1),
			"portal", "u-service-engineer", now.AddDate(0, 0, -12), readiness.StateOpen},
		{"PT-2026-03", "Verbose stack traces on 500 pages",
			"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", readiness.SeverityMedium, score(5.3),
			"portal", "u-service-engineer", now.AddDate(0, 0, -100), readiness.StateOpen},
		{"SCAN-1187", "OpenSSH 8.9 on the VPN bastion (CVE-2024-6387)",
			"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", readiness.SeverityHigh, score(8.1),
			"vpn", "omar", now.AddDate(0, 0, -5), readiness.StateOpen},
		{"PT-2026-04", "Admin API reachable without MFA",
			"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", readiness.SeverityCritical,
			score(9.8), "payments", "dana", now.AddDate(0, 0, -3), readiness.StateInProgress},
	} {
		src := readiness.SourcePentest
		if strings.HasPrefix(f.ref, "SCAN") {
			src = readiness.SourceScan
		}
		days := map[readiness.Severity]int{readiness.SeverityCritical: 7,
			readiness.SeverityHigh: 30, readiness.SeverityMedium: 90}[f.sev]
		findings = append(findings, readiness.Finding{Source: src, Ref: f.ref, Title: f.title,
			Severity: f.sev, CVSSVector: f.vector, CVSSScore: f.cvss, Services: []string{f.svc},
			Found: f.found, Tracking: readiness.Tracking{Owner: f.owner, State: f.state,
				Due:     readiness.Day(f.found).AddDate(0, 0, days),
				History: []readiness.StateChange{}}})
	}
	if err := e.st.CreateFindings(ctx, findings); err != nil {
		t.Fatal(err)
	}
	err := e.st.CreateToken(ctx, store.Token{Name: "red", Hash: auth.HashToken(responderToken),
		Role: auth.RoleResponder})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ssh-bruteforce-privesc", "webshell-upload",
		"credential-dumping-windows", "storage-exfiltration"} {
		data, err := scenarios.FS.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		sc, err := readiness.ParseScenario(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := replay.Run(ctx, replay.Config{Server: e.srv.URL, Token: responderToken,
			Speed: 0, Timeout: 5 * time.Second}, sc, 0)
		if err != nil {
			t.Fatalf("replay %s: %v (%+v)", name, err, res)
		}
	}
}

// jsonClient calls the API as a signed-in user of the web UI (session
// cookie and CSRF token).
type jsonClient struct {
	b    *browser
	csrf string
}

// call sends body as JSON with extra headers and decodes the answer into
// out (when not nil); it fails the test unless the status is want.
func (c *jsonClient) call(method, path string, body any, want int, out any,
	headers ...string) http.Header {
	c.b.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.b.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(c.b.t.Context(), method, c.b.base+path, rd)
	if err != nil {
		c.b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.b.c.Do(req)
	if err != nil {
		c.b.t.Fatal(err)
	}
	got := readBody(c.b.t, res)
	if res.StatusCode != want {
		c.b.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, got)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(got), out); err != nil {
			c.b.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return res.Header
}

// workedIncident posts the credential-dumping scenario's events as real
// (not exercise) Sysmon events, works the LSASS incident they open through
// the API as u-responder, its commander, to post-incident, fills the
// post-mortem and signs it off as commander; it returns the incident.
func workedIncident(t *testing.T, e *env) int64 {
	t.Helper()
	data, err := scenarios.FS.ReadFile("credential-dumping-windows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := readiness.ParseScenario(bytes.NewReader(data), "credential-dumping-windows")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-4 * time.Minute)
	var lines []string
	for _, ev := range sc.Events {
		fields := map[string]any{}
		for k, v := range ev.Fields {
			fields[k] = v
		}
		fields["Computer"] = "JMP-ADM-07.mgmt.example"
		fields["@timestamp"] = start.Add(ev.At).Format(time.RFC3339Nano)
		line, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(line))
	}
	e.postEvents(t, t.Context(), strings.Join(lines, "\n")+"\n")

	c := &jsonClient{b: e.signIn(t, auth.RoleResponder)}
	c.csrf = c.b.csrf("/incidents")
	var list struct {
		Items []incident.Incident `json:"items"`
	}
	c.call("GET", "/api/v1/incidents?severity=critical&limit=50", nil, 200, &list)
	var id int64
	for _, inc := range list.Items {
		if strings.Contains(inc.Title, "LSASS") && inc.Exercise == 0 &&
			inc.Phase == string(incident.PhaseDetected) && inc.ID > id {
			id = inc.ID
		}
	}
	if id == 0 {
		t.Fatalf("no real LSASS incident among %+v", list.Items)
	}
	base := fmt.Sprintf("/api/v1/incidents/%d", id)
	c.call("POST", base+"/escalate", map[string]string{"commander": "u-responder",
		"reason": "credential dumping on an admin jump host"}, 200, nil)
	for _, step := range []struct {
		path string
		body map[string]any
	}{
		{"/transitions", map[string]any{"to": "analysis"}},
		{"/classification", map[string]any{"classification": "confirmed",
			"reason": "comsvcs.dll MiniDump of lsass.exe by svc-backup on JMP-ADM-07"}},
		{"/actions", map[string]any{"what": "Isolated JMP-ADM-07 at the switch",
			"result": "no traffic since"}},
		{"/actions", map[string]any{"what": "Disabled MGMT\\svc-backup and reset its password",
			"result": "done"}},
		{"/transitions", map[string]any{"to": "containment"}},
		{"/comments", map[string]any{"text": "The dump file C:\\ProgramData\\bk.dmp was " +
			"not copied off the host (proxy logs)."}},
		{"/transitions", map[string]any{"to": "eradication"}},
		{"/actions", map[string]any{"what": "Removed the 'Backup Verify' scheduled task " +
			"and reimaged JMP-ADM-07", "result": "done"}},
		{"/transitions", map[string]any{"to": "recovery", "time_zone": "Europe/Berlin"}},
	} {
		c.call("POST", base+step.path, step.body, 200, nil)
	}
	h := c.call("GET", base, nil, 200, nil)
	c.call("PATCH", base, map[string]any{"recovery_checks": []map[string]any{
		{"name": "No LSASS access by non-system processes for 24 hours", "done": true}}},
		200, nil, "If-Match", h.Get("ETag"))
	c.call("POST", base+"/transitions", map[string]any{"to": "post-incident"}, 200, nil)

	pm := base + "/postmortem"
	c.call("PATCH", pm, map[string]any{"summary": "An encoded PowerShell stager ran as " +
		"MGMT\\svc-backup on the jump host JMP-ADM-07, persisted as a hidden daily " +
		"scheduled task and dumped LSASS with rundll32 and comsvcs.dll MiniDump. The " +
		"dump was detected within a second, the host isolated and the account disabled; " +
		"no credential use was seen afterwards.",
		"actors": []string{"unknown (commodity stager from 203.0.113.9)"}}, 200, nil)
	var v struct {
		PostMortem postmortem.PostMortem `json:"postmortem"`
	}
	c.call("POST", pm+"/timeline", map[string]any{"at": start.Add(-20 * time.Minute),
		"time_zone": "Europe/Berlin", "text": "The service desk reset svc-backup's " +
			"password at the owner's request (phone log)"}, 201, &v)
	c.call("POST", pm+"/timeline/1/notes", map[string]any{
		"text": "first trace of the intruder"}, 200, nil)
	c.call("POST", pm+"/findings", map[string]any{"category": "technical-lapse",
		"title":       "rundll32 comsvcs MiniDump ran unhindered on an admin host",
		"description": "The endpoint policy does not block LSASS access by rundll32.",
		"evidence":    []map[string]string{{"type": "timeline", "id": "1"}}}, 201, nil)
	c.call("POST", pm+"/findings", map[string]any{"category": "procedural-failure",
		"title": "A service account's password was reset by phone without a callback",
		"evidence": []map[string]string{{"type": "timeline",
			"id": fmt.Sprint(len(v.PostMortem.Timeline))}}}, 201, nil)
	due := time.Now().UTC().AddDate(0, 0, 21).Format(time.DateOnly)
	for _, fu := range []map[string]any{
		{"kind": "detection-rule", "title": "Block comsvcs.dll MiniDump and alert on any " +
			"LSASS handle from rundll32", "owner": "u-responder", "due": due, "finding": 1},
		{"kind": "sop-change", "title": "Call back before any service-account reset",
			"owner": "lena", "due": due, "finding": 2},
		{"kind": "training", "title": "Service desk: social engineering refresher",
			"owner": "cora", "due": time.Now().UTC().AddDate(0, 0, 45).Format(time.DateOnly)},
	} {
		c.call("POST", base+"/follow-ups", fu, 201, nil)
	}
	c.call("POST", pm+"/signoffs", map[string]string{"role": "commander",
		"note": "reviewed with the team"}, 200, nil)
	return id
}
