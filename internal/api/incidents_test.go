package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

const executiveToken = "vgl_test-executive-token-0123456789ab"

// recordView is the part of GET /api/v1/incidents/{id} the tests read.
type recordView struct {
	ID      int64           `json:"id"`
	Number  string          `json:"number"`
	Status  string          `json:"status"`
	Phase   string          `json:"phase"`
	Version int64           `json:"version"`
	Record  incident.Record `json:"record"`
	Gates   incident.Gates  `json:"gates"`
}

// answer is a response: status, ETag and the JSON body.
type answer struct {
	status int
	etag   string
	body   map[string]any
	raw    []byte
}

// send sends v as JSON with the good token and the given headers.
func (f *fixture) send(t *testing.T, method, path string, v any, headers ...string) answer {
	t.Helper()
	var body bytes.Buffer
	if v != nil {
		if err := json.NewEncoder(&body).Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	status, h, raw := f.do(t, method, path, &body,
		append([]string{"Content-Type", "application/json"}, headers...)...)
	a := answer{status: status, etag: h.Get("ETag"), raw: raw}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
	}
	return a
}

// want fails the test unless the answer has status (and, for errors, the
// given field or gate in the body).
func (a answer) want(t *testing.T, what string, status int, keyValue ...string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, a.status, status, a.raw)
	}
	for i := 0; i+1 < len(keyValue); i += 2 {
		if got, _ := a.body[keyValue[i]].(string); got != keyValue[i+1] {
			t.Fatalf("%s: %s %q, want %q; body %s", what, keyValue[i], got, keyValue[i+1],
				a.raw)
		}
	}
}

// record reads an incident's record.
func (f *fixture) record(t *testing.T, id int64) (recordView, string) {
	t.Helper()
	status, h, raw := f.do(t, "GET", "/api/v1/incidents/"+itoa(id), nil)
	if status != http.StatusOK {
		t.Fatalf("GET incident %d: %d %s", id, status, raw)
	}
	var v recordView
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v, h.Get("ETag")
}

// openIncident posts a high event and returns the ID of the incident that
// detection opened.
func (f *fixture) openIncident(t *testing.T) int64 {
	t.Helper()
	_, res := f.post(t, "{\"kind\":\"high\"}\n")
	if len(res.Incidents) != 1 {
		t.Fatalf("incidents %v, want one", res.Incidents)
	}
	var list incidentPage
	f.getJSON(t, "/api/v1/incidents?limit=1", &list)
	return list.Items[0].ID
}

// addExecutive stores a token with the executive role.
func (f *fixture) addExecutive(t *testing.T) {
	t.Helper()
	err := f.st.CreateToken(context.Background(), store.Token{Name: "exec",
		Hash: auth.HashToken(executiveToken), Role: auth.RoleExecutive})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIncidentLifecycle drives an incident that detection opened through
// every phase to closed, gate by gate.
func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.addExecutive(t)
	id := f.openIncident(t)
	base := "/api/v1/incidents/" + itoa(id)
	move := func(to string, extra ...string) answer {
		t.Helper()
		body := map[string]string{"to": to}
		for i := 0; i+1 < len(extra); i += 2 {
			body[extra[i]] = extra[i+1]
		}
		return f.send(t, "POST", base+"/transitions", body)
	}
	patch := func(v any) {
		t.Helper()
		_, tag := f.record(t, id)
		f.send(t, "PATCH", base, v, "If-Match", tag).want(t, "PATCH", http.StatusOK)
	}

	v, tag := f.record(t, id)
	if tag != `"v1"` || v.Phase != "detected" || v.Record.Detected.IsZero() {
		t.Fatalf("new incident: ETag %s, phase %s, detected %v", tag, v.Phase, v.Record.Detected)
	}
	move("analysis").want(t, "to analysis", http.StatusOK)
	move("containment").want(t, "unconfirmed containment", http.StatusConflict,
		"gate", incident.GateConfirmation)
	f.send(t, "POST", base+"/classification", map[string]string{
		"classification": "confirmed", "reason": "LSASS read by procdump"}).
		want(t, "classify", http.StatusOK)
	move("containment").want(t, "to containment", http.StatusOK)

	patch(map[string]any{"eradication_steps": []map[string]any{
		{"id": "reimage-dc01", "description": "reimage dc01", "high_impact": true}}})
	move("eradication").want(t, "unapproved eradication", http.StatusConflict,
		"gate", incident.GateApproval)
	f.send(t, "POST", base+"/approvals", map[string]string{"step": "reimage-dc01"},
		"Authorization", "Bearer "+executiveToken).want(t, "approve", http.StatusOK)
	move("eradication").want(t, "to eradication", http.StatusOK)
	move("recovery").want(t, "to recovery", http.StatusOK)

	move("post-incident").want(t, "empty checklist", http.StatusConflict,
		"gate", incident.GateRecoveryChecks)
	patch(map[string]any{"recovery_checks": []map[string]any{
		{"name": "logons back to baseline", "done": true}}})
	move("post-incident", "time_zone", "Europe/Paris").want(t, "to post-incident",
		http.StatusOK)
	move("closed").want(t, "close unsigned", http.StatusConflict,
		"gate", incident.GatePostIncident)
	// The gate opens only when the commander and an executive signed the
	// post-mortem off; the record's flag cannot be set by hand.
	_, tag = f.record(t, id)
	f.send(t, "PATCH", base, map[string]any{"post_mortem_signed_off": true}, "If-Match", tag).
		want(t, "gate by hand", http.StatusUnprocessableEntity)
	ana := f.signIn(t, "ana", auth.RoleResponder)
	f.send(t, "POST", base+"/escalate", map[string]string{"commander": "ana"}).
		want(t, "escalate", http.StatusOK)
	ana.send(t, "POST", base+"/postmortem/signoffs", map[string]string{"role": "commander"}).
		want(t, "commander signs", http.StatusOK)
	move("closed").want(t, "close half signed", http.StatusConflict,
		"gate", incident.GatePostIncident)
	f.send(t, "POST", base+"/postmortem/signoffs", map[string]string{"role": "executive"},
		"Authorization", "Bearer "+executiveToken).want(t, "executive signs", http.StatusOK)
	move("closed").want(t, "close", http.StatusOK)

	v, _ = f.record(t, id)
	if v.Status != "closed" || v.Phase != "closed" || len(v.Record.PhaseChanges) != 6 {
		t.Fatalf("closed incident: status %s phase %s, %d phase changes", v.Status, v.Phase,
			len(v.Record.PhaseChanges))
	}
	if pc := v.Record.PhaseChanges[4]; pc.To != incident.PhasePostIncident ||
		pc.Location != "Europe/Paris" || pc.By != "token:good" {
		t.Errorf("phase change to post-incident %+v, want Europe/Paris by token:good", pc)
	}
	if a := v.Gates.Approvals; len(a) != 1 || a[0].By != "token:exec" {
		t.Errorf("approvals %+v, want one by token:exec", a)
	}
	f.wantAudit(t, id, map[string]int{"incident.phase_changed": 6, "incident.updated": 3,
		"approval.granted": 1, "incident.classified": 1, "incident.closed": 1})
}

// wantAudit checks how many entries of each action the incident has.
func (f *fixture) wantAudit(t *testing.T, id int64, want map[string]int) {
	t.Helper()
	var page struct {
		Items []struct {
			Action string `json:"action"`
			Actor  string `json:"actor"`
		} `json:"items"`
	}
	f.getJSON(t, "/api/v1/audit?object_type=incident&object_id="+itoa(id)+"&limit=100", &page)
	got := map[string]int{}
	for _, e := range page.Items {
		got[e.Action]++
	}
	for action, n := range want {
		if got[action] != n {
			t.Errorf("audit: %d %s entries, want %d (all: %v)", got[action], action, n, got)
		}
	}
}

// TestIncidentIfMatch shows two responders editing the same version: the
// second gets 412 with the current version; without If-Match, 428.
func TestIncidentIfMatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.openIncident(t)
	path := "/api/v1/incidents/" + itoa(id)
	_, tag := f.record(t, id)

	f.send(t, "PATCH", path, map[string]string{"summary": "a"}).
		want(t, "no If-Match", http.StatusPreconditionRequired)
	first := f.send(t, "PATCH", path, map[string]string{"summary": "first"}, "If-Match", tag)
	first.want(t, "first client", http.StatusOK)
	if first.etag != `"v2"` {
		t.Errorf("ETag after update %s, want \"v2\"", first.etag)
	}
	second := f.send(t, "PATCH", path, map[string]string{"summary": "second"}, "If-Match", tag)
	second.want(t, "second client", http.StatusPreconditionFailed)
	if second.body["current_version"] != float64(2) || second.etag != `"v2"` {
		t.Errorf("412 body %s, ETag %s; want current_version 2", second.raw, second.etag)
	}
	if v, _ := f.record(t, id); v.Record.Summary != "first" {
		t.Errorf("summary %q, want first", v.Record.Summary)
	}
}

// TestIncidentValidation checks the 422 answers and the field they name.
func TestIncidentValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.addExecutive(t)
	id := f.openIncident(t)
	path := "/api/v1/incidents/" + itoa(id)
	tests := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"bad ip", "POST", "/indicators", map[string]string{"kind": "ip", "value": "999.1.1.1"},
			"value"},
		{"bad hash", "POST", "/indicators", map[string]string{"kind": "hash", "value": "xyz"},
			"value"},
		{"bad kind", "POST", "/indicators", map[string]string{"kind": "planet", "value": "x"},
			"kind"},
		{"unknown field", "PATCH", "", map[string]string{"colour": "red"}, "colour"},
		{"empty title", "PATCH", "", map[string]string{"title": " "}, "title"},
		{"bad category", "PATCH", "", map[string]string{"category": "aliens"}, "category"},
		{"bad factor", "PATCH", "", map[string]any{"factors": map[string]string{
			"functional_impact": "huge"}}, "factors"},
		{"severity without reason", "PATCH", "", map[string]any{"severity": map[string]any{
			"criteria": map[string]any{"privacy": "yes", "scope": "global", "tenants": 500},
			"decided":  4}}, "severity.reason"},
		{"empty action", "POST", "/actions", map[string]string{"what": ""}, "what"},
		{"unknown link", "POST", "/links", map[string]string{"number": "INC-1999-0001"},
			"number"},
		{"bad phase", "POST", "/transitions", map[string]string{"to": "done"}, "to"},
		{"bad zone", "POST", "/transitions", map[string]string{"to": "analysis",
			"time_zone": "Mars/Olympus"}, "time_zone"},
		{"unplanned step", "POST", "/approvals", map[string]string{"step": "nope"}, "step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := goodToken
			if tt.path == "/approvals" {
				token = executiveToken
			}
			_, tag := f.record(t, id)
			f.send(t, tt.method, path+tt.path, tt.body, "If-Match", tag,
				"Authorization", "Bearer "+token).
				want(t, tt.name, http.StatusUnprocessableEntity, "field", tt.field)
		})
	}
	f.send(t, "PATCH", "/api/v1/incidents/9999", map[string]string{"summary": "x"},
		"If-Match", `"v1"`).want(t, "unknown incident", http.StatusNotFound)
	if v, _ := f.record(t, id); v.Version != 1 {
		t.Errorf("version %d after refused changes, want 1", v.Version)
	}
}

// TestIncidentRecordEdits sets priority factors, a severity decision, an
// action, a comment and indicators, and reads them back.
func TestIncidentRecordEdits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.openIncident(t)
	path := "/api/v1/incidents/" + itoa(id)
	_, tag := f.record(t, id)
	f.send(t, "PATCH", path, map[string]any{
		"factors": map[string]string{"functional_impact": "high",
			"information_impact": "privacy", "recoverability": "supplemented"},
		"severity": map[string]any{"criteria": map[string]any{"privacy": "yes",
			"scope": "service", "tenants": 3}, "decided": 0, "reason": "regulated tenants"},
		"category": "unauthorized-access", "next_steps": []string{"rotate keys"},
	}, "If-Match", tag).want(t, "patch", http.StatusOK)
	f.send(t, "POST", path+"/actions", map[string]string{"what": "isolated dc01",
		"result": "done"}).want(t, "action", http.StatusOK)
	f.send(t, "POST", path+"/comments", map[string]string{"text": "seen before"}).
		want(t, "comment", http.StatusOK)
	f.send(t, "POST", path+"/indicators", map[string]string{"kind": "domain",
		"value": "EVIL.Example.COM.", "source": "proxy"}).want(t, "indicator", http.StatusOK)

	v, _ := f.record(t, id)
	r := v.Record
	if r.Priority == 0 || r.PriorityExplanation.Text == "" {
		t.Errorf("priority %v (%q), want one derived", r.Priority, r.PriorityExplanation.Text)
	}
	if len(r.Severity) != 1 || r.Severity[0].Decided != 0 || r.Severity[0].By != "token:good" {
		t.Errorf("severity %+v, want one decision 0 by token:good", r.Severity)
	}
	if len(r.Actions) != 1 || r.Actions[0].By != "token:good" || len(r.Comments) != 1 {
		t.Errorf("actions %+v comments %+v, want one each", r.Actions, r.Comments)
	}
	if len(r.Indicators) != 1 || r.Indicators[0].Value != "evil.example.com" {
		t.Errorf("indicators %+v, want evil.example.com", r.Indicators)
	}
	f.wantAudit(t, id, map[string]int{"incident.updated": 1, "action.appended": 1,
		"comment.added": 1, "indicator.added": 1})
}

// TestIncidentRelated suggests a second incident through a shared
// indicator, then links it by hand.
func TestIncidentRelated(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a := f.openIncident(t)
	other := &incident.Incident{Title: "Beaconing from web02", Severity: "high",
		Status: "open", Phase: "detected"}
	if err := f.st.CreateIncident(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{a, other.ID} {
		f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/indicators",
			map[string]string{"kind": "ip", "value": "203.0.113.9"}).
			want(t, "indicator", http.StatusOK)
	}
	var rel struct {
		Linked    []string `json:"linked"`
		Suggested []struct {
			ID     int64                `json:"id"`
			Number string               `json:"number"`
			Shared []incident.Indicator `json:"shared"`
		} `json:"suggested"`
	}
	f.getJSON(t, "/api/v1/incidents/"+itoa(a)+"/related", &rel)
	if len(rel.Suggested) != 1 || rel.Suggested[0].Number != other.Number ||
		len(rel.Suggested[0].Shared) != 1 || len(rel.Linked) != 0 {
		t.Fatalf("related %+v, want %s suggested through 203.0.113.9", rel, other.Number)
	}
	f.send(t, "POST", "/api/v1/incidents/"+itoa(a)+"/links",
		map[string]string{"number": other.Number}).want(t, "link", http.StatusOK)
	f.getJSON(t, "/api/v1/incidents/"+itoa(a)+"/related", &rel)
	if len(rel.Linked) != 1 || rel.Linked[0] != other.Number || len(rel.Suggested) != 0 {
		t.Errorf("after linking: %+v, want %s linked, nothing suggested", rel, other.Number)
	}
	f.wantAudit(t, a, map[string]int{"incident.linked": 1})
}
