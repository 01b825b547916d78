package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// engageInput is the body of POST /api/v1/incidents/{id}/team.
type engageInput struct {
	User   string    `json:"user"`
	Role   team.Role `json:"role"`
	Reason string    `json:"reason"`
}

// engageRoles are the roles a person may be engaged in by name.
var engageRoles = []team.Role{team.RoleCommander, team.RoleScribe, team.RoleExpert,
	team.RoleService, team.RoleCommunications}

// postEngage answers POST /api/v1/incidents/{id}/team: a responder engages
// a named person in a role, beside what the engagement rules chose (an
// expert they did not pick, a new commander after the old one was
// disengaged). The person must be a Vigil user or a member of a team of the
// directory, and the reason is required (422). The same person active in
// the role already, or a second active commander or scribe, is 409. The
// engagement is recorded as member.engaged and notified like the others.
func (s *server) postEngage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in engageInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	in.User, in.Reason = strings.TrimSpace(in.User), strings.TrimSpace(in.Reason)
	if rerr := checkEngage(in); rerr != nil {
		writeRequestError(w, rerr)
		return
	}
	ctx := r.Context()
	if _, err := s.cfg.Store.GetIncident(ctx, id); err != nil {
		s.storeError(w, "get incident", err)
		return
	}
	known, err := s.knownPerson(ctx, in.User)
	if err != nil {
		s.storeError(w, "look up person", err)
		return
	}
	if !known {
		writeRequestError(w, invalid("user", "%q is neither a Vigil user nor a member of a "+
			"team in the directory", in.User))
		return
	}
	current, err := s.cfg.Store.ListEngagements(ctx, id)
	if err != nil {
		s.storeError(w, "list engagements", err)
		return
	}
	if msg := engageConflict(current, in); msg != "" {
		writeError(w, http.StatusConflict, msg)
		return
	}
	es := []team.Engagement{{IncidentID: id, User: in.User, Role: in.Role,
		Reason: in.Reason, EngagedAt: s.responseNow().UTC(), EngagedBy: userName(ctx)}}
	err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.AddEngagements(ctx, es); err != nil {
			return err
		}
		e := es[0]
		return s.recordResponse(ctx, tx, audit.MemberEngaged, "incident",
			strconv.FormatInt(id, 10), map[string]any{"engagement": e.ID, "user": e.User,
				"role": e.Role, "reason": e.Reason, "named": true})
	})
	if err != nil {
		s.storeError(w, "add engagement", err)
		return
	}
	e := es[0]
	notifier := s.cfg.Response.Notifier
	if notifier == nil {
		notifier = team.NopNotifier{}
	}
	if err := notifier.Engaged(ctx, id, e, e.Reason); err != nil {
		s.log.Warn("notify engaged member", "err", err, "incident_id", id)
	}
	writeJSON(w, http.StatusCreated, e)
}

// checkEngage reports what is wrong with the fields of in, nil when
// nothing.
func checkEngage(in engageInput) *requestError {
	switch {
	case in.User == "" || len(in.User) > 128:
		return invalid("user", "want a user name of 1 to 128 bytes")
	case !slices.Contains(engageRoles, in.Role):
		return invalid("role", "%q is not one of %v", in.Role, engageRoles)
	case in.Reason == "":
		return invalid("reason", "say why the person is engaged")
	}
	return nil
}

// knownPerson reports whether name is a Vigil user or a member of a team.
func (s *server) knownPerson(ctx context.Context, name string) (bool, error) {
	_, err := s.cfg.Store.UserByName(ctx, name)
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, store.ErrNotFound):
		return false, fmt.Errorf("user by name: %w", err)
	}
	teams, err := s.cfg.Store.ListTeams(ctx)
	if err != nil {
		return false, fmt.Errorf("list teams: %w", err)
	}
	return slices.ContainsFunc(teams, func(t team.Team) bool {
		return slices.Contains(t.Members, name) || t.EscalationContact == name
	}), nil
}

// engageConflict returns why in clashes with the active engagements, ""
// when it does not.
func engageConflict(current []team.Engagement, in engageInput) string {
	for _, c := range current {
		switch {
		case !c.Active():
		case c.User == in.User && c.Role == in.Role:
			return fmt.Sprintf("%s is engaged as %s already", in.User, in.Role)
		case c.Role == in.Role && (in.Role == team.RoleCommander ||
			in.Role == team.RoleScribe):
			return fmt.Sprintf("%s is the active %s; disengage them first", c.User, c.Role)
		}
	}
	return ""
}
