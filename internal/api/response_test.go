package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// recordingNotifier remembers who was told of an engagement.
type recordingNotifier struct{ users chan string }

func (n recordingNotifier) Engaged(_ context.Context, _ int64, m team.Engagement,
	_ string) error {
	n.users <- string(m.Role) + "/" + m.User
	return nil
}

// engagementView is the part of an engagement the tests read.
type engagementView struct {
	ID     int64  `json:"id"`
	User   string `json:"user"`
	Team   string `json:"team"`
	Role   string `json:"role"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

func (f *fixture) teamOf(t *testing.T, id int64) []engagementView {
	t.Helper()
	var list struct {
		Items []engagementView `json:"items"`
	}
	f.getJSON(t, "/api/v1/incidents/"+itoa(id)+"/team", &list)
	return list.Items
}

// createTeams stores a small directory through the API.
func (f *fixture) createTeams(t *testing.T, now time.Time) {
	t.Helper()
	for _, tm := range []map[string]any{
		{"id": "security-response", "name": "SIRT", "kind": "security-response",
			"members": []string{"sam"}, "escalation_contact": "sam"},
		{"id": "communications", "name": "Comms", "kind": "communications",
			"members": []string{"cora"}, "escalation_contact": "cora"},
		{"id": "payments", "name": "Payments", "kind": "service", "members": []string{"pia"},
			"escalation_contact": "pat", "services": []string{"payments"}},
		{"id": "legal", "name": "Legal", "kind": "legal", "members": []string{"lena", "luis"},
			"escalation_contact": "lena"},
	} {
		f.send(t, "POST", "/api/v1/teams", tm).want(t, "create team", http.StatusCreated)
	}
	// luis is on call for legal now; PUT needs If-Match.
	roster := map[string]any{"shifts": []map[string]any{{"user": "luis",
		"start": now.Add(-time.Hour).Format(time.RFC3339),
		"end":   now.Add(time.Hour).Format(time.RFC3339), "time_zone": "UTC"}}}
	f.send(t, "PUT", "/api/v1/teams/legal/roster", roster).want(t, "roster without If-Match",
		http.StatusPreconditionRequired)
	a := f.send(t, "PUT", "/api/v1/teams/legal/roster", roster, "If-Match", `"v1"`)
	a.want(t, "put roster", http.StatusOK)
	var oc struct {
		Users    []string `json:"users"`
		Fallback bool     `json:"fallback"`
	}
	f.getJSON(t, "/api/v1/teams/legal/oncall?at="+now.Format(time.RFC3339), &oc)
	if !slices.Equal(oc.Users, []string{"luis"}) || oc.Fallback {
		t.Fatalf("legal on call %+v, want luis", oc)
	}
}

// TestEscalation escalates an incident, then changes its category and
// sees legal engaged by the re-evaluation, with the rule that fired.
func TestEscalation(t *testing.T) {
	t.Parallel()
	notified := recordingNotifier{users: make(chan string, 100)}
	f := newFixture(t, func(c *api.Config) { c.Response.Notifier = notified })
	f.createTeams(t, time.Now())
	id := f.openIncident(t)
	_, tag := f.record(t, id)
	f.send(t, "PATCH", "/api/v1/incidents/"+itoa(id), map[string]any{
		"category": "malware", "resources": map[string]any{"services": []string{"payments"}}},
		"If-Match", tag).want(t, "patch", http.StatusOK)
	if got := f.teamOf(t, id); len(got) != 0 {
		t.Fatalf("team before escalation: %+v, want none", got)
	}

	a := f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/escalate",
		map[string]any{"reason": "lateral movement", "scribe": "sam"})
	a.want(t, "escalate", http.StatusOK)
	want := []string{"commander/good", "scribe/sam", "communications/cora", "service/pat"}
	if got := roles(f.teamOf(t, id)); !slices.Equal(got, want) {
		t.Fatalf("virtual team %v, want %v", got, want)
	}

	_, tag = f.record(t, id)
	f.send(t, "PATCH", "/api/v1/incidents/"+itoa(id), map[string]any{
		"category": "data-exfiltration"}, "If-Match", tag).want(t, "patch", http.StatusOK)
	got := f.teamOf(t, id)
	want = append(want, "expert/luis")
	if !slices.Equal(roles(got), want) {
		t.Fatalf("after the category change %v, want %v", roles(got), want)
	}
	legal := got[len(got)-1]
	if legal.Rule != "privacy-legal" || !strings.Contains(legal.Reason, "data-exfiltration") {
		t.Errorf("legal engaged for %q (%s), want rule privacy-legal", legal.Rule, legal.Reason)
	}

	// Disengaging needs a reason and happens once; nobody else moves.
	path := "/api/v1/incidents/" + itoa(id) + "/team/" + itoa(legal.ID) + "/disengage"
	f.send(t, "POST", path, map[string]any{}).want(t, "no reason",
		http.StatusUnprocessableEntity, "field", "reason")
	f.send(t, "POST", path, map[string]any{"reason": "no personal data"}).want(t,
		"disengage", http.StatusOK)
	f.send(t, "POST", path, map[string]any{"reason": "again"}).want(t, "twice",
		http.StatusConflict)
	_, tag = f.record(t, id)
	f.send(t, "PATCH", "/api/v1/incidents/"+itoa(id), map[string]any{"summary": "still"},
		"If-Match", tag).want(t, "patch", http.StatusOK)
	if n := len(f.teamOf(t, id)); n != len(want) {
		t.Errorf("%d engagements after another change, want %d", n, len(want))
	}

	close(notified.users)
	var told []string
	for u := range notified.users {
		told = append(told, u)
	}
	if !slices.Equal(told, want) {
		t.Errorf("notified %v, want %v", told, want)
	}
	f.wantAudit(t, id, map[string]int{"incident.escalated": 1, "member.engaged": 5,
		"member.disengaged": 1})
}

func roles(es []engagementView) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Role+"/"+e.User)
	}
	return out
}

// TestTasksApprovalGate plans a high-impact eradication task: it cannot
// start before an executive approves its step through the incident
// approvals, and it holds the eradication phase gate.
func TestTasksApprovalGate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.addExecutive(t)
	id := f.openIncident(t)
	base := "/api/v1/incidents/" + itoa(id) + "/tasks"
	a := f.send(t, "POST", base, map[string]any{"phase": "eradication", "title": "Reimage hosts",
		"owner": "ana", "high_impact": true, "due": "2026-05-04T18:00:00Z"})
	a.want(t, "create task", http.StatusCreated)
	taskID := int64(a.body["id"].(float64))
	rec, _ := f.record(t, id)
	if len(rec.Gates.EradicationSteps) != 1 || rec.Gates.EradicationSteps[0].ID !=
		"task-"+itoa(taskID) {
		t.Fatalf("eradication steps %+v, want the task's", rec.Gates.EradicationSteps)
	}

	taskPath := base + "/" + itoa(taskID)
	start := map[string]any{"status": "in_progress"}
	f.send(t, "PATCH", taskPath, start).want(t, "no If-Match", http.StatusPreconditionRequired)
	f.send(t, "PATCH", taskPath, start, "If-Match", `"v1"`).want(t, "start unapproved",
		http.StatusConflict, "gate", "approval")
	f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/approvals",
		map[string]any{"step": "task-" + itoa(taskID)}, "Authorization",
		"Bearer "+executiveToken).want(t, "approve", http.StatusOK)
	a = f.send(t, "PATCH", taskPath, start, "If-Match", `"v1"`)
	a.want(t, "start approved", http.StatusOK)
	if a.etag != `"v2"` {
		t.Errorf("ETag %s, want \"v2\"", a.etag)
	}
	f.send(t, "PATCH", taskPath, map[string]any{"result": "x"}, "If-Match", `"v1"`).want(t,
		"stale", http.StatusPreconditionFailed)
	f.send(t, "PATCH", taskPath, map[string]any{"status": "done", "result": "4 hosts"},
		"If-Match", `"v2"`).want(t, "done", http.StatusOK)

	// A validation task is an item of recovery's checklist, done with it.
	a = f.send(t, "POST", base, map[string]any{"phase": "recovery", "kind": "validation",
		"title": "logins normal"})
	a.want(t, "validation task", http.StatusCreated)
	v := itoa(int64(a.body["id"].(float64)))
	f.send(t, "PATCH", base+"/"+v, map[string]any{"status": "done"}, "If-Match", `"v1"`).want(t,
		"validate", http.StatusOK)
	rec, _ = f.record(t, id)
	if len(rec.Gates.RecoveryChecks) != 1 || !rec.Gates.RecoveryChecks[0].Done {
		t.Errorf("recovery checks %+v, want one done", rec.Gates.RecoveryChecks)
	}
	var list struct {
		Items []struct {
			Status string `json:"status"`
		} `json:"items"`
	}
	f.getJSON(t, base, &list)
	if len(list.Items) != 2 || list.Items[0].Status != "done" {
		t.Errorf("tasks %+v", list.Items)
	}
	f.wantAudit(t, id, map[string]int{"task.created": 2, "task.updated": 3,
		"approval.requested": 1, "approval.granted": 1})
}

// TestWatchRule attaches a watch rule: a posted event raises an alert
// linked to the incident, until the rule expires (injected clock).
func TestWatchRule(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	watch := detect.NewExtraRules(clock)
	f := newFixture(t, func(c *api.Config) {
		p, err := detect.NewPipeline(detect.Config{Events: c.Store, Alerts: c.Store,
			Incidents: c.Store, Rules: kindRules{}, Extra: watch, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		c.Pipeline, c.Response.Watch, c.Response.Now = p, watch, clock
	})
	id := f.openIncident(t)
	base := "/api/v1/incidents/" + itoa(id) + "/watch-rules"
	expires := clock().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	f.send(t, "POST", base, map[string]any{"yaml": "title: broken\n", "expires": expires}).want(
		t, "bad rule", http.StatusUnprocessableEntity, "field", "yaml")
	rule := "title: Beacon\nid: 3c0ffee0-0000-4000-8000-000000000001\nlogsource:\n" +
		"  product: watchtest\ndetection:\n  sel:\n    dst: 203.0.113.9\n  condition: sel\n" +
		"level: medium\n"
	a := f.send(t, "POST", base, map[string]any{"yaml": rule, "expires": expires})
	a.want(t, "add watch rule", http.StatusCreated)

	event := `{"dst":"203.0.113.9","logsource":{"product":"watchtest"}}` + "\n"
	_, res := f.post(t, event)
	if res.Alerts != 1 {
		t.Fatalf("%d alerts, want one from the watch rule", res.Alerts)
	}
	page, err := f.st.ListAlerts(t.Context(), store.AlertFilter{IncidentID: id})
	if err != nil {
		t.Fatal(err)
	}
	found := slices.ContainsFunc(page.Items, func(a detect.Alert) bool {
		return a.RuleTitle == "Beacon" && slices.Contains(a.Tags, detect.IncidentTag(id))
	})
	if !found {
		t.Errorf("no alert of the watch rule linked to incident %d: %+v", id, page.Items)
	}

	now.Add(int64(2 * time.Hour))
	if _, res := f.post(t, event); res.Alerts != 0 {
		t.Errorf("%d alerts after expiry, want none", res.Alerts)
	}
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	f.getJSON(t, base, &list)
	if len(list.Items) != 1 {
		t.Fatalf("watch rules %+v, want the one", list.Items)
	}
	f.send(t, "DELETE", base+"/"+itoa(list.Items[0].ID)+"?reason=done", nil).want(t, "remove",
		http.StatusOK)
	f.wantAudit(t, id, map[string]int{"watch_rule.added": 1, "watch_rule.removed": 1})
}

// TestTeamsAuthz shows that only admins manage teams.
func TestTeamsAuthz(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.addExecutive(t)
	f.send(t, "POST", "/api/v1/teams", map[string]any{"id": "x", "name": "X", "kind": "legal",
		"escalation_contact": "a"}, "Authorization", "Bearer "+executiveToken).want(t,
		"executive creates a team", http.StatusForbidden)
	f.send(t, "POST", "/api/v1/teams", map[string]any{"id": "Bad Id", "name": "X",
		"kind": "legal", "escalation_contact": "a"}).want(t, "bad id",
		http.StatusUnprocessableEntity)
}
