package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/api"
)

// TestNamedEngagement engages people by name: a known person in a free
// role, never twice, never a second commander; the new engagement is in
// the team, notified and audited (three by the escalation, two by name).
func TestNamedEngagement(t *testing.T) {
	t.Parallel()
	notified := recordingNotifier{users: make(chan string, 100)}
	f := newFixture(t, func(c *api.Config) { c.Response.Notifier = notified })
	f.createTeams(t, time.Now())
	id := f.openIncident(t)
	path := "/api/v1/incidents/" + itoa(id) + "/team"
	f.send(t, "POST", "/api/v1/incidents/"+itoa(id)+"/escalate", map[string]any{
		"reason": "phishing", "commander": "sam", "scribe": "cora"}).want(t, "escalate", http.StatusOK)

	refusals := []struct {
		what   string
		body   map[string]any
		status int
		field  string
	}{
		{"unknown person", map[string]any{"user": "mallory", "role": "expert",
			"reason": "x"}, http.StatusUnprocessableEntity, "user"},
		{"no reason", map[string]any{"user": "lena", "role": "expert"},
			http.StatusUnprocessableEntity, "reason"},
		{"bad role", map[string]any{"user": "lena", "role": "boss", "reason": "x"},
			http.StatusUnprocessableEntity, "role"},
		{"second commander", map[string]any{"user": "lena", "role": "commander",
			"reason": "x"}, http.StatusConflict, ""},
		{"twice", map[string]any{"user": "cora", "role": "scribe", "reason": "x"},
			http.StatusConflict, ""},
	}
	for _, r := range refusals {
		a := f.send(t, "POST", path, r.body)
		if r.field != "" {
			a.want(t, r.what, r.status, "field", r.field)
		} else {
			a.want(t, r.what, r.status)
		}
	}
	f.send(t, "POST", "/api/v1/incidents/999999/team", map[string]any{"user": "lena",
		"role": "expert", "reason": "x"}).want(t, "unknown incident", http.StatusNotFound)

	a := f.send(t, "POST", path, map[string]any{"user": "lena", "role": "expert",
		"reason": "contract questions"})
	a.want(t, "engage lena", http.StatusCreated, "user", "lena", "role", "expert",
		"engaged_by", "good", "reason", "contract questions")
	got := roles(f.teamOf(t, id))
	if !slices.Contains(got, "expert/lena") {
		t.Errorf("virtual team %v lacks expert/lena", got)
	}

	// After the commander is disengaged, another may be named.
	var cmd int64
	for _, e := range f.teamOf(t, id) {
		if e.Role == "commander" {
			cmd = e.ID
		}
	}
	f.send(t, "POST", path+"/"+itoa(cmd)+"/disengage", map[string]any{"reason": "shift over"}).
		want(t, "disengage commander", http.StatusOK)
	f.send(t, "POST", path, map[string]any{"user": "luis", "role": "commander",
		"reason": "takes over"}).want(t, "new commander", http.StatusCreated)

	close(notified.users)
	var told []string
	for u := range notified.users {
		told = append(told, u)
	}
	for _, want := range []string{"expert/lena", "commander/luis"} {
		if !slices.Contains(told, want) {
			t.Errorf("notified %v, want %s among them", told, want)
		}
	}
	f.wantAudit(t, id, map[string]int{"member.engaged": 5, "member.disengaged": 1})
}
