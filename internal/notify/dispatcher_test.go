package notify_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// dispatchEnv adds users, incidents and webhooks to an env.
func dispatchEnv(t *testing.T) (*env, *notify.Dispatcher, map[string]int64) {
	t.Helper()
	e := newEnv(t)
	ctx := t.Context()
	users := []store.User{
		{Name: "eve", Email: "eve@example.com", Roles: []string{"executive"}},
		{Name: "old", Email: "old@example.com", Roles: []string{"executive"}, Disabled: true},
		{Name: "ana", Email: "ana@example.com", Roles: []string{"responder"}},
	}
	for i := range users {
		if err := e.st.CreateUser(ctx, &users[i]); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]int64{}
	for _, sev := range []string{incident.SeverityCrit, incident.SeverityMedium} {
		inc := &incident.Incident{Title: sev + " one", Severity: sev,
			Status: incident.StatusOpen, Phase: string(incident.PhaseDetected),
			Opened: e.clk.Now()}
		if err := e.st.CreateIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
		ids[sev] = inc.ID
	}
	for _, h := range []*notify.Webhook{
		{Name: "phases", URL: "http://127.0.0.1:1/", Secret: "a",
			Triggers: []notify.Trigger{notify.TriggerPhase}},
		{Name: "all", URL: "http://127.0.0.1:1/", Secret: "b"},
	} {
		if err := e.st.CreateWebhook(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	return e, notify.NewDispatcher(e.st, store.NotifyDirectory(e.st)), ids
}

// queued lists the recipients of the notifications of a trigger.
func queued(t *testing.T, st store.Store, tr notify.Trigger) []string {
	t.Helper()
	page, err := st.ListNotifications(t.Context(), store.NotificationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(page.Items) - 1; i >= 0; i-- {
		if n := page.Items[i]; n.Trigger == tr {
			out = append(out, string(n.Channel)+":"+n.Recipient)
		}
	}
	return out
}

func TestDispatcherTriggers(t *testing.T) {
	t.Parallel()
	e, d, ids := dispatchEnv(t)
	ctx := t.Context()
	crit, medium := ids[incident.SeverityCrit], ids[incident.SeverityMedium]
	for range 2 { // the second call is a duplicate, stored once
		err := d.PhaseChanged(ctx, crit, incident.PhaseDetected, incident.PhaseAnalysis, 1,
			"ana")
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := d.PhaseChanged(ctx, medium, incident.PhaseDetected, incident.PhaseAnalysis,
		1); err != nil {
		t.Fatal(err)
	}
	if err := (notify.TeamNotifier{D: d}).Engaged(ctx, medium,
		team.Engagement{ID: 7, User: "ana", Role: team.RoleExpert}, "rule malware"); err != nil {
		t.Fatal(err)
	}
	if err := d.Assigned(ctx, crit, "ana", "task 3: isolate host"); err != nil {
		t.Fatal(err)
	}
	if err := d.ApprovalRequested(ctx, crit, "wipe-dc01", "user:ana"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		trigger notify.Trigger
		want    []string
	}{
		{notify.TriggerPhase, []string{"email:eve@example.com", "email:ana@example.com",
			"webhook:1", "webhook:2"}},
		{notify.TriggerEngaged, []string{"email:ana@example.com", "webhook:2"}},
		{notify.TriggerAssigned, []string{"email:ana@example.com", "webhook:2"}},
		{notify.TriggerApproval, []string{"email:eve@example.com", "webhook:2"}},
	}
	for _, tt := range tests {
		got := queued(t, e.st, tt.trigger)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: queued %v, want %v", tt.trigger, got, tt.want)
		}
	}
}

func TestExecutiveUpdates(t *testing.T) {
	t.Parallel()
	e, d, _ := dispatchEnv(t)
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		want int // executive e-mails queued so far
	}{
		{0, 2},                // both incidents: their first slot
		{30 * time.Minute, 2}, // same slots
		{time.Hour, 3},        // severity 0: hourly
		{14 * time.Hour, 5},   // severity 0 again, severity 2: a new day
		{14*time.Hour + 1, 5}, // nothing new
	}
	for _, s := range steps {
		if _, err := d.Updates(t.Context(), now.Add(s.at)); err != nil {
			t.Fatal(err)
		}
		var mails int
		for _, r := range queued(t, e.st, notify.TriggerUpdate) {
			if r == "email:eve@example.com" {
				mails++
			}
		}
		if mails != s.want {
			t.Errorf("at +%v: %d updates queued, want %d", s.at, mails, s.want)
		}
	}
}
