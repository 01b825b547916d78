package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
)

// maxPolicyBody caps a PUT /api/v1/readiness/policy body; maxImportBody a
// findings import.
const (
	maxPolicyBody = 1 << 20
	maxImportBody = 16 << 20
)

// NewReadiness builds the preparation program's service over a store, as
// the API uses it when Config.Readiness is nil: triage's vulnerability
// reports join the findings list, the team directory gives people their
// teams, reminders go through the notification outbox. rec records the
// changes in the audit trail.
func NewReadiness(st store.Store, rec readiness.Recorder, log *slog.Logger) (
	*readiness.Service, error) {
	return readiness.New(readiness.Config{Store: st, Audit: rec, Logger: log,
		Vulnerabilities: func(ctx context.Context) ([]readiness.Finding, error) {
			return vulnerabilityFindings(ctx, st)
		},
		Teams: func(ctx context.Context) (map[string][]string, error) {
			return teamMembership(ctx, st)
		},
		Notifier: notify.NewDispatcher(st, store.NotifyDirectory(st))})
}

// vulnStates maps triage's states of a vulnerability report to the
// findings' states.
var vulnStateMap = map[string]readiness.State{"open": readiness.StateOpen,
	"fixing": readiness.StateInProgress, "fixed": readiness.StateFixed,
	"accepted_risk": readiness.StateRiskAccepted}

// vulnerabilityFindings returns every vulnerability report of triage as a
// finding (source triage, VulnerabilityID set; changed through
// /api/v1/vulnerabilities/{id}).
func vulnerabilityFindings(ctx context.Context, st store.Store) ([]readiness.Finding, error) {
	var out []readiness.Finding
	f := store.VulnerabilityFilter{Limit: store.MaxLimit}
	for {
		page, err := st.ListVulnerabilities(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Items {
			out = append(out, readiness.Finding{Source: readiness.SourceTriage,
				VulnerabilityID: v.ID, Title: v.Title, Description: v.Description,
				Severity: readiness.Severity(v.Severity), Services: []string{},
				Found: v.Created, Created: v.Created, Updated: v.Updated, Version: v.Version,
				Tracking: readiness.Tracking{Owner: v.Owner, Due: readiness.Day(v.Deadline),
					State: vulnStateMap[v.State], History: []readiness.StateChange{}}})
		}
		if page.Next == "" {
			return out, nil
		}
		f.Cursor = page.Next
	}
}

// teamMembership maps each user name to the teams (by name) listing it.
func teamMembership(ctx context.Context, st store.Store) (map[string][]string, error) {
	teams, err := st.ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, t := range teams {
		for _, m := range t.Members {
			out[m] = append(out[m], t.Name)
		}
	}
	return out, nil
}

// readinessError answers for a failed call of the readiness service: 422
// naming the field for a bad value, 403, 409 for a stale version, a taken
// key or a closed exercise, else as storeError.
func (s *server) readinessError(w http.ResponseWriter, op string, err error) {
	var fe *readiness.FieldError
	switch {
	case errors.As(err, &fe):
		writeRequestError(w, invalid(fe.Field, "%s", fe.Msg))
	case errors.Is(err, readiness.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, readiness.ErrForbidden):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, readiness.ErrStale), errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "changed meanwhile: reload and retry")
	case errors.Is(err, store.ErrDuplicate):
		writeError(w, http.StatusConflict, "exists already")
	case errors.Is(err, readiness.ErrClosed):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.storeError(w, op, err)
	}
}

// writeVersioned answers v with its version as ETag.
func writeVersioned(w http.ResponseWriter, status int, version int64, v any) {
	w.Header().Set("ETag", fmt.Sprintf(`"v%d"`, version))
	writeJSON(w, status, v)
}

// getPolicy answers GET /api/v1/readiness/policy: the policy in force
// (version 0: the shipped default).
func (s *server) getPolicy(w http.ResponseWriter, r *http.Request) {
	if q := newQuery(r); q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	p, err := s.ready.Policy(r.Context())
	if err != nil {
		s.readinessError(w, "get readiness policy", err)
		return
	}
	writeVersioned(w, http.StatusOK, p.Version, p)
}

// putPolicy answers PUT /api/v1/readiness/policy: the body (YAML or JSON)
// replaces the policy; If-Match names the version replaced ("v0" for the
// shipped default).
func (s *server) putPolicy(w http.ResponseWriter, r *http.Request) {
	h := strings.Trim(strings.TrimSpace(r.Header.Get("If-Match")), `"`)
	v, err := strconv.ParseInt(strings.TrimPrefix(h, "v"), 10, 64)
	if h == "" {
		closeUnread(w, r)
		writeError(w, http.StatusPreconditionRequired,
			`If-Match is required: send the ETag of the policy you edited ("v0" for the default)`)
		return
	} else if err != nil || !strings.HasPrefix(h, "v") || v < 0 {
		closeUnread(w, r)
		writeError(w, http.StatusBadRequest, fmt.Sprintf("If-Match %q is not \"v<version>\"", h))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPolicyBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "policy larger than 1 MiB")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "request body could not be read")
		return
	}
	p, err := readiness.ParsePolicy(bytes.NewReader(body))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if p, err = s.ready.SetPolicy(r.Context(), p, v); err != nil {
		s.readinessError(w, "set readiness policy", err)
		return
	}
	writeVersioned(w, http.StatusOK, p.Version, p)
}

// personInput is the body of PUT /api/v1/training/people/{name}: the
// record, with version 0 to create it or the current version to replace it.
type personInput struct {
	readiness.Person
}

// listPeople answers GET /api/v1/training/people.
func (s *server) listPeople(w http.ResponseWriter, r *http.Request) {
	if q := newQuery(r); q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	ps, err := s.ready.People(r.Context())
	if err != nil {
		s.readinessError(w, "list people", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ps})
}

// getPerson answers GET /api/v1/training/people/{name}.
func (s *server) getPerson(w http.ResponseWriter, r *http.Request) {
	p, err := s.ready.Person(r.Context(), r.PathValue("name"))
	if err != nil {
		s.readinessError(w, "get person", err)
		return
	}
	writeVersioned(w, http.StatusOK, p.Version, p)
}

// putPerson answers PUT /api/v1/training/people/{name}: 201 when created
// (version 0), 200 when replaced.
func (s *server) putPerson(w http.ResponseWriter, r *http.Request) {
	var in personInput
	if !decodeTriage(w, r, &in) {
		return
	}
	name := r.PathValue("name")
	if in.Name == "" {
		in.Name = name
	}
	if in.Name != name {
		writeRequestError(w, invalid("name", "%q differs from the path's %q", in.Name, name))
		return
	}
	p, version := in.Person, in.Version
	if err := s.ready.PutPerson(r.Context(), &p, version); err != nil {
		s.readinessError(w, "put person", err)
		return
	}
	status := http.StatusOK
	if version == 0 {
		status = http.StatusCreated
	}
	writeVersioned(w, status, p.Version, p)
}

// postCompletion answers POST /api/v1/training/completions.
func (s *server) postCompletion(w http.ResponseWriter, r *http.Request) {
	var c readiness.Completion
	if !decodeTriage(w, r, &c) {
		return
	}
	c.ID, c.RecordedBy, c.Recorded = 0, "", time.Time{}
	if err := s.ready.RecordCompletion(r.Context(), &c); err != nil {
		s.readinessError(w, "record completion", err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// listCompletions answers GET /api/v1/training/completions[?person=].
func (s *server) listCompletions(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "person")
	person := q.str("person")
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	cs, err := s.ready.Completions(r.Context(), person)
	if err != nil {
		s.readinessError(w, "list completions", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": cs})
}

// getTrainingReport answers GET /api/v1/training/report: per team and
// person, what is overdue or due soon.
func (s *server) getTrainingReport(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "team", "person")
	team, person := q.str("team"), q.str("person")
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	t, err := s.ready.Training(r.Context())
	if err != nil {
		s.readinessError(w, "training report", err)
		return
	}
	writeJSON(w, http.StatusOK, t.Report(team, person))
}

// trainingExport is the JSON export for auditors: every requirement of
// every person, and every completion with its evidence.
type trainingExport struct {
	Generated     time.Time              `json:"generated"`
	PolicyVersion int64                  `json:"policy_version"`
	Items         []readiness.Item       `json:"items"`
	Completions   []readiness.Completion `json:"completions"`
}

// getTrainingExport answers GET /api/v1/training/export?format=csv|json.
func (s *server) getTrainingExport(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "format")
	format := q.str("format", "csv", "json")
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	t, err := s.ready.Training(r.Context())
	if err != nil {
		s.readinessError(w, "training export", err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, trainingExport{Generated: time.Now().UTC(),
			PolicyVersion: t.Policy.Version, Items: t.Items, Completions: t.Completions})
		return
	}
	var buf bytes.Buffer
	if err := readiness.WriteItemsCSV(&buf, t.Items); err != nil {
		s.internalError(w, "training export", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="training.csv"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(buf.Bytes())
}

// postReminders answers POST /api/v1/readiness/reminders: this week's
// reminders are queued now (the server also does it every hour).
func (s *server) postReminders(w http.ResponseWriter, r *http.Request) {
	closeUnread(w, r)
	res, err := s.ready.Remind(r.Context())
	if err != nil {
		s.log.Warn("readiness reminders", "err", err)
	}
	writeJSON(w, http.StatusOK, res)
}

// ownerOnly returns the principal's name when it may change only the
// findings it owns (a service engineer who is not also an admin or
// responder), else "".
func ownerOnly(r *http.Request) string {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || p.HasAnyRole(auth.RoleAdmin, auth.RoleResponder) {
		return ""
	}
	return p.Name
}

// importFormat picks the import format from ?format or the Content-Type.
func importFormat(q *query, r *http.Request) string {
	if f := q.str("format", "csv", "json"); f != "" {
		return f
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "text/csv", "application/csv":
		return "csv"
	case "application/json":
		return "json"
	}
	return ""
}
