package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/store"
)

// taskInput is the body of POST .../tasks and, every field optional and
// phase, kind and high_impact fixed, of PATCH .../tasks/{task}.
type taskInput struct {
	Phase      *incident.Phase `json:"phase"`
	Kind       *plan.Kind      `json:"kind"`
	Title      *string         `json:"title"`
	Owner      *string         `json:"owner"`
	Due        *time.Time      `json:"due"`
	Status     *plan.Status    `json:"status"`
	Result     *string         `json:"result"`
	HighImpact *bool           `json:"high_impact"`
}

// taskList is the JSON of an incident's tasks.
type taskList struct {
	Items []plan.Task `json:"items"`
}

// listTasks answers GET /api/v1/incidents/{id}/tasks.
func (s *server) listTasks(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
		s.storeError(w, "get incident", err)
		return
	}
	ts, err := s.cfg.Store.ListTasks(r.Context(), id)
	if err != nil {
		s.storeError(w, "list tasks", err)
		return
	}
	writeJSON(w, http.StatusOK, taskList{ts})
}

// postTask answers POST /api/v1/incidents/{id}/tasks. A task starts open;
// kind defaults to "task". A high-impact eradication task becomes an
// eradication step of the incident's gates, asking for an approval.
func (s *server) postTask(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in taskInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	t := plan.Task{IncidentID: id, Kind: plan.KindTask, Status: plan.StatusOpen,
		CreatedBy: audit.ActorFrom(r.Context())}
	if in.Phase != nil {
		t.Phase = *in.Phase
	}
	if in.Kind != nil {
		t.Kind = *in.Kind
	}
	if in.HighImpact != nil {
		t.HighImpact = *in.HighImpact
	}
	if in.Status != nil {
		writeRequestError(w, invalid("status", "a new task is open; change it with PATCH"))
		return
	}
	in.applyEditable(&t)
	if err := t.Validate(); err != nil {
		writeRequestError(w, invalid("task", "%v", err))
		return
	}
	var notes []note
	err := s.saveTask(r.Context(), &t, func(tx store.Tx) error {
		return tx.CreateTask(r.Context(), &t)
	}, func() []note {
		notes = []note{{audit.TaskCreated, map[string]any{"task": t.ID, "phase": t.Phase,
			"kind": t.Kind, "title": t.Title, "owner": t.Owner, "high_impact": t.HighImpact}}}
		if t.NeedsApproval() {
			notes = append(notes, note{audit.ApprovalRequested, map[string]any{
				"step": t.StepID(), "task": t.ID, "role": incident.RoleExecutive}})
		}
		return notes
	})
	if err != nil {
		s.storeError(w, "create task", err)
		return
	}
	for _, n := range notes {
		s.notifyResponse(r.Context(), n.action, "incident", strconv.FormatInt(id, 10),
			n.details)
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusCreated, t)
}

// applyEditable sets the editable fields sent (title, owner, due, result).
func (in *taskInput) applyEditable(t *plan.Task) []string {
	var fields []string
	if in.Title != nil {
		t.Title, fields = strings.TrimSpace(*in.Title), append(fields, "title")
	}
	if in.Owner != nil {
		t.Owner, fields = strings.TrimSpace(*in.Owner), append(fields, "owner")
	}
	if in.Due != nil {
		t.Due, fields = *in.Due, append(fields, "due")
	}
	if in.Result != nil {
		t.Result, fields = strings.TrimSpace(*in.Result), append(fields, "result")
	}
	return fields
}

// patchTask answers PATCH /api/v1/incidents/{id}/tasks/{task}; If-Match
// (the task's ETag) is required. Starting a high-impact eradication task
// before an executive approved its step is refused with 409, gate
// "approval"; changing a done or cancelled task's status with 409.
func (s *server) patchTask(w http.ResponseWriter, r *http.Request) {
	t, in, want, ok := s.readTaskChange(w, r)
	if !ok {
		return
	}
	if t.Version != want {
		stale(w, want, t.Version)
		return
	}
	from := t.Status
	fields := in.applyEditable(t)
	if in.Status != nil {
		rec, err := s.cfg.Store.GetIncidentRecord(r.Context(), t.IncidentID)
		if err != nil {
			s.storeError(w, "get incident record", err)
			return
		}
		err = t.SetStatus(*in.Status, rec.Gates)
		switch {
		case errors.Is(err, plan.ErrApprovalRequired):
			writeRequestError(w, &requestError{Status: http.StatusConflict,
				Gate: incident.GateApproval, Msg: err.Error()})
			return
		case errors.Is(err, plan.ErrFinal):
			writeError(w, http.StatusConflict, err.Error())
			return
		case err != nil:
			writeRequestError(w, invalid("status", "%v", err))
			return
		}
		fields = append(fields, "status")
	}
	if err := t.Validate(); err != nil {
		writeRequestError(w, invalid("task", "%v", err))
		return
	}
	err := s.saveTask(r.Context(), t, func(tx store.Tx) error {
		return tx.UpdateTask(r.Context(), t)
	}, func() []note {
		return []note{{audit.TaskUpdated, map[string]any{"task": t.ID, "fields": fields,
			"from": from, "status": t.Status, "result": t.Result, "version": t.Version}}}
	})
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		stale(w, want, ce.Current)
		return
	} else if err != nil {
		s.storeError(w, "update task", err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusOK, t)
}

// readTaskChange reads the path, If-Match, body and stored task of a PATCH.
func (s *server) readTaskChange(w http.ResponseWriter, r *http.Request) (*plan.Task,
	*taskInput, int64, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return nil, nil, 0, false
	}
	taskID, err := strconv.ParseInt(r.PathValue("task"), 10, 64)
	if err != nil || taskID <= 0 {
		writeError(w, http.StatusBadRequest, "path parameter \"task\": not a positive integer")
		return nil, nil, 0, false
	}
	want, sent, err := ifMatch(r)
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, nil, 0, false
	case !sent:
		writeError(w, http.StatusPreconditionRequired,
			"If-Match is required: send the ETag of the task you edited")
		return nil, nil, 0, false
	}
	var in taskInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return nil, nil, 0, false
	}
	if in.Phase != nil || in.Kind != nil || in.HighImpact != nil {
		writeRequestError(w, invalid("task", "phase, kind and high_impact do not change;"+
			" cancel the task and add another"))
		return nil, nil, 0, false
	}
	t, err := s.cfg.Store.GetTask(r.Context(), id, taskID)
	if err != nil {
		s.storeError(w, "get task", err)
		return nil, nil, 0, false
	}
	return t, &in, want, true
}

// saveTask runs write, the create or update of t, in one transaction with
// the incident's gates brought in line with t (plan.Sync) and the audit
// entries that notes returns once t is written (it has its ID then); when
// the gates changed, each entry names the record's new version
// (record_version). It retries when another change of the incident record
// wins the race.
func (s *server) saveTask(ctx context.Context, t *plan.Task, write func(tx store.Tx) error,
	notes func() []note) error {
	before := *t
	objID := strconv.FormatInt(t.IncidentID, 10)
	for attempt := 0; ; attempt++ {
		rec, err := s.cfg.Store.GetIncidentRecord(ctx, t.IncidentID)
		if err != nil {
			return err
		}
		err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
			if err := write(tx); err != nil {
				return err
			}
			synced, err := syncGates(ctx, tx, rec, t)
			if err != nil {
				return err
			}
			for _, n := range notes() {
				if synced {
					n.details["record_version"] = rec.Version
				}
				err := s.recordResponse(ctx, tx, n.action, "incident", objID, n.details)
				if err != nil {
					return err
				}
			}
			return nil
		})
		var lost *gatesConflict
		if errors.As(err, &lost) && attempt < changeRetries {
			*t = before
			continue
		}
		return err
	}
}

// gatesConflict is a race to save an incident's gates that another change
// won; saveTask tries again. It does not unwrap to the *store.ConflictError,
// which would read as a stale task.
type gatesConflict struct{ err error }

func (e *gatesConflict) Error() string { return "sync incident gates: " + e.err.Error() }

// syncGates brings rec's gates in line with t (plan.Sync) and saves rec in
// tx when they changed, reporting whether it did.
func syncGates(ctx context.Context, tx store.Tx, rec *store.IncidentRecord, t *plan.Task) (bool,
	error) {
	before := rec.Gates
	before.EradicationSteps = append([]incident.EradicationStep(nil),
		rec.Gates.EradicationSteps...)
	before.RecoveryChecks = append([]incident.CheckItem(nil), rec.Gates.RecoveryChecks...)
	plan.Sync(&rec.Gates, t)
	if reflect.DeepEqual(before, rec.Gates) {
		return false, nil
	}
	err := tx.UpdateIncidentRecord(ctx, rec)
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return false, &gatesConflict{err}
	}
	return err == nil, err
}
