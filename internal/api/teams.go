package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// ResponseConfig configures the response team, escalation and watch rules
// (docs/team.md). The zero value works: the built-in engagement rules, no
// notifications, watch rules stored but not run, time.Now.
type ResponseConfig struct {
	// Rules pick the subject-matter experts of an escalation. Nil:
	// team.DefaultRules().
	Rules *team.Rules
	// Notifier is told of every engagement. Nil: team.NopNotifier.
	Notifier team.Notifier
	// Watch is the running detection's extra rule set, where watch rules
	// are loaded. Nil: watch rules are stored but match nothing.
	Watch *detect.ExtraRules
	// Now is the clock of on-call decisions and watch rule expiry checks.
	// Nil: time.Now.
	Now func() time.Time
}

func (s *server) responseNow() time.Time {
	if s.cfg.Response.Now != nil {
		return s.cfg.Response.Now()
	}
	return time.Now()
}

// teamInput is the body of POST /api/v1/teams and, with every field
// optional, of PATCH /api/v1/teams/{id}.
type teamInput struct {
	ID                *string    `json:"id"`
	Name              *string    `json:"name"`
	Kind              *team.Kind `json:"kind"`
	Members           *[]string  `json:"members"`
	EscalationContact *string    `json:"escalation_contact"`
	Services          *[]string  `json:"services"`
}

// apply sets the fields sent on t and returns their names.
func (in *teamInput) apply(t *team.Team) []string {
	var fields []string
	str := func(name string, dst, v *string) {
		if v != nil {
			*dst, fields = strings.TrimSpace(*v), append(fields, name)
		}
	}
	str("name", &t.Name, in.Name)
	str("escalation_contact", &t.EscalationContact, in.EscalationContact)
	if in.Kind != nil {
		t.Kind, fields = *in.Kind, append(fields, "kind")
	}
	if in.Members != nil {
		t.Members, fields = *in.Members, append(fields, "members")
	}
	if in.Services != nil {
		t.Services, fields = *in.Services, append(fields, "services")
	}
	return fields
}

// listTeams answers GET /api/v1/teams: every team, by ID.
func (s *server) listTeams(w http.ResponseWriter, r *http.Request) {
	ts, err := s.cfg.Store.ListTeams(r.Context())
	if err != nil {
		s.storeError(w, "list teams", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []team.Team `json:"items"`
	}{ts})
}

// createTeam answers POST /api/v1/teams.
func (s *server) createTeam(w http.ResponseWriter, r *http.Request) {
	var in teamInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	t := team.Team{Roster: []team.Shift{}}
	if in.ID != nil {
		t.ID = strings.TrimSpace(*in.ID)
	}
	in.apply(&t)
	if t.Members == nil {
		t.Members = []string{}
	}
	if err := t.Validate(); err != nil {
		writeRequestError(w, invalid("team", "%v", err))
		return
	}
	err := s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.CreateTeam(r.Context(), &t); err != nil {
			return err
		}
		return s.recordTeam(r.Context(), tx, audit.TeamCreated, &t,
			map[string]any{"name": t.Name, "kind": t.Kind})
	})
	if errors.Is(err, store.ErrDuplicate) {
		writeError(w, http.StatusConflict, "team "+t.ID+" exists already")
		return
	} else if err != nil {
		s.storeError(w, "create team", err)
		return
	}
	writeTeam(w, http.StatusCreated, &t)
}

func writeTeam(w http.ResponseWriter, status int, t *team.Team) {
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, status, t)
}

// getTeam answers GET /api/v1/teams/{id}.
func (s *server) getTeam(w http.ResponseWriter, r *http.Request) {
	t, err := s.cfg.Store.GetTeam(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "get team", err)
		return
	}
	writeTeam(w, http.StatusOK, t)
}

// patchTeam answers PATCH /api/v1/teams/{id}; If-Match is required.
func (s *server) patchTeam(w http.ResponseWriter, r *http.Request) {
	var in teamInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	if in.ID != nil {
		writeRequestError(w, invalid("id", "a team's ID does not change"))
		return
	}
	s.changeTeam(w, r, func(t *team.Team) (audit.Action, map[string]any) {
		return audit.TeamUpdated, map[string]any{"fields": in.apply(t)}
	})
}

// rosterInput is the body of PUT /api/v1/teams/{id}/roster. Start and End
// are RFC 3339, or wall-clock times ("2026-03-29 08:00") in TimeZone.
type rosterInput struct {
	Shifts []struct {
		User     string `json:"user"`
		Start    string `json:"start"`
		End      string `json:"end"`
		TimeZone string `json:"time_zone"`
	} `json:"shifts"`
}

// putRoster answers PUT /api/v1/teams/{id}/roster: the roster is replaced
// whole; If-Match is required.
func (s *server) putRoster(w http.ResponseWriter, r *http.Request) {
	var in rosterInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	shifts := []team.Shift{}
	for i, sh := range in.Shifts {
		loc, err := time.LoadLocation(sh.TimeZone)
		if err != nil || sh.TimeZone == "Local" {
			writeRequestError(w, invalid("shifts", "[%d].time_zone %q is not an IANA zone", i,
				sh.TimeZone))
			return
		}
		start, err1 := team.ParseShiftTime(sh.Start, loc)
		end, err2 := team.ParseShiftTime(sh.End, loc)
		if err := errors.Join(err1, err2); err != nil {
			writeRequestError(w, invalid("shifts", "[%d]: %v", i, err))
			return
		}
		shifts = append(shifts, team.Shift{User: sh.User, Start: start, End: end,
			TimeZone: sh.TimeZone})
	}
	s.changeTeam(w, r, func(t *team.Team) (audit.Action, map[string]any) {
		t.Roster = shifts
		return audit.TeamRosterSet, map[string]any{"shifts": len(shifts)}
	})
}

// changeTeam applies edit to the team named in the path under If-Match,
// validates and saves it with the audit entry edit names.
func (s *server) changeTeam(w http.ResponseWriter, r *http.Request,
	edit func(t *team.Team) (audit.Action, map[string]any)) {
	want, sent, err := ifMatch(r)
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case !sent:
		writeError(w, http.StatusPreconditionRequired,
			"If-Match is required: send the ETag of the team you edited")
		return
	}
	t, err := s.cfg.Store.GetTeam(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "get team", err)
		return
	}
	if t.Version != want {
		stale(w, want, t.Version)
		return
	}
	action, details := edit(t)
	if err := t.Validate(); err != nil {
		writeRequestError(w, invalid("team", "%v", err))
		return
	}
	err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.UpdateTeam(r.Context(), t); err != nil {
			return err
		}
		return s.recordTeam(r.Context(), tx, action, t, details)
	})
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		stale(w, want, ce.Current)
		return
	} else if err != nil {
		s.storeError(w, "update team", err)
		return
	}
	writeTeam(w, http.StatusOK, t)
}

// recordTeam records an audit entry about team t in tx, the transaction
// that saved it.
func (s *server) recordTeam(ctx context.Context, tx store.Tx, action audit.Action, t *team.Team,
	details map[string]any) error {
	details["version"] = t.Version
	return s.audit.RecordIn(ctx, tx, audit.Entry{Action: action, ObjectType: "team",
		ObjectID: t.ID, Details: auditDetails(details)})
}

// getOnCall answers GET /api/v1/teams/{id}/oncall?at=: who the team
// engages at that RFC 3339 time (default now).
func (s *server) getOnCall(w http.ResponseWriter, r *http.Request) {
	at := s.responseNow()
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "query parameter \"at\": want an RFC 3339 time")
			return
		}
		at = t
	}
	t, err := s.cfg.Store.GetTeam(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "get team", err)
		return
	}
	oc := t.OnCall(at)
	writeJSON(w, http.StatusOK, struct {
		Team string    `json:"team"`
		At   time.Time `json:"at"`
		team.OnCall
	}{t.ID, at, oc})
}
