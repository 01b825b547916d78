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
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// postMortemView is the answer of GET /api/v1/incidents/{id}/postmortem:
// the post-mortem, whether its current revision is signed off and whose
// sign-off is missing, whether its content can change (the incident is in
// post-incident), how the response went, and the follow-ups.
type postMortemView struct {
	PostMortem *postmortem.PostMortem `json:"postmortem"`
	SignedOff  bool                   `json:"signed_off"`
	Pending    []string               `json:"pending"`
	Editable   bool                   `json:"editable"`
	Response   postmortem.Response    `json:"response"`
	FollowUps  []postmortem.FollowUp  `json:"follow_ups"`
}

// writePostMortem answers with the view of pm and its ETag.
func (s *server) writePostMortem(w http.ResponseWriter, r *http.Request, status int,
	rec *store.IncidentRecord, pm *postmortem.PostMortem) {
	now := time.Now()
	resp, err := s.incidentResponse(r.Context(), rec, now)
	if err != nil {
		s.storeError(w, "post-mortem response", err)
		return
	}
	fus, err := s.followUpsOf(r.Context(), rec.ID, now)
	if err != nil {
		s.storeError(w, "post-mortem follow-ups", err)
		return
	}
	pending := pm.Pending()
	if pending == nil {
		pending = []string{}
	}
	w.Header().Set("ETag", etag(pm.Version))
	writeJSON(w, status, postMortemView{PostMortem: pm, SignedOff: pm.SignedOff(),
		Pending: pending, Editable: rec.Record.Phase == incident.PhasePostIncident,
		Response: resp, FollowUps: fus})
}

// followUpsOf returns an incident's follow-ups with their overdue flags.
func (s *server) followUpsOf(ctx context.Context, incidentID int64, now time.Time) (
	[]postmortem.FollowUp, error) {
	fus, err := s.cfg.Store.ListFollowUps(ctx, store.FollowUpFilter{IncidentID: incidentID})
	for i := range fus {
		fus[i].Overdue = fus[i].Tracking.Overdue(now)
	}
	return fus, err
}

// getPostMortem answers GET /api/v1/incidents/{id}/postmortem.
func (s *server) getPostMortem(w http.ResponseWriter, r *http.Request) {
	rec, pm, ok := s.loadPostMortem(w, r)
	if ok {
		s.writePostMortem(w, r, http.StatusOK, rec, pm)
	}
}

// loadPostMortem reads the incident of the path and its post-mortem; it
// answers 404 when either is missing.
func (s *server) loadPostMortem(w http.ResponseWriter, r *http.Request) (
	*store.IncidentRecord, *postmortem.PostMortem, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return nil, nil, false
	}
	rec, err := s.cfg.Store.GetIncidentRecord(r.Context(), id)
	if err != nil {
		s.storeError(w, "get incident record", err)
		return nil, nil, false
	}
	pm, err := s.cfg.Store.GetPostMortem(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "this incident has no post-mortem yet: it is "+
			"created when the incident enters the post-incident phase")
		return nil, nil, false
	} else if err != nil {
		s.storeError(w, "get post-mortem", err)
		return nil, nil, false
	}
	return rec, pm, true
}

// preparePostMortem reads the sources of rec's timeline and returns the
// write that creates its post-mortem, or, when it has one (the incident
// came back to post-incident), takes the newer entries into its timeline;
// nil when there is nothing to write.
func (s *server) preparePostMortem(ctx context.Context, rec *store.IncidentRecord, by string,
	now time.Time) (alsoFunc, error) {
	src, err := s.postMortemSources(ctx, rec)
	if err != nil {
		return nil, err
	}
	pm, err := s.cfg.Store.GetPostMortem(ctx, rec.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		pm = postmortem.New(src, by, now.UTC().Truncate(time.Microsecond))
		return func(ctx context.Context, tx store.Tx, rec *store.IncidentRecord) error {
			if err := tx.CreatePostMortem(ctx, pm); err != nil {
				return err
			}
			return s.recordPostMortem(ctx, tx, pm, audit.PostMortemCreated,
				map[string]any{"entries": len(pm.Timeline), "revision": pm.Revision})
		}, nil
	case err != nil:
		return nil, err
	}
	added := pm.Refresh(src)
	if added == 0 {
		return nil, nil
	}
	return func(ctx context.Context, tx store.Tx, rec *store.IncidentRecord) error {
		if err := tx.UpdatePostMortem(ctx, pm); err != nil {
			return err
		}
		return s.recordPostMortem(ctx, tx, pm, audit.PostMortemUpdated,
			map[string]any{"entries_added": added, "revision": pm.Revision})
	}, nil
}

// recordPostMortem records an entry about pm in tx.
func (s *server) recordPostMortem(ctx context.Context, tx store.Tx, pm *postmortem.PostMortem,
	action audit.Action, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	details["number"] = pm.Number
	details["version"] = pm.Version
	return s.audit.RecordIn(ctx, tx, audit.Entry{Action: action, ObjectType: "postmortem",
		ObjectID: strconv.FormatInt(pm.IncidentID, 10), Details: auditDetails(details)})
}

// pmEditFunc changes a post-mortem in memory and says what to record; a
// *requestError refuses the change.
type pmEditFunc func(pm *postmortem.PostMortem, rec *store.IncidentRecord, by string,
	now time.Time) ([]note, error)

// changePostMortem runs edit on the incident's post-mortem and saves it,
// with optimistic concurrency as change does (If-Match names the
// post-mortem's version). The content changes only while the incident is
// in post-incident (409 otherwise). When the change makes the post-mortem
// signed off, or voids a sign-off, the incident's gate follows in the same
// transaction (incident.updated). The answer is the new view, with status.
func (s *server) changePostMortem(w http.ResponseWriter, r *http.Request, status int,
	edit pmEditFunc) {
	want, sent, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	by := audit.ActorFrom(r.Context())
	for attempt := 0; ; attempt++ {
		rec, pm, ok := s.loadPostMortem(w, r)
		if !ok {
			return
		}
		if sent && pm.Version != want {
			stale(w, want, pm.Version)
			return
		}
		if rec.Record.Phase != incident.PhasePostIncident {
			writeError(w, http.StatusConflict, "the post-mortem changes while the incident is "+
				"in post-incident; it is in "+string(rec.Record.Phase))
			return
		}
		signed := pm.SignedOff()
		notes, err := edit(pm, rec, by, nowMicro())
		if !s.editFailed(w, err) {
			return
		}
		err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
			return s.savePostMortem(r.Context(), tx, rec, pm, notes, signed)
		})
		// A conflict with another change of the post-mortem or of the
		// incident: read both again (a stale If-Match then answers 412).
		if errors.Is(err, store.ErrConflict) && attempt < changeRetries {
			continue
		} else if err != nil {
			s.storeError(w, "update post-mortem", err)
			return
		}
		s.writePostMortem(w, r, status, rec, pm)
		return
	}
}

// editFailed answers for an edit's error and reports whether there was
// none (true: go on).
func (s *server) editFailed(w http.ResponseWriter, err error) bool {
	var re *requestError
	switch {
	case err == nil:
		return true
	case errors.As(err, &re):
		writeRequestError(w, re)
	case errors.Is(err, postmortem.ErrInvalid):
		field, msg := fieldOf(err)
		writeRequestError(w, &requestError{Status: http.StatusUnprocessableEntity,
			Field: field, Msg: msg})
	case errors.Is(err, postmortem.ErrSignOff):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.storeError(w, "change post-mortem", err)
	}
	return false
}

// fieldOf reads the field out of a postmortem.ErrInvalid message
// ("invalid: field: what").
func fieldOf(err error) (string, string) {
	msg := strings.TrimPrefix(err.Error(), postmortem.ErrInvalid.Error()+": ")
	field, _, _ := strings.Cut(msg, ":")
	return field, msg
}

// savePostMortem stores pm and its notes in tx and, when its sign-off
// changed from signed, the incident's gate.
func (s *server) savePostMortem(ctx context.Context, tx store.Tx, rec *store.IncidentRecord,
	pm *postmortem.PostMortem, notes []note, signed bool) error {
	if err := tx.UpdatePostMortem(ctx, pm); err != nil {
		return err
	}
	for _, n := range notes {
		if err := s.recordPostMortem(ctx, tx, pm, n.action, n.details); err != nil {
			return err
		}
	}
	if pm.SignedOff() == signed && rec.Gates.PostMortemSignedOff == signed {
		return nil
	}
	from := rec.Gates.PostMortemSignedOff
	rec.Gates.PostMortemSignedOff = pm.SignedOff()
	if err := tx.UpdateIncidentRecord(ctx, rec); err != nil {
		return err
	}
	return s.recordNotes(ctx, tx, rec, []note{{audit.IncidentUpdated, map[string]any{
		"fields": []string{"post_mortem_signed_off"}, "from": from,
		"to": rec.Gates.PostMortemSignedOff, "revision": pm.Revision}}})
}

// summaryInput is the body of PATCH .../postmortem.
type summaryInput struct {
	Summary *string   `json:"summary"`
	Actors  *[]string `json:"actors"`
}

// patchPostMortem answers PATCH /api/v1/incidents/{id}/postmortem: the
// technical summary and the threat actors.
func (s *server) patchPostMortem(w http.ResponseWriter, r *http.Request) {
	var in summaryInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	s.changePostMortem(w, r, http.StatusOK, func(pm *postmortem.PostMortem,
		_ *store.IncidentRecord, _ string, _ time.Time) ([]note, error) {
		summary, actors := pm.Summary, pm.Actors
		if in.Summary != nil {
			summary = *in.Summary
		}
		if in.Actors != nil {
			actors = *in.Actors
		}
		if err := pm.SetSummary(summary, actors); err != nil {
			return nil, err
		}
		return []note{{audit.PostMortemUpdated, map[string]any{"summary_length": len(
			pm.Summary), "actors": pm.Actors, "revision": pm.Revision}}}, nil
	})
}

// postRefresh answers POST /api/v1/incidents/{id}/postmortem/refresh: the
// timeline takes in the record's entries it does not hold yet.
func (s *server) postRefresh(w http.ResponseWriter, r *http.Request) {
	s.changePostMortem(w, r, http.StatusOK, func(pm *postmortem.PostMortem,
		rec *store.IncidentRecord, _ string, _ time.Time) ([]note, error) {
		src, err := s.postMortemSources(r.Context(), rec)
		if err != nil {
			return nil, err
		}
		added := pm.Refresh(src)
		if added == 0 {
			return nil, &requestError{Status: http.StatusConflict,
				Msg: "the timeline holds every entry of the record already"}
		}
		return []note{{audit.PostMortemUpdated, map[string]any{"entries_added": added,
			"revision": pm.Revision}}}, nil
	})
}

// entryInput is the body of POST .../postmortem/timeline.
type entryInput struct {
	At       time.Time `json:"at"`
	TimeZone string    `json:"time_zone"`
	Text     string    `json:"text"`
}

// postEntry answers POST /api/v1/incidents/{id}/postmortem/timeline.
func (s *server) postEntry(w http.ResponseWriter, r *http.Request) {
	var in entryInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	s.changePostMortem(w, r, http.StatusCreated, func(pm *postmortem.PostMortem,
		_ *store.IncidentRecord, by string, now time.Time) ([]note, error) {
		e, err := pm.AddEntry(in.At, in.TimeZone, in.Text, by, now)
		if err != nil {
			return nil, err
		}
		return []note{{audit.TimelineEntryAdded, map[string]any{"entry": e.ID,
			"at": e.At, "time_zone": e.Zone, "length": len(e.Text)}}}, nil
	})
}

// entryID reads the {entry} path parameter.
func entryID(r *http.Request) (int, *requestError) {
	n, err := strconv.Atoi(r.PathValue("entry"))
	if err != nil || n < 1 {
		return 0, &requestError{Status: http.StatusBadRequest,
			Msg: "path parameter \"entry\": not a positive integer"}
	}
	return n, nil
}

// noteInput is the body of POST .../timeline/{entry}/notes.
type noteInput struct {
	Text string `json:"text"`
}

// postEntryNote answers POST .../postmortem/timeline/{entry}/notes.
func (s *server) postEntryNote(w http.ResponseWriter, r *http.Request) {
	var in noteInput
	n, rerr := entryID(r)
	if rerr == nil {
		rerr = decodeChange(r, &in)
	}
	if rerr != nil {
		writeRequestError(w, rerr)
		return
	}
	s.changePostMortem(w, r, http.StatusOK, func(pm *postmortem.PostMortem,
		_ *store.IncidentRecord, by string, now time.Time) ([]note, error) {
		if _, err := pm.Annotate(n, in.Text, by, now); err != nil {
			return nil, err
		}
		return []note{{audit.TimelineEntryAnnotated, map[string]any{"entry": n,
			"length": len(in.Text)}}}, nil
	})
}

// visibilityInput is the body of POST .../timeline/{entry}/visibility.
type visibilityInput struct {
	Hidden bool   `json:"hidden"`
	Reason string `json:"reason"`
}

// postEntryVisibility answers POST .../postmortem/timeline/{entry}/visibility:
// hide an entry from the report, or show it again, with a reason.
func (s *server) postEntryVisibility(w http.ResponseWriter, r *http.Request) {
	var in visibilityInput
	n, rerr := entryID(r)
	if rerr == nil {
		rerr = decodeChange(r, &in)
	}
	if rerr != nil {
		writeRequestError(w, rerr)
		return
	}
	s.changePostMortem(w, r, http.StatusOK, func(pm *postmortem.PostMortem,
		_ *store.IncidentRecord, by string, now time.Time) ([]note, error) {
		if _, err := pm.SetHidden(n, in.Hidden, in.Reason, by, now); err != nil {
			return nil, err
		}
		return []note{{audit.TimelineEntryVisibility, map[string]any{"entry": n,
			"hidden": in.Hidden, "reason": strings.TrimSpace(in.Reason)}}}, nil
	})
}

// pmFindingInput is the body of POST and PATCH of findings.
type pmFindingInput struct {
	Category    postmortem.Category `json:"category"`
	Title       string              `json:"title"`
	Description string              `json:"description"`
	Evidence    []postmortem.Ref    `json:"evidence"`
}

// checkRefs checks that a finding's evidence of the incident's own kinds
// exists: its alerts and evidence records.
func (s *server) checkRefs(ctx context.Context, rec *store.IncidentRecord,
	refs []postmortem.Ref) error {
	for i, ref := range refs {
		id, _ := strconv.ParseInt(ref.ID, 10, 64)
		field := "evidence[" + strconv.Itoa(i) + "].id"
		switch ref.Type {
		case "alert":
			if !slices.Contains(rec.AlertIDs, id) {
				return invalid(field, "alert %d is not an alert of the incident", id)
			}
		case "evidence":
			ev, err := s.cfg.Store.GetEvidence(ctx, id)
			if errors.Is(err, store.ErrNotFound) || err == nil && ev.IncidentID != rec.ID {
				return invalid(field, "evidence %d is not evidence of the incident", id)
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

// postPMFinding answers POST /api/v1/incidents/{id}/postmortem/findings.
func (s *server) postPMFinding(w http.ResponseWriter, r *http.Request) {
	var in pmFindingInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	s.changePostMortem(w, r, http.StatusCreated, func(pm *postmortem.PostMortem,
		rec *store.IncidentRecord, by string, now time.Time) ([]note, error) {
		if err := s.checkRefs(r.Context(), rec, in.Evidence); err != nil {
			return nil, err
		}
		f, err := pm.AddFinding(postmortem.Finding{Category: in.Category, Title: in.Title,
			Description: in.Description, Evidence: in.Evidence, By: by, At: now.UTC()})
		if err != nil {
			return nil, err
		}
		return []note{{audit.PostMortemFindingAdded, map[string]any{"finding": f.ID,
			"category": f.Category, "title": f.Title, "evidence": f.Evidence}}}, nil
	})
}

// patchPMFinding answers PATCH .../postmortem/findings/{finding}.
func (s *server) patchPMFinding(w http.ResponseWriter, r *http.Request) {
	var in pmFindingInput
	n, err := strconv.Atoi(r.PathValue("finding"))
	if err != nil || n < 1 {
		writeError(w, http.StatusBadRequest, "path parameter \"finding\": not a positive integer")
		return
	}
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	s.changePostMortem(w, r, http.StatusOK, func(pm *postmortem.PostMortem,
		rec *store.IncidentRecord, _ string, now time.Time) ([]note, error) {
		if err := s.checkRefs(r.Context(), rec, in.Evidence); err != nil {
			return nil, err
		}
		f, err := pm.UpdateFinding(n, postmortem.Finding{Category: in.Category,
			Title: in.Title, Description: in.Description, Evidence: in.Evidence}, now)
		if err != nil {
			return nil, err
		}
		return []note{{audit.PostMortemFindingUpdated, map[string]any{"finding": f.ID,
			"category": f.Category, "title": f.Title, "evidence": f.Evidence}}}, nil
	})
}

// signOffInput is the body of POST .../postmortem/signoffs.
type signOffInput struct {
	Role string `json:"role"`
	Note string `json:"note"`
}

// postSignOff answers POST /api/v1/incidents/{id}/postmortem/signoffs: the
// incident's active commander (a signed-in user engaged as commander) or
// an executive (a principal with the executive role) signs the current
// revision off. When both have, the incident's close gate opens.
func (s *server) postSignOff(w http.ResponseWriter, r *http.Request) {
	var in signOffInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	s.changePostMortem(w, r, http.StatusOK, func(pm *postmortem.PostMortem,
		rec *store.IncidentRecord, by string, now time.Time) ([]note, error) {
		if err := s.maySignOff(r.Context(), p, rec.ID, in.Role); err != nil {
			return nil, err
		}
		if err := pm.SignOff(in.Role, by, in.Note, now); err != nil {
			return nil, err
		}
		return []note{{audit.PostMortemSignedOff, map[string]any{"role": in.Role,
			"revision": pm.Revision, "note": strings.TrimSpace(in.Note),
			"signed_off": pm.SignedOff()}}}, nil
	})
}

// maySignOff checks that p may sign an incident's post-mortem off in role.
func (s *server) maySignOff(ctx context.Context, p *auth.Principal, incidentID int64,
	role string) error {
	forbidden := func(msg string) error {
		return &requestError{Status: http.StatusForbidden, Msg: msg}
	}
	switch {
	case p == nil:
		return forbidden("signing off needs a signed-in principal")
	case role == postmortem.RoleExecutive:
		if !p.HasAnyRole(auth.RoleExecutive) {
			return forbidden("the executive sign-off needs the role " + auth.RoleExecutive)
		}
		return nil
	case role != postmortem.RoleCommander:
		return invalid("role", "%q, want %s or %s", role, postmortem.RoleCommander,
			postmortem.RoleExecutive)
	}
	es, err := s.cfg.Store.ListEngagements(ctx, incidentID)
	if err != nil {
		return err
	}
	var commander string
	for _, e := range es {
		if e.Role == team.RoleCommander && e.Active() {
			commander = e.User
		}
	}
	switch {
	case commander == "":
		return &requestError{Status: http.StatusConflict, Msg: "the incident has no active " +
			"commander: escalate it or engage one (POST /api/v1/incidents/{id}/team)"}
	case p.Kind != auth.KindUser || p.Name != commander:
		return forbidden("the commander's sign-off is for " + commander +
			", the incident's active commander, signed in")
	}
	return nil
}

// getPostMortemExport answers GET .../postmortem/export?format=.
func (s *server) getPostMortemExport(w http.ResponseWriter, r *http.Request) {
	rec, pm, ok := s.loadPostMortem(w, r)
	if !ok {
		return
	}
	now := time.Now()
	resp, err := s.incidentResponse(r.Context(), rec, now)
	if err == nil {
		var fus []postmortem.FollowUp
		if fus, err = s.followUpsOf(r.Context(), rec.ID, now); err == nil {
			s.writeExport(w, r, postmortem.PostMortemDocument(pm, resp, fus, now),
				"postmortem-"+rec.Record.Number)
			return
		}
	}
	s.storeError(w, "post-mortem export", err)
}

// getIncidentReport answers GET /api/v1/incidents/{id}/report?format=: the
// whole incident report, with its post-mortem when it has one.
func (s *server) getIncidentReport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	rec, err := s.cfg.Store.GetIncidentRecord(ctx, id)
	if err != nil {
		s.storeError(w, "get incident record", err)
		return
	}
	pm, err := s.cfg.Store.GetPostMortem(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		pm, err = nil, nil
	}
	now := time.Now()
	var (
		src  postmortem.Sources
		resp postmortem.Response
		fus  []postmortem.FollowUp
	)
	if err == nil {
		src, err = s.postMortemSources(ctx, rec)
	}
	if err == nil {
		resp, err = s.incidentResponse(ctx, rec, now)
	}
	if err == nil {
		fus, err = s.followUpsOf(ctx, id, now)
	}
	if err != nil {
		s.storeError(w, "incident report", err)
		return
	}
	s.writeExport(w, r, postmortem.IncidentDocument(src, rec.Severity, pm, resp, fus, now),
		"incident-"+rec.Record.Number)
}

// nowMicro is the time of a change as stores keep it: UTC, to the
// microsecond.
func nowMicro() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
