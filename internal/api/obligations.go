package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// The routes of an incident's facts and obligations (docs/regulations.md).
// All are staff-only; the obligation key in the path is URL-escaped
// ("gdpr-art33-2%2Fnotification@acme").

// Who may record facts and decide on obligations (authz.go).
var (
	factRecorders      = []string{auth.RoleAdmin, auth.RoleResponder, auth.RoleLegal}
	obligationDeciders = []string{auth.RoleAdmin, auth.RoleLegal}
)

// factsView is the answer of GET /api/v1/incidents/{id}/facts.
type factsView struct {
	Current []store.IncidentFact `json:"current"`
	History []store.IncidentFact `json:"history"`
}

// factBody is the body of POST /api/v1/incidents/{id}/facts.
type factBody struct {
	Name      string           `json:"name"`
	Truth     string           `json:"truth"`
	At        *string          `json:"at"` // RFC 3339, parsed by postFact
	Note      string           `json:"note"`
	Tenant    string           `json:"tenant"`
	Count     int64            `json:"count"`
	Residents map[string]int64 `json:"residents"`
}

// factResult is the answer of POST /api/v1/incidents/{id}/facts.
type factResult struct {
	Fact        store.IncidentFact  `json:"fact"`
	Changes     []regulation.Change `json:"changes"`
	Obligations []obligation.View   `json:"obligations"`
}

// obligationItems is the answer of GET /api/v1/incidents/{id}/obligations.
type obligationItems struct {
	Items []obligation.View `json:"items"`
}

// incidentOf reads {id} and checks that the incident exists; it answers
// and returns false otherwise.
func (s *server) incidentOf(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return 0, false
	}
	if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
		closeUnread(w, r)
		s.storeError(w, "get incident", err)
		return 0, false
	}
	return id, true
}

// getFacts answers GET /api/v1/incidents/{id}/facts.
func (s *server) getFacts(w http.ResponseWriter, r *http.Request) {
	id, ok := s.incidentOf(w, r)
	if !ok {
		return
	}
	cur, hist, err := s.obligations.Facts(r.Context(), id)
	if err != nil {
		s.storeError(w, "list facts", err)
		return
	}
	writeJSON(w, http.StatusOK, factsView{Current: cur, History: hist})
}

// postFact answers POST /api/v1/incidents/{id}/facts: the fact is stored,
// the obligations recomputed, both audited, in one transaction.
func (s *server) postFact(w http.ResponseWriter, r *http.Request) {
	id, ok := s.incidentOf(w, r)
	if !ok {
		return
	}
	var b factBody
	if e := decodeChange(r, &b); e != nil {
		writeRequestError(w, e)
		return
	}
	truth := regulation.Truth(b.Truth)
	switch b.Truth {
	case "yes", "no":
	case "unknown", "":
		truth = regulation.Unknown
		if b.Truth == "" {
			writeRequestError(w, invalid("truth", "missing; want yes, no or unknown"))
			return
		}
	default:
		writeRequestError(w, invalid("truth", "%q: want yes, no or unknown", b.Truth))
		return
	}
	f := store.IncidentFact{IncidentID: id, Tenant: b.Tenant, Name: b.Name,
		Fact: regulation.Fact{Truth: truth, Count: b.Count, Residents: b.Residents,
			Note: b.Note}}
	if b.At != nil {
		if err := f.At.UnmarshalText([]byte(*b.At)); err != nil {
			writeRequestError(w, invalid("at",
				"%q is not an RFC 3339 time such as 2026-12-04T10:00:00Z", *b.At))
			return
		}
	}
	res, err := s.obligations.RecordFact(r.Context(), f)
	if err != nil {
		s.obligationError(w, "record fact", err)
		return
	}
	views, err := s.views(r, res.Obligations)
	if err != nil {
		s.storeError(w, "list obligations", err)
		return
	}
	writeJSON(w, http.StatusOK, factResult{Fact: res.Fact, Changes: res.Changes,
		Obligations: views})
}

// listObligations answers GET /api/v1/incidents/{id}/obligations.
func (s *server) listObligations(w http.ResponseWriter, r *http.Request) {
	id, ok := s.incidentOf(w, r)
	if !ok {
		return
	}
	recs, err := s.obligations.List(r.Context(), id)
	if err != nil {
		s.storeError(w, "list obligations", err)
		return
	}
	views, err := s.views(r, recs)
	if err != nil {
		s.storeError(w, "list obligations", err)
		return
	}
	writeJSON(w, http.StatusOK, obligationItems{Items: views})
}

// getObligation answers GET /api/v1/incidents/{id}/obligations/{key}.
func (s *server) getObligation(w http.ResponseWriter, r *http.Request) {
	id, ok := s.incidentOf(w, r)
	if !ok {
		return
	}
	o, err := s.obligations.Get(r.Context(), id, r.PathValue("key"))
	if err != nil {
		s.storeError(w, "get obligation", err)
		return
	}
	s.writeObligation(w, r, o)
}

// postNotRequired answers POST .../obligations/{key}/not-required.
func (s *server) postNotRequired(w http.ResponseWriter, r *http.Request) {
	s.obligationChange(w, r, s.obligations.NotRequired)
}

// postReinstate answers POST .../obligations/{key}/reinstate.
func (s *server) postReinstate(w http.ResponseWriter, r *http.Request) {
	s.obligationChange(w, r, s.obligations.Reinstate)
}

// postClearOverdue answers POST .../obligations/{key}/clear-overdue.
func (s *server) postClearOverdue(w http.ResponseWriter, r *http.Request) {
	s.obligationChange(w, r, s.obligations.ClearOverdue)
}

// obligationChange runs a change with a reason and answers the record.
func (s *server) obligationChange(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, incidentID int64, key string, by regulation.Actor,
		reason string) (*store.ObligationRecord, error)) {
	id, ok := s.incidentOf(w, r)
	if !ok {
		return
	}
	var b reasonBody
	if e := decodeChange(r, &b); e != nil {
		writeRequestError(w, e)
		return
	}
	o, err := change(r.Context(), id, r.PathValue("key"), recordActor(r), b.Reason)
	if err != nil {
		s.obligationError(w, "change obligation", err)
		return
	}
	s.writeObligation(w, r, o)
}

// recordActor is the request's principal as the actor of a record's
// history: its audit name and its most telling role (legal first).
func recordActor(r *http.Request) regulation.Actor {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return regulation.Actor{}
	}
	a := regulation.Actor{ID: p.Actor()}
	for _, role := range []string{auth.RoleLegal, auth.RoleAdmin, auth.RoleCommunications,
		auth.RoleResponder} {
		if p.HasAnyRole(role) {
			a.Role = role
			break
		}
	}
	return a
}

// obligationError answers for an error of the obligation service.
func (s *server) obligationError(w http.ResponseWriter, op string, err error) {
	var fe *obligation.FieldError
	switch {
	case errors.As(err, &fe):
		writeRequestError(w, invalid(fe.Field, "%s", fe.Msg))
	case errors.Is(err, obligation.ErrState):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "the obligation changed meanwhile; try again")
	default:
		s.storeError(w, op, err)
	}
}

// writeObligation answers one record as its view.
func (s *server) writeObligation(w http.ResponseWriter, r *http.Request,
	o *store.ObligationRecord) {
	views, err := s.views(r, []store.ObligationRecord{*o})
	if err != nil {
		s.storeError(w, "get obligation", err)
		return
	}
	writeJSON(w, http.StatusOK, views[0])
}

// views returns the views of records at the obligation clock, with their
// tenants' names.
func (s *server) views(r *http.Request, recs []store.ObligationRecord) ([]obligation.View,
	error) {
	names := map[string]string{}
	out := make([]obligation.View, 0, len(recs))
	now := s.obligations.Now()
	for i := range recs {
		tn := recs[i].Tenant()
		if _, ok := names[tn]; !ok && tn != "" {
			t, err := s.cfg.Store.GetTenant(r.Context(), tn)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return nil, err
			default:
				names[tn] = t.Name
			}
		}
		out = append(out, obligation.ViewOf(&recs[i], names[tn], now))
	}
	return out, nil
}

// newObligations is the default obligation service of Config.Obligations.
func newObligations(cfg Config) (*obligation.Service, error) {
	cat, err := regulation.Builtin()
	if err != nil {
		return nil, err
	}
	return obligation.New(obligation.Config{Store: cfg.Store, Catalog: cat,
		Clock: cfg.Scope.Now, Logger: cfg.Logger})
}
