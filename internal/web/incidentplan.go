package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/team"
)

// maxAlertRefs caps the alerts whose events the evidence form offers.
const maxAlertRefs = 20

// defaultWatchLifetime is how far ahead the watch rule form's expiry is
// filled in.
const defaultWatchLifetime = 7 * 24 * time.Hour

// taskView is a task of the plan with, for a high-impact eradication task,
// its step in the gates and the approvals of that step.
type taskView struct {
	plan.Task
	Step      string
	Approvals []incident.Approval
}

// watchView is a watch rule and whether it matches now.
type watchView struct {
	plan.WatchRule
	Active bool
}

// alertRef is an alert of the incident, for attaching its events.
type alertRef struct {
	ID       int64   `json:"id"`
	Title    string  `json:"rule_title"`
	EventIDs []int64 `json:"event_ids"`
}

// planChoices are the options of the plan, team, watch rule and evidence
// forms.
type planChoices struct {
	Phases       []incident.Phase // the phases that have a plan
	TaskKinds    []plan.Kind
	Statuses     []plan.Status
	Roles        []team.Role // roles a person may be engaged in by name
	Custody      []evidence.Action
	People       []string // engaged users, suggested as owners
	WatchExpires string   // the default expiry, datetime-local in UTC
}

func newPlanChoices(now time.Time) planChoices {
	c := planChoices{TaskKinds: plan.Kinds(), Statuses: plan.Statuses(),
		Roles: []team.Role{team.RoleExpert, team.RoleCommander, team.RoleScribe,
			team.RoleService, team.RoleCommunications},
		Custody:      []evidence.Action{evidence.Transferred, evidence.Exported, evidence.Verified},
		WatchExpires: now.Add(defaultWatchLifetime).UTC().Format("2006-01-02T15:04")}
	for _, p := range incident.Phases() {
		if p != incident.PhaseClosed {
			c.Phases = append(c.Phases, p)
		}
	}
	return c
}

// loadResponse reads the incident's virtual team, phase tasks, watch rules
// and alerts (for their events); d.Inc is loaded already.
func loadResponse(ctx context.Context, se *session, base string, d *incidentData) error {
	var members struct {
		Items []team.Engagement `json:"items"`
	}
	if err := se.api.get(ctx, base+"/team", &members); err != nil {
		return err
	}
	var tasks struct {
		Items []plan.Task `json:"items"`
	}
	if err := se.api.get(ctx, base+"/tasks", &tasks); err != nil {
		return err
	}
	var rules struct {
		Items []plan.WatchRule `json:"items"`
	}
	if err := se.api.get(ctx, base+"/watch-rules", &rules); err != nil {
		return err
	}
	now := time.Now()
	d.Choices = newPlanChoices(now)
	d.Team = members.Items
	for _, e := range d.Team {
		if e.Active() {
			d.TeamActive = true
			if !slices.Contains(d.Choices.People, e.User) {
				d.Choices.People = append(d.Choices.People, e.User)
			}
		}
	}
	for _, t := range tasks.Items {
		tv := taskView{Task: t}
		if t.NeedsApproval() {
			tv.Step = t.StepID()
			for _, a := range d.Inc.Gates.Approvals {
				if a.Step == tv.Step {
					tv.Approvals = append(tv.Approvals, a)
				}
			}
		}
		d.Tasks = append(d.Tasks, tv)
	}
	for _, w := range rules.Items {
		d.Watch = append(d.Watch, watchView{WatchRule: w, Active: w.Active(now)})
	}
	for _, id := range d.Inc.AlertIDs[:min(len(d.Inc.AlertIDs), maxAlertRefs)] {
		var a alertRef
		if err := se.api.get(ctx, "/api/v1/alerts/"+strconv.FormatInt(id, 10), &a); err != nil {
			return err
		}
		d.Alerts = append(d.Alerts, a)
	}
	return nil
}

// addTask adds a task to a phase's plan. A high-impact eradication task
// asks the executives for their approval (the API records and notifies
// the request).
func (s *server) addTask(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "tasks", func(ctx context.Context, base string) error {
		body := map[string]any{"phase": form(r, "phase"), "title": form(r, "title"),
			"owner": form(r, "owner"), "high_impact": r.PostForm.Get("high_impact") != ""}
		if k := form(r, "kind"); k != "" {
			body["kind"] = k
		}
		due, err := formTime(r, "due", "due")
		if err != nil {
			return err
		}
		if !due.IsZero() {
			body["due"] = due
		}
		return se.post(ctx, base+"/tasks", body)
	})
}

// updateTask changes a task's status and result, at the version the page
// showed (If-Match): a task changed since answers 412.
func (s *server) updateTask(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "tasks", func(ctx context.Context, base string) error {
		task, ok := pathInt(r, "task")
		if !ok {
			return &apiError{Status: http.StatusNotFound, Msg: "not found"}
		}
		body := map[string]any{"result": form(r, "result")}
		if st := form(r, "status"); st != "" {
			body["status"] = st
		}
		_, err := se.api.send(ctx, http.MethodPatch, base+"/tasks/"+task, body,
			map[string]string{"If-Match": `"v` + form(r, "version") + `"`})
		return err
	})
}

// escalate builds the incident's virtual team, or re-runs the engagement
// rules on it, engaging only what newly matches.
func (s *server) escalate(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "team", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/escalate", map[string]string{
			"commander": form(r, "commander"), "scribe": form(r, "scribe"),
			"reason": form(r, "reason")})
	})
}

// engage engages a named person in a role.
func (s *server) engage(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "team", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/team", map[string]string{"user": form(r, "user"),
			"role": form(r, "role"), "reason": form(r, "reason")})
	})
}

// disengage ends a member's engagement, with a reason.
func (s *server) disengage(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "team", func(ctx context.Context, base string) error {
		member, ok := pathInt(r, "member")
		if !ok {
			return &apiError{Status: http.StatusNotFound, Msg: "not found"}
		}
		return se.post(ctx, base+"/team/"+member+"/disengage",
			map[string]string{"reason": form(r, "reason")})
	})
}

// addWatchRule attaches a temporary Sigma rule to the incident; the
// textarea is sent as typed, so that the parser's line numbers are the
// textarea's.
func (s *server) addWatchRule(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "watch", func(ctx context.Context, base string) error {
		expires, err := formTime(r, "expires", "expires")
		if err != nil {
			return err
		}
		if expires.IsZero() {
			return &apiError{Status: http.StatusUnprocessableEntity,
				Msg: "expires: say when the watch rule stops"}
		}
		return se.post(ctx, base+"/watch-rules", map[string]any{
			"yaml": r.PostForm.Get("yaml"), "expires": expires})
	})
}

// removeWatchRule stops a watch rule before it expires; it stays in the
// list, marked removed.
func (s *server) removeWatchRule(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "watch", func(ctx context.Context, base string) error {
		rule, ok := pathInt(r, "rule")
		if !ok {
			return &apiError{Status: http.StatusNotFound, Msg: "not found"}
		}
		_, err := se.api.send(ctx, http.MethodDelete, base+"/watch-rules/"+rule+"?"+
			url.Values{"reason": {form(r, "reason")}}.Encode(), nil, nil)
		return err
	})
}
