package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// queueLimit is how many alerts the queue lists.
const queueLimit = 200

// alertRow is one alert of the queue.
type alertRow struct {
	ID        int64
	Level     string
	RuleTitle string
	RuleID    string
	Host      string
	Time      time.Time
	State     string // the triage state: new, acknowledged, false_positive, …
	Incident  string // the number of its incident; empty when new
	InciID    int64
	// Explanation is why an anomaly model raised the alert; empty for a
	// rule's.
	Explanation string
}

// queueData is the data of the alert queue.
type queueData struct {
	All       bool // list alerts in incidents too
	Alerts    []alertRow
	Total     int64
	Open      []incidentRow // incidents to confirm into
	CanTriage bool
	Triage    bool // a Triage is configured
	Error     string
}

func (queueData) pageTitle() string { return "Alert queue" }

// hostFields are the event fields that name the host, in order of trust.
var hostFields = []string{"host", "Hostname", "Computer", "hostname", "host.name"}

// hostOf returns the host of an alert's first event, or "".
func hostOf(a *detect.Alert) string {
	if len(a.Events) == 0 {
		return ""
	}
	var fields map[string]any
	if json.Unmarshal(a.Events[0], &fields) != nil {
		return ""
	}
	for _, k := range hostFields {
		if s, ok := fields[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// alertQueue shows alerts that are not in an incident yet (all of them
// with ?show=all), newest first, with the triage actions.
func (s *server) alertQueue(w http.ResponseWriter, r *http.Request, se *session) {
	s.showQueue(w, r, se, http.StatusOK, "")
}

func (s *server) showQueue(w http.ResponseWriter, r *http.Request, se *session, status int,
	msg string) {
	d, err := s.loadQueue(r, se)
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	d.Error = msg
	s.render(w, r, status, "alerts", se, d)
}

func (s *server) loadQueue(r *http.Request, se *session) (*queueData, error) {
	ctx := r.Context()
	d := &queueData{All: r.URL.Query().Get("show") == "all", Triage: s.cfg.Triage != nil,
		CanTriage: can(se.Principal, "POST /alerts/{id}/confirm")}
	var page store.Page[detect.Alert]
	if err := se.api.get(ctx, "/api/v1/alerts?limit="+strconv.Itoa(queueLimit),
		&page); err != nil {
		return nil, err
	}
	states := s.alertStates(ctx, se)
	numbers := map[int64]string{}
	if err := s.openIncidents(ctx, se, d, numbers); err != nil {
		return nil, err
	}
	for i := range page.Items {
		a := &page.Items[i]
		if a.State == "" {
			a.State = states[a.ID]
		}
		decided := a.IncidentID != 0 || a.State == "false_positive" || a.State == "confirmed"
		if decided && !d.All {
			continue
		}
		row := alertRow{ID: a.ID, Level: a.Level, RuleTitle: a.RuleTitle, RuleID: a.RuleID,
			Host: hostOf(a), Time: a.EventTime, InciID: a.IncidentID, State: a.State}
		if row.State == "" {
			row.State = "new"
		}
		if x := a.Explanation; x != nil {
			row.Explanation = x.Text
			if row.Host == "" {
				row.Host = x.Host
			}
		}
		if row.Time.IsZero() {
			row.Time = a.Created
		}
		if a.IncidentID != 0 {
			row.Incident = numbers[a.IncidentID]
			if row.Incident == "" {
				row.Incident = "#" + strconv.FormatInt(a.IncidentID, 10)
			}
		}
		d.Alerts = append(d.Alerts, row)
	}
	d.Total = int64(len(d.Alerts))
	return d, nil
}

// alertStates returns the triage state of the alerts in the triage queue
// (GET /api/v1/queue) by ID; empty when the API has no queue.
func (s *server) alertStates(ctx context.Context, se *session) map[int64]string {
	var page store.Page[store.QueueItem]
	states := map[int64]string{}
	if err := se.api.get(ctx, "/api/v1/queue?kind=alert&limit=1000", &page); err != nil {
		s.log.Debug("read the triage queue", "err", err)
		return states
	}
	for _, it := range page.Items {
		states[it.ID] = it.State
	}
	return states
}

// openIncidents fills d.Open and numbers (ID to number) from the newest
// incidents.
func (s *server) openIncidents(ctx context.Context, se *session, d *queueData,
	numbers map[int64]string) error {
	var page store.Page[incidentItem]
	if err := se.api.get(ctx, "/api/v1/incidents?limit=1000", &page); err != nil {
		return err
	}
	for _, inc := range page.Items {
		numbers[inc.ID] = inc.Number
		if inc.Status == "open" {
			d.Open = append(d.Open, incidentRow{ID: inc.ID, Number: inc.Number,
				Title: inc.Title})
		}
	}
	return nil
}

// alertID reads the {id} of an alert route.
func alertID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// triageContext is the request's context with the user as principal and
// audit actor, for the Triage.
func triageContext(r *http.Request, se *session) context.Context {
	ctx := auth.WithPrincipal(r.Context(), se.Principal)
	return audit.WithActor(ctx, audit.UserActor(se.Principal.Name))
}

func (s *server) acknowledgeAlert(w http.ResponseWriter, r *http.Request, se *session) {
	s.triage(w, r, se, func(ctx context.Context, id int64) (string, error) {
		return "/alerts", s.cfg.Triage.Acknowledge(ctx, id)
	})
}

func (s *server) falsePositiveAlert(w http.ResponseWriter, r *http.Request, se *session) {
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" {
		s.showQueue(w, r, se, http.StatusUnprocessableEntity,
			"A false positive needs a reason.")
		return
	}
	s.triage(w, r, se, func(ctx context.Context, id int64) (string, error) {
		return "/alerts", s.cfg.Triage.MarkFalsePositive(ctx, id, reason)
	})
}

// confirmAlert confirms an alert into a new incident (incident empty or
// "new") or into the open incident whose ID the form names.
func (s *server) confirmAlert(w http.ResponseWriter, r *http.Request, se *session) {
	var into int64
	if v := r.PostForm.Get("incident"); v != "" && v != "new" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			s.showQueue(w, r, se, http.StatusUnprocessableEntity, "Pick an incident.")
			return
		}
		into = n
	}
	s.triage(w, r, se, func(ctx context.Context, id int64) (string, error) {
		inc, err := s.cfg.Triage.Confirm(ctx, id, into)
		return fmt.Sprintf("/incidents/%d", inc), err
	})
}

// triage runs a decision on the alert of the route and sends the browser
// on, or shows the queue with what went wrong.
func (s *server) triage(w http.ResponseWriter, r *http.Request, se *session,
	decide func(ctx context.Context, id int64) (string, error)) {
	id, ok := alertID(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	if s.cfg.Triage == nil {
		s.showQueue(w, r, se, http.StatusNotImplemented, "Triage is not available.")
		return
	}
	next, err := decide(triageContext(r, se), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.notFound(w, r)
	case errors.Is(err, ErrUnsupported):
		s.showQueue(w, r, se, http.StatusNotImplemented, "Not available yet: "+err.Error()+".")
	case errors.Is(err, ErrForbidden):
		s.forbidden(w, r, se, "Your roles do not allow this decision.")
	case errors.Is(err, ErrRefused):
		s.showQueue(w, r, se, http.StatusConflict, "Refused: "+err.Error()+".")
	case err != nil:
		s.log.Error("triage alert", "err", err)
		s.showQueue(w, r, se, http.StatusInternalServerError, "The decision was not saved.")
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}
