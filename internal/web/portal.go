package web

import (
	"net/http"
	"time"
)

// portalItem is a notice as the tenant portal shows it (PortalNotice of
// GET /api/v1/portal/notices): a sent notice of the reader's own tenant.
type portalItem struct {
	ID             int64     `json:"id"`
	IncidentRef    string    `json:"incident_ref"`
	Subject        string    `json:"subject"`
	Body           string    `json:"body"`
	SentAt         time.Time `json:"sent_at"`
	AcknowledgedAt time.Time `json:"acknowledged_at"`
	AcknowledgedBy string    `json:"acknowledged_by"`
	RegimeName     string    `json:"regime_name"`
	StageName      string    `json:"stage_name"`
	Deadline       time.Time `json:"deadline"`
}

// portalData is the data of the portal's notice list.
type portalData struct {
	Tenant  string
	Notices []portalItem
	Open    int // not acknowledged yet
}

func (portalData) pageTitle() string { return "Notices" }

// portalNoticeData is the data of one notice in the portal.
type portalNoticeData struct {
	Notice portalItem
	CanAck bool
}

func (d portalNoticeData) pageTitle() string { return d.Notice.Subject }

// portalList lists the notices sent to the tenant of the signed-in
// tenant administrator, newest first as the API gives them.
func (s *server) portalList(w http.ResponseWriter, r *http.Request, se *session) {
	var list struct {
		Items []portalItem `json:"items"`
	}
	if err := se.api.get(r.Context(), "/api/v1/portal/notices", &list); err != nil {
		s.fail(w, r, se, err)
		return
	}
	d := portalData{Tenant: se.Principal.Tenant, Notices: list.Items}
	for _, n := range list.Items {
		if n.AcknowledgedAt.IsZero() {
			d.Open++
		}
	}
	s.render(w, r, http.StatusOK, "portal", se, d)
}

// portalNotice shows one notice with its acknowledgement, or the button
// that acknowledges it; another tenant's notice is not found.
func (s *server) portalNotice(w http.ResponseWriter, r *http.Request, se *session) {
	id, ok := pathInt(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	var d portalNoticeData
	if err := se.api.get(r.Context(), "/api/v1/portal/notices/"+id, &d.Notice); err != nil {
		s.fail(w, r, se, err)
		return
	}
	d.CanAck = can(se.Principal, "POST /portal/{id}/acknowledge")
	s.render(w, r, http.StatusOK, "portal_notice", se, d)
}

// acknowledgeNotice acknowledges a notice and shows it again.
func (s *server) acknowledgeNotice(w http.ResponseWriter, r *http.Request, se *session) {
	id, ok := pathInt(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := se.post(r.Context(), "/api/v1/portal/notices/"+id+"/acknowledge", map[string]string{})
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	http.Redirect(w, r, "/portal/"+id, http.StatusSeeOther)
}
