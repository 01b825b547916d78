package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notice"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// noticeView is a notice as the staff API shows it: the stored notice
// with its tenant's name.
type noticeView struct {
	store.Notice
	TenantName string `json:"tenant_name"`
	// Stale: the obligation's deadline or status changed since the notice
	// was last drafted or edited (notice.Stale).
	Stale bool `json:"stale"`
	// Undelivered: an e-mail or webhook delivery ended dead.
	Undelivered bool `json:"undelivered"`
	// Warnings are what the sender should know (a notice that reached no
	// contact but the portal).
	Warnings []string `json:"warnings,omitempty"`
}

// portalNotice is a sent notice as the tenant portal shows it.
type portalNotice struct {
	ID             int64      `json:"id"`
	IncidentRef    string     `json:"incident_ref"`
	Subject        string     `json:"subject"`
	Body           string     `json:"body"`
	SentAt         time.Time  `json:"sent_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	AcknowledgedBy string     `json:"acknowledged_by"`
	RegimeName     string     `json:"regime_name"`
	StageName      string     `json:"stage_name"`
	Deadline       *time.Time `json:"deadline"`
}

// notices returns the notice service, or answers 503 and returns nil.
func (s *server) notices(w http.ResponseWriter, r *http.Request) *notice.Service {
	if s.cfg.Notices == nil {
		closeUnread(w, r)
		writeError(w, http.StatusServiceUnavailable, "notices are not configured on this server")
	}
	return s.cfg.Notices
}

// noticeRoute reads what every /incidents/{id}/notices/{nid} route needs:
// the notice service, the incident ID and the notice ID. When one is
// missing or malformed it has answered already and ok is false.
func (s *server) noticeRoute(w http.ResponseWriter, r *http.Request) (
	svc *notice.Service, id, nid int64, ok bool) {
	if svc = s.notices(w, r); svc == nil {
		return nil, 0, 0, false
	}
	if id, ok = pathID(w, r); !ok {
		return nil, 0, 0, false
	}
	if nid, ok = noticeID(w, r); !ok {
		return nil, 0, 0, false
	}
	return svc, id, nid, true
}

// noticeActor returns the request's principal as the actor of a notice step.
func noticeActor(r *http.Request) notice.Actor {
	a := notice.Actor{ID: audit.ActorFrom(r.Context())}
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		a.Roles = p.Roles
	}
	return a
}

// noticeError answers for a failed notice step.
func (s *server) noticeError(w http.ResponseWriter, op string, err error) {
	var ce *store.ConflictError
	var ie *notice.IncompleteError
	switch {
	case errors.As(err, &ce):
		stale(w, ce.Version, ce.Current)
	case errors.Is(err, notice.ErrExercise):
		writeError(w, http.StatusConflict, "this incident is an exercise: notices about it are "+
			"never sent to tenants or authorities, and nothing was queued")
	case errors.Is(err, notice.ErrInvalid):
		msg := err.Error()
		field := "body"
		for _, f := range []string{"subject", "body", "reference", "lang"} {
			if strings.Contains(msg, ": "+f+": ") {
				field = f
				break
			}
		}
		writeRequestError(w, &requestError{Status: http.StatusUnprocessableEntity,
			Field: field, Msg: msg})
	case errors.As(err, &ie):
		writeError(w, http.StatusConflict, ie.Error())
	case errors.Is(err, store.ErrDuplicate):
		writeError(w, http.StatusConflict, "this obligation has a notice already: "+
			"edit that one (GET the incident's notices), or redraft it from the current "+
			"record with {\"replace\": true}")
	case errors.Is(err, notice.ErrState), errors.Is(err, regulation.ErrTransition),
		errors.Is(err, obligation.ErrState):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.storeError(w, op, err)
	}
}

// incidentOfPath reads {id} and checks that the incident exists; else it
// answers and returns false.
func (s *server) incidentOfPath(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return 0, false
	}
	if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
		closeUnread(w, r)
		s.storeError(w, "get incident", err)
		return 0, false
	}
	return id, true
}

// noticeID reads {nid}; else it answers 404 and returns false.
func noticeID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("nid"), 10, 64)
	if err != nil || id <= 0 {
		closeUnread(w, r)
		writeError(w, http.StatusNotFound, "not found")
		return 0, false
	}
	return id, true
}

// noticeViews adds the tenants' names to notices, and whether each unsent
// one is stale against its obligation (the obligations of an incident are
// read once, not once per notice).
func (s *server) noticeViews(r *http.Request, ns []store.Notice) []noticeView {
	names := map[string]string{}
	obligations := map[int64]map[string]*store.ObligationRecord{}
	obligation := func(n *store.Notice) *store.ObligationRecord {
		byKey, ok := obligations[n.IncidentID]
		if !ok {
			byKey = map[string]*store.ObligationRecord{}
			os, err := s.cfg.Store.ListObligations(r.Context(),
				store.ObligationFilter{IncidentID: n.IncidentID})
			if err == nil {
				for i := range os {
					byKey[os[i].Key] = &os[i]
				}
			}
			obligations[n.IncidentID] = byKey
		}
		return byKey[n.ObligationKey]
	}
	out := make([]noticeView, 0, len(ns))
	for _, n := range ns {
		name, ok := names[n.Tenant]
		if !ok && n.Tenant != "" {
			if t, err := s.cfg.Store.GetTenant(r.Context(), n.Tenant); err == nil {
				name = t.Name
			}
			names[n.Tenant] = name
		}
		v := noticeView{Notice: n, TenantName: name}
		if n.State != store.NoticeSent {
			if o := obligation(&n); o != nil {
				v.Stale = notice.Stale(&n, o)
			}
		}
		v.Undelivered, v.Warnings = noticeDeliveryState(n, name)
		out = append(out, v)
	}
	return out
}

// noticeDeliveryState reports whether an e-mail or webhook delivery of a
// sent notice ended dead, and warns when a tenant's notice reached no
// contact by e-mail or webhook (it went only to the portal).
func noticeDeliveryState(n store.Notice, tenantName string) (bool, []string) {
	if n.State != store.NoticeSent {
		return false, nil
	}
	dead, direct := false, false
	for _, d := range n.Deliveries {
		switch d.Channel {
		case store.DeliveryPortal, store.DeliveryManual:
		default:
			direct = true
			dead = dead || d.State == store.DeliveryDead
		}
	}
	if direct || n.Party != regulation.PartyTenant || n.Tenant == "" {
		return dead, nil
	}
	who := n.Tenant
	if tenantName != "" {
		who = tenantName
	}
	return dead, []string{"No designated contact of " + who + " can be reached by e-mail or " +
		"webhook: notice " + strconv.FormatInt(n.ID, 10) + " went only to the tenant portal; " +
		"tell the tenant by telephone and add a contact with an e-mail address"}
}

// writeNotice answers with one notice and its ETag.
func (s *server) writeNotice(w http.ResponseWriter, r *http.Request, status int,
	n *store.Notice) {
	w.Header().Set("ETag", etag(n.Version))
	writeJSON(w, status, s.noticeViews(r, []store.Notice{*n})[0])
}

// postDraft answers POST /api/v1/incidents/{id}/obligations/{key}/draft.
func (s *server) postDraft(w http.ResponseWriter, r *http.Request) {
	svc := s.notices(w, r)
	if svc == nil {
		return
	}
	id, ok := s.incidentOfPath(w, r)
	if !ok {
		return
	}
	var in struct {
		Lang    string `json:"lang"`
		Replace bool   `json:"replace"`
	}
	if r.ContentLength != 0 {
		if err := decodeChange(r, &in); err != nil {
			writeRequestError(w, err)
			return
		}
	}
	if in.Lang != "" && (len(in.Lang) != 2 || strings.ToLower(in.Lang) != in.Lang) {
		writeRequestError(w, invalid("lang", "%q: want two lowercase letters (en, de)", in.Lang))
		return
	}
	draft, status := svc.Draft, http.StatusCreated
	if in.Replace {
		draft, status = svc.Redraft, http.StatusOK
	}
	n, err := draft(r.Context(), noticeActor(r), id, r.PathValue("key"), in.Lang)
	if err != nil {
		s.noticeError(w, "draft notice", err)
		return
	}
	if n.Version == 1 {
		status = http.StatusCreated // replace with no notice yet drafts a new one
	}
	s.writeNotice(w, r, status, n)
}

// listNotices answers GET /api/v1/incidents/{id}/notices.
func (s *server) listNotices(w http.ResponseWriter, r *http.Request) {
	svc := s.notices(w, r)
	if svc == nil {
		return
	}
	id, ok := s.incidentOfPath(w, r)
	if !ok {
		return
	}
	ns, err := svc.List(r.Context(), id)
	if err != nil {
		s.storeError(w, "list notices", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []noticeView `json:"items"`
	}{s.noticeViews(r, ns)})
}

// getNotice answers GET /api/v1/incidents/{id}/notices/{nid}.
func (s *server) getNotice(w http.ResponseWriter, r *http.Request) {
	svc, id, nid, ok := s.noticeRoute(w, r)
	if !ok {
		return
	}
	n, err := svc.Get(r.Context(), id, nid)
	if err != nil {
		s.storeError(w, "get notice", err)
		return
	}
	s.writeNotice(w, r, http.StatusOK, n)
}

// putNotice answers PUT /api/v1/incidents/{id}/notices/{nid}; If-Match is
// required.
func (s *server) putNotice(w http.ResponseWriter, r *http.Request) {
	svc, id, nid, ok := s.noticeRoute(w, r)
	if !ok {
		return
	}
	version, sent, err := ifMatch(r)
	switch {
	case err != nil:
		closeUnread(w, r)
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case !sent:
		closeUnread(w, r)
		writeError(w, http.StatusPreconditionRequired,
			"If-Match is required: send the ETag of the notice you edited")
		return
	}
	var in struct {
		Subject *string `json:"subject"`
		Body    *string `json:"body"`
	}
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	switch {
	case in.Subject == nil:
		writeRequestError(w, invalid("subject", "missing"))
		return
	case in.Body == nil:
		writeRequestError(w, invalid("body", "missing"))
		return
	}
	n, err := svc.Edit(r.Context(), noticeActor(r), id, nid, version, *in.Subject, *in.Body)
	if err != nil {
		s.noticeError(w, "edit notice", err)
		return
	}
	s.writeNotice(w, r, http.StatusOK, n)
}

// postApprove answers POST /api/v1/incidents/{id}/notices/{nid}/approve.
func (s *server) postApprove(w http.ResponseWriter, r *http.Request) {
	svc, id, nid, ok := s.noticeRoute(w, r)
	if !ok {
		return
	}
	closeUnread(w, r)
	n, err := svc.Approve(r.Context(), noticeActor(r), id, nid)
	if err != nil {
		s.noticeError(w, "approve notice", err)
		return
	}
	s.writeNotice(w, r, http.StatusOK, n)
}

// postSend answers POST /api/v1/incidents/{id}/notices/{nid}/send.
func (s *server) postSend(w http.ResponseWriter, r *http.Request) {
	svc, id, nid, ok := s.noticeRoute(w, r)
	if !ok {
		return
	}
	var in struct {
		Reference string `json:"reference"`
	}
	if r.ContentLength != 0 {
		if err := decodeChange(r, &in); err != nil {
			writeRequestError(w, err)
			return
		}
	}
	n, err := svc.Send(r.Context(), noticeActor(r), id, nid, in.Reference)
	if err != nil {
		s.noticeError(w, "send notice", err)
		return
	}
	s.writeNotice(w, r, http.StatusOK, n)
}

// portalTenant returns the tenant whose portal the principal sees: its own
// for a tenant-admin, "" (every tenant) for staff.
func portalTenant(r *http.Request) string {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		return p.Tenant
	}
	return "\x00" // no principal: matches no tenant
}

// portalView turns a sent notice into what the portal shows.
func (s *server) portalView(r *http.Request, n store.Notice) portalNotice {
	v := portalNotice{ID: n.ID, Subject: n.Subject, Body: n.Body, SentAt: n.Sent,
		AcknowledgedBy: n.AcknowledgedBy}
	if !n.Acknowledged.IsZero() {
		t := n.Acknowledged
		v.AcknowledgedAt = &t
	}
	if inc, err := s.cfg.Store.GetIncidentRecord(r.Context(), n.IncidentID); err == nil {
		v.IncidentRef = inc.Record.Number
	}
	if o, err := s.cfg.Store.GetObligation(r.Context(), n.IncidentID, n.ObligationKey); err == nil {
		v.RegimeName, v.StageName = o.Obligation.Regime, o.Obligation.Stage
		if !o.Record.Deadline.IsZero() {
			t := o.Record.Deadline
			v.Deadline = &t
		}
	}
	return v
}

// listPortalNotices answers GET /api/v1/portal/notices: a tenant-admin's
// own tenant's sent notices; staff see every tenant's.
func (s *server) listPortalNotices(w http.ResponseWriter, r *http.Request) {
	svc := s.notices(w, r)
	if svc == nil {
		return
	}
	if q := newQuery(r); q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	ns, err := svc.Portal(r.Context(), portalTenant(r))
	if err != nil {
		s.storeError(w, "list portal notices", err)
		return
	}
	out := make([]portalNotice, 0, len(ns))
	for _, n := range ns {
		out = append(out, s.portalView(r, n))
	}
	writeJSON(w, http.StatusOK, struct {
		Items []portalNotice `json:"items"`
	}{out})
}

// portalNoticeOf loads a sent notice that the principal may see; else it
// answers 404 (another tenant's too) and returns nil.
func (s *server) portalNoticeOf(w http.ResponseWriter, r *http.Request) *store.Notice {
	nid, ok := pathID(w, r)
	if !ok {
		return nil
	}
	n, err := s.cfg.Store.GetNotice(r.Context(), nid)
	p, signed := auth.PrincipalFrom(r.Context())
	if err == nil && (!signed || !p.CanSee(n.Tenant) || !notice.InPortal(n)) {
		err = store.ErrNotFound
	}
	if err != nil {
		closeUnread(w, r)
		s.storeError(w, "get portal notice", err)
		return nil
	}
	return n
}

// getPortalNotice answers GET /api/v1/portal/notices/{id}.
func (s *server) getPortalNotice(w http.ResponseWriter, r *http.Request) {
	if s.notices(w, r) == nil {
		return
	}
	if n := s.portalNoticeOf(w, r); n != nil {
		writeJSON(w, http.StatusOK, s.portalView(r, *n))
	}
}

// postPortalAcknowledge answers POST /api/v1/portal/notices/{id}/acknowledge:
// the tenant's administrator acknowledges its notice (once; a repeat
// answers the notice as it is).
func (s *server) postPortalAcknowledge(w http.ResponseWriter, r *http.Request) {
	svc := s.notices(w, r)
	if svc == nil {
		return
	}
	n := s.portalNoticeOf(w, r)
	if n == nil {
		return
	}
	closeUnread(w, r)
	n, _, err := svc.Acknowledge(r.Context(), noticeActor(r), portalTenant(r), n.ID)
	if err != nil {
		s.noticeError(w, "acknowledge notice", err)
		return
	}
	writeJSON(w, http.StatusOK, s.portalView(r, *n))
}
