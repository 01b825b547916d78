package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/triage"
)

// Accepted values of the triage query parameters.
var (
	queueKinds  = []string{"alert", "case"}
	queueStates = []string{triage.StateNew, triage.StateAcknowledged, triage.StateAssigned,
		triage.StateFalsePositive, triage.StateConfirmed, triage.CaseOpen, triage.CaseEscalated}
	vulnStates = []string{triage.VulnOpen, triage.VulnFixing, triage.VulnFixed,
		triage.VulnAcceptedRisk}
)

// triageError answers for a failed triage call: 422 for a request that
// breaks a triage rule, 404, 409 for a lost race or stale version, 400 for
// a bad cursor, 500 (logged) for anything else.
func (s *server) triageError(w http.ResponseWriter, op string, err error) {
	switch {
	case errors.Is(err, triage.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "changed meanwhile: reload and retry")
	default:
		s.storeError(w, op, err)
	}
}

// pathInt reads the positive integer path parameter name, answering 400
// otherwise.
func pathInt(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	raw := r.PathValue(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		closeUnread(w, r)
		writeError(w, http.StatusBadRequest,
			fmt.Sprintf("path parameter %q: %q is not a positive integer", name, raw))
		return 0, false
	}
	return id, true
}

// decodeTriage decodes a JSON body into v, answering when it fails.
func decodeTriage(w http.ResponseWriter, r *http.Request, v any) bool {
	if e := decodeChange(r, v); e != nil {
		writeRequestError(w, e)
		return false
	}
	return true
}

// getQueue answers GET /api/v1/queue: alerts and support cases, most
// recently active first.
func (s *server) getQueue(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "kind", "state", "level", "rule", "assignee", "limit", "cursor")
	f := triage.QueueFilter{Kind: q.str("kind", queueKinds...),
		State: q.str("state", queueStates...), Level: q.str("level", alertLevels...),
		RuleID: q.str("rule"), Assignee: q.str("assignee"), Limit: q.limit(),
		Cursor: q.str("cursor")}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	page, err := s.triage.Queue(r.Context(), f)
	if err != nil {
		s.triageError(w, "queue", err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// getAlert answers GET /api/v1/alerts/{id}: one alert with its events and
// triage fields.
func (s *server) getAlert(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	s.writeAlert(w, r, id)
}

// writeAlert answers with alert id as stored.
func (s *server) writeAlert(w http.ResponseWriter, r *http.Request, id int64) {
	a, err := s.cfg.Store.GetAlert(r.Context(), id)
	if err != nil {
		s.storeError(w, "get alert", err)
		return
	}
	one := []detect.Alert{*a}
	s.markAlerts(r.Context(), one)
	writeJSON(w, http.StatusOK, one[0])
}

// alertAction runs a triage step on the alert of the path and answers with
// the alert. body, when not nil, is decoded first.
func (s *server) alertAction(body any, step func(r *http.Request, id int64) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathInt(w, r, "id")
		if !ok {
			return
		}
		if body != nil && !decodeTriage(w, r, body) {
			return
		}
		if err := step(r, id); err != nil {
			s.triageError(w, "triage alert", err)
			return
		}
		s.writeAlert(w, r, id)
	})
}

// reasonBody is the body of the steps that need a reason.
type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *server) postAck(w http.ResponseWriter, r *http.Request) {
	s.alertAction(nil, func(r *http.Request, id int64) error {
		return s.triage.Acknowledge(r.Context(), id)
	}).ServeHTTP(w, r)
}

func (s *server) postAssign(w http.ResponseWriter, r *http.Request) {
	var b struct {
		User string `json:"user"`
	}
	s.alertAction(&b, func(r *http.Request, id int64) error {
		return s.triage.Assign(r.Context(), id, b.User)
	}).ServeHTTP(w, r)
}

func (s *server) postReopen(w http.ResponseWriter, r *http.Request) {
	var b reasonBody
	s.alertAction(&b, func(r *http.Request, id int64) error {
		return s.triage.Reopen(r.Context(), id, b.Reason)
	}).ServeHTTP(w, r)
}

// falsePositiveBody is the body of POST /api/v1/alerts/{id}/false-positive.
type falsePositiveBody struct {
	Reason   string `json:"reason"`
	Suppress *struct {
		Fields  map[string]string `json:"fields"`
		Expires time.Time         `json:"expires"`
	} `json:"suppress"`
}

func (s *server) postFalsePositive(w http.ResponseWriter, r *http.Request) {
	var b falsePositiveBody
	s.alertAction(&b, func(r *http.Request, id int64) error {
		var sup *triage.Suppression
		if b.Suppress != nil {
			sup = &triage.Suppression{Fields: b.Suppress.Fields, Expires: b.Suppress.Expires}
		}
		return s.triage.MarkFalsePositive(r.Context(), id, b.Reason, sup)
	}).ServeHTTP(w, r)
}

// postConfirm answers POST /api/v1/alerts/confirm: the alerts join an
// incident (a new one when incident_id is absent).
func (s *server) postConfirm(w http.ResponseWriter, r *http.Request) {
	var b struct {
		AlertIDs   []int64 `json:"alert_ids"`
		IncidentID int64   `json:"incident_id"`
	}
	if !decodeTriage(w, r, &b) {
		return
	}
	id, err := s.triage.Confirm(r.Context(), b.AlertIDs, b.IncidentID)
	if err != nil {
		s.triageError(w, "confirm alerts", err)
		return
	}
	status := http.StatusOK
	if b.IncidentID == 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"incident_id": id, "alert_ids": b.AlertIDs})
}

// deleteIncidentAlert answers DELETE /api/v1/incidents/{id}/alerts/{alert_id}:
// the link is undone, for the reason in the "reason" query parameter.
func (s *server) deleteIncidentAlert(w http.ResponseWriter, r *http.Request) {
	incidentID, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	alertID, ok := pathInt(w, r, "alert_id")
	if !ok {
		return
	}
	q := newQuery(r, "reason")
	reason := q.str("reason")
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	if err := s.triage.Unlink(r.Context(), alertID, incidentID, reason); err != nil {
		s.triageError(w, "unlink alert", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listSuppressions answers GET /api/v1/suppressions.
func (s *server) listSuppressions(w http.ResponseWriter, r *http.Request) {
	list, err := s.triage.ListSuppressions(r.Context())
	if err != nil {
		s.triageError(w, "list suppressions", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

// postSuppression answers POST /api/v1/suppressions.
func (s *server) postSuppression(w http.ResponseWriter, r *http.Request) {
	var b struct {
		RuleID  string            `json:"rule_id"`
		Fields  map[string]string `json:"fields"`
		Reason  string            `json:"reason"`
		Expires time.Time         `json:"expires"`
	}
	if !decodeTriage(w, r, &b) {
		return
	}
	sup := &triage.Suppression{RuleID: b.RuleID, Fields: b.Fields, Reason: b.Reason,
		Expires: b.Expires}
	if err := s.triage.CreateSuppression(r.Context(), sup); err != nil {
		s.triageError(w, "create suppression", err)
		return
	}
	writeJSON(w, http.StatusCreated, sup)
}

// deleteSuppression answers DELETE /api/v1/suppressions/{id}.
func (s *server) deleteSuppression(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	if err := s.triage.DeleteSuppression(r.Context(), id); err != nil {
		s.triageError(w, "delete suppression", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
