package api

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// Accepted values of the enumerated query parameters.
var (
	alertLevels        = []string{"informational", "low", "medium", "high", "critical"}
	incidentStatuses   = []string{"open", "closed"}
	incidentSeverities = []string{"low", "medium", "high", "critical"}
)

// query reads and checks the query parameters of a listing. The first
// problem found is kept in err; later reads then return zero values.
type query struct {
	v   url.Values
	err error
}

// newQuery parses the query string, refusing parameters not in allowed and
// parameters given twice, so that a misspelt filter is an error rather than
// a silently wider listing.
func newQuery(r *http.Request, allowed ...string) *query {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return &query{err: errors.New("invalid query string")}
	}
	q := &query{v: v}
	for _, name := range slices.Sorted(maps.Keys(v)) {
		switch {
		case !slices.Contains(allowed, name):
			q.err = fmt.Errorf("unknown query parameter %q", name)
			return q
		case len(v[name]) > 1:
			q.err = fmt.Errorf("query parameter %q given more than once", name)
			return q
		}
	}
	return q
}

// str returns a string parameter; when values are given, it must be one of
// them.
func (q *query) str(name string, values ...string) string {
	if q.err != nil {
		return ""
	}
	s := q.v.Get(name)
	if s != "" && len(values) > 0 && !slices.Contains(values, s) {
		q.err = fmt.Errorf("query parameter %q: %q is not one of %v", name, s, values)
		return ""
	}
	return s
}

// time returns an RFC 3339 time parameter, zero when absent.
func (q *query) time(name string) time.Time {
	s := q.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.err = fmt.Errorf("query parameter %q: %q is not an RFC 3339 time", name, s)
		return time.Time{}
	}
	return t
}

// id returns a positive integer parameter, 0 when absent.
func (q *query) id(name string) int64 {
	s := q.str(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		q.err = fmt.Errorf("query parameter %q: %q is not a positive integer", name, s)
		return 0
	}
	return n
}

// limit returns the page size, 0 (the store's default) when absent.
func (q *query) limit() int {
	s := q.str("limit")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > store.MaxLimit {
		q.err = fmt.Errorf("query parameter \"limit\": %q is not an integer from 1 to %d",
			s, store.MaxLimit)
		return 0
	}
	return n
}

// listAlerts answers GET /api/v1/alerts: a page of alerts, newest first.
func (s *server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "rule_id", "level", "incident_id", "since", "until", "limit", "cursor")
	f := store.AlertFilter{
		RuleID:     q.str("rule_id"),
		Level:      q.str("level", alertLevels...),
		IncidentID: q.id("incident_id"),
		Since:      q.time("since"),
		Until:      q.time("until"),
		Limit:      q.limit(),
		Cursor:     q.str("cursor"),
	}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	page, err := s.cfg.Store.ListAlerts(r.Context(), f)
	if err != nil {
		s.storeError(w, "list alerts", err)
		return
	}
	if page.Items == nil {
		page.Items = []detect.Alert{}
	}
	s.markAlerts(r.Context(), page.Items)
	for i := range page.Items {
		a := &page.Items[i]
		if a.Tags == nil {
			a.Tags = []string{}
		}
		if a.EventIDs == nil {
			a.EventIDs = []int64{}
		}
	}
	writeJSON(w, http.StatusOK, page)
}

// listIncidents answers GET /api/v1/incidents: a page of incidents, newest
// first.
func (s *server) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "status", "severity", "since", "until", "limit", "cursor")
	f := store.IncidentFilter{
		Status:   q.str("status", incidentStatuses...),
		Severity: q.str("severity", incidentSeverities...),
		Since:    q.time("since"),
		Until:    q.time("until"),
		Limit:    q.limit(),
		Cursor:   q.str("cursor"),
	}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	page, err := s.cfg.Store.ListIncidents(r.Context(), f)
	if err != nil {
		s.storeError(w, "list incidents", err)
		return
	}
	if page.Items == nil {
		page.Items = []incident.Incident{}
	}
	s.markIncidents(r.Context(), page.Items)
	for i := range page.Items {
		if page.Items[i].AlertIDs == nil {
			page.Items[i].AlertIDs = []int64{}
		}
	}
	writeJSON(w, http.StatusOK, page)
}

// getIncident answers GET /api/v1/incidents/{id}: the incident's fields,
// its full record and version, with the version as ETag.
func (s *server) getIncident(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest,
			fmt.Sprintf("path parameter \"id\": %q is not a positive integer", raw))
		return
	}
	if q := newQuery(r); q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	rec, err := s.cfg.Store.GetIncidentRecord(r.Context(), id)
	if err != nil {
		s.storeError(w, "get incident", err)
		return
	}
	writeRecord(w, http.StatusOK, rec)
}

// storeError answers for a failed store call: 404 for ErrNotFound, 400 for
// ErrBadCursor, 500 (logged) for anything else.
func (s *server) storeError(w http.ResponseWriter, op string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrBadCursor):
		writeError(w, http.StatusBadRequest, "query parameter \"cursor\": invalid cursor")
	default:
		s.log.Error(op, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}
