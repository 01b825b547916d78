package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/store"
)

// MaxWatchRuleLifetime bounds how far ahead a watch rule may expire.
const MaxWatchRuleLifetime = 90 * 24 * time.Hour

// watchRuleInput is the body of POST .../watch-rules.
type watchRuleInput struct {
	YAML    string    `json:"yaml"`
	Expires time.Time `json:"expires"`
}

// watchRuleList is the JSON of an incident's watch rules.
type watchRuleList struct {
	Items []plan.WatchRule `json:"items"`
}

// listWatchRules answers GET /api/v1/incidents/{id}/watch-rules: every
// watch rule of the incident, expired and removed ones included.
func (s *server) listWatchRules(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
		s.storeError(w, "get incident", err)
		return
	}
	ws, err := s.cfg.Store.ListWatchRules(r.Context(), id)
	if err != nil {
		s.storeError(w, "list watch rules", err)
		return
	}
	writeJSON(w, http.StatusOK, watchRuleList{ws})
}

// postWatchRule answers POST /api/v1/incidents/{id}/watch-rules: the Sigma
// rule is parsed (422 naming the line on error), stored and loaded into the
// running detection until it expires.
func (s *server) postWatchRule(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in watchRuleInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	now := s.responseNow()
	switch {
	case !in.Expires.After(now):
		writeRequestError(w, invalid("expires", "must be in the future"))
		return
	case in.Expires.Sub(now) > MaxWatchRuleLifetime:
		writeRequestError(w, invalid("expires", "at most %s ahead", MaxWatchRuleLifetime))
		return
	}
	wr := plan.WatchRule{IncidentID: id, YAML: in.YAML, Expires: in.Expires.UTC(),
		CreatedBy: audit.ActorFrom(r.Context()), Created: now.UTC()}
	rule, err := wr.Compile()
	if err != nil {
		writeRequestError(w, invalid("yaml", "%v", err))
		return
	}
	err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.AddWatchRule(r.Context(), &wr); err != nil {
			return err
		}
		return s.recordResponse(r.Context(), tx, audit.WatchRuleAdded, "incident",
			strconv.FormatInt(id, 10), map[string]any{"watch_rule": wr.ID,
				"rule_id": wr.RuleID, "title": wr.Title, "expires": wr.Expires})
	})
	if err != nil {
		s.storeError(w, "add watch rule", err)
		return
	}
	if s.cfg.Response.Watch != nil {
		s.cfg.Response.Watch.Add(wr.ID, rule, id, wr.Expires)
	}
	writeJSON(w, http.StatusCreated, wr)
}

// deleteWatchRule answers DELETE /api/v1/incidents/{id}/watch-rules/{rule}
// (?reason=): the rule stops matching and is kept, marked removed.
func (s *server) deleteWatchRule(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ruleID, err := strconv.ParseInt(r.PathValue("rule"), 10, 64)
	if err != nil || ruleID <= 0 {
		writeError(w, http.StatusBadRequest, "path parameter \"rule\": not a positive integer")
		return
	}
	ws, err := s.cfg.Store.ListWatchRules(r.Context(), id)
	if err != nil {
		s.storeError(w, "list watch rules", err)
		return
	}
	var wr *plan.WatchRule
	for i := range ws {
		if ws[i].ID == ruleID {
			wr = &ws[i]
		}
	}
	switch {
	case wr == nil:
		writeError(w, http.StatusNotFound, "not found")
		return
	case !wr.RemovedAt.IsZero():
		writeError(w, http.StatusConflict, "the watch rule was removed already")
		return
	}
	wr.RemovedAt, wr.RemovedBy = s.responseNow().UTC(), audit.ActorFrom(r.Context())
	wr.RemovedReason = strings.TrimSpace(r.URL.Query().Get("reason"))
	err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.RemoveWatchRule(r.Context(), wr); err != nil {
			return err
		}
		return s.recordResponse(r.Context(), tx, audit.WatchRuleRemoved, "incident",
			strconv.FormatInt(id, 10), map[string]any{"watch_rule": wr.ID,
				"rule_id": wr.RuleID, "reason": wr.RemovedReason})
	})
	if err != nil {
		s.storeError(w, "remove watch rule", err)
		return
	}
	if s.cfg.Response.Watch != nil {
		s.cfg.Response.Watch.Remove(wr.ID)
	}
	writeJSON(w, http.StatusOK, wr)
}
