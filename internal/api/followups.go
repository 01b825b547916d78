package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// followUpInput is the body of POST /api/v1/incidents/{id}/follow-ups.
type followUpInput struct {
	Kind        postmortem.FollowUpKind `json:"kind"`
	Title       string                  `json:"title"`
	Description string                  `json:"description"`
	Owner       string                  `json:"owner"`
	Due         readiness.Date          `json:"due"`
	Finding     int                     `json:"finding"`
}

// listIncidentFollowUps answers GET /api/v1/incidents/{id}/follow-ups.
func (s *server) listIncidentFollowUps(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Store.GetIncidentRecord(r.Context(), id); err != nil {
		s.storeError(w, "get incident record", err)
		return
	}
	fus, err := s.followUpsOf(r.Context(), id, time.Now())
	if err != nil {
		s.storeError(w, "list follow-ups", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []postmortem.FollowUp `json:"items"`
	}{fus})
}

// postFollowUp answers POST /api/v1/incidents/{id}/follow-ups: an item the
// post-mortem asks for, tracked to closure. The incident must have a
// post-mortem; finding, when given, must be one of its findings.
func (s *server) postFollowUp(w http.ResponseWriter, r *http.Request) {
	var in followUpInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	_, pm, ok := s.loadPostMortem(w, r)
	if !ok {
		return
	}
	if in.Finding > len(pm.Findings) {
		writeRequestError(w, invalid("finding", "the post-mortem has no finding %d", in.Finding))
		return
	}
	by, now := audit.ActorFrom(r.Context()), nowMicro()
	f, err := postmortem.NewFollowUp(pm.IncidentID, in.Kind, in.Title, in.Description,
		in.Owner, in.Due.Time, in.Finding, by, now)
	if !s.editFailed(w, err) {
		return
	}
	err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.CreateFollowUp(r.Context(), f); err != nil {
			return err
		}
		return s.recordFollowUp(r.Context(), tx, f, audit.FollowUpCreated, map[string]any{
			"kind": f.Kind, "title": f.Title, "owner": f.Owner,
			"due": f.Due.Format(time.DateOnly), "finding": f.Finding})
	})
	if err != nil {
		s.storeError(w, "create follow-up", err)
		return
	}
	f.Overdue = f.Tracking.Overdue(now)
	writeVersioned(w, http.StatusCreated, f.Version, f)
}

// recordFollowUp records an entry about f in tx.
func (s *server) recordFollowUp(ctx context.Context, tx store.Tx, f *postmortem.FollowUp,
	action audit.Action, details map[string]any) error {
	details["incident_id"] = f.IncidentID
	details["version"] = f.Version
	return s.audit.RecordIn(ctx, tx, audit.Entry{Action: action, ObjectType: "follow_up",
		ObjectID: strconv.FormatInt(f.ID, 10), Details: auditDetails(details)})
}

// listFollowUps answers GET /api/v1/follow-ups: every incident's items,
// filtered by owner, state, kind, open (not verified) and overdue,
// overdue ones first, then by due date.
func (s *server) listFollowUps(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "owner", "state", "kind", "open", "overdue", "incident")
	kinds := make([]string, 0, 5)
	for _, k := range postmortem.FollowUpKinds() {
		kinds = append(kinds, string(k))
	}
	states := make([]string, 0, 5)
	for _, st := range readiness.States() {
		states = append(states, string(st))
	}
	f := store.FollowUpFilter{Owner: q.str("owner"),
		State: readiness.State(q.str("state", states...)), IncidentID: q.id("incident"),
		Open: q.str("open", "true", "false") == "true"}
	kind, overdue := q.str("kind", kinds...), q.str("overdue", "true", "false") == "true"
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	items, err := s.cfg.Store.ListFollowUps(r.Context(), f)
	if err != nil {
		s.storeError(w, "list follow-ups", err)
		return
	}
	now := time.Now()
	out := []postmortem.FollowUp{}
	n := 0
	for _, it := range items {
		it.Overdue = it.Tracking.Overdue(now)
		if it.Overdue {
			n++
		}
		if kind != "" && string(it.Kind) != kind || overdue && !it.Overdue {
			continue
		}
		out = append(out, it)
	}
	slices.SortStableFunc(out, func(a, b postmortem.FollowUp) int {
		if a.Overdue != b.Overdue {
			return map[bool]int{true: -1, false: 1}[a.Overdue]
		}
		return a.Due.Compare(b.Due)
	})
	writeJSON(w, http.StatusOK, struct {
		Items   []postmortem.FollowUp `json:"items"`
		Overdue int                   `json:"overdue"`
	}{out, n})
}

// getFollowUp answers GET /api/v1/follow-ups/{id}.
func (s *server) getFollowUp(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	f, err := s.cfg.Store.GetFollowUp(r.Context(), id)
	if err != nil {
		s.storeError(w, "get follow-up", err)
		return
	}
	f.Overdue = f.Tracking.Overdue(time.Now())
	writeVersioned(w, http.StatusOK, f.Version, f)
}

// followUpPatch is the body of PATCH /api/v1/follow-ups/{id}; absent fields
// stay. A state change may carry a reason, and a risk acceptance needs one
// and an expiry.
type followUpPatch struct {
	Title       *string          `json:"title"`
	Description *string          `json:"description"`
	Owner       *string          `json:"owner"`
	Due         *readiness.Date  `json:"due"`
	State       *readiness.State `json:"state"`
	Reason      string           `json:"reason"`
	RiskExpires time.Time        `json:"risk_expires"`
}

// patchFollowUp answers PATCH /api/v1/follow-ups/{id} (If-Match optional).
// A service engineer (not also admin or responder) may change only the
// items it owns, and only their state (to open, in_progress or fixed) and
// description; verification, risk acceptance and reassignment stay with
// the security team.
func (s *server) patchFollowUp(w http.ResponseWriter, r *http.Request) {
	var p followUpPatch
	if !decodeTriage(w, r, &p) {
		return
	}
	s.changeFollowUp(w, r, func(f *postmortem.FollowUp, by string, now time.Time) (
		[]note, error) {
		if err := ownerMayChange(r, f, p); err != nil {
			return nil, err
		}
		return applyFollowUpPatch(f, p, by, now)
	})
}

// ownerMayChange checks a service engineer's change of a follow-up.
func ownerMayChange(r *http.Request, f *postmortem.FollowUp, p followUpPatch) error {
	owner := ownerOnly(r)
	switch {
	case owner == "":
		return nil
	case f.Owner != owner:
		return &requestError{Status: http.StatusForbidden,
			Msg: "a service engineer changes only the follow-ups it owns"}
	case p.Title != nil || p.Owner != nil || p.Due != nil:
		return &requestError{Status: http.StatusForbidden,
			Msg: "an owner changes the state and the description only"}
	case p.State != nil && !slices.Contains([]readiness.State{readiness.StateOpen,
		readiness.StateInProgress, readiness.StateFixed}, *p.State):
		return &requestError{Status: http.StatusForbidden,
			Msg: "verification and risk acceptance stay with the security team"}
	}
	return nil
}

// applyFollowUpPatch changes f as p says and returns the notes to record.
func applyFollowUpPatch(f *postmortem.FollowUp, p followUpPatch, by string,
	now time.Time) ([]note, error) {
	var notes []note
	changed := map[string]any{}
	if p.Title != nil {
		if strings.TrimSpace(*p.Title) == "" {
			return nil, invalid("title", "must not be empty")
		}
		changed["title"], f.Title = *p.Title, strings.TrimSpace(*p.Title)
	}
	if p.Description != nil {
		changed["description_length"], f.Description = len(*p.Description),
			strings.TrimSpace(*p.Description)
	}
	if p.Owner != nil {
		if strings.TrimSpace(*p.Owner) == "" {
			return nil, invalid("owner", "must not be empty: every follow-up has an owner")
		}
		changed["owner"] = map[string]string{"from": f.Owner, "to": *p.Owner}
		f.Owner = strings.TrimSpace(*p.Owner)
	}
	if p.Due != nil {
		if p.Due.IsZero() {
			return nil, invalid("due", "must be set")
		}
		changed["due"] = map[string]string{"from": f.Due.Format(time.DateOnly),
			"to": p.Due.Format(time.DateOnly)}
		f.Due = p.Due.Time
	}
	if len(changed) > 0 {
		notes = append(notes, note{audit.FollowUpUpdated, changed})
	}
	if p.State != nil {
		from := f.State
		err := f.Move(*p.State, by, strings.TrimSpace(p.Reason), p.RiskExpires, now)
		if errors.Is(err, readiness.ErrBadMove) || errors.Is(err, readiness.ErrRiskTerms) {
			return nil, invalid("state", "%v", err)
		} else if err != nil {
			return nil, err
		}
		notes = append(notes, note{audit.FollowUpStateChanged, map[string]any{"from": from,
			"to": f.State, "reason": strings.TrimSpace(p.Reason), "risk_expires": p.RiskExpires}})
	}
	if len(notes) == 0 {
		return nil, invalid("state", "the change changes nothing")
	}
	return notes, nil
}

// fuEditFunc changes a follow-up in memory and says what to record.
type fuEditFunc func(f *postmortem.FollowUp, by string, now time.Time) ([]note, error)

// changeFollowUp runs edit on the follow-up of the path and saves it with
// optimistic concurrency (If-Match optional, as change).
func (s *server) changeFollowUp(w http.ResponseWriter, r *http.Request, edit fuEditFunc) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	want, sent, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	by := audit.ActorFrom(r.Context())
	for attempt := 0; ; attempt++ {
		f, err := s.cfg.Store.GetFollowUp(r.Context(), id)
		if err != nil {
			s.storeError(w, "get follow-up", err)
			return
		}
		if sent && f.Version != want {
			stale(w, want, f.Version)
			return
		}
		now := nowMicro()
		notes, err := edit(f, by, now)
		if !s.editFailed(w, err) {
			return
		}
		err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
			if err := tx.UpdateFollowUp(r.Context(), f); err != nil {
				return err
			}
			for _, n := range notes {
				if err := s.recordFollowUp(r.Context(), tx, f, n.action, n.details); err != nil {
					return err
				}
			}
			return nil
		})
		if errors.Is(err, store.ErrConflict) && attempt < changeRetries {
			continue
		} else if err != nil {
			s.storeError(w, "update follow-up", err)
			return
		}
		f.Overdue = f.Tracking.Overdue(now)
		writeVersioned(w, http.StatusOK, f.Version, f)
		return
	}
}

// ruleInput is the body of POST /api/v1/follow-ups/{id}/rule.
type ruleInput struct {
	RuleID string `json:"rule_id"`
}

// postFollowUpRule answers POST /api/v1/follow-ups/{id}/rule: the
// detection rule that answers a detection-rule follow-up, which must be
// loaded by this server; the link keeps the SHA-256 of the rule's file as
// loaded, so that the version that closed the loop is known.
func (s *server) postFollowUpRule(w http.ResponseWriter, r *http.Request) {
	var in ruleInput
	if !decodeTriage(w, r, &in) {
		return
	}
	s.changeFollowUp(w, r, func(f *postmortem.FollowUp, by string, now time.Time) ([]note,
		error) {
		id := strings.TrimSpace(in.RuleID)
		var rule postmortem.RuleVersion
		ok := false
		if s.cfg.Rules != nil {
			rule, ok = s.cfg.Rules.Rule(id)
		}
		if !ok {
			return nil, invalid("rule_id", "no rule %q is loaded by this server", id)
		}
		if err := f.LinkRule(rule, by, now); err != nil {
			return nil, err
		}
		return []note{{audit.FollowUpRuleLinked, map[string]any{"rule_id": rule.ID,
			"title": rule.Title, "file": rule.File, "sha256": rule.SHA256}}}, nil
	})
}

// postFollowUpReminders answers POST /api/v1/follow-ups/reminders: this
// week's reminders of overdue follow-ups, now.
func (s *server) postFollowUpReminders(w http.ResponseWriter, r *http.Request) {
	res, err := FollowUpReminders(r.Context(), s.cfg.Store, time.Now())
	if err != nil {
		s.storeError(w, "follow-up reminders", err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// FollowUpReminders queues this week's reminders of the overdue follow-ups
// of st through its notification outbox: to each owner, and to each member
// (and escalation contact) of the security-response teams of the
// directory. vigil serve runs it with the readiness reminders.
func FollowUpReminders(ctx context.Context, st store.Store, now time.Time) (
	postmortem.RemindResult, error) {
	items, err := st.ListFollowUps(ctx, store.FollowUpFilter{Open: true})
	if err != nil {
		return postmortem.RemindResult{}, err
	}
	teams, err := st.ListTeams(ctx)
	if err != nil {
		return postmortem.RemindResult{}, err
	}
	var sirt []string
	for _, t := range teams {
		if t.Kind == team.KindSecurityResponse {
			sirt = append(append(sirt, t.Members...), t.EscalationContact)
		}
	}
	sirt = slices.DeleteFunc(sirt, func(s string) bool { return s == "" })
	d := notify.NewDispatcher(st, store.NotifyDirectory(st))
	return postmortem.Remind(ctx, d, items, sirt, now)
}
