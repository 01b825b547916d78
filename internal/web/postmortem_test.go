package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// seedPostMortem puts the seeded incident in post-incident, engages
// u-responder as its commander and stores its post-mortem.
func (e *env) seedPostMortem(t *testing.T) int64 {
	t.Helper()
	ctx := t.Context()
	_, id := e.seed(t)
	rec, err := e.st.GetIncidentRecord(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-2 * time.Hour).UTC()
	r := &rec.Record
	for i, to := range incident.Phases()[1:6] {
		r.PhaseChanges = append(r.PhaseChanges, incident.PhaseChange{
			From: incident.Phases()[i], To: to, At: at.Add(time.Duration(i) * 10 * time.Minute),
			Location: "Europe/Paris", By: "user:u-responder"})
	}
	r.Phase = incident.PhasePostIncident
	if err := e.st.UpdateIncidentRecord(ctx, rec); err != nil {
		t.Fatal(err)
	}
	err = e.st.AddEngagements(ctx, []team.Engagement{{IncidentID: id, User: "u-responder",
		Role: team.RoleCommander, Reason: "escalated", EngagedAt: at, EngagedBy: "u-responder"}})
	if err != nil {
		t.Fatal(err)
	}
	pm := postmortem.New(postmortem.Sources{IncidentID: id, Record: rec.Record}, "user:u-responder",
		time.Now())
	if err := e.st.Atomically(ctx, func(tx store.Tx) error {
		return tx.CreatePostMortem(ctx, pm)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestPostMortemPage reads the post-mortem page as a responder, uses its
// forms (and their refusals), signs off as commander and executive, and
// reads the dashboard.
func TestPostMortemPage(t *testing.T) {
	e := newEnv(t, nil)
	id := e.seedPostMortem(t)
	page := fmt.Sprintf("/incidents/%d/postmortem", id)
	r := e.signIn(t, auth.RoleResponder)
	res, body := r.get(page)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `class="timeline-chart"`) ||
		!strings.Contains(body, "Phase recovery → post-incident") ||
		!strings.Contains(body, "waiting for commander and executive") ||
		!strings.Contains(body, `id="signoff-commander"`) ||
		strings.Contains(body, `id="signoff-executive"`) ||
		!strings.Contains(body, fmt.Sprintf(`<a href="/incidents/%d#timeline"><code>incident/%d`+
			`#phase_changes[0]</code></a>`, id, id)) {
		t.Fatalf("post-mortem page: status %d\n%.3000s", res.StatusCode, body)
	}
	tok := r.csrf(page)
	post := func(b *browser, path string, f url.Values) (*http.Response, string) {
		f.Set("csrf_token", tok)
		return b.post(path, f)
	}
	for _, tt := range []struct {
		path string
		form url.Values
		want int
		msg  string
	}{
		{page + "/entries", url.Values{"at": {"2026-03-29T00:43"}, "time_zone": {"Europe/Berlin"},
			"text": {"SOC phoned the on-call"}}, http.StatusSeeOther, ""},
		{page + "/entries", url.Values{"at": {"yesterday"}, "text": {"x"}}, 422, "when (UTC)"},
		{page + "/findings", url.Values{"category": {"process-flaw"}, "title": {"Slow paging"},
			"evidence": {"timeline#1"}}, http.StatusSeeOther, ""},
		{page + "/findings", url.Values{"category": {"process-flaw"}, "title": {"x"},
			"evidence": {"the logs"}}, 422, "is not like timeline#3"},
		{page + "/entries/1/visibility", url.Values{"hidden": {"true"}, "reason": {"noise"}},
			http.StatusSeeOther, ""},
		{fmt.Sprintf("/incidents/%d/follow-ups", id), url.Values{"kind": {"sop-change"},
			"title": {"Page the on-call by phone"}, "owner": {"u-responder"},
			"due": {"2099-01-01"}, "finding": {"1"}}, http.StatusSeeOther, ""},
		{page + "/signoffs", url.Values{"role": {"commander"}}, http.StatusSeeOther, ""},
	} {
		res, body := post(r, tt.path, tt.form)
		if res.StatusCode != tt.want || tt.msg != "" && !strings.Contains(body, tt.msg) {
			t.Errorf("POST %s: status %d, want %d with %q\n%.1500s", tt.path, res.StatusCode,
				tt.want, tt.msg, body)
		}
	}
	x := e.signIn(t, auth.RoleExecutive)
	xtok := x.csrf(page)
	if res, _ := x.post(page+"/signoffs", url.Values{"csrf_token": {xtok},
		"role": {"executive"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("executive sign-off: status %d", res.StatusCode)
	}
	pm, err := e.st.GetPostMortem(t.Context(), id)
	if err != nil || !pm.SignedOff() || len(pm.Findings) != 1 || !pm.Timeline[0].Hidden {
		t.Errorf("stored post-mortem: %v, signed %v, %d findings", err, pm.SignedOff(),
			len(pm.Findings))
	}
	_, body = r.get(page)
	if !strings.Contains(body, `id="signed-off">signed off`) ||
		!strings.Contains(body, "Page the on-call by phone") {
		t.Errorf("page after sign-off:\n%.2000s", body)
	}

	res, body = r.get("/dashboard?group=severity")
	if res.StatusCode != http.StatusOK || strings.Count(body, "<svg") < 4 ||
		!strings.Contains(body, "Times of the response, all incidents") {
		t.Errorf("dashboard: status %d\n%.2000s", res.StatusCode, body)
	}
	res, body = r.get("/dashboard?from=yesterday")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="error"`) {
		t.Errorf("dashboard with a bad from: status %d", res.StatusCode)
	}
	ta := e.signIn(t, auth.RoleTenantAdmin)
	if res, _ := ta.get("/dashboard"); res.StatusCode != http.StatusForbidden {
		t.Errorf("tenant admin on the dashboard: %d, want 403", res.StatusCode)
	}
}

// TestSourceHref checks where each kind of timeline source links to.
func TestSourceHref(t *testing.T) {
	for _, tt := range []struct {
		src  postmortem.Source
		want string
	}{
		{postmortem.Source{Type: "alert", ID: "7", Part: "event_time"}, "/api/v1/alerts/7"},
		{postmortem.Source{Type: "alert", ID: "7/../x"}, ""},
		{postmortem.Source{Type: "incident", ID: "3", Part: "actions[2]"}, "/incidents/3#actions"},
		{postmortem.Source{Type: "incident", ID: "3", Part: "phase_changes[0]"},
			"/incidents/3#timeline"},
		{postmortem.Source{Type: "incident", ID: "3", Part: "other[0]"}, "/incidents/3"},
		{postmortem.Source{Type: "evidence", ID: "2"}, "/incidents/3#evidence"},
		{postmortem.Source{Type: "notification", ID: "12"}, "/notifications"},
		{postmortem.Source{Type: "audit", AuditSeq: 42}, ""},
		{postmortem.Source{Type: "manual"}, ""},
	} {
		if got := sourceHref("3", tt.src); got != tt.want {
			t.Errorf("sourceHref(%v) = %q, want %q", tt.src, got, tt.want)
		}
	}
}
