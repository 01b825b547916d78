package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// maxRecordBody caps the JSON body of a change to an incident.
const maxRecordBody = 1 << 20

// changeRetries is how often a change sent without If-Match is retried when
// another one wins the race; with If-Match the client decides.
const changeRetries = 3

// incidentView is the JSON of GET /api/v1/incidents/{id}: the foundation's
// incident fields, the version and the full record.
type incidentView struct {
	ID       int64           `json:"id"`
	Number   string          `json:"number"`
	Title    string          `json:"title"`
	Severity string          `json:"severity"`
	Status   string          `json:"status"`
	Phase    incident.Phase  `json:"phase"`
	AlertIDs []int64         `json:"alert_ids"`
	Opened   time.Time       `json:"opened"`
	Updated  time.Time       `json:"updated"`
	Version  int64           `json:"version"`
	Record   incident.Record `json:"record"`
	Gates    incident.Gates  `json:"gates"`
}

// writeRecord sends rec with its ETag.
func writeRecord(w http.ResponseWriter, status int, rec *store.IncidentRecord) {
	if rec.AlertIDs == nil {
		rec.AlertIDs = []int64{}
	}
	w.Header().Set("ETag", etag(rec.Version))
	writeJSON(w, status, incidentView{ID: rec.ID, Number: rec.Record.Number,
		Title: rec.Record.Title, Severity: rec.Severity, Status: rec.Record.Status,
		Phase: rec.Record.Phase, AlertIDs: rec.AlertIDs, Opened: rec.Opened,
		Updated: rec.Updated, Version: rec.Version, Record: rec.Record, Gates: rec.Gates})
}

// etag returns the entity tag of a record version: "v7", quoted.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads the If-Match header: the version it names and whether it
// was sent. A value that is not one of our entity tags gives an error.
func ifMatch(r *http.Request) (int64, bool, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, false, nil
	}
	s, ok := strings.CutPrefix(strings.Trim(h, `"`), "v")
	v, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil || v < 1 {
		return 0, true, fmt.Errorf("If-Match %q is not an entity tag of this API (\"v<version>\")",
			h)
	}
	return v, true, nil
}

// requestError is a refused change, answered with its status and, for 422,
// the field at fault; for 409, the gate of a refused transition.
type requestError struct {
	Status int
	Field  string
	Gate   string
	Msg    string
}

func (e *requestError) Error() string { return e.Msg }

// invalid returns a 422 naming field.
func invalid(field, format string, args ...any) *requestError {
	return &requestError{Status: http.StatusUnprocessableEntity, Field: field,
		Msg: fmt.Sprintf(field+": "+format, args...)}
}

// writeRequestError answers for e.
func writeRequestError(w http.ResponseWriter, e *requestError) {
	writeJSON(w, e.Status, struct {
		Error string `json:"error"`
		Field string `json:"field,omitempty"`
		Gate  string `json:"gate,omitempty"`
	}{e.Msg, e.Field, e.Gate})
}

// note is an audit entry of a change: its action and details.
type note struct {
	action  audit.Action
	details map[string]any
}

// editFunc changes rec in memory and says what to record in the audit
// trail; a *requestError refuses the change.
type editFunc func(rec *store.IncidentRecord, by string, now time.Time) ([]note, error)

// decodeChange decodes the JSON body of a change into v, refusing unknown
// fields; the error names the field. A body that does not fit in
// maxRecordBody answers 413 naming the limit.
func decodeChange(r *http.Request, v any) *requestError {
	body := &io.LimitedReader{R: r.Body, N: maxRecordBody + 1}
	d := json.NewDecoder(body)
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	switch {
	case body.N == 0:
		return &requestError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf(
			"body: larger than the limit of %d bytes", maxRecordBody)}
	case errors.As(err, &te):
		return invalid(te.Field, "want a JSON %s", te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(field, "unknown field")
	}
	return &requestError{Status: http.StatusBadRequest, Msg: "body: " + err.Error()}
}

// change runs edit on the incident's current record and saves it, with
// optimistic concurrency: If-Match, when sent (and required when
// needIfMatch), must name the current version, or the answer is 412 with
// the current version; without it, a lost race is retried. The new record
// is the answer; every note is recorded in the audit trail, in the
// transaction that saves the record.
func (s *server) change(w http.ResponseWriter, r *http.Request, needIfMatch bool, edit editFunc) {
	s.changeWith(w, r, needIfMatch, edit, nil)
}

// alsoFunc makes more writes, with their audit entries, in the transaction
// of a change of rec, after the record is saved.
type alsoFunc func(ctx context.Context, tx store.Tx, rec *store.IncidentRecord) error

// changeWith is change with also run in the saving transaction (nil: none).
func (s *server) changeWith(w http.ResponseWriter, r *http.Request, needIfMatch bool,
	edit editFunc, also alsoFunc) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	want, sent, err := ifMatch(r)
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case needIfMatch && !sent:
		writeError(w, http.StatusPreconditionRequired,
			"If-Match is required: send the ETag of the record you edited")
		return
	}
	by := audit.ActorFrom(r.Context())
	for attempt := 0; ; attempt++ {
		rec, err := s.cfg.Store.GetIncidentRecord(r.Context(), id)
		if err != nil {
			s.storeError(w, "get incident record", err)
			return
		}
		if sent && rec.Version != want {
			stale(w, want, rec.Version)
			return
		}
		notes, err := edit(rec, by, time.Now())
		var re *requestError
		if errors.As(err, &re) {
			writeRequestError(w, re)
			return
		} else if err != nil {
			s.storeError(w, "change incident", err)
			return
		}
		err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
			if err := tx.UpdateIncidentRecord(r.Context(), rec); err != nil {
				return err
			}
			if err := s.recordNotes(r.Context(), tx, rec, notes); err != nil {
				return err
			}
			if also != nil {
				return also(r.Context(), tx, rec)
			}
			return nil
		})
		var ce *store.ConflictError
		if errors.As(err, &ce) && (sent || attempt < changeRetries) {
			if sent {
				stale(w, want, ce.Current)
				return
			}
			continue
		}
		if err != nil {
			s.storeError(w, "update incident record", err)
			return
		}
		s.notifyNotes(r, rec, notes)
		writeRecord(w, http.StatusOK, rec)
		return
	}
}

// stale answers 412 for an If-Match that names an old version.
func stale(w http.ResponseWriter, sent, current int64) {
	w.Header().Set("ETag", etag(current))
	writeJSON(w, http.StatusPreconditionFailed, struct {
		Error          string `json:"error"`
		CurrentVersion int64  `json:"current_version"`
	}{fmt.Sprintf("the record changed: If-Match names version %d, the current one is %d;"+
		" read it again and reapply your change", sent, current), current})
}

// recordNotes records the audit entries of a change of rec in tx, the
// transaction that saved it (rec.Version is the new version).
func (s *server) recordNotes(ctx context.Context, tx store.Tx, rec *store.IncidentRecord,
	notes []note) error {
	for _, n := range notes {
		if n.details == nil {
			n.details = map[string]any{}
		}
		n.details["number"] = rec.Record.Number
		n.details["version"] = rec.Version
		err := s.audit.RecordIn(ctx, tx, audit.Entry{Action: n.action, ObjectType: "incident",
			ObjectID: strconv.FormatInt(rec.ID, 10), Details: auditDetails(n.details)})
		if err != nil {
			return err
		}
	}
	return nil
}

// auditDetails marshals details built from plain values.
func auditDetails(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("api: audit details: %v", err))
	}
	return b
}

// principalRoles reports whether the request's principal holds one of
// roles; ok is false when the request carries no principal.
func principalRoles(r *http.Request, roles ...string) (has, ok bool) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return false, false
	}
	return p.HasAnyRole(roles...), true
}
