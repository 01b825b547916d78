package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/postmortem"
)

// pageSet holds one template per page, each with the shared layout.
type pageSet struct {
	byName map[string]*template.Template
}

// pageNames are the page templates in templates/, besides layout.html.
var pageNames = []string{"login", "alerts", "incidents", "incident", "audit", "error", "cases",
	"teams", "notifications", "readiness", "inventory", "tenants", "tenant",
	"postmortem", "dashboard", "portal", "portal_notice"}

// pageParts are the templates a page includes besides its own.
var pageParts = map[string][]string{"incident": {"templates/incident_scope.html",
	"templates/incident_obligations.html"}}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Format("2006-01-02 15:04 MST")
	},
	"join": strings.Join,
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02")
	},
	"millis":     func(ms int64) string { return (time.Duration(ms) * time.Millisecond).String() },
	"took":       postmortem.Duration,
	"sourceHref": sourceHref,
	"p50": func(m map[metrics.Measure]metrics.Stats, measure string) string {
		st := m[metrics.Measure(measure)]
		if st.Count == 0 {
			return "—"
		}
		return postmortem.Duration(st.P50)
	},
	"local": func(e postmortem.Entry) string {
		return e.Local().Format("2006-01-02 15:04:05 MST") + " (" + e.Zone + ")"
	},
	"short": func(s string) string { return s[:min(len(s), 12)] + "…" },
	"split": func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, "\n\n") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	},
	"left": timeLeft,
	"deref": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"lastSeverity": func(ds []incident.SeverityDecision) *incident.SeverityDecision {
		if len(ds) == 0 {
			return nil
		}
		return &ds[len(ds)-1]
	},
}

func parsePages() (*pageSet, error) {
	ps := &pageSet{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		files := append([]string{"templates/layout.html", "templates/" + name + ".html"},
			pageParts[name]...)
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("web: parse page %s: %w", name, err)
		}
		ps.byName[name] = t
	}
	return ps, nil
}

// view is what every page template gets: the user, the CSRF token of its
// forms, the menu it may use, and the page's own data.
type view struct {
	Title string
	User  *auth.Principal
	CSRF  string
	Menu  []menuItem
	Data  any
}

type menuItem struct {
	Label, Href string
	Active      bool
}

// menu lists the pages p may open.
func menu(p *auth.Principal, path string) []menuItem {
	var items []menuItem
	for _, m := range []struct{ label, href string }{
		{"Alerts", "/alerts"}, {"Incidents", "/incidents"}, {"Cases", "/cases"},
		{"Teams", "/teams"}, {"Notifications", "/notifications"}, {"Readiness", "/readiness"},
		{"Inventory", "/inventory"}, {"Tenants", "/tenants"}, {"Dashboard", "/dashboard"},
		{"Audit trail", "/audit"}, {"Notices", "/portal"},
	} {
		// The portal is a tenant's landing page; staff reach it by URL.
		if m.href == "/portal" && p.Tenant == "" {
			continue
		}
		if can(p, "GET "+m.href) {
			items = append(items, menuItem{Label: m.label, Href: m.href,
				Active: strings.HasPrefix(path, m.href)})
		}
	}
	return items
}

// titled is implemented by page data that names its page.
type titled interface{ pageTitle() string }

// render writes the page name with data, or a plain 500 when the template
// fails (nothing is sent before the page is complete).
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string,
	se *session, data any) {
	v := view{Title: "Vigil", Data: data}
	if t, ok := data.(titled); ok {
		v.Title = t.pageTitle() + " · Vigil"
	}
	if se != nil {
		v.User, v.CSRF, v.Menu = se.Principal, se.CSRF, menu(se.Principal, r.URL.Path)
	}
	var buf bytes.Buffer
	if err := s.pages.byName[name].Execute(&buf, v); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct {
	Status int
	Title  string
	Msg    string
}

func (e errorPage) pageTitle() string { return e.Title }

func (s *server) forbidden(w http.ResponseWriter, r *http.Request, se *session, msg string) {
	s.render(w, r, http.StatusForbidden, "error", se, errorPage{Status: http.StatusForbidden,
		Title: "Forbidden", Msg: msg})
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", nil, errorPage{Status: http.StatusNotFound,
		Title: "Not found", Msg: "There is no such page, or you may not see it."})
}

// fail answers for an error of an API call: the API's status and message
// for an *apiError, else 500.
func (s *server) fail(w http.ResponseWriter, r *http.Request, se *session, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.Error("web page", "err", err)
		s.render(w, r, http.StatusInternalServerError, "error", se, errorPage{Status: 500,
			Title: "Internal error", Msg: "Something went wrong on our side."})
		return
	}
	switch ae.Status {
	case http.StatusNotFound:
		s.render(w, r, ae.Status, "error", se, errorPage{Status: ae.Status,
			Title: "Not found", Msg: "There is no such page, or you may not see it."})
	case http.StatusForbidden:
		s.forbidden(w, r, se, ae.Msg)
	default:
		s.render(w, r, ae.Status, "error", se, errorPage{Status: ae.Status,
			Title: http.StatusText(ae.Status), Msg: ae.Msg})
	}
}
