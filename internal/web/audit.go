package web

import (
	"net/http"
	"net/url"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// auditData is the data of the audit trail page.
type auditData struct {
	Entries []audit.Entry
	Total   int64
	Next    string
	Action  string
}

func (auditData) pageTitle() string { return "Audit trail" }

// auditTrail lists audit entries, newest first, a page at a time, filtered
// by action.
func (s *server) auditTrail(w http.ResponseWriter, r *http.Request, se *session) {
	q := r.URL.Query()
	v := url.Values{"limit": {"100"}}
	if c := q.Get("cursor"); c != "" {
		v.Set("cursor", c)
	}
	if a := q.Get("action"); a != "" {
		v.Set("action", a)
	}
	var page store.Page[audit.Entry]
	if err := se.api.get(r.Context(), "/api/v1/audit?"+v.Encode(), &page); err != nil {
		s.fail(w, r, se, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", se, auditData{Entries: page.Items,
		Total: page.Total, Next: page.Next, Action: q.Get("action")})
}
