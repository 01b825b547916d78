package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/notice"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/triage"
)

// Default limits and timeouts.
const (
	DefaultMaxBodyBytes = 32 << 20
	DefaultMaxLineBytes = 1 << 20
	DefaultReadyTimeout = 2 * time.Second
)

// Ingester stores a batch of events durably and runs detection on it. A
// *detect.Pipeline is an Ingester.
type Ingester interface {
	Ingest(ctx context.Context, events []*event.Event) (detect.Result, error)
}

// Config configures the handler returned by New. Store and Pipeline are
// required; every other field has a default.
type Config struct {
	// Store answers queries, authenticates tokens and is pinged by /readyz.
	// Required.
	Store store.Store
	// Pipeline stores and matches posted events. Required.
	Pipeline Ingester
	// Mapping is the field mapping applied to posted events; nil means
	// internal/ingest's default.
	Mapping *event.Mapping
	// Logger receives one line per request and handler panics. Default:
	// discard.
	Logger *slog.Logger
	// Gatherer is served at /metrics. Default: an empty registry.
	Gatherer prometheus.Gatherer
	// Registerer takes the API's own metrics (vigil_http_requests_total and
	// vigil_http_request_duration_seconds). Nil: not registered.
	Registerer prometheus.Registerer
	// MetricsPublic serves /metrics without a bearer token, for scrapers on
	// a trusted network. Default false: /metrics needs a token like the API.
	MetricsPublic bool
	// MaxBodyBytes caps a POST /api/v1/events body, both as sent and after
	// gzip decoding; a larger body gets 413. Default DefaultMaxBodyBytes
	// (32 MiB).
	MaxBodyBytes int64
	// MaxLineBytes caps one NDJSON line, and one record (an array element,
	// or an object spread over lines); a batch with a longer one gets 413 and
	// nothing of it is stored. Default DefaultMaxLineBytes (1 MiB), or
	// MaxBodyBytes when that is smaller. It must not exceed MaxBodyBytes.
	MaxLineBytes int
	// ReadyTimeout bounds the store ping of /readyz. Default
	// DefaultReadyTimeout (2 s).
	ReadyTimeout time.Duration
	// Version is reported in the X-Vigil-Version response header; empty
	// means the header is not sent.
	Version string
	// Evidence keeps evidence files and their chains of custody; nil: the
	// evidence routes answer 503.
	Evidence *evidence.Service
	// EvidenceBufferBytes is the size up to which an evidence download is
	// verified whole before it is sent; larger ones stream and abort on a
	// mismatch (docs/evidence.md). Default DefaultEvidenceBufferBytes
	// (16 MiB).
	EvidenceBufferBytes int64
	// Triage runs alert triage, suppressions, support cases and
	// vulnerability reports (docs/triage.md). Nil: one over Store, with the
	// API's audit trail and the real clock.
	Triage *triage.Service
	// Response configures the response team, escalation and watch rules
	// (ResponseConfig; docs/team.md). The zero value works.
	Response ResponseConfig
	// Scope configures the inventory, tenants and incident scopes
	// (ScopeConfig; docs/inventory.md). The zero value works.
	Scope ScopeConfig
	// Readiness runs the preparation program: policy, training, findings,
	// exercises (docs/readiness.md). Nil: one over Store with the API's
	// audit trail, the real clock, triage's vulnerability reports in the
	// findings list and reminders through the notification outbox.
	Readiness *readiness.Service
	// Rules are the detection rules the server loaded, which a
	// detection-rule follow-up of a post-mortem links to (docs/postmortem.md).
	// Nil: none, and such links answer 409.
	Rules postmortem.RuleCatalog
	// NotifyTarget is how soon a notification to a person must be delivered
	// to meet its deadline in the response metrics. Default
	// DefaultNotifyTarget (15 min).
	NotifyTarget time.Duration
	// Deadlines are more sources of notification deadlines for the metrics
	// and post-mortems, besides notifications to people and the regulatory
	// obligations (obligation.Deadlines), which are always counted. Nil:
	// none.
	Deadlines []metrics.DeadlineSource
	// Obligations records incident facts and keeps the regulatory
	// obligations (docs/regulations.md); a scope change recomputes them.
	// Nil: one over Store with the built-in regulation catalog, no provider
	// profile and Scope.Now as its clock.
	Obligations *obligation.Service
	// Notices drafts, approves, sends and acknowledges the notices of
	// obligations to tenants and authorities, and serves the tenant portal
	// (docs/notifications.md "Notices to tenants"). Nil: those routes
	// answer 503.
	Notices *notice.Service

	// InsecureCookies drops the Secure attribute (and the __Host- prefix)
	// of the session cookie, for plain HTTP on loopback. Default false:
	// browsers send the cookie over HTTPS only.
	InsecureCookies bool
	// Sessions sets the idle and absolute lifetimes of sign-in sessions.
	// Default auth.DefaultSessionIdle (1 h) and auth.DefaultSessionLifetime
	// (12 h).
	Sessions auth.SessionPolicy
	// PasswordParams are the argon2id parameters of new password hashes.
	// Default auth.DefaultPasswordParams.
	PasswordParams auth.PasswordParams
	// LoginFailures within LoginWindow block sign-in for a user name, and
	// for a client address, until the window has passed (429). Counted in
	// memory, per process. Default auth.DefaultLoginFailures (5) and
	// auth.DefaultLoginWindow (15 min).
	LoginFailures int
	LoginWindow   time.Duration
	// WebhookAllowPrivate accepts webhook URLs whose host is a loopback,
	// private or link-local address, or localhost. Default false: 400
	// (notify.CheckTargetHost).
	WebhookAllowPrivate bool
}

// server holds the checked configuration shared by the handlers.
type server struct {
	cfg Config
	log *slog.Logger
	m   *httpMetrics

	audit     *audit.Log
	triage    *triage.Service
	inv       *scope.Cache
	ready     *readiness.Service
	passwords *auth.Passwords
	limiter   *auth.Limiter

	obligations *obligation.Service
}

// New checks cfg, applies its defaults and returns the API handler. The
// handler is safe for concurrent use. It fails when a required field is
// missing, a limit is negative or inconsistent, or the metrics cannot be
// registered.
func New(cfg Config) (http.Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: Config.Store is required")
	}
	if cfg.Pipeline == nil {
		return nil, errors.New("api: Config.Pipeline is required")
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxLineBytes < 0 || cfg.ReadyTimeout < 0 {
		return nil, errors.New("api: limits and timeouts must not be negative")
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxLineBytes == 0 {
		cfg.MaxLineBytes = int(min(DefaultMaxLineBytes, cfg.MaxBodyBytes))
	}
	if int64(cfg.MaxLineBytes) > cfg.MaxBodyBytes {
		return nil, errors.New("api: Config.MaxLineBytes exceeds MaxBodyBytes")
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	if cfg.NotifyTarget <= 0 {
		cfg.NotifyTarget = DefaultNotifyTarget
	}
	if cfg.EvidenceBufferBytes <= 0 {
		cfg.EvidenceBufferBytes = DefaultEvidenceBufferBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Gatherer == nil {
		cfg.Gatherer = prometheus.NewRegistry()
	}
	m, err := newHTTPMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	cfg.Sessions = cfg.Sessions.WithDefaults()
	s := &server{cfg: cfg, log: cfg.Logger, m: m, audit: audit.New(cfg.Store, nil),
		passwords: auth.NewPasswords(cfg.PasswordParams),
		limiter:   auth.NewLimiter(cfg.LoginFailures, cfg.LoginWindow, nil)}

	if s.triage = cfg.Triage; s.triage == nil {
		if s.triage, err = triage.New(triage.Config{Store: cfg.Store, Audit: s.audit,
			Logger: cfg.Logger}); err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
	}

	if s.inv = cfg.Scope.Inventory; s.inv == nil {
		s.inv = scope.NewCache(cfg.Store)
	}
	if s.ready = cfg.Readiness; s.ready == nil {
		if s.ready, err = NewReadiness(cfg.Store, s.audit, cfg.Logger); err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
	}

	if s.obligations = cfg.Obligations; s.obligations == nil {
		if s.obligations, err = newObligations(cfg); err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
	}

	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		h, err := s.guard(rt)
		if err != nil {
			return nil, err
		}
		mux.Handle(rt.method+" "+rt.path, h)
	}
	return s.observe(jsonFallback(mux)), nil
}

// route is one registered endpoint. The route table is the single list that
// the mux and the OpenAPI test both read.
type route struct {
	method  string
	path    string // a ServeMux pattern path, "{id}" style as in OpenAPI
	auth    bool
	handler http.Handler
}

func (s *server) routes() []route {
	metricsHandler := promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	})
	return []route{
		{"POST", "/api/v1/events", true, http.HandlerFunc(s.postEvents)},
		{"GET", "/api/v1/alerts", true, http.HandlerFunc(s.listAlerts)},
		{"GET", "/api/v1/incidents", true, http.HandlerFunc(s.listIncidents)},
		{"GET", "/api/v1/incidents/{id}", true, http.HandlerFunc(s.getIncident)},
		{"PATCH", "/api/v1/incidents/{id}", true, s.reevaluate(http.HandlerFunc(s.patchIncident))},
		{"POST", "/api/v1/incidents/{id}/transitions", true, http.HandlerFunc(s.postTransition)},
		{"POST", "/api/v1/incidents/{id}/classification", true,
			http.HandlerFunc(s.postClassification)},
		{"POST", "/api/v1/incidents/{id}/approvals", true, http.HandlerFunc(s.postApproval)},
		{"POST", "/api/v1/incidents/{id}/actions", true, http.HandlerFunc(s.postAction)},
		{"POST", "/api/v1/incidents/{id}/comments", true, http.HandlerFunc(s.postComment)},
		{"POST", "/api/v1/incidents/{id}/indicators", true, http.HandlerFunc(s.postIndicator)},
		{"POST", "/api/v1/incidents/{id}/links", true, http.HandlerFunc(s.postLink)},
		{"GET", "/api/v1/incidents/{id}/related", true, http.HandlerFunc(s.getRelated)},
		{"GET", "/api/v1/audit", true, http.HandlerFunc(s.listAudit)},
		{"POST", "/api/v1/session", false, http.HandlerFunc(s.login)},
		{"GET", "/api/v1/session", true, http.HandlerFunc(s.whoami)},
		{"DELETE", "/api/v1/session", true, http.HandlerFunc(s.logout)},
		{"POST", "/api/v1/tokens", true, http.HandlerFunc(s.createToken)},
		{"GET", "/api/v1/tokens", true, http.HandlerFunc(s.listTokens)},
		{"DELETE", "/api/v1/tokens/{id}", true, http.HandlerFunc(s.revokeToken)},
		{"POST", "/api/v1/users", true, http.HandlerFunc(s.createUser)},
		{"GET", "/api/v1/users", true, http.HandlerFunc(s.listUsers)},
		{"GET", "/api/v1/users/{id}", true, http.HandlerFunc(s.getUser)},
		{"PATCH", "/api/v1/users/{id}", true, http.HandlerFunc(s.patchUser)},
		{"POST", "/api/v1/incidents/{id}/evidence", true, http.HandlerFunc(s.postEvidence)},
		{"POST", "/api/v1/incidents/{id}/evidence/from-events", true,
			http.HandlerFunc(s.postEvidenceFromEvents)},
		{"GET", "/api/v1/incidents/{id}/evidence", true, http.HandlerFunc(s.listEvidence)},
		{"GET", "/api/v1/evidence/{id}", true, http.HandlerFunc(s.getEvidence)},
		{"GET", "/api/v1/evidence/{id}/content", true, http.HandlerFunc(s.getEvidenceContent)},
		{"POST", "/api/v1/evidence/{id}/custody", true, http.HandlerFunc(s.postCustody)},
		{"GET", "/api/v1/teams", true, http.HandlerFunc(s.listTeams)},
		{"POST", "/api/v1/teams", true, http.HandlerFunc(s.createTeam)},
		{"GET", "/api/v1/teams/{id}", true, http.HandlerFunc(s.getTeam)},
		{"PATCH", "/api/v1/teams/{id}", true, http.HandlerFunc(s.patchTeam)},
		{"PUT", "/api/v1/teams/{id}/roster", true, http.HandlerFunc(s.putRoster)},
		{"GET", "/api/v1/teams/{id}/oncall", true, http.HandlerFunc(s.getOnCall)},
		{"POST", "/api/v1/incidents/{id}/escalate", true, http.HandlerFunc(s.postEscalate)},
		{"GET", "/api/v1/incidents/{id}/team", true, http.HandlerFunc(s.getIncidentTeam)},
		{"POST", "/api/v1/incidents/{id}/team", true, http.HandlerFunc(s.postEngage)},
		{"POST", "/api/v1/incidents/{id}/team/{member}/disengage", true,
			http.HandlerFunc(s.postDisengage)},
		{"GET", "/api/v1/incidents/{id}/tasks", true, http.HandlerFunc(s.listTasks)},
		{"POST", "/api/v1/incidents/{id}/tasks", true, http.HandlerFunc(s.postTask)},
		{"PATCH", "/api/v1/incidents/{id}/tasks/{task}", true, http.HandlerFunc(s.patchTask)},
		{"GET", "/api/v1/incidents/{id}/watch-rules", true, http.HandlerFunc(s.listWatchRules)},
		{"POST", "/api/v1/incidents/{id}/watch-rules", true, http.HandlerFunc(s.postWatchRule)},
		{"DELETE", "/api/v1/incidents/{id}/watch-rules/{rule}", true,
			http.HandlerFunc(s.deleteWatchRule)},
		{"GET", "/api/v1/notifications", true, http.HandlerFunc(s.listNotifications)},
		{"POST", "/api/v1/notifications/{id}/retry", true,
			http.HandlerFunc(s.retryNotification)},
		{"GET", "/api/v1/webhooks", true, http.HandlerFunc(s.listWebhooks)},
		{"POST", "/api/v1/webhooks", true, http.HandlerFunc(s.createWebhook)},
		{"DELETE", "/api/v1/webhooks/{id}", true, http.HandlerFunc(s.deleteWebhook)},
		{"GET", "/api/v1/queue", true, http.HandlerFunc(s.getQueue)},
		{"GET", "/api/v1/alerts/{id}", true, http.HandlerFunc(s.getAlert)},
		{"POST", "/api/v1/alerts/{id}/ack", true, http.HandlerFunc(s.postAck)},
		{"POST", "/api/v1/alerts/{id}/assign", true, http.HandlerFunc(s.postAssign)},
		{"POST", "/api/v1/alerts/{id}/false-positive", true,
			http.HandlerFunc(s.postFalsePositive)},
		{"POST", "/api/v1/alerts/{id}/reopen", true, http.HandlerFunc(s.postReopen)},
		{"POST", "/api/v1/alerts/confirm", true, http.HandlerFunc(s.postConfirm)},
		{"DELETE", "/api/v1/incidents/{id}/alerts/{alert_id}", true,
			http.HandlerFunc(s.deleteIncidentAlert)},
		{"GET", "/api/v1/suppressions", true, http.HandlerFunc(s.listSuppressions)},
		{"POST", "/api/v1/suppressions", true, http.HandlerFunc(s.postSuppression)},
		{"DELETE", "/api/v1/suppressions/{id}", true, http.HandlerFunc(s.deleteSuppression)},
		{"POST", "/api/v1/cases", true, http.HandlerFunc(s.postCase)},
		{"GET", "/api/v1/cases", true, http.HandlerFunc(s.listCases)},
		{"GET", "/api/v1/cases/{id}", true, http.HandlerFunc(s.getCase)},
		{"POST", "/api/v1/cases/{id}/escalate", true, http.HandlerFunc(s.postCaseEscalation)},
		{"GET", "/api/v1/vulnerabilities", true, http.HandlerFunc(s.listVulnerabilities)},
		{"GET", "/api/v1/vulnerabilities/{id}", true, http.HandlerFunc(s.getVulnerability)},
		{"PATCH", "/api/v1/vulnerabilities/{id}", true, http.HandlerFunc(s.patchVulnerability)},
		{"GET", "/api/v1/inventory", true, http.HandlerFunc(s.getInventory)},
		{"PUT", "/api/v1/inventory", true, http.HandlerFunc(s.importInventory)},
		{"GET", "/api/v1/inventory/lookup", true, http.HandlerFunc(s.lookupHost)},
		{"GET", "/api/v1/inventory/{kind}/{id}", true, http.HandlerFunc(s.getEntry)},
		{"PUT", "/api/v1/inventory/{kind}/{id}", true, http.HandlerFunc(s.putEntry)},
		{"DELETE", "/api/v1/inventory/{kind}/{id}", true, http.HandlerFunc(s.deleteEntry)},
		{"GET", "/api/v1/tenants", true, http.HandlerFunc(s.listTenants)},
		{"POST", "/api/v1/tenants", true, http.HandlerFunc(s.createTenant)},
		{"GET", "/api/v1/tenants/{id}", true, http.HandlerFunc(s.getTenant)},
		{"PATCH", "/api/v1/tenants/{id}", true, http.HandlerFunc(s.patchTenant)},
		{"DELETE", "/api/v1/tenants/{id}", true, http.HandlerFunc(s.deleteTenant)},
		{"GET", "/api/v1/tenants/{id}/contacts", true, http.HandlerFunc(s.listContacts)},
		{"POST", "/api/v1/tenants/{id}/contacts", true, http.HandlerFunc(s.addContact)},
		{"PATCH", "/api/v1/tenants/{id}/contacts/{contact}", true,
			http.HandlerFunc(s.patchContact)},
		{"DELETE", "/api/v1/tenants/{id}/contacts/{contact}", true,
			http.HandlerFunc(s.deleteContact)},
		{"GET", "/api/v1/contacts/stale", true, http.HandlerFunc(s.staleContacts)},
		{"POST", "/api/v1/contacts/reminders", true, http.HandlerFunc(s.postContactReminders)},
		{"GET", "/api/v1/incidents/{id}/scope", true, http.HandlerFunc(s.getScope)},
		{"PUT", "/api/v1/incidents/{id}/scope", true, http.HandlerFunc(s.putScope)},
		{"GET", "/api/v1/incidents/{id}/scope/history", true, http.HandlerFunc(s.scopeHistory)},
		{"GET", "/api/v1/incidents/{id}/affected-tenants", true,
			http.HandlerFunc(s.affectedTenants)},
		{"GET", "/api/v1/readiness/policy", true, http.HandlerFunc(s.getPolicy)},
		{"PUT", "/api/v1/readiness/policy", true, http.HandlerFunc(s.putPolicy)},
		{"POST", "/api/v1/readiness/reminders", true, http.HandlerFunc(s.postReminders)},
		{"GET", "/api/v1/training/people", true, http.HandlerFunc(s.listPeople)},
		{"GET", "/api/v1/training/people/{name}", true, http.HandlerFunc(s.getPerson)},
		{"PUT", "/api/v1/training/people/{name}", true, http.HandlerFunc(s.putPerson)},
		{"GET", "/api/v1/training/completions", true, http.HandlerFunc(s.listCompletions)},
		{"POST", "/api/v1/training/completions", true, http.HandlerFunc(s.postCompletion)},
		{"GET", "/api/v1/training/report", true, http.HandlerFunc(s.getTrainingReport)},
		{"GET", "/api/v1/training/export", true, http.HandlerFunc(s.getTrainingExport)},
		{"GET", "/api/v1/findings", true, http.HandlerFunc(s.listFindings)},
		{"POST", "/api/v1/findings", true, http.HandlerFunc(s.postFinding)},
		{"POST", "/api/v1/findings/import", true, http.HandlerFunc(s.postFindingsImport)},
		{"GET", "/api/v1/findings/{id}", true, http.HandlerFunc(s.getFinding)},
		{"PATCH", "/api/v1/findings/{id}", true, http.HandlerFunc(s.patchFinding)},
		{"GET", "/api/v1/exercises", true, http.HandlerFunc(s.listExercises)},
		{"POST", "/api/v1/exercises", true, http.HandlerFunc(s.postExercise)},
		{"GET", "/api/v1/exercises/{id}", true, http.HandlerFunc(s.getExercise)},
		{"PATCH", "/api/v1/exercises/{id}", true, http.HandlerFunc(s.patchExercise)},
		{"POST", "/api/v1/exercises/{id}/runs", true, http.HandlerFunc(s.postRun)},
		{"GET", "/api/v1/exercises/{id}/alerts", true, http.HandlerFunc(s.getExerciseAlerts)},
		{"GET", "/api/v1/exercises/{id}/report", true, http.HandlerFunc(s.getExerciseReport)},
		{"GET", "/api/v1/incidents/{id}/postmortem", true, http.HandlerFunc(s.getPostMortem)},
		{"PATCH", "/api/v1/incidents/{id}/postmortem", true, http.HandlerFunc(s.patchPostMortem)},
		{"POST", "/api/v1/incidents/{id}/postmortem/refresh", true,
			http.HandlerFunc(s.postRefresh)},
		{"POST", "/api/v1/incidents/{id}/postmortem/timeline", true,
			http.HandlerFunc(s.postEntry)},
		{"POST", "/api/v1/incidents/{id}/postmortem/timeline/{entry}/notes", true,
			http.HandlerFunc(s.postEntryNote)},
		{"POST", "/api/v1/incidents/{id}/postmortem/timeline/{entry}/visibility", true,
			http.HandlerFunc(s.postEntryVisibility)},
		{"POST", "/api/v1/incidents/{id}/postmortem/findings", true,
			http.HandlerFunc(s.postPMFinding)},
		{"PATCH", "/api/v1/incidents/{id}/postmortem/findings/{finding}", true,
			http.HandlerFunc(s.patchPMFinding)},
		{"POST", "/api/v1/incidents/{id}/postmortem/signoffs", true,
			http.HandlerFunc(s.postSignOff)},
		{"GET", "/api/v1/incidents/{id}/postmortem/export", true,
			http.HandlerFunc(s.getPostMortemExport)},
		{"GET", "/api/v1/incidents/{id}/report", true, http.HandlerFunc(s.getIncidentReport)},
		{"GET", "/api/v1/incidents/{id}/follow-ups", true,
			http.HandlerFunc(s.listIncidentFollowUps)},
		{"POST", "/api/v1/incidents/{id}/follow-ups", true, http.HandlerFunc(s.postFollowUp)},
		{"GET", "/api/v1/follow-ups", true, http.HandlerFunc(s.listFollowUps)},
		{"POST", "/api/v1/follow-ups/reminders", true,
			http.HandlerFunc(s.postFollowUpReminders)},
		{"GET", "/api/v1/follow-ups/{id}", true, http.HandlerFunc(s.getFollowUp)},
		{"PATCH", "/api/v1/follow-ups/{id}", true, http.HandlerFunc(s.patchFollowUp)},
		{"POST", "/api/v1/follow-ups/{id}/rule", true, http.HandlerFunc(s.postFollowUpRule)},
		{"GET", "/api/v1/response-metrics", true, http.HandlerFunc(s.getResponseMetrics)},
		{"GET", "/api/v1/incidents/{id}/facts", true, http.HandlerFunc(s.getFacts)},
		{"POST", "/api/v1/incidents/{id}/facts", true, http.HandlerFunc(s.postFact)},
		{"GET", "/api/v1/incidents/{id}/obligations", true, http.HandlerFunc(s.listObligations)},
		{"GET", "/api/v1/incidents/{id}/obligations/{key}", true,
			http.HandlerFunc(s.getObligation)},
		{"POST", "/api/v1/incidents/{id}/obligations/{key}/not-required", true,
			http.HandlerFunc(s.postNotRequired)},
		{"POST", "/api/v1/incidents/{id}/obligations/{key}/reinstate", true,
			http.HandlerFunc(s.postReinstate)},
		{"POST", "/api/v1/incidents/{id}/obligations/{key}/clear-overdue", true,
			http.HandlerFunc(s.postClearOverdue)},
		// Notices to tenants and authorities, and the tenant portal (notices.go).
		{"POST", "/api/v1/incidents/{id}/obligations/{key}/draft", true,
			http.HandlerFunc(s.postDraft)},
		{"GET", "/api/v1/incidents/{id}/notices", true, http.HandlerFunc(s.listNotices)},
		{"GET", "/api/v1/incidents/{id}/notices/{nid}", true, http.HandlerFunc(s.getNotice)},
		{"PUT", "/api/v1/incidents/{id}/notices/{nid}", true, http.HandlerFunc(s.putNotice)},
		{"POST", "/api/v1/incidents/{id}/notices/{nid}/approve", true,
			http.HandlerFunc(s.postApprove)},
		{"POST", "/api/v1/incidents/{id}/notices/{nid}/send", true, http.HandlerFunc(s.postSend)},
		{"GET", "/api/v1/portal/notices", true, http.HandlerFunc(s.listPortalNotices)},
		{"GET", "/api/v1/portal/notices/{id}", true, http.HandlerFunc(s.getPortalNotice)},
		{"POST", "/api/v1/portal/notices/{id}/acknowledge", true,
			http.HandlerFunc(s.postPortalAcknowledge)},
		{"GET", "/api/v1/openapi.json", false, http.HandlerFunc(serveOpenAPI)},
		{"GET", "/healthz", false, http.HandlerFunc(healthz)},
		{"GET", "/readyz", false, http.HandlerFunc(s.readyz)},
		{"GET", "/metrics", !s.cfg.MetricsPublic, metricsHandler},
	}
}

// healthz answers liveness probes: the process serves HTTP.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz answers readiness probes: the store answers a ping in time.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Warn("store not ready", "err", err)
		writeError(w, http.StatusServiceUnavailable, "store not ready")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}
