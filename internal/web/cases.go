package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// caseLevels are the levels a reporter may give a support case.
var caseLevels = []string{"low", "medium", "high", "critical"}

// casesData is the data of the support case page.
type casesData struct {
	Cases    []store.Case
	Levels   []string
	Error    string
	CanFile  bool
	CanEsc   bool
	IsTenant bool // the user files for its own tenant only
}

func (casesData) pageTitle() string { return "Support cases" }

// caseList lists the support cases the user may see (the API scopes a
// tenant-admin to its own tenant), with the filing form and, for
// responders, escalation of open cases.
func (s *server) caseList(w http.ResponseWriter, r *http.Request, se *session) {
	s.showCases(w, r, se, http.StatusOK, "")
}

func (s *server) showCases(w http.ResponseWriter, r *http.Request, se *session, status int,
	msg string) {
	v := url.Values{"limit": {strconv.Itoa(listLimit)}}
	var page store.Page[store.Case]
	if err := se.api.get(r.Context(), "/api/v1/cases?"+v.Encode(), &page); err != nil {
		s.fail(w, r, se, err)
		return
	}
	d := casesData{Cases: page.Items, Levels: caseLevels, Error: msg,
		CanFile:  can(se.Principal, "POST /cases"),
		CanEsc:   can(se.Principal, "POST /cases/{id}/escalate"),
		IsTenant: se.Principal.Tenant != ""}
	s.render(w, r, status, "cases", se, d)
}

// caseChange answers for a change of a case: on success it sends the
// browser back to the case page; a refusal the user can act on (a 4xx but
// 403 and 404) shows the page with the API's message.
func (s *server) caseChange(w http.ResponseWriter, r *http.Request, se *session, err error) {
	ae, ok := err.(*apiError)
	switch {
	case err == nil:
		http.Redirect(w, r, "/cases", http.StatusSeeOther)
	case ok && ae.Status != http.StatusNotFound && ae.Status != http.StatusForbidden &&
		ae.Status < 500:
		s.showCases(w, r, se, ae.Status, ae.Msg)
	default:
		s.fail(w, r, se, err)
	}
}

// fileCase files a support case: what was seen, when, in which service.
func (s *server) fileCase(w http.ResponseWriter, r *http.Request, se *session) {
	body := map[string]any{"title": form(r, "title"), "seen": form(r, "seen"),
		"service": form(r, "service"), "level": form(r, "level"),
		"tenant": form(r, "tenant")}
	if at := form(r, "seen_at"); at != "" {
		t, err := time.Parse("2006-01-02T15:04", at)
		if err != nil {
			s.caseChange(w, r, se, &apiError{Status: http.StatusUnprocessableEntity,
				Msg: "seen at: not a date and time"})
			return
		}
		body["seen_at"] = t.UTC()
	}
	s.caseChange(w, r, se, se.post(r.Context(), "/api/v1/cases", body))
}

// escalateCase turns an open support case into a security incident.
func (s *server) escalateCase(w http.ResponseWriter, r *http.Request, se *session) {
	id := r.PathValue("id")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		s.notFound(w, r)
		return
	}
	s.caseChange(w, r, se, se.post(r.Context(), "/api/v1/cases/"+id+"/escalate",
		map[string]string{"as": "incident"}))
}
