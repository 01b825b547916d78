package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// scopeSection is the "Scope and affected tenants" part of the incident
// page: the latest scope revision, its tenants with their paths, and the
// revisions before.
type scopeSection struct {
	Scope    store.IncidentScope
	Tenants  []affectedItem
	History  []store.IncidentScope
	Services string // the scope's services as the form writes them
}

// affectedItem is an affected tenant as the API lists it.
type affectedItem struct {
	store.AffectedTenant
	Name string `json:"name"`
}

// More reports how many of the tenant's paths are not listed.
func (a affectedItem) More() int { return a.PathCount - len(a.Paths) }

// loadScope reads the incident's scope, affected tenants and history.
func loadScope(ctx context.Context, se *session, base string, d *incidentData) error {
	sec := &scopeSection{}
	var view struct {
		Scope store.IncidentScope `json:"scope"`
	}
	if err := se.api.get(ctx, base+"/scope", &view); err != nil {
		return err
	}
	var tenants struct {
		Items []affectedItem `json:"items"`
	}
	if err := se.api.get(ctx, base+"/affected-tenants", &tenants); err != nil {
		return err
	}
	var history struct {
		Items []store.IncidentScope `json:"items"`
	}
	if err := se.api.get(ctx, base+"/scope/history", &history); err != nil {
		return err
	}
	sec.Scope, sec.Tenants, sec.History = view.Scope, tenants.Items, history.Items
	var svcs []string
	for _, sr := range view.Scope.Scope.Services {
		if sr.Region != "" {
			svcs = append(svcs, sr.Service+"@"+sr.Region)
		} else {
			svcs = append(svcs, sr.Service)
		}
	}
	sec.Services = strings.Join(svcs, " ")
	d.Scope = sec
	return nil
}

// setScope sends the scope form to the API: lists separated by spaces or
// commas, services as "storage" or "storage@eu-west".
func (s *server) setScope(w http.ResponseWriter, r *http.Request, se *session) {
	sc := scope.Scope{Regions: splitList(form(r, "regions")),
		Datacenters: splitList(form(r, "datacenters")), Farms: splitList(form(r, "farms")),
		Servers: splitList(form(r, "servers")), Hosts: splitList(form(r, "hosts")),
		Addresses: splitList(form(r, "addresses")), FromIncident: form(r, "from_incident") != ""}
	for _, v := range splitList(form(r, "services")) {
		svc, region, _ := strings.Cut(v, "@")
		sc.Services = append(sc.Services, scope.ServiceRef{Service: svc, Region: region})
	}
	extra := map[string]string{}
	if rev, err := strconv.ParseInt(form(r, "revision"), 10, 64); err == nil && rev > 0 {
		extra["If-Match"] = `"v` + strconv.FormatInt(rev, 10) + `"`
	}
	s.change(w, r, se, "scope", func(ctx context.Context, base string) error {
		_, err := se.api.send(ctx, http.MethodPut, base+"/scope", sc, extra)
		return err
	})
}
