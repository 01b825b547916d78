package api

import (
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/triage"
)

// postCase answers POST /api/v1/cases: a support case is filed. A
// tenant-admin files for its own tenant.
func (s *server) postCase(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Tenant  string    `json:"tenant"`
		Title   string    `json:"title"`
		Seen    string    `json:"seen"`
		SeenAt  time.Time `json:"seen_at"`
		Service string    `json:"service"`
		Level   string    `json:"level"`
	}
	if !decodeTriage(w, r, &b) {
		return
	}
	c := &triage.Case{Tenant: b.Tenant, Title: b.Title, Seen: b.Seen, SeenAt: b.SeenAt,
		Service: b.Service, Level: b.Level}
	if err := s.triage.FileCase(r.Context(), c); err != nil {
		s.triageError(w, "file case", err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// listCases answers GET /api/v1/cases: the cases the caller can see.
func (s *server) listCases(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "limit", "cursor")
	f := store.CaseFilter{State: q.str("state", triage.CaseOpen, triage.CaseEscalated),
		Limit: q.limit(), Cursor: q.str("cursor")}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	page, err := s.triage.ListCases(r.Context(), f)
	if err != nil {
		s.triageError(w, "list cases", err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// getCase answers GET /api/v1/cases/{id}; another tenant's case is 404.
func (s *server) getCase(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	c, err := s.triage.GetCase(r.Context(), id)
	if err != nil {
		s.triageError(w, "get case", err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// postCaseEscalation answers POST /api/v1/cases/{id}/escalate: the case
// becomes a security incident or a vulnerability report.
func (s *server) postCaseEscalation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	var esc triage.Escalation
	if !decodeTriage(w, r, &esc) {
		return
	}
	c, err := s.triage.Escalate(r.Context(), id, esc)
	if err != nil {
		s.triageError(w, "escalate case", err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// listVulnerabilities answers GET /api/v1/vulnerabilities.
func (s *server) listVulnerabilities(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "owner", "limit", "cursor")
	f := store.VulnerabilityFilter{State: q.str("state", vulnStates...), Owner: q.str("owner"),
		Limit: q.limit(), Cursor: q.str("cursor")}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	page, err := s.triage.ListVulnerabilities(r.Context(), f)
	if err != nil {
		s.triageError(w, "list vulnerabilities", err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// getVulnerability answers GET /api/v1/vulnerabilities/{id}.
func (s *server) getVulnerability(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	v, err := s.triage.GetVulnerability(r.Context(), id)
	if err != nil {
		s.triageError(w, "get vulnerability", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// patchVulnerability answers PATCH /api/v1/vulnerabilities/{id}: state,
// owner or severity change at the version sent (409 when stale).
func (s *server) patchVulnerability(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id")
	if !ok {
		return
	}
	var patch triage.VulnerabilityPatch
	if !decodeTriage(w, r, &patch) {
		return
	}
	v, err := s.triage.UpdateVulnerability(r.Context(), id, patch)
	if err != nil {
		s.triageError(w, "update vulnerability", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
