package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
)

// change runs one change of the incident of the route through the API and
// sends the browser back to the incident page (to anchor); a refusal (a
// gate's 409, a 422, a stale version's 412) shows the page with the API's
// message and status.
func (s *server) change(w http.ResponseWriter, r *http.Request, se *session, anchor string,
	do func(ctx context.Context, base string) error) {
	id := r.PathValue("id")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		s.notFound(w, r)
		return
	}
	err := do(r.Context(), "/api/v1/incidents/"+id)
	if err == nil {
		http.Redirect(w, r, "/incidents/"+id+"#"+anchor, http.StatusSeeOther)
		return
	}
	s.incidentError(w, r, se, anchor, err)
}

// incidentError answers for a failed change of the incident: a refusal the
// user can act on (a 4xx but 403 and 404) shows the incident page with the
// API's message and status, the failed form (anchor) keeping its fields;
// anything else is the error page.
func (s *server) incidentError(w http.ResponseWriter, r *http.Request, se *session,
	anchor string, err error) {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status != http.StatusNotFound &&
		ae.Status != http.StatusForbidden && ae.Status < 500 {
		s.showIncident(w, r, se, ae.Status, ae.Msg, anchor)
		return
	}
	s.fail(w, r, se, err)
}

// post sends a JSON body to a sub-resource of the incident.
func (se *session) post(ctx context.Context, path string, body any) error {
	_, err := se.api.send(ctx, http.MethodPost, path, body, nil)
	return err
}

// form returns the trimmed value of a form field.
func form(r *http.Request, name string) string {
	return strings.TrimSpace(r.PostForm.Get(name))
}

// localLayouts are the layouts of an <input type="datetime-local">.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// formTime reads a datetime-local field as UTC; empty is the zero time. A
// value it cannot read is a 422 naming the field.
func formTime(r *http.Request, name, label string) (time.Time, error) {
	v := form(r, name)
	if v == "" {
		return time.Time{}, nil
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &apiError{Status: http.StatusUnprocessableEntity,
		Msg: fmt.Sprintf("%s: %q is not a date and time (YYYY-MM-DDTHH:MM)", label, v)}
}

// pathInt returns the path parameter name when it is a positive integer.
func pathInt(r *http.Request, name string) (string, bool) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	return v, err == nil && n > 0
}

func (s *server) addAction(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "actions", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/actions", map[string]string{"what": form(r, "what"),
			"result": form(r, "result")})
	})
}

func (s *server) addComment(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "comments", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/comments", map[string]string{"text": form(r, "text")})
	})
}

func (s *server) addIndicator(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "indicators", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/indicators", map[string]string{"kind": form(r, "kind"),
			"value": form(r, "value"), "source": form(r, "source")})
	})
}

func (s *server) classify(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "phase", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/classification", map[string]string{
			"classification": form(r, "classification"), "reason": form(r, "reason")})
	})
}

func (s *server) grantApproval(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "approvals", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/approvals", map[string]string{"step": form(r, "step"),
			"note": form(r, "note")})
	})
}

func (s *server) transition(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "phase", func(ctx context.Context, base string) error {
		return se.post(ctx, base+"/transitions", map[string]string{"to": form(r, "to"),
			"reason": form(r, "reason")})
	})
}

// patch reads the incident at the version the form was made from (a newer
// one is a 412, as the API answers), lets edit build the PATCH body from
// its gates, and sends it with If-Match.
func (se *session) patch(ctx context.Context, r *http.Request, base string,
	edit func(g *incident.Gates) (map[string]any, error)) error {
	version := form(r, "version")
	var cur incidentView
	if err := se.api.get(ctx, base, &cur); err != nil {
		return err
	}
	if version != strconv.FormatInt(cur.Version, 10) {
		return &apiError{Status: http.StatusPreconditionFailed, Msg: "the incident changed " +
			"since this page was loaded; here it is as it is now"}
	}
	body, err := edit(&cur.Gates)
	if err != nil {
		return err
	}
	_, err = se.api.send(ctx, http.MethodPatch, base, body,
		map[string]string{"If-Match": `"v` + version + `"`})
	return err
}

// requestApproval plans an eradication step; a high-impact one waits for
// an executive's approval before eradication can start.
func (s *server) requestApproval(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "approvals", func(ctx context.Context, base string) error {
		return se.patch(ctx, r, base, func(g *incident.Gates) (map[string]any, error) {
			desc := form(r, "description")
			if desc == "" {
				return nil, &apiError{Status: http.StatusUnprocessableEntity,
					Msg: "a step needs a description"}
			}
			st := incident.EradicationStep{ID: fmt.Sprintf("step-%d",
				len(g.EradicationSteps)+1), Description: desc,
				HighImpact: r.PostForm.Get("high_impact") != ""}
			steps := append(g.EradicationSteps, st)
			return map[string]any{"eradication_steps": steps}, nil
		})
	})
}

func (s *server) addCheck(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "recovery", func(ctx context.Context, base string) error {
		return se.patch(ctx, r, base, func(g *incident.Gates) (map[string]any, error) {
			name := form(r, "name")
			if name == "" {
				return nil, &apiError{Status: http.StatusUnprocessableEntity,
					Msg: "a check needs a name"}
			}
			checks := append(g.RecoveryChecks, incident.CheckItem{Name: name})
			return map[string]any{"recovery_checks": checks}, nil
		})
	})
}

func (s *server) checkDone(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "recovery", func(ctx context.Context, base string) error {
		return se.patch(ctx, r, base, func(g *incident.Gates) (map[string]any, error) {
			name := form(r, "name")
			found := false
			for i := range g.RecoveryChecks {
				if g.RecoveryChecks[i].Name == name {
					g.RecoveryChecks[i].Done, found = true, true
				}
			}
			if !found {
				return nil, &apiError{Status: http.StatusUnprocessableEntity,
					Msg: "no such check: " + name}
			}
			return map[string]any{"recovery_checks": g.RecoveryChecks}, nil
		})
	})
}
