package api

import (
	"net/http"
	"strconv"

	"github.com/vigilsec/vigil/internal/readiness"
)

// Accepted values of the findings' query parameters.
var (
	findingStates     = strs(readiness.States())
	findingSeverities = strs(readiness.Severities())
	findingSources    = append(strs(readiness.Sources()), string(readiness.SourceTriage))
)

// boolParam reads a true/false query parameter (absent: def).
func (q *query) boolParam(name string, def bool) bool {
	s := q.str(name, "true", "false")
	if s == "" {
		return def
	}
	return s == "true"
}

// listFindings answers GET /api/v1/findings: findings and triage's
// vulnerability reports in one list, overdue first, then by due date.
func (s *server) listFindings(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "owner", "severity", "source", "exercise", "overdue", "open",
		"triage")
	fq := readiness.FindingQuery{FindingFilter: readiness.FindingFilter{
		State:      readiness.State(q.str("state", findingStates...)),
		Owner:      q.str("owner"),
		Severity:   readiness.Severity(q.str("severity", findingSeverities...)),
		Source:     readiness.Source(q.str("source", findingSources...)),
		ExerciseID: q.id("exercise")},
		Overdue: q.boolParam("overdue", false), Open: q.boolParam("open", false),
		Triage: q.boolParam("triage", true)}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	fs, err := s.ready.Findings(r.Context(), fq)
	if err != nil {
		s.readinessError(w, "list findings", err)
		return
	}
	overdue := 0
	for _, f := range fs {
		if f.Overdue {
			overdue++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": fs, "total": len(fs),
		"overdue": overdue})
}

// postFinding answers POST /api/v1/findings: one finding entered by hand.
func (s *server) postFinding(w http.ResponseWriter, r *http.Request) {
	var in readiness.FindingInput
	if !decodeTriage(w, r, &in) {
		return
	}
	f, err := s.ready.CreateFinding(r.Context(), in)
	if err != nil {
		s.readinessError(w, "create finding", err)
		return
	}
	writeVersioned(w, http.StatusCreated, f.Version, f)
}

// postFindingsImport answers POST /api/v1/findings/import: a CSV or JSON
// report, all or nothing: 201 with what was created (and skipped), 200
// when every record was imported before, 422 listing every problem with
// its line and field when any record is bad (nothing is stored then).
func (s *server) postFindingsImport(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "format", "source")
	format := importFormat(q, r)
	source := readiness.Source(q.str("source", strs(readiness.Sources())...))
	if q.err != nil {
		closeUnread(w, r)
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	if format == "" {
		closeUnread(w, r)
		writeError(w, http.StatusUnsupportedMediaType, "send text/csv or application/json, "+
			"or say ?format=csv|json")
		return
	}
	res, err := s.ready.ImportFindings(r.Context(), format, source,
		http.MaxBytesReader(w, r.Body, maxImportBody))
	if err != nil {
		s.readinessError(w, "import findings", err)
		return
	}
	switch {
	case len(res.Errors) > 0:
		writeJSON(w, http.StatusUnprocessableEntity, res)
	case len(res.Created) > 0:
		writeJSON(w, http.StatusCreated, res)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// getFinding answers GET /api/v1/findings/{id}.
func (s *server) getFinding(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	f, err := s.ready.Finding(r.Context(), id)
	if err != nil {
		s.readinessError(w, "get finding", err)
		return
	}
	writeVersioned(w, http.StatusOK, f.Version, f)
}

// patchFinding answers PATCH /api/v1/findings/{id}. A service engineer
// (not also admin or responder) may change only the findings it owns, and
// only their state (open, in_progress, fixed) and description.
func (s *server) patchFinding(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	var p readiness.FindingPatch
	if !decodeTriage(w, r, &p) {
		return
	}
	f, err := s.ready.UpdateFinding(r.Context(), id, p, ownerOnly(r))
	if err != nil {
		s.readinessError(w, "update finding "+strconv.FormatInt(id, 10), err)
		return
	}
	writeVersioned(w, http.StatusOK, f.Version, f)
}
