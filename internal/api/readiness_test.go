package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
)

const (
	engineerToken = "vgl_test-engineer-token-0123456789ab"
	auditorToken  = "vgl_test-auditor-token-0123456789abc"
)

// addToken stores a token of role named name.
func (f *fixture) addToken(t *testing.T, name, secret, role string) {
	t.Helper()
	err := f.st.CreateToken(context.Background(), store.Token{Name: name,
		Hash: auth.HashToken(secret), Role: role})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadinessPolicyAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a := f.send(t, "GET", "/api/v1/readiness/policy", nil)
	a.want(t, "get default", http.StatusOK)
	if a.etag != `"v0"` || a.num("onboarding_days") != 30 {
		t.Errorf("default policy: ETag %s, body %s", a.etag, a.raw)
	}
	yaml := "onboarding_days: 21\ncourses:\n  - {id: basics, title: Basics, kind: basics}\n" +
		"roles:\n  responder: [basics]\n"
	put := func(body, ifMatch string) (int, []byte) {
		st, _, raw := f.do(t, "PUT", "/api/v1/readiness/policy", strings.NewReader(body),
			"Content-Type", "application/yaml", "If-Match", ifMatch)
		return st, raw
	}
	if st, raw := put(yaml, ""); st != http.StatusPreconditionRequired {
		t.Errorf("PUT without If-Match: %d %s", st, raw)
	}
	if st, raw := put(yaml, "yesterday"); st != http.StatusBadRequest {
		t.Errorf("PUT with a bad If-Match: %d %s", st, raw)
	}
	if st, raw := put("roles:\n  responder: [nope]\n", `"v0"`); st != 422 ||
		!strings.Contains(string(raw), `unknown course \"nope\"`) {
		t.Errorf("PUT a bad policy: %d %s", st, raw)
	}
	if st, raw := put(yaml, `"v0"`); st != http.StatusOK ||
		!strings.Contains(string(raw), `"version":1`) {
		t.Fatalf("PUT the policy: %d %s", st, raw)
	}
	if st, raw := put(yaml, `"v0"`); st != http.StatusConflict {
		t.Errorf("PUT at a stale version: %d %s", st, raw)
	}
	a = f.send(t, "GET", "/api/v1/readiness/policy", nil)
	if a.etag != `"v1"` || a.num("onboarding_days") != 21 || a.num("refresher_months") != 12 {
		t.Errorf("stored policy: ETag %s, body %s", a.etag, a.raw)
	}
	f.addToken(t, "auditor", auditorToken, auth.RoleAuditor)
	if st, _ := put(yaml, `"v1"`); st != http.StatusOK {
		t.Errorf("admin PUT at v1: %d", st)
	}
	st, _, _ := f.do(t, "PUT", "/api/v1/readiness/policy", strings.NewReader(yaml),
		"Authorization", "Bearer "+auditorToken, "If-Match", `"v2"`)
	if st != http.StatusForbidden {
		t.Errorf("auditor PUT: %d, want 403", st)
	}
}

// TestTrainingAPI keeps training records, records completions, and reads
// the report, the export and the reminders.
func TestTrainingAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	joined := time.Now().UTC().AddDate(0, -2, 0).Format(time.DateOnly)
	ana := map[string]any{"roles": []string{"responder"}, "teams": []string{"sirt"},
		"joined": joined, "email": "ana@example.com", "environments": []string{"production"}}
	a := f.send(t, "PUT", "/api/v1/training/people/ana", ana)
	a.want(t, "create ana", http.StatusCreated)
	if a.etag != `"v1"` {
		t.Errorf("ETag %s, want v1", a.etag)
	}
	f.send(t, "PUT", "/api/v1/training/people/ana", ana).want(t, "create twice", 409)
	f.send(t, "PUT", "/api/v1/training/people/bob", map[string]any{"name": "ana",
		"joined": joined}).want(t, "name mismatch", 422, "field", "name")
	f.send(t, "PUT", "/api/v1/training/people/bob", map[string]any{"roles": []string{"legal"}}).
		want(t, "no join date", 422, "field", "joined")
	ana["version"], ana["teams"] = 1, []string{"sirt", "on-call"}
	f.send(t, "PUT", "/api/v1/training/people/ana", ana).want(t, "update", http.StatusOK)
	f.send(t, "PUT", "/api/v1/training/people/ana", ana).want(t, "stale", http.StatusConflict)
	f.send(t, "GET", "/api/v1/training/people/ana", nil).want(t, "get", http.StatusOK)
	f.send(t, "GET", "/api/v1/training/people/zed", nil).want(t, "unknown", 404)
	var people struct {
		Items []readiness.Person `json:"items"`
	}
	f.getJSON(t, "/api/v1/training/people", &people)
	if len(people.Items) != 1 || len(people.Items[0].Teams) != 2 {
		t.Errorf("people: %+v", people.Items)
	}

	today := time.Now().UTC().Format(time.DateOnly)
	f.send(t, "POST", "/api/v1/training/completions", map[string]any{"person": "ana",
		"course": "ir-basics", "completed": today, "evidence": "CERT-2291"}).
		want(t, "completion", http.StatusCreated)
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"person": "ana", "course": "juggling", "completed": today,
			"evidence": "x"}, "course"},
		{map[string]any{"person": "ana", "course": "privacy", "completed": "2999-01-01",
			"evidence": "x"}, "completed"},
		{map[string]any{"person": "ana", "course": "privacy", "completed": today}, "evidence"},
	} {
		f.send(t, "POST", "/api/v1/training/completions", bad.body).
			want(t, "bad completion", 422, "field", bad.field)
	}
	f.send(t, "POST", "/api/v1/training/completions", map[string]any{"person": "zed",
		"course": "privacy", "completed": today, "evidence": "x"}).
		want(t, "unknown person", http.StatusNotFound)
	var cs struct {
		Items []readiness.Completion `json:"items"`
	}
	f.getJSON(t, "/api/v1/training/completions?person=ana", &cs)
	if len(cs.Items) != 1 || cs.Items[0].RecordedBy != "token:good" {
		t.Errorf("completions: %+v", cs.Items)
	}

	var rep readiness.Report
	f.getJSON(t, "/api/v1/training/report?team=sirt", &rep)
	// Joined two months ago: escalation, privacy and the handbook are
	// overdue (30 days), the production check too; ir-basics was done today.
	if len(rep.Teams) != 1 || rep.Teams[0].Team != "sirt" || rep.Overdue != 4 ||
		len(rep.Teams[0].Members) != 1 {
		t.Errorf("report: %+v", rep)
	}
	f.getJSON(t, "/api/v1/training/report?person=nobody", &rep)
	if rep.Overdue != 0 || rep.People != 0 {
		t.Errorf("report for nobody: %+v", rep)
	}
	st, h, raw := f.do(t, "GET", "/api/v1/training/export", nil)
	if st != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(string(raw), "ana,on-call; sirt,course,ir-basics,") {
		t.Errorf("CSV export: %d %s\n%s", st, h.Get("Content-Type"), raw)
	}
	var exp struct {
		Items       []readiness.Item       `json:"items"`
		Completions []readiness.Completion `json:"completions"`
	}
	f.getJSON(t, "/api/v1/training/export?format=json", &exp)
	if len(exp.Items) != 5 || len(exp.Completions) != 1 ||
		exp.Completions[0].Evidence != "CERT-2291" {
		t.Errorf("JSON export: %d items, %+v", len(exp.Items), exp.Completions)
	}
	if st, _, _ := f.do(t, "GET", "/api/v1/training/export?format=xml", nil); st != 400 {
		t.Errorf("export as xml: %d, want 400", st)
	}

	// Reminders: one per person per week, however often they run.
	for range 2 {
		a = f.send(t, "POST", "/api/v1/readiness/reminders", nil)
		a.want(t, "reminders", http.StatusOK)
	}
	var notes store.Page[notify.Notification]
	f.getJSON(t, "/api/v1/notifications", &notes)
	if notes.Total != 1 || notes.Items[0].Recipient != "ana@example.com" ||
		notes.Items[0].Trigger != notify.TriggerReminder ||
		!strings.Contains(notes.Items[0].Body, "Personal data in incidents") {
		t.Errorf("reminders queued: %+v", notes.Items)
	}
}

// TestFindingsAPI enters, imports, lists and moves findings, with the
// owners' restrictions and triage's reports in the same list.
func TestFindingsAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	f.addToken(t, "carol", engineerToken, auth.RoleServiceEngineer)
	a := f.send(t, "POST", "/api/v1/findings", map[string]any{"title": "RCE in upload",
		"cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "owner": "carol",
		"source": "pentest", "ref": "PT-7", "services": []string{"portal"},
		"found": "2026-01-10"})
	a.want(t, "create", http.StatusCreated, "severity", "critical", "due", "2026-01-17T00:00:00Z",
		"state", "open")
	id := a.num("id")
	f.send(t, "POST", "/api/v1/findings", map[string]any{"title": "x",
		"cvss_vector": "CVSS:3.1/AV:Q"}).want(t, "bad vector", 422, "field", "cvss_vector")
	f.send(t, "POST", "/api/v1/findings", map[string]any{"title": "x", "severity": "low",
		"colour": "red"}).want(t, "unknown field", 422, "field", "colour")

	csv := "ref,title,severity,owner,found\nPT-7,dup,low,,\nPT-8,Weak TLS,medium,dan,2026-01-10\n"
	st, _, raw := f.do(t, "POST", "/api/v1/findings/import?source=pentest",
		strings.NewReader(csv), "Content-Type", "text/csv")
	var res readiness.ImportResult
	json.Unmarshal(raw, &res)
	if st != 201 || len(res.Created) != 1 || res.Created[0].Ref != "PT-8" ||
		len(res.Skipped) != 1 || res.Skipped[0] != "PT-7" {
		t.Errorf("import CSV: %d %s", st, raw)
	}
	if st, _, raw := f.do(t, "POST", "/api/v1/findings/import?source=pentest",
		strings.NewReader(csv), "Content-Type", "text/csv"); st != 200 {
		t.Errorf("import again: %d %s", st, raw)
	}
	bad := "[\n{\"title\": \"ok\", \"severity\": \"low\"},\n{\"title\": \"\"}\n]"
	st, _, raw = f.do(t, "POST", "/api/v1/findings/import", strings.NewReader(bad),
		"Content-Type", "application/json")
	if st != 422 || !strings.Contains(string(raw), `{"line":3,"field":"title"`) {
		t.Errorf("import bad JSON: %d %s", st, raw)
	}
	if st, _, _ := f.do(t, "POST", "/api/v1/findings/import", strings.NewReader("x"),
		"Content-Type", "text/plain"); st != http.StatusUnsupportedMediaType {
		t.Errorf("import text: %d, want 415", st)
	}

	// A triage report joins the list (source triage).
	v := &store.Vulnerability{Title: "Known XSS", Kind: "known_issue", Severity: "high",
		State: "fixing", Owner: "dan", Created: time.Now(), Updated: time.Now(),
		Deadline: time.Now().AddDate(0, 0, -3)}
	if err := f.st.CreateVulnerability(ctx, v); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items   []readiness.Finding `json:"items"`
		Total   int                 `json:"total"`
		Overdue int                 `json:"overdue"`
	}
	f.getJSON(t, "/api/v1/findings", &list)
	var order []string
	for _, x := range list.Items {
		order = append(order, string(x.Source)+":"+x.Title)
	}
	if list.Total != 3 || list.Overdue != 3 || !strings.Contains(strings.Join(order, "|"),
		"triage:Known XSS") || list.Items[0].Title != "RCE in upload" {
		t.Errorf("list (overdue first, by due date): %v, %d overdue", order, list.Overdue)
	}
	f.getJSON(t, "/api/v1/findings?triage=false&owner=dan", &list)
	if list.Total != 1 || list.Items[0].Ref != "PT-8" {
		t.Errorf("dan's findings without triage: %+v", list.Items)
	}
	f.getJSON(t, "/api/v1/findings?source=triage", &list)
	if list.Total != 1 || list.Items[0].VulnerabilityID != v.ID {
		t.Errorf("source=triage: %+v", list.Items)
	}

	path := "/api/v1/findings/" + itoa(id)
	f.send(t, "GET", path, nil).want(t, "get", http.StatusOK)
	f.send(t, "GET", "/api/v1/findings/999", nil).want(t, "unknown", http.StatusNotFound)
	f.send(t, "PATCH", path, map[string]any{"version": 1, "state": "risk_accepted"}).
		want(t, "risk without terms", 422)
	f.send(t, "PATCH", path, map[string]any{"version": 1, "state": "in_progress"}).
		want(t, "in progress", http.StatusOK, "state", "in_progress")
	f.send(t, "PATCH", path, map[string]any{"version": 1, "owner": "x"}).
		want(t, "stale", http.StatusConflict)
	f.send(t, "PATCH", path, map[string]any{"version": 2, "severity": "low"}).
		want(t, "severity moves the due date", http.StatusOK, "due", "2026-07-09T00:00:00Z")

	// The owner (a service engineer) may fix it, but not verify it.
	asCarol := []string{"Authorization", "Bearer " + engineerToken}
	f.send(t, "PATCH", path, map[string]any{"version": 3, "state": "fixed"}, asCarol...).
		want(t, "owner fixes", http.StatusOK, "state", "fixed")
	f.send(t, "PATCH", path, map[string]any{"version": 4, "state": "verified"}, asCarol...).
		want(t, "owner verifies", http.StatusForbidden)
	f.send(t, "PATCH", "/api/v1/findings/"+itoa(res.Created[0].ID),
		map[string]any{"version": 1, "state": "fixed"}, asCarol...).
		want(t, "someone else's", http.StatusForbidden)
	f.send(t, "PATCH", path, map[string]any{"version": 4, "state": "verified"}).
		want(t, "verified", http.StatusOK, "state", "verified")
	page, err := f.st.ListAudit(ctx, store.AuditFilter{ObjectType: "finding",
		ObjectID: itoa(id)})
	if err != nil || page.Total != 5 {
		t.Errorf("audit of finding %d: %d entries (%v), want created, 3 state changes and "+
			"an update", id, page.Total, err)
	}
}

// TestExercisesAPI plans an exercise, posts tagged events, records a run
// and reads the alerts and the disclosure report; nothing notifies about
// the exercise's incident while the same events untagged do.
func TestExercisesAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	eve := &store.User{Name: "eve", Email: "eve@example.com", Roles: []string{"executive"}}
	if err := f.st.CreateUser(ctx, eve); err != nil {
		t.Fatal(err)
	}
	a := f.send(t, "POST", "/api/v1/exercises", map[string]any{"name": "Q3 purple team",
		"kind": "purple_team", "scope": "bastion hosts", "objectives": []string{"detect SSH"},
		"participants": []map[string]string{{"name": "ana", "side": "red"}}})
	a.want(t, "create", http.StatusCreated, "status", "planned")
	ex := itoa(a.num("id"))
	f.send(t, "POST", "/api/v1/exercises", map[string]any{"name": "x", "kind": "picnic"}).
		want(t, "bad kind", 422, "field", "kind")
	f.send(t, "GET", "/api/v1/exercises/"+ex, nil).want(t, "get", http.StatusOK)
	f.send(t, "GET", "/api/v1/exercises/99", nil).want(t, "unknown", http.StatusNotFound)
	f.send(t, "PATCH", "/api/v1/exercises/"+ex, map[string]any{"version": 1,
		"status": "running"}).want(t, "start", http.StatusOK, "status", "running")
	var list struct {
		Items []readiness.Exercise `json:"items"`
	}
	f.getJSON(t, "/api/v1/exercises", &list)
	if len(list.Items) != 1 {
		t.Errorf("exercises: %+v", list.Items)
	}

	_, res := f.post(t, `{"kind":"high","vigil":{"exercise":"`+ex+`","step":0}}`+"\n")
	if res.Alerts != 1 || len(res.Incidents) != 1 {
		t.Fatalf("tagged event: %+v", res)
	}
	var alerts struct {
		Items []struct {
			ID       int64 `json:"id"`
			Exercise int64 `json:"exercise"`
		} `json:"items"`
	}
	f.getJSON(t, "/api/v1/exercises/"+ex+"/alerts", &alerts)
	if len(alerts.Items) != 1 || itoa(alerts.Items[0].Exercise) != ex {
		t.Fatalf("exercise alerts: %+v", alerts.Items)
	}
	alertID := alerts.Items[0].ID
	f.send(t, "GET", "/api/v1/alerts/"+itoa(alertID), nil).want(t, "alert", http.StatusOK)
	f.send(t, "POST", "/api/v1/alerts/"+itoa(alertID)+"/ack", nil).want(t, "ack", 200)

	// Nothing is queued about the exercise's incident, but about a real one.
	exInc := f.newestIncident(t)
	f.send(t, "POST", "/api/v1/incidents/"+itoa(exInc)+"/transitions",
		map[string]string{"to": "analysis"}).want(t, "exercise to analysis", http.StatusOK)
	real := f.openIncident(t)
	f.send(t, "POST", "/api/v1/incidents/"+itoa(real)+"/transitions",
		map[string]string{"to": "analysis"}).want(t, "real to analysis", http.StatusOK)
	d := notify.NewDispatcher(f.st, store.NotifyDirectory(f.st))
	if n, err := d.Updates(ctx, time.Now()); err != nil || n != 1 {
		t.Errorf("executive updates: %d (%v), want 1 (the real incident only)", n, err)
	}
	var notes store.Page[notify.Notification]
	f.getJSON(t, "/api/v1/notifications", &notes)
	for _, n := range notes.Items {
		if n.IncidentID != real {
			t.Errorf("notification about incident %d (%s), want only about %d", n.IncidentID,
				n.Trigger, real)
		}
	}
	if notes.Total != 2 {
		t.Errorf("%d notifications, want the real incident's phase change and update",
			notes.Total)
	}

	now := time.Now().UTC()
	run := readiness.Run{Scenario: "lsass", Started: now, Finished: now.Add(time.Second),
		Speed: 1, Steps: []readiness.RunStep{{Step: "dump", Sent: now, Events: 1}},
		Detections: []readiness.Detection{
			{Expect: readiness.Expectation{Tag: "attack.t1003.001"}, Detected: true,
				AlertID: alertID, RuleTitle: "LSASS dump", Step: "dump", TTDMillis: 40},
			{Expect: readiness.Expectation{Rule: "r-9", Title: "Token theft",
				Severity: readiness.SeverityHigh}}}}
	a = f.send(t, "POST", "/api/v1/exercises/"+ex+"/runs", run)
	a.want(t, "record run", http.StatusCreated)
	f.send(t, "POST", "/api/v1/exercises/"+ex+"/runs", readiness.Run{Scenario: "x"}).
		want(t, "bad run", 422)
	var fs struct {
		Items []readiness.Finding `json:"items"`
	}
	f.getJSON(t, "/api/v1/findings?exercise="+ex, &fs)
	if len(fs.Items) != 1 || fs.Items[0].Title != "Missed detection: Token theft" {
		t.Errorf("findings of the exercise: %+v", fs.Items)
	}
	st, h, raw := f.do(t, "GET", "/api/v1/exercises/"+ex+"/report", nil)
	report := string(raw)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/markdown") ||
		!strings.Contains(report, "| tag attack.t1003.001 | yes | #"+itoa(alertID)+
			" | LSASS dump | dump | 40ms | alert.acknowledged after ") ||
		!strings.Contains(report, "| Token theft | **no** |") ||
		!strings.Contains(report, "| Missed detection: Token theft | high | (unassigned) |") {
		t.Errorf("report: %d %s\n%s", st, h.Get("Content-Type"), report)
	}
	if st, _, _ := f.do(t, "GET", "/api/v1/exercises/77/report", nil); st != 404 {
		t.Errorf("report of an unknown exercise: %d, want 404", st)
	}
	if st, _, _ := f.do(t, "GET", "/api/v1/exercises/77/alerts", nil); st != 404 {
		t.Errorf("alerts of an unknown exercise: %d, want 404", st)
	}
}

// newestIncident returns the ID of the newest incident.
func (f *fixture) newestIncident(t *testing.T) int64 {
	t.Helper()
	var list incidentPage
	f.getJSON(t, "/api/v1/incidents?limit=1", &list)
	return list.Items[0].ID
}
