package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
)

// exerciseInput is the body of POST /api/v1/exercises.
type exerciseInput struct {
	Name         string                   `json:"name"`
	Kind         readiness.ExerciseKind   `json:"kind"`
	Status       readiness.ExerciseStatus `json:"status"`
	Scope        string                   `json:"scope"`
	Objectives   []string                 `json:"objectives"`
	Participants []readiness.Participant  `json:"participants"`
	Start        time.Time                `json:"start"`
	End          time.Time                `json:"end"`
	Scenario     string                   `json:"scenario"`
	Notes        string                   `json:"notes"`
}

// listExercises answers GET /api/v1/exercises: every exercise, newest
// first.
func (s *server) listExercises(w http.ResponseWriter, r *http.Request) {
	if q := newQuery(r); q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	es, err := s.ready.Exercises(r.Context())
	if err != nil {
		s.readinessError(w, "list exercises", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": es})
}

// postExercise answers POST /api/v1/exercises.
func (s *server) postExercise(w http.ResponseWriter, r *http.Request) {
	var in exerciseInput
	if !decodeTriage(w, r, &in) {
		return
	}
	e := &readiness.Exercise{Name: in.Name, Kind: in.Kind, Status: in.Status, Scope: in.Scope,
		Objectives: in.Objectives, Participants: in.Participants, Start: in.Start, End: in.End,
		Scenario: in.Scenario, Notes: in.Notes}
	if err := s.ready.CreateExercise(r.Context(), e); err != nil {
		s.readinessError(w, "create exercise", err)
		return
	}
	writeVersioned(w, http.StatusCreated, e.Version, e)
}

// getExercise answers GET /api/v1/exercises/{id}.
func (s *server) getExercise(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	e, err := s.ready.Exercise(r.Context(), id)
	if err != nil {
		s.readinessError(w, "get exercise", err)
		return
	}
	writeVersioned(w, http.StatusOK, e.Version, e)
}

// patchExercise answers PATCH /api/v1/exercises/{id}.
func (s *server) patchExercise(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	var p readiness.ExercisePatch
	if !decodeTriage(w, r, &p) {
		return
	}
	e, err := s.ready.UpdateExercise(r.Context(), id, p)
	if err != nil {
		s.readinessError(w, "update exercise", err)
		return
	}
	writeVersioned(w, http.StatusOK, e.Version, e)
}

// postRun answers POST /api/v1/exercises/{id}/runs: the measured result of
// a replay (vigil exercise run posts it); each missed detection becomes a
// finding of the exercise. The answer is the exercise.
func (s *server) postRun(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	var run readiness.Run
	if !decodeTriage(w, r, &run) {
		return
	}
	run.FindingIDs = nil
	e, err := s.ready.RecordRun(r.Context(), id, run)
	if err != nil {
		s.readinessError(w, "record exercise run", err)
		return
	}
	writeVersioned(w, http.StatusCreated, e.Version, e)
}

// exerciseAlerts returns the alerts marked with exercise id, with their
// events, by ID.
func (s *server) exerciseAlerts(ctx context.Context, id int64) ([]detect.Alert, error) {
	ids, err := s.cfg.Store.ExerciseObjects(ctx, id, store.MarkAlert)
	if err != nil {
		return nil, err
	}
	out := []detect.Alert{}
	for _, aid := range ids {
		a, err := s.cfg.Store.GetAlert(ctx, aid)
		if err != nil {
			return nil, err
		}
		a.Exercise = id
		out = append(out, *a)
	}
	return out, nil
}

// getExerciseAlerts answers GET /api/v1/exercises/{id}/alerts: what the
// exercise's events raised (vigil exercise run polls it).
func (s *server) getExerciseAlerts(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	if _, err := s.ready.Exercise(r.Context(), id); err != nil {
		s.readinessError(w, "get exercise", err)
		return
	}
	as, err := s.exerciseAlerts(r.Context(), id)
	if err != nil {
		s.storeError(w, "exercise alerts", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": as})
}

// triageResponses are the audit actions that count as the blue team's
// response to an alert.
var triageResponses = []audit.Action{audit.AlertAcknowledged, audit.AlertAssigned,
	audit.AlertFalsePositive, audit.AlertConfirmed}

// getExerciseReport answers GET /api/v1/exercises/{id}/report: the
// disclosure report as Markdown, with each detected alert's first response
// read from the audit trail.
func (s *server) getExerciseReport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	as, err := s.exerciseAlerts(r.Context(), id)
	if err != nil {
		s.storeError(w, "exercise alerts", err)
		return
	}
	responses := map[int64]readiness.Response{}
	for _, a := range as {
		page, err := s.cfg.Store.ListAudit(r.Context(), store.AuditFilter{ObjectType: "alert",
			ObjectID: strconv.FormatInt(a.ID, 10), Limit: store.MaxLimit})
		if err != nil {
			s.storeError(w, "exercise responses", err)
			return
		}
		for _, e := range slices.Backward(page.Items) { // oldest first
			if slices.Contains(triageResponses, e.Action) {
				responses[a.ID] = readiness.Response{Action: string(e.Action),
					After: e.Time.Sub(a.Created)}
				break
			}
		}
	}
	md, err := s.ready.Disclosure(r.Context(), id, responses)
	if err != nil {
		s.readinessError(w, "disclosure report", err)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write([]byte(md))
}

// checkExerciseTags rejects the events tagged with an exercise (field
// vigil.exercise) unless the principal is an admin or a responder and the
// exercise is planned or running: an exercise's alerts notify no one, so
// a collector must not be able to silence real events by tagging them.
func (s *server) checkExerciseTags(r *http.Request, events []*event.Event,
	rejects []*ingest.LineError) ([]*event.Event, []*ingest.LineError) {
	var (
		kept   []*event.Event
		status = map[int64]error{}
	)
	p, _ := auth.PrincipalFrom(r.Context())
	for _, e := range events {
		// A flat "vigil.exercise" key tags an event as well (ExerciseOf).
		if _, tagged := e.Fields[readiness.ExerciseField]; !tagged && detect.ExerciseOf(e) == 0 {
			kept = append(kept, e)
			continue
		}
		id := detect.ExerciseOf(e)
		err, seen := status[id]
		if !seen {
			err = s.exerciseOpen(r.Context(), p, id)
			status[id] = err
		}
		if err != nil {
			rejects = append(rejects, &ingest.LineError{Line: e.Source.Line,
				Reason: err.Error()})
			continue
		}
		kept = append(kept, e)
	}
	slices.SortStableFunc(rejects, func(a, b *ingest.LineError) int { return a.Line - b.Line })
	return kept, rejects
}

// exerciseOpen says why events may not be tagged with exercise id.
func (s *server) exerciseOpen(ctx context.Context, p *auth.Principal, id int64) error {
	switch {
	case id == 0:
		return errors.New("field vigil.exercise: want the ID of an exercise " +
			`({"vigil": {"exercise": 12}})`)
	case p == nil || !p.HasAnyRole(auth.RoleAdmin, auth.RoleResponder):
		return errors.New("field vigil.exercise: only admins and responders may post " +
			"exercise events")
	}
	e, err := s.ready.Exercise(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errors.New("field vigil.exercise: no exercise " + strconv.FormatInt(id, 10))
	case err != nil:
		s.log.Error("check exercise tag", "err", err)
		return errors.New("field vigil.exercise: the exercise could not be read")
	case !e.Status.Open():
		return errors.New("field vigil.exercise: exercise " + strconv.FormatInt(id, 10) +
			" is " + string(e.Status))
	}
	return nil
}

// markAlerts fills the Exercise of alerts from the exercise marks; a
// failure is logged and the alerts go out unmarked.
func (s *server) markAlerts(ctx context.Context, as []detect.Alert) {
	ids := make([]int64, len(as))
	for i := range as {
		ids[i] = as[i].ID
	}
	marks, err := s.cfg.Store.ExerciseMarks(ctx, store.MarkAlert, ids)
	if err != nil {
		s.log.Warn("read exercise marks", "err", err)
		return
	}
	for i := range as {
		as[i].Exercise = marks[as[i].ID]
	}
}

// markIncidents fills the Exercise of incidents from the exercise marks.
func (s *server) markIncidents(ctx context.Context, incs []incident.Incident) {
	ids := make([]int64, len(incs))
	for i := range incs {
		ids[i] = incs[i].ID
	}
	marks, err := s.cfg.Store.ExerciseMarks(ctx, store.MarkIncident, ids)
	if err != nil {
		s.log.Warn("read exercise marks", "err", err)
		return
	}
	for i := range incs {
		incs[i].Exercise = marks[incs[i].ID]
	}
}
