package web

import (
	"crypto/subtle"
	"embed"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/auth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// maxFormBytes caps the body of a form post.
const maxFormBytes = 64 << 10

// Config configures the handler returned by New. API is required.
type Config struct {
	// API is the handler of internal/api (api.New); pages read and change
	// everything through it, and the paths the pages do not serve (/api/v1/,
	// /healthz, /readyz, /metrics) go to it unchanged. Required.
	API http.Handler
	// Triage acknowledges, dismisses and confirms alerts (ServiceTriage).
	// Nil: the alert queue lists alerts and refuses decisions (501).
	Triage Triage
	// Logger receives errors that the user cannot act on. Default: discard.
	Logger *slog.Logger
}

// server holds the checked configuration shared by the pages.
type server struct {
	cfg   Config
	log   *slog.Logger
	pages *pageSet
}

// New checks cfg and returns the handler of the web UI and, beneath it, the
// API. The handler is safe for concurrent use. It fails when API is missing
// or a template does not parse.
func New(cfg Config) (http.Handler, error) {
	if cfg.API == nil {
		return nil, errors.New("web: Config.API is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, log: cfg.Logger, pages: pages}

	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.guard(rt))
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /static/", secure(http.StripPrefix("/static/",
		http.FileServerFS(static))))
	for _, p := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, cfg.API)
	}
	mux.Handle("/", secure(http.HandlerFunc(s.notFound)))
	return mux, nil
}

// pageFunc serves a page for a signed-in user (se nil on public pages).
type pageFunc func(w http.ResponseWriter, r *http.Request, se *session)

// route is one page route; the page permission table must name it.
type route struct {
	method  string
	path    string
	handler pageFunc
}

func (s *server) routes() []route {
	return []route{
		{"GET", "/{$}", s.home},
		{"GET", "/login", s.loginPage},
		{"POST", "/login", s.login},
		{"POST", "/logout", s.logout},
		{"GET", "/alerts", s.alertQueue},
		{"POST", "/alerts/{id}/acknowledge", s.acknowledgeAlert},
		{"POST", "/alerts/{id}/false-positive", s.falsePositiveAlert},
		{"POST", "/alerts/{id}/confirm", s.confirmAlert},
		{"GET", "/incidents", s.incidentList},
		{"GET", "/incidents/{id}", s.incidentPage},
		{"POST", "/incidents/{id}/actions", s.addAction},
		{"POST", "/incidents/{id}/comments", s.addComment},
		{"POST", "/incidents/{id}/indicators", s.addIndicator},
		{"POST", "/incidents/{id}/classification", s.classify},
		{"POST", "/incidents/{id}/steps", s.requestApproval},
		{"POST", "/incidents/{id}/approvals", s.grantApproval},
		{"POST", "/incidents/{id}/checks", s.addCheck},
		{"POST", "/incidents/{id}/checks/done", s.checkDone},
		{"POST", "/incidents/{id}/transitions", s.transition},
		{"POST", "/incidents/{id}/tasks", s.addTask},
		{"POST", "/incidents/{id}/tasks/{task}", s.updateTask},
		{"POST", "/incidents/{id}/escalate", s.escalate},
		{"POST", "/incidents/{id}/team", s.engage},
		{"POST", "/incidents/{id}/team/{member}/disengage", s.disengage},
		{"POST", "/incidents/{id}/watch-rules", s.addWatchRule},
		{"POST", "/incidents/{id}/watch-rules/{rule}/remove", s.removeWatchRule},
		{"POST", "/incidents/{id}/evidence", s.uploadEvidence},
		{"POST", "/incidents/{id}/evidence/events", s.attachEvents},
		{"POST", "/incidents/{id}/evidence/{ev}/custody", s.recordCustody},
		{"POST", "/incidents/{id}/evidence/{ev}/download", s.downloadEvidence},
		{"GET", "/teams", s.teamList},
		{"POST", "/teams", s.createTeam},
		{"POST", "/teams/{id}", s.editTeam},
		{"POST", "/teams/{id}/roster", s.setRoster},
		{"GET", "/notifications", s.notificationList},
		{"POST", "/notifications/{id}/retry", s.retryNotification},
		{"GET", "/audit", s.auditTrail},
		{"GET", "/cases", s.caseList},
		{"POST", "/cases", s.fileCase},
		{"POST", "/cases/{id}/escalate", s.escalateCase},
		{"GET", "/readiness", s.readinessPage},
		{"GET", "/inventory", s.inventoryPage},
		{"POST", "/inventory/import", s.importInventory},
		{"GET", "/tenants", s.tenantList},
		{"POST", "/tenants", s.createTenant},
		{"GET", "/tenants/{id}", s.tenantPage},
		{"POST", "/tenants/{id}/contacts", s.addContact},
		{"POST", "/tenants/{id}/contacts/{contact}/verify", s.verifyContact},
		{"POST", "/incidents/{id}/scope", s.setScope},
		{"GET", "/incidents/{id}/postmortem", s.postMortemPage},
		{"POST", "/incidents/{id}/postmortem/summary", s.pmSummary},
		{"POST", "/incidents/{id}/postmortem/entries", s.pmAddEntry},
		{"POST", "/incidents/{id}/postmortem/entries/{entry}/notes", s.pmNote},
		{"POST", "/incidents/{id}/postmortem/entries/{entry}/visibility", s.pmVisibility},
		{"POST", "/incidents/{id}/postmortem/refresh", s.pmRefresh},
		{"POST", "/incidents/{id}/postmortem/findings", s.pmAddFinding},
		{"POST", "/incidents/{id}/postmortem/signoffs", s.pmSignOff},
		{"POST", "/incidents/{id}/follow-ups", s.addFollowUp},
		{"POST", "/follow-ups/{id}", s.moveFollowUp},
		{"POST", "/follow-ups/{id}/rule", s.linkRule},
		{"GET", "/dashboard", s.dashboard},
		{"POST", "/incidents/{id}/facts", s.recordFact},
		{"POST", "/incidents/{id}/obligations/draft", s.draftNotice},
		{"POST", "/incidents/{id}/obligations/not-required", s.obligationReason("not-required")},
		{"POST", "/incidents/{id}/obligations/reinstate", s.obligationReason("reinstate")},
		{"POST", "/incidents/{id}/obligations/clear-overdue",
			s.obligationReason("clear-overdue")},
		{"POST", "/incidents/{id}/notices/{nid}", s.editNotice},
		{"POST", "/incidents/{id}/notices/{nid}/approve", s.approveNotice},
		{"POST", "/incidents/{id}/notices/{nid}/send", s.sendNotice},
		{"GET", "/portal", s.portalList},
		{"GET", "/portal/{id}", s.portalNotice},
		{"POST", "/portal/{id}/acknowledge", s.acknowledgeNotice},
	}
}

// session is the signed-in user of a page request.
type session struct {
	Principal *auth.Principal
	CSRF      string
	api       *apiClient
	// parts is the rest of a multipart upload's body after its CSRF token
	// (the routes of uploadRoutes only).
	parts *multipart.Reader
}

// uploadRoutes are the page routes that take a multipart/form-data body;
// its first part must be the CSRF token. Every other post is a plain form.
var uploadRoutes = map[string]bool{"POST /incidents/{id}/evidence": true}

// guard wraps a page with security headers, the session, the page
// permission table (fail closed) and, on posts, the CSRF check.
func (s *server) guard(rt route) http.Handler {
	key := rt.method + " " + rt.path
	acc, known := pagePermissions[key]
	return secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !known {
			s.log.Error("page missing from the permission table; it answers 403", "route", key)
			s.forbidden(w, r, nil, "This page is not open to anyone.")
			return
		}
		if acc.public {
			rt.handler(w, r, nil)
			return
		}
		se, ok := s.session(w, r)
		if !ok {
			return
		}
		if !se.Principal.HasAnyRole(acc.roles...) {
			s.forbidden(w, r, se, "This page needs one of the roles "+
				strings.Join(acc.roles, ", ")+".")
			return
		}
		switch {
		case r.Method != http.MethodPost:
		case uploadRoutes[key]:
			if !s.checkUploadCSRF(w, r, se) {
				return
			}
		case !s.checkCSRF(w, r, se):
			return
		}
		rt.handler(w, r, se)
	}))
}

// session asks the API who the browser's session belongs to; without a
// valid session it sends the browser to the sign-in page.
func (s *server) session(w http.ResponseWriter, r *http.Request) (*session, bool) {
	c := &apiClient{h: s.cfg.API, from: r}
	var info struct {
		Principal *auth.Principal `json:"principal"`
		CSRFToken string          `json:"csrf_token"`
	}
	err := c.get(r.Context(), "/api/v1/session", &info)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil, false
	case err != nil:
		s.fail(w, r, nil, err)
		return nil, false
	case info.Principal == nil || info.CSRFToken == "":
		// A bearer token is no browser session.
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil, false
	}
	c.csrf = info.CSRFToken
	return &session{Principal: info.Principal, CSRF: info.CSRFToken, api: c}, true
}

// checkCSRF parses the form and compares its csrf_token with the session's;
// a missing or wrong one answers 403.
func (s *server) checkCSRF(w http.ResponseWriter, r *http.Request, se *session) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "error", se, errorPage{Status: 400,
			Title: "Bad request", Msg: "The form could not be read."})
		return false
	}
	got := r.PostForm.Get("csrf_token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(se.CSRF)) != 1 {
		s.forbidden(w, r, se, "The form carried a missing or wrong CSRF token. "+
			"Reload the page and try again.")
		return false
	}
	return true
}

// checkUploadCSRF reads the first part of a multipart body, which must be
// the csrf_token field, and compares it with the session's; the rest of the
// body is left to the page in se.parts. Anything else answers 403 (or 400
// for a body that is not multipart).
func (s *server) checkUploadCSRF(w http.ResponseWriter, r *http.Request, se *session) bool {
	mr, err := r.MultipartReader()
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "error", se, errorPage{Status: 400,
			Title: "Bad request", Msg: "The upload could not be read: " + err.Error() + "."})
		return false
	}
	var got []byte
	part, err := mr.NextPart()
	if err == nil && part.FormName() == "csrf_token" {
		got, err = io.ReadAll(io.LimitReader(part, 256))
	}
	if err != nil || subtle.ConstantTimeCompare(got, []byte(se.CSRF)) != 1 {
		s.forbidden(w, r, se, "The upload carried a missing or wrong CSRF token (it must "+
			"come first). Reload the page and try again.")
		return false
	}
	se.parts = mr
	return true
}

// secure sets the security headers of every page.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; "+
			"form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// home sends the user to the first page its roles open: a tenant's
// administrator to its notices.
func (s *server) home(w http.ResponseWriter, r *http.Request, se *session) {
	if se.Principal.Tenant != "" && can(se.Principal, "GET /portal") {
		http.Redirect(w, r, "/portal", http.StatusSeeOther)
		return
	}
	if !can(se.Principal, "GET /incidents") && can(se.Principal, "GET /cases") {
		http.Redirect(w, r, "/cases", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/incidents", http.StatusSeeOther)
}
