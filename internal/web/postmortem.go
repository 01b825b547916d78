package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/readiness"
)

// postMortemView is the API's post-mortem of an incident.
type postMortemView struct {
	PostMortem postmortem.PostMortem `json:"postmortem"`
	SignedOff  bool                  `json:"signed_off"`
	Pending    []string              `json:"pending"`
	Editable   bool                  `json:"editable"`
	Response   postmortem.Response   `json:"response"`
	FollowUps  []postmortem.FollowUp `json:"follow_ups"`
}

// postMortemData is the data of the post-mortem page.
type postMortemData struct {
	ID       string
	Phase    string
	View     postMortemView
	Entries  []postmortem.Entry
	Chart    template.HTML
	Error    string
	Form     string
	Can      map[string]bool
	Exec     bool
	Choices  pmChoices
	DueSoon  string
	NowLocal string
}

func (d postMortemData) pageTitle() string {
	return "Post-mortem " + d.View.PostMortem.Number
}

// pmChoices are the options of the page's select boxes.
type pmChoices struct {
	Categories []postmortem.Category
	Kinds      []postmortem.FollowUpKind
	States     []readiness.State
}

// postMortemPage shows an incident's post-mortem.
func (s *server) postMortemPage(w http.ResponseWriter, r *http.Request, se *session) {
	s.showPostMortem(w, r, se, http.StatusOK, "", "")
}

// showPostMortem renders the page with a refusal's message (and the form
// it came from) when msg is set.
func (s *server) showPostMortem(w http.ResponseWriter, r *http.Request, se *session,
	status int, msg, form string) {
	id, ok := pathInt(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d := postMortemData{ID: id, Error: msg, Form: form, Can: map[string]bool{},
		Exec: se.Principal.HasAnyRole(auth.RoleExecutive),
		Choices: pmChoices{Categories: postmortem.Categories(),
			Kinds: postmortem.FollowUpKinds(), States: readiness.States()},
		DueSoon:  time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly),
		NowLocal: time.Now().UTC().Format("2006-01-02T15:04")}
	base := "/api/v1/incidents/" + id
	if err := se.api.get(r.Context(), base+"/postmortem", &d.View); err != nil {
		s.fail(w, r, se, err)
		return
	}
	var inc struct {
		Phase string `json:"phase"`
	}
	if err := se.api.get(r.Context(), base, &inc); err != nil {
		s.fail(w, r, se, err)
		return
	}
	d.Phase = inc.Phase
	d.Entries = d.View.PostMortem.Ordered()
	var visible []postmortem.Entry
	for _, e := range d.Entries {
		if !e.Hidden {
			visible = append(visible, e)
		}
	}
	if len(visible) > 0 {
		// The chart escapes every text it draws (postmortem.Chart.SVG).
		d.Chart = template.HTML((&postmortem.Chart{Entries: visible}).SVG(1180))
	}
	for key := range pagePermissions {
		if rest, ok := strings.CutPrefix(key, "POST /incidents/{id}/postmortem/"); ok {
			d.Can[rest] = can(se.Principal, key)
		}
	}
	d.Can["follow-ups"] = can(se.Principal, "POST /incidents/{id}/follow-ups")
	d.Can["follow-up"] = can(se.Principal, "POST /follow-ups/{id}")
	d.Can["rule"] = can(se.Principal, "POST /follow-ups/{id}/rule")
	s.render(w, r, status, "postmortem", se, d)
}

// pmChange runs one change through the API and sends the browser back to
// the post-mortem page (to anchor); a refusal the user can act on shows
// the page with the API's message and status.
func (s *server) pmChange(w http.ResponseWriter, r *http.Request, se *session, anchor string,
	do func(ctx context.Context, base string) error) {
	id, ok := pathInt(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := do(r.Context(), "/api/v1/incidents/"+id)
	if err == nil {
		http.Redirect(w, r, "/incidents/"+id+"/postmortem#"+anchor, http.StatusSeeOther)
		return
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.Status != http.StatusNotFound && ae.Status < 500 {
		s.showPostMortem(w, r, se, ae.Status, ae.Msg, anchor)
		return
	}
	s.fail(w, r, se, err)
}

func (s *server) pmSummary(w http.ResponseWriter, r *http.Request, se *session) {
	s.pmChange(w, r, se, "summary", func(ctx context.Context, base string) error {
		var actors []string
		for _, a := range strings.Split(form(r, "actors"), ",") {
			if a = strings.TrimSpace(a); a != "" {
				actors = append(actors, a)
			}
		}
		if actors == nil {
			actors = []string{}
		}
		_, err := se.api.send(ctx, http.MethodPatch, base+"/postmortem", map[string]any{
			"summary": r.PostForm.Get("summary"), "actors": actors}, nil)
		return err
	})
}

func (s *server) pmAddEntry(w http.ResponseWriter, r *http.Request, se *session) {
	s.pmChange(w, r, se, "timeline", func(ctx context.Context, base string) error {
		at, err := formTime(r, "at", "when (UTC)")
		if err != nil {
			return err
		}
		return se.post(ctx, base+"/postmortem/timeline", map[string]any{"at": at,
			"time_zone": form(r, "time_zone"), "text": form(r, "text")})
	})
}

func (s *server) pmNote(w http.ResponseWriter, r *http.Request, se *session) {
	s.pmChange(w, r, se, "timeline", func(ctx context.Context, base string) error {
		entry, ok := pathInt(r, "entry")
		if !ok {
			return &apiError{Status: http.StatusNotFound, Msg: "not found"}
		}
		return se.post(ctx, base+"/postmortem/timeline/"+entry+"/notes",
			map[string]string{"text": form(r, "text")})
	})
}

func (s *server) pmVisibility(w http.ResponseWriter, r *http.Request, se *session) {
	s.pmChange(w, r, se, "timeline", func(ctx context.Context, base string) error {
		entry, ok := pathInt(r, "entry")
		if !ok {
			return &apiError{Status: http.StatusNotFound, Msg: "not found"}
		}
		return se.post(ctx, base+"/postmortem/timeline/"+entry+"/visibility", map[string]any{
			"hidden": form(r, "hidden") == "true", "reason": form(r, "reason")})
	})
}

func (s *server) pmRefresh(w http.ResponseWriter, r *http.Request, se *session) {
	s.pmChange(w, r, se, "timeline", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/postmortem/refresh", nil)
	})
}

// parseRefs reads "timeline#3, alert/7, evidence/2, audit#42".
func parseRefs(s string) ([]postmortem.Ref, error) {
	refs := []postmortem.Ref{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kind, id, ok := strings.Cut(part, "#")
		if !ok {
			kind, id, ok = strings.Cut(part, "/")
		}
		if !ok {
			return nil, &apiError{Status: http.StatusUnprocessableEntity, Msg: "evidence: " +
				strconv.Quote(part) + " is not like timeline#3, alert/7, evidence/2 or audit#42"}
		}
		refs = append(refs, postmortem.Ref{Type: strings.TrimSpace(kind),
			ID: strings.TrimSpace(id)})
	}
	return refs, nil
}

func (s *server) pmAddFinding(w http.ResponseWriter, r *http.Request, se *session) {
	s.pmChange(w, r, se, "findings", func(ctx context.Context, base string) error {
		refs, err := parseRefs(form(r, "evidence"))
		if err != nil {
			return err
		}
		return se.post(ctx, base+"/postmortem/findings", map[string]any{
			"category": form(r, "category"), "title": form(r, "title"),
			"description": form(r, "description"), "evidence": refs})
	})
}

func (s *server) pmSignOff(w http.ResponseWriter, r *http.Request, se *session) {
	s.pmChange(w, r, se, "signoff", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/postmortem/signoffs", map[string]string{
			"role": form(r, "role"), "note": form(r, "note")})
	})
}

func (s *server) addFollowUp(w http.ResponseWriter, r *http.Request, se *session) {
	s.pmChange(w, r, se, "follow-ups", func(ctx context.Context, base string) error {
		body := map[string]any{"kind": form(r, "kind"), "title": form(r, "title"),
			"owner": form(r, "owner"), "due": form(r, "due"),
			"description": form(r, "description")}
		if f := form(r, "finding"); f != "" {
			n, err := strconv.Atoi(f)
			if err != nil || n < 0 {
				return &apiError{Status: http.StatusUnprocessableEntity,
					Msg: "finding: " + strconv.Quote(f) + " is not a finding's number"}
			}
			body["finding"] = n
		}
		return se.post(ctx, base+"/follow-ups", body)
	})
}

// followUpChange changes a follow-up and goes back to its incident's
// post-mortem (form field incident).
func (s *server) followUpChange(w http.ResponseWriter, r *http.Request, se *session,
	do func(ctx context.Context, path string) error) {
	id, ok := pathInt(r, "id")
	inc := form(r, "incident")
	if n, err := strconv.ParseInt(inc, 10, 64); !ok || err != nil || n <= 0 {
		s.notFound(w, r)
		return
	}
	r.SetPathValue("id", inc)
	s.pmChange(w, r, se, "follow-ups", func(ctx context.Context, _ string) error {
		return do(ctx, "/api/v1/follow-ups/"+id)
	})
}

func (s *server) moveFollowUp(w http.ResponseWriter, r *http.Request, se *session) {
	s.followUpChange(w, r, se, func(ctx context.Context, path string) error {
		body := map[string]any{"state": form(r, "state"), "reason": form(r, "reason")}
		if exp := form(r, "risk_expires"); exp != "" {
			t, err := time.Parse(time.DateOnly, exp)
			if err != nil {
				return &apiError{Status: http.StatusUnprocessableEntity,
					Msg: "risk_expires: " + strconv.Quote(exp) + " is not a day (YYYY-MM-DD)"}
			}
			body["risk_expires"] = t
		}
		_, err := se.api.send(ctx, http.MethodPatch, path, body, nil)
		return err
	})
}

func (s *server) linkRule(w http.ResponseWriter, r *http.Request, se *session) {
	s.followUpChange(w, r, se, func(ctx context.Context, path string) error {
		return se.post(ctx, path+"/rule", map[string]string{"rule_id": form(r, "rule_id")})
	})
}

// sourceHref returns where the source of a timeline entry of incident id
// can be read: the alert in the API, the part of the incident page (phase
// timeline, actions, comments, approvals, evidence), the outbox; "" for an
// audit entry (the audit page is for admins and auditors) and a manual one.
func sourceHref(id string, s postmortem.Source) string {
	inc := "/incidents/" + url.PathEscape(id)
	switch s.Type {
	case "alert":
		if _, err := strconv.ParseInt(s.ID, 10, 64); err == nil {
			return "/api/v1/alerts/" + s.ID
		}
	case "evidence":
		return inc + "#evidence"
	case "notification":
		return "/notifications"
	case "incident":
		list, _, _ := strings.Cut(s.Part, "[")
		anchor := map[string]string{"phase_changes": "#timeline", "actions": "#actions",
			"comments": "#comments", "approvals": "#approvals"}[list]
		return inc + anchor
	}
	return ""
}
