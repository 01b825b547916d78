package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// transitionInput is the body of POST /api/v1/incidents/{id}/transitions.
// TimeZone is the IANA zone of the person who moves the incident, kept with
// the phase change (default UTC).
type transitionInput struct {
	To       incident.Phase `json:"to"`
	Reason   string         `json:"reason"`
	TimeZone string         `json:"time_zone"`
}

// postTransition answers POST /api/v1/incidents/{id}/transitions: the move
// is checked by incident.Change against the facts the record holds; a
// refusal is 409 naming the gate.
func (s *server) postTransition(w http.ResponseWriter, r *http.Request) {
	var in transitionInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	if !in.To.Valid() {
		writeRequestError(w, invalid("to", "%q is not one of %v", in.To, incident.Phases()))
		return
	}
	loc := time.UTC
	if in.TimeZone != "" {
		l, err := time.LoadLocation(in.TimeZone)
		if err != nil || in.TimeZone == "Local" {
			writeRequestError(w, invalid("time_zone", "%q is not an IANA time zone",
				in.TimeZone))
			return
		}
		loc = l
	}
	var pmWrite alsoFunc
	s.changeWith(w, r, false, func(rec *store.IncidentRecord, by string, now time.Time) ([]note,
		error) {
		pmWrite = nil
		facts := rec.Gates.Facts(rec.Record.Classification, strings.TrimSpace(in.Reason))
		if err := s.signOffFacts(r.Context(), rec, in.To, &facts); err != nil {
			return nil, err
		}
		pc, err := incident.Change(rec.Record.Phase, in.To, facts, by, now.In(loc))
		var te *incident.TransitionError
		if errors.As(err, &te) {
			return nil, &requestError{Status: http.StatusConflict, Gate: te.Gate, Msg: te.Error()}
		} else if err != nil {
			return nil, invalid("to", "%v", err)
		}
		rec.Record.PhaseChanges = append(rec.Record.PhaseChanges, pc)
		rec.Record.Phase, rec.Record.Status = pc.To, pc.To.Status()
		notes := []note{{audit.IncidentPhaseChanged, map[string]any{"from": pc.From,
			"to": pc.To, "location": pc.Location, "reason": pc.Reason}}}
		if pc.To == incident.PhaseClosed {
			notes = append(notes, note{audit.IncidentClosed, nil})
		}
		if pc.To == incident.PhasePostIncident {
			if pmWrite, err = s.preparePostMortem(r.Context(), rec, by, now); err != nil {
				return nil, err
			}
		}
		return notes, nil
	}, func(ctx context.Context, tx store.Tx, rec *store.IncidentRecord) error {
		if pmWrite == nil {
			return nil
		}
		return pmWrite(ctx, tx, rec)
	})
}

// signOffFacts fills the post-mortem's part of the facts of a move from
// post-incident to closed: signed off when its post-mortem's current
// revision is signed off by the commander and an executive (the record's
// gate flag only mirrors it), and whose sign-off is missing.
func (s *server) signOffFacts(ctx context.Context, rec *store.IncidentRecord,
	to incident.Phase, facts *incident.GateFacts) error {
	if rec.Record.Phase != incident.PhasePostIncident || to != incident.PhaseClosed {
		return nil
	}
	pm, err := s.cfg.Store.GetPostMortem(ctx, rec.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		facts.PostMortemSignedOff = false
		facts.PostMortemPending = []string{"a post-mortem (none exists)"}
		return nil
	case err != nil:
		return err
	}
	facts.PostMortemSignedOff, facts.PostMortemPending = pm.SignedOff(), pm.Pending()
	return nil
}

// classificationInput is the body of POST .../classification.
type classificationInput struct {
	Classification incident.Classification `json:"classification"`
	Reason         string                  `json:"reason"`
}

// postClassification answers POST /api/v1/incidents/{id}/classification:
// confirmed or false-positive, which the gates of containment and of an
// early close look at.
func (s *server) postClassification(w http.ResponseWriter, r *http.Request) {
	var in classificationInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	if in.Classification != incident.Confirmed && in.Classification != incident.FalsePositive {
		writeRequestError(w, invalid("classification", "%q is not %q or %q", in.Classification,
			incident.Confirmed, incident.FalsePositive))
		return
	}
	s.change(w, r, false, func(rec *store.IncidentRecord, by string, now time.Time) ([]note,
		error) {
		from := rec.Record.Classification
		rec.Record.Classification = in.Classification
		if in.Classification == incident.Confirmed && rec.Record.Confirmed.IsZero() {
			rec.Record.Confirmed = now.UTC().Truncate(time.Microsecond)
		}
		what := "classified the incident " + string(in.Classification)
		if reason := strings.TrimSpace(in.Reason); reason != "" {
			what += ": " + reason
		}
		err := rec.Record.AppendAction(incident.Action{By: by, At: now, What: what})
		if err != nil {
			return nil, err
		}
		return []note{{audit.IncidentClassified, map[string]any{"from": from,
			"to": in.Classification, "reason": in.Reason}}}, nil
	})
}

// approvalInput is the body of POST .../approvals.
type approvalInput struct {
	Step string `json:"step"`
	Note string `json:"note"`
}

// postApproval answers POST /api/v1/incidents/{id}/approvals: an executive
// approves one planned eradication step. A principal without the executive
// role gets 403.
func (s *server) postApproval(w http.ResponseWriter, r *http.Request) {
	var in approvalInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	// TODO: requests that carry no principal (the bearer middleware of the
	// foundation) approve as executive under their token's name, until
	// every route sets one; then the role is always checked.
	if has, ok := principalRoles(r, incident.RoleExecutive); ok && !has {
		writeError(w, http.StatusForbidden, "approvals need the role "+incident.RoleExecutive)
		return
	}
	s.change(w, r, false, func(rec *store.IncidentRecord, by string, now time.Time) ([]note,
		error) {
		planned := func(st incident.EradicationStep) bool { return st.ID == in.Step }
		ok := slices.ContainsFunc(rec.Gates.EradicationSteps, planned)
		if !ok {
			return nil, invalid("step", "%q is not a planned eradication step", in.Step)
		}
		a := incident.Approval{By: by, Role: incident.RoleExecutive, At: now, Step: in.Step,
			Note: strings.TrimSpace(in.Note)}
		rec.Gates.Approvals = append(rec.Gates.Approvals, a)
		return []note{{audit.ApprovalGranted, map[string]any{"step": a.Step, "role": a.Role,
			"note": a.Note}}}, nil
	})
}
