package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// maxScopeAlerts bounds how many of an incident's alerts a scope reads
// hosts from.
const maxScopeAlerts = 200

// scopeView is the JSON of the scope routes: the latest revision (0 and
// an empty scope when it was never set) and the tenants it affects.
type scopeView struct {
	Scope   store.IncidentScope    `json:"scope"`
	Tenants []store.AffectedTenant `json:"tenants"`
}

// getScope answers GET /api/v1/incidents/{id}/scope.
// TODO: page the affected tenants; a scope of tens of thousands of tenants
// answers megabytes here and in putScope (docs/inventory.md, Limits).
func (s *server) getScope(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
		s.storeError(w, "get incident", err)
		return
	}
	v, err := s.loadScope(r, id)
	if err != nil {
		s.storeError(w, "get incident scope", err)
		return
	}
	if v.Scope.Revision > 0 {
		w.Header().Set("ETag", etag(v.Scope.Revision))
	}
	writeJSON(w, http.StatusOK, v)
}

// loadScope reads an incident's latest scope and affected tenants.
func (s *server) loadScope(r *http.Request, id int64) (scopeView, error) {
	v := scopeView{Scope: store.IncidentScope{IncidentID: id, Unmatched: []scope.Via{},
		Diff: scope.Diff{Added: []scope.Change{}, Removed: []scope.Change{}}}}
	cur, err := s.cfg.Store.GetIncidentScope(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return v, err
	default:
		v.Scope = *cur
	}
	v.Tenants, err = s.cfg.Store.ListAffectedTenants(r.Context(), id, "")
	return v, err
}

// putScope answers PUT /api/v1/incidents/{id}/scope: the scope is set,
// the affected tenants recomputed on the current inventory, and the
// difference recorded in the incident's actions and the audit trail, all
// in one transaction. If-Match, when sent, must name the current scope
// revision; without it, a lost race is retried on the new revision.
func (s *server) putScope(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var sc scope.Scope
	if err := decodeChange(r, &sc); err != nil {
		writeRequestError(w, err)
		return
	}
	want, sent, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	sc.Normalize()
	x := s.index(r)
	if err := sc.Check(x); err != nil {
		field, _, _ := strings.Cut(err.Error(), ":")
		writeRequestError(w, &requestError{Status: http.StatusUnprocessableEntity,
			Field: field, Msg: err.Error()})
		return
	}
	for attempt := 0; ; attempt++ {
		rec, err := s.cfg.Store.GetIncidentRecord(r.Context(), id)
		if err != nil {
			s.storeError(w, "get incident record", err)
			return
		}
		before, err := s.loadScope(r, id)
		if err != nil {
			s.storeError(w, "get incident scope", err)
			return
		}
		if sent && want != before.Scope.Revision {
			stale(w, want, before.Scope.Revision)
			return
		}
		is, err := s.saveScope(r, rec, before, sc, x)
		var ce *store.ConflictError
		if errors.As(err, &ce) && attempt < changeRetries {
			continue // the scope or the record changed meanwhile: look again
		} else if errors.As(err, &ce) {
			stale(w, before.Scope.Revision, ce.Current)
			return
		} else if err != nil {
			s.storeError(w, "save incident scope", err)
			return
		}
		v, err := s.loadScope(r, id)
		if err != nil {
			s.storeError(w, "get incident scope", err)
			return
		}
		w.Header().Set("ETag", etag(is.Revision))
		writeJSON(w, http.StatusOK, v)
		return
	}
}

// saveScope resolves sc on x into the revision after before and stores
// it, its affected tenants, an action in the incident's record rec and
// the incident.scope_set entry, in one transaction.
func (s *server) saveScope(r *http.Request, rec *store.IncidentRecord, before scopeView,
	sc scope.Scope, x *scope.Index) (*store.IncidentScope, error) {
	var obs []scope.Observation
	if sc.FromIncident {
		obs = s.observations(r, rec)
	}
	res := scope.Resolve(x, sc, obs)
	prev := make([]scope.Affected, len(before.Tenants))
	for i, a := range before.Tenants {
		prev[i] = a.Affected
	}
	is := &store.IncidentScope{IncidentID: rec.ID, Revision: before.Scope.Revision + 1,
		Scope: sc, InventoryRevision: res.Revision, Tenants: len(res.Tenants),
		Unmatched: res.Unmatched, Diff: scope.Compare(prev, res.Tenants),
		By: audit.ActorFrom(r.Context()), At: s.scopeNow()}
	rec.Record.Actions = append(rec.Record.Actions, incident.Action{By: is.By, At: is.At,
		What:   fmt.Sprintf("Scope set (revision %d): %s", is.Revision, is.Scope.Describe()),
		Result: is.Diff.Summary(is.Tenants)})
	err := s.audited(r, func(tx store.Tx) error {
		if err := tx.SaveIncidentScope(r.Context(), is, res.Tenants); err != nil {
			return err
		}
		if err := tx.UpdateIncidentRecord(r.Context(), rec); err != nil {
			return err
		}
		// the obligations follow the affected tenants (docs/regulations.md)
		_, err := s.obligations.Recompute(r.Context(), tx, rec.ID,
			fmt.Sprintf("scope revision %d", is.Revision))
		return err
	}, func() audit.Entry { return scopeEntry(is) })
	return is, err
}

// scopeEntry is the incident.scope_set entry of a scope revision; it
// names at most 100 tenants added and removed (the counts are whole).
func scopeEntry(is *store.IncidentScope) audit.Entry {
	names := func(cs []scope.Change) []string {
		out := make([]string, 0, min(len(cs), 100))
		for _, c := range cs[:min(len(cs), 100)] {
			out = append(out, c.Tenant)
		}
		return out
	}
	return audit.Entry{Action: audit.IncidentScopeSet, ObjectType: "incident",
		ObjectID: strconv.FormatInt(is.IncidentID, 10), Details: auditDetails(map[string]any{
			"revision": is.Revision, "scope": is.Scope, "tenants": is.Tenants,
			"inventory_revision": is.InventoryRevision, "added": names(is.Diff.Added),
			"removed": names(is.Diff.Removed), "added_count": len(is.Diff.Added),
			"removed_count": len(is.Diff.Removed)})}
}

// observations returns the hosts and addresses of an incident: its host,
// domain, IP and CIDR indicators, and the hosts of its alerts' events.
func (s *server) observations(r *http.Request, rec *store.IncidentRecord) []scope.Observation {
	var out []scope.Observation
	seen := map[scope.Observation]bool{}
	add := func(o scope.Observation) {
		key := scope.Observation{Kind: o.Kind, Value: o.Value}
		if !seen[key] {
			seen[key] = true
			out = append(out, o)
		}
	}
	for _, ind := range rec.Record.Indicators {
		switch ind.Kind {
		case incident.KindIP, incident.KindCIDR:
			add(scope.Observation{Kind: "address", Value: scope.NormalizeAddress(ind.Value),
				From: "indicator"})
		case incident.KindHost, incident.KindDomain:
			add(scope.Observation{Kind: "host", Value: scope.NormalizeHost(ind.Value),
				From: "indicator"})
		}
	}
	for _, aid := range rec.AlertIDs[:min(len(rec.AlertIDs), maxScopeAlerts)] {
		a, err := s.cfg.Store.GetAlert(r.Context(), aid)
		if err != nil {
			s.log.Warn("read alert for scope", "err", err, "incident_id", rec.ID)
			continue
		}
		from := "alert " + strconv.FormatInt(aid, 10)
		for _, raw := range a.Events {
			var fields map[string]any
			if json.Unmarshal(raw, &fields) != nil {
				continue
			}
			for _, o := range scope.ObservationsFromFields(fields, from) {
				add(o)
			}
		}
	}
	return out
}

// scopeHistory answers GET /api/v1/incidents/{id}/scope/history: every
// revision of the incident's scope, oldest first.
func (s *server) scopeHistory(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
		s.storeError(w, "get incident", err)
		return
	}
	items, err := s.cfg.Store.ListIncidentScopes(r.Context(), id)
	if err != nil {
		s.storeError(w, "list incident scopes", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []store.IncidentScope `json:"items"`
	}{items})
}

// affectedTenant is an affected tenant with its name.
type affectedTenant struct {
	store.AffectedTenant
	Name string `json:"name"`
}

// affectedTenants answers GET /api/v1/incidents/{id}/affected-tenants. A
// tenant-admin sees its own tenant's row when the incident affects it,
// and an empty list otherwise, whether the incident exists or not, so
// that it learns nothing of other tenants' incidents.
func (s *server) affectedTenants(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	if p.Tenant == "" {
		if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
			s.storeError(w, "get incident", err)
			return
		}
	}
	rows, err := s.cfg.Store.ListAffectedTenants(r.Context(), id, p.Tenant)
	if err != nil {
		s.storeError(w, "list affected tenants", err)
		return
	}
	ts, err := s.cfg.Store.ListTenants(r.Context())
	if err != nil {
		s.storeError(w, "list tenants", err)
		return
	}
	names := make(map[string]string, len(ts))
	for _, t := range ts {
		names[t.ID] = t.Name
	}
	out := make([]affectedTenant, 0, len(rows))
	for _, a := range rows {
		out = append(out, affectedTenant{AffectedTenant: a, Name: names[a.Tenant]})
	}
	writeJSON(w, http.StatusOK, struct {
		Items []affectedTenant `json:"items"`
	}{out})
}
