package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// escalateInput is the body of POST /api/v1/incidents/{id}/escalate. An
// empty commander is the escalating user; an empty scribe the security
// response team's on-call (else the escalating user).
type escalateInput struct {
	Commander string `json:"commander"`
	Scribe    string `json:"scribe"`
	Reason    string `json:"reason"`
}

// engagementList is the JSON of an incident's virtual team.
type engagementList struct {
	Items []team.Engagement `json:"items"`
	// Added are the IDs engaged by this request (escalate only).
	Added []int64 `json:"added,omitempty"`
}

// postEscalate answers POST /api/v1/incidents/{id}/escalate: it builds (or
// completes) the incident's virtual team and answers with all of it.
func (s *server) postEscalate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in escalateInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	esc := team.Escalation{Commander: strings.TrimSpace(in.Commander),
		Scribe: strings.TrimSpace(in.Scribe)}
	all, added, err := s.engage(r.Context(), id, esc, true, strings.TrimSpace(in.Reason))
	if err != nil {
		s.storeError(w, "escalate incident", err)
		return
	}
	writeJSON(w, http.StatusOK, engagementList{Items: all, Added: added})
}

// engage plans the engagements of incident id, stores and records the new
// ones in one transaction, and then notifies them. escalated records
// incident.escalated with reason. It returns every engagement and the IDs
// added.
func (s *server) engage(ctx context.Context, id int64, esc team.Escalation, escalated bool,
	reason string) ([]team.Engagement, []int64, error) {
	rec, err := s.cfg.Store.GetIncidentRecord(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	teams, err := s.cfg.Store.ListTeams(ctx)
	if err != nil {
		return nil, nil, err
	}
	current, err := s.cfg.Store.ListEngagements(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !escalated && len(current) == 0 {
		return current, nil, nil // not escalated: nothing to re-evaluate
	}
	esc.IncidentID, esc.Facts, esc.Teams, esc.Current = id, factsOf(rec), teams, current
	esc.Rules, esc.By, esc.At = s.cfg.Response.Rules, userName(ctx), s.responseNow()
	if esc.Rules == nil {
		esc.Rules = team.DefaultRules()
	}
	added := team.Plan(esc)
	if escalated || len(added) > 0 {
		err := s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
			return s.storeEngagements(ctx, tx, rec, added, escalated, reason)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	notifier := s.cfg.Response.Notifier
	if notifier == nil {
		notifier = team.NopNotifier{}
	}
	ids := make([]int64, len(added))
	for i, e := range added {
		ids[i] = e.ID
		if err := notifier.Engaged(ctx, id, e, e.Reason); err != nil {
			s.log.Warn("notify engaged member", "err", err, "incident_id", id)
		}
	}
	return append(current, added...), ids, nil
}

// storeEngagements stores the engagements added to the team of rec's
// incident and records them, and the escalation when escalated, in tx.
func (s *server) storeEngagements(ctx context.Context, tx store.Tx, rec *store.IncidentRecord,
	added []team.Engagement, escalated bool, reason string) error {
	if len(added) > 0 {
		if err := tx.AddEngagements(ctx, added); err != nil {
			return err
		}
	}
	objID := strconv.FormatInt(rec.ID, 10)
	if escalated {
		err := s.recordResponse(ctx, tx, audit.IncidentEscalated, "incident", objID,
			map[string]any{"number": rec.Record.Number, "reason": reason,
				"engaged": len(added)})
		if err != nil {
			return err
		}
	}
	for _, e := range added {
		err := s.recordResponse(ctx, tx, audit.MemberEngaged, "incident", objID, map[string]any{
			"engagement": e.ID, "user": e.User, "team": e.Team, "role": e.Role, "rule": e.Rule,
			"reason": e.Reason, "fallback": e.Fallback, "reevaluation": !escalated})
		if err != nil {
			return err
		}
	}
	return nil
}

// factsOf returns what the engagement rules see of an incident.
func factsOf(rec *store.IncidentRecord) team.Facts {
	r := &rec.Record
	f := team.Facts{Category: string(r.Category), Severity: -1, Services: r.Resources.Services,
		Title: r.Title, Summary: r.Summary}
	if n := len(r.Severity); n > 0 {
		f.Severity = int(r.Severity[n-1].Decided)
	}
	return f
}

// userName returns the name of the request's principal (a user name, or a
// token's name), or the audit actor when there is no principal.
func userName(ctx context.Context) string {
	if p, ok := auth.PrincipalFrom(ctx); ok {
		return p.Name
	}
	return audit.ActorFrom(ctx)
}

// recordResponse records the audit entry of a response change in tx, the
// change's transaction. The notifications that the change calls for are
// notifyResponse's, once the transaction has committed.
func (s *server) recordResponse(ctx context.Context, tx store.Tx, action audit.Action, objType,
	objID string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	return s.audit.RecordIn(ctx, tx, audit.Entry{Action: action, ObjectType: objType,
		ObjectID: objID, Details: auditDetails(details)})
}

// getIncidentTeam answers GET /api/v1/incidents/{id}/team.
func (s *server) getIncidentTeam(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
		s.storeError(w, "get incident", err)
		return
	}
	es, err := s.cfg.Store.ListEngagements(r.Context(), id)
	if err != nil {
		s.storeError(w, "list engagements", err)
		return
	}
	writeJSON(w, http.StatusOK, engagementList{Items: es})
}

// disengageInput is the body of POST .../team/{member}/disengage.
type disengageInput struct {
	Reason string `json:"reason"`
}

// postDisengage answers POST /api/v1/incidents/{id}/team/{member}/disengage:
// member is an engagement ID; the reason is required.
func (s *server) postDisengage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	member, err := strconv.ParseInt(r.PathValue("member"), 10, 64)
	if err != nil || member <= 0 {
		writeError(w, http.StatusBadRequest, "path parameter \"member\": not a positive integer")
		return
	}
	var in disengageInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	es, err := s.cfg.Store.ListEngagements(r.Context(), id)
	if err != nil {
		s.storeError(w, "list engagements", err)
		return
	}
	var e *team.Engagement
	for i := range es {
		if es[i].ID == member {
			e = &es[i]
		}
	}
	if e == nil {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	err = e.Disengage(audit.ActorFrom(r.Context()), in.Reason, time.Now().UTC())
	switch {
	case errors.Is(err, team.ErrReasonRequired):
		writeRequestError(w, invalid("reason", "a disengagement needs a reason"))
		return
	case errors.Is(err, team.ErrDisengaged):
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.EndEngagement(r.Context(), e); err != nil {
			return err
		}
		return s.recordResponse(r.Context(), tx, audit.MemberDisengaged, "incident",
			strconv.FormatInt(id, 10), map[string]any{"engagement": e.ID, "user": e.User,
				"team": e.Team, "role": e.Role, "reason": e.DisengagedReason})
	})
	if err != nil {
		s.storeError(w, "end engagement", err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// reevaluate wraps the PATCH of an incident: after a successful change,
// the virtual team of an escalated incident is re-evaluated, engaging the
// teams that newly match (never removing anyone).
func (s *server) reevaluate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status != http.StatusOK {
			return
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return
		}
		if _, _, err := s.engage(r.Context(), id, team.Escalation{}, false, ""); err != nil {
			s.log.Error("re-evaluate incident team", "err", err, "incident_id", id)
		}
	})
}
