package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/triage"
)

const (
	acmeToken   = "vgl_test-acme-tenant-token-0123456789"
	globexToken = "vgl_test-globex-tenant-token-01234567"
)

// newestAlert returns the ID of the newest alert.
func (f *fixture) newestAlert(t *testing.T) int64 {
	t.Helper()
	var page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	f.getJSON(t, "/api/v1/alerts?limit=1", &page)
	return page.Items[0].ID
}

// num reads a number of an answer's body.
func (a answer) num(key string) int64 {
	n, _ := a.body[key].(float64)
	return int64(n)
}

// TestTriageFlow raises grouped alerts, acknowledges, assigns, confirms
// into a new and an existing incident (many-to-many), unlinks, and checks
// the audit trail keeps both the links and the unlink.
func TestTriageFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)

	// Two matches on one host fold into one alert; another host is another.
	f.post(t, `{"kind":"medium","Computer":"web1"}`+"\n")
	_, res := f.post(t, `{"kind":"medium","Computer":"web1"}`+"\n")
	if res.Alerts != 0 {
		t.Errorf("repeat raised %d alerts, want 0", res.Alerts)
	}
	a1 := f.newestAlert(t)
	f.post(t, `{"kind":"medium","Computer":"db1"}`+"\n")
	a2 := f.newestAlert(t)
	var queue struct {
		Items []store.QueueItem `json:"items"`
		Total int64             `json:"total"`
	}
	f.getJSON(t, "/api/v1/queue?kind=alert&rule=rule-medium", &queue)
	if queue.Total != 2 || queue.Items[1].ID != a1 || queue.Items[1].Count != 2 {
		t.Fatalf("queue = %+v, want a2 then a1 with count 2", queue)
	}

	path := "/api/v1/alerts/" + itoa(a1)
	f.send(t, "POST", path+"/ack", nil).want(t, "ack", http.StatusOK, "state", "acknowledged")
	f.send(t, "POST", path+"/ack", nil).want(t, "ack twice", http.StatusUnprocessableEntity)
	f.send(t, "POST", path+"/assign", map[string]string{"user": "bob"}).
		want(t, "assign", http.StatusOK, "state", "assigned", "assignee", "bob")
	f.getJSON(t, "/api/v1/queue?assignee=bob", &queue)
	if queue.Total != 1 || queue.Items[0].ID != a1 {
		t.Errorf("queue?assignee=bob = %+v, want a1", queue)
	}

	// Confirm both into a new incident, then a1 into an existing one too.
	confirm := f.send(t, "POST", "/api/v1/alerts/confirm",
		map[string]any{"alert_ids": []int64{a1, a2}})
	confirm.want(t, "confirm new", http.StatusCreated)
	inc1 := confirm.num("incident_id")
	inc2 := f.openIncident(t)
	var before struct {
		AlertIDs []int64 `json:"alert_ids"`
	}
	f.getJSON(t, "/api/v1/incidents/"+itoa(inc2), &before)
	f.send(t, "POST", "/api/v1/alerts/confirm",
		map[string]any{"alert_ids": []int64{a1}, "incident_id": inc2}).
		want(t, "confirm existing", http.StatusOK)
	f.send(t, "POST", "/api/v1/alerts/confirm",
		map[string]any{"alert_ids": []int64{a1}, "incident_id": 99999}).
		want(t, "confirm unknown incident", http.StatusNotFound)
	wantAlerts(t, f, inc1, a1, a2)
	wantAlerts(t, f, inc2, append([]int64{a1}, before.AlertIDs...)...)

	// Unlink with a reason; the link and the unlink stay in the trail.
	unlink := "/api/v1/incidents/" + itoa(inc1) + "/alerts/" + itoa(a1)
	if st, _, b := f.do(t, "DELETE", unlink, nil); st != http.StatusUnprocessableEntity {
		t.Errorf("unlink without reason: %d %s, want 422", st, b)
	}
	if st, _, b := f.do(t, "DELETE", unlink+"?reason=wrong+incident", nil); st != 204 {
		t.Fatalf("unlink: %d %s", st, b)
	}
	if st, _, _ := f.do(t, "DELETE", unlink+"?reason=again", nil); st != http.StatusNotFound {
		t.Errorf("unlink again: %d, want 404", st)
	}
	wantAlerts(t, f, inc1, a2)
	f.send(t, "GET", path, nil).want(t, "still confirmed", http.StatusOK, "state", "confirmed")
	for action, want := range map[audit.Action]int64{audit.AlertConfirmed: 2,
		audit.AlertUnlinked: 1, audit.AlertAcknowledged: 1, audit.AlertAssigned: 1} {
		page, err := f.st.ListAudit(context.Background(), store.AuditFilter{Action: action,
			ObjectType: "alert", ObjectID: itoa(a1)})
		if err != nil || page.Total != want {
			t.Errorf("audit %s of alert %d: %d entries (%v), want %d", action, a1, page.Total,
				err, want)
		}
	}
}

// wantAlerts checks the alert IDs of an incident.
func wantAlerts(t *testing.T, f *fixture, incidentID int64, want ...int64) {
	t.Helper()
	var inc struct {
		AlertIDs []int64 `json:"alert_ids"`
	}
	f.getJSON(t, "/api/v1/incidents/"+itoa(incidentID), &inc)
	if len(inc.AlertIDs) != len(want) {
		t.Fatalf("incident %d alerts %v, want %v", incidentID, inc.AlertIDs, want)
	}
	for i := range want {
		if inc.AlertIDs[i] != want[i] {
			t.Fatalf("incident %d alerts %v, want %v", incidentID, inc.AlertIDs, want)
		}
	}
}

// TestFalsePositiveSuppression marks an alert a false positive with a
// suppression: the same match then raises nothing and counts a hit.
func TestFalsePositiveSuppression(t *testing.T) {
	t.Parallel()
	f := newFixture(t, withSuppression(t))
	f.post(t, `{"kind":"medium","Computer":"lab1"}`+"\n")
	id := f.newestAlert(t)
	path := "/api/v1/alerts/" + itoa(id) + "/false-positive"
	f.send(t, "POST", path, map[string]any{"reason": ""}).
		want(t, "no reason", http.StatusUnprocessableEntity)
	f.send(t, "POST", path, map[string]any{"reason": "lab scanner",
		"suppress": map[string]any{"expires": time.Now().Add(time.Hour)}}).
		want(t, "false positive", http.StatusOK, "state", "false_positive")

	if _, res := f.post(t, `{"kind":"medium","Computer":"lab1"}`+"\n"); res.Alerts != 0 {
		t.Errorf("suppressed match raised %d alerts", res.Alerts)
	}
	if _, res := f.post(t, `{"kind":"medium","Computer":"web1"}`+"\n"); res.Alerts != 1 {
		t.Errorf("other host raised %d alerts, want 1", res.Alerts)
	}
	var list struct {
		Items []store.Suppression `json:"items"`
	}
	f.getJSON(t, "/api/v1/suppressions", &list)
	if len(list.Items) != 1 || list.Items[0].Hits != 1 || list.Items[0].AlertID != id ||
		list.Items[0].Fields["Computer"] != "lab1" {
		t.Fatalf("suppressions = %+v", list.Items)
	}
	f.send(t, "POST", "/api/v1/alerts/"+itoa(id)+"/reopen", map[string]string{"reason": "real"}).
		want(t, "reopen", http.StatusOK, "state", "new")
	del := "/api/v1/suppressions/" + itoa(list.Items[0].ID)
	if st, _, b := f.do(t, "DELETE", del, nil); st != http.StatusNoContent {
		t.Fatalf("delete suppression: %d %s", st, b)
	}
	if _, res := f.post(t, `{"kind":"medium","Computer":"lab1"}`+"\n"); res.Alerts != 0 {
		t.Errorf("after delete: %d alerts, want 0 (folded into the reopened alert)", res.Alerts)
	}
	f.send(t, "POST", "/api/v1/suppressions", map[string]any{"rule_id": "rule-medium"}).
		want(t, "suppression without reason", http.StatusUnprocessableEntity)
}

// withSuppression gives the fixture a pipeline whose matches go through
// the triage service's suppressions, as cmd/vigil wires it.
func withSuppression(t *testing.T) func(*api.Config) {
	return func(cfg *api.Config) {
		svc, err := triage.New(triage.Config{Store: cfg.Store, Audit: audit.New(cfg.Store, nil)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := detect.NewPipeline(detect.Config{Events: cfg.Store, Alerts: cfg.Store,
			Incidents: cfg.Store, Rules: kindRules{}, Suppressor: svc})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Pipeline, cfg.Triage = p, svc
	}
}

// addTenantAdmins stores tenant-admin tokens of tenants acme and globex.
func (f *fixture) addTenantAdmins(t *testing.T) {
	t.Helper()
	for name, secret := range map[string]string{"acme": acmeToken, "globex": globexToken} {
		err := f.st.CreateToken(context.Background(), store.Token{Name: name,
			Hash: auth.HashToken(secret), Role: auth.RoleTenantAdmin, Tenant: name})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestCases files cases as tenant admins, checks tenant isolation (404),
// and escalates cases into a vulnerability report and an incident.
func TestCases(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.addTenantAdmins(t)
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	filed := f.send(t, "POST", "/api/v1/cases", map[string]any{"tenant": "globex",
		"title": "Odd logins", "seen": "logins from abroad", "service": "mail",
		"level": "high", "seen_at": "2026-05-01T10:00:00Z"}, bearer(acmeToken)...)
	filed.want(t, "file as acme", http.StatusCreated, "tenant", "acme", "state", "open")
	caseID := filed.num("id")
	f.send(t, "POST", "/api/v1/cases", map[string]any{"title": "x", "seen": "y"},
		bearer(acmeToken)...).want(t, "no service", http.StatusUnprocessableEntity)

	casePath := "/api/v1/cases/" + itoa(caseID)
	f.send(t, "GET", casePath, nil, bearer(acmeToken)...).want(t, "own case", http.StatusOK)
	f.send(t, "GET", casePath, nil, bearer(globexToken)...).
		want(t, "other tenant's case", http.StatusNotFound)
	for tok, want := range map[string]float64{acmeToken: 1, globexToken: 0, goodToken: 1} {
		a := f.send(t, "GET", "/api/v1/cases", nil, bearer(tok)...)
		if a.status != http.StatusOK || a.body["total"] != want {
			t.Errorf("GET /api/v1/cases: %d %s, want total %v", a.status, a.raw, want)
		}
	}
	f.send(t, "GET", "/api/v1/queue", nil, bearer(acmeToken)...).
		want(t, "queue as tenant-admin", http.StatusForbidden)
	f.send(t, "POST", casePath+"/escalate", map[string]any{"as": "incident"},
		bearer(acmeToken)...).want(t, "escalate as tenant-admin", http.StatusForbidden)
	var queue struct {
		Items []store.QueueItem `json:"items"`
	}
	f.getJSON(t, "/api/v1/queue?kind=case", &queue)
	if len(queue.Items) != 1 || queue.Items[0].ID != caseID || queue.Items[0].Tenant != "acme" {
		t.Errorf("queue?kind=case = %+v", queue.Items)
	}

	// A vulnerability report with its deadline and lifecycle.
	esc := f.send(t, "POST", casePath+"/escalate", map[string]any{"as": "vulnerability",
		"kind": "new_vulnerability", "owner": "mail-team"})
	esc.want(t, "escalate as vulnerability", http.StatusOK, "state", "escalated")
	f.send(t, "POST", casePath+"/escalate", map[string]any{"as": "incident"}).
		want(t, "escalate twice", http.StatusUnprocessableEntity)
	var v store.Vulnerability
	f.getJSON(t, "/api/v1/vulnerabilities/"+itoa(esc.num("vulnerability_id")), &v)
	if v.Severity != "high" || !v.Deadline.Equal(v.Created.Add(30*24*time.Hour)) ||
		v.State != "open" || v.Tenant != "acme" {
		t.Errorf("vulnerability = %+v, want high, deadline created+30d, open", v)
	}
	vPath := "/api/v1/vulnerabilities/" + itoa(v.ID)
	f.send(t, "PATCH", vPath, map[string]any{"version": 1, "state": "fixing"}).
		want(t, "fixing", http.StatusOK, "state", "fixing")
	f.send(t, "PATCH", vPath, map[string]any{"version": 1, "state": "fixed"}).
		want(t, "stale version", http.StatusConflict)
	f.send(t, "PATCH", vPath, map[string]any{"version": 2, "state": "nonsense"}).
		want(t, "bad state", http.StatusUnprocessableEntity)
	f.send(t, "PATCH", vPath, map[string]any{"version": 2, "severity": "critical"}).
		want(t, "severity", http.StatusOK)
	f.getJSON(t, vPath, &v)
	if !v.Deadline.Equal(v.Created.Add(7 * 24 * time.Hour)) {
		t.Errorf("deadline after critical = %v, want created+7d", v.Deadline)
	}
	var vulns struct {
		Total int64 `json:"total"`
	}
	f.getJSON(t, "/api/v1/vulnerabilities?state=fixing", &vulns)
	if vulns.Total != 1 {
		t.Errorf("vulnerabilities?state=fixing total %d, want 1", vulns.Total)
	}

	// A security incident.
	second := f.send(t, "POST", "/api/v1/cases", map[string]any{"tenant": "globex",
		"title": "Data leak", "seen": "files on a paste site", "service": "storage",
		"level": "critical"})
	second.want(t, "file as staff", http.StatusCreated, "tenant", "globex")
	inc := f.send(t, "POST", "/api/v1/cases/"+itoa(second.num("id"))+"/escalate",
		map[string]any{"as": "incident"})
	inc.want(t, "escalate as incident", http.StatusOK)
	var rec struct {
		Title    string `json:"title"`
		Severity string `json:"severity"`
	}
	f.getJSON(t, "/api/v1/incidents/"+itoa(inc.num("incident_id")), &rec)
	if rec.Title != "Data leak" || rec.Severity != "critical" {
		t.Errorf("incident from case = %+v", rec)
	}
}
