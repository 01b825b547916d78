package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// ScopeConfig configures the inventory, the tenants and the incident
// scopes (docs/inventory.md). The zero value works.
type ScopeConfig struct {
	// Inventory is the inventory cache that event enrichment reads; the API
	// refreshes it after each change it makes, and before it resolves a
	// scope. Nil: a cache over Config.Store.
	Inventory *scope.Cache
	// StaleAfter is the age after which a contact's details are stale.
	// Default scope.DefaultStaleAfter (180 days).
	StaleAfter time.Duration
	// Now is the clock of contact verification and scope changes. Nil:
	// time.Now.
	Now func() time.Time
}

func (s *server) scopeNow() time.Time {
	if s.cfg.Scope.Now != nil {
		return s.cfg.Scope.Now()
	}
	return time.Now()
}

// index refreshes the inventory cache and returns its Index; a failed
// refresh is logged and the cached Index used.
func (s *server) index(r *http.Request) *scope.Index {
	if _, err := s.inv.Refresh(r.Context()); err != nil {
		s.log.Warn("refresh inventory", "err", err)
	}
	return s.inv.Index()
}

// inventoryView is the JSON of GET /api/v1/inventory.
type inventoryView struct {
	Revision  int64            `json:"revision"`
	Inventory *scope.Inventory `json:"inventory"`
}

// getInventory answers GET /api/v1/inventory?format=json|yaml|csv: the
// whole inventory with its revision as ETag. YAML also holds the tenants
// and their profiles (not their contacts).
func (s *server) getInventory(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "format")
	format := q.str("format", "json", "yaml", "csv")
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	inv, rev, err := s.cfg.Store.LoadInventory(r.Context())
	if err != nil {
		s.storeError(w, "load inventory", err)
		return
	}
	w.Header().Set("ETag", etag(rev))
	var buf bytes.Buffer
	switch format {
	case "yaml":
		var specs []scope.TenantSpec
		if specs, err = s.tenantSpecs(r, inv); err == nil {
			err = scope.WriteYAML(&buf, inv, specs)
		}
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	case "csv":
		err = scope.WriteCSV(&buf, inv)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	default:
		writeJSON(w, http.StatusOK, inventoryView{Revision: rev, Inventory: nonNilInventory(inv)})
		return
	}
	if err != nil {
		s.storeError(w, "export inventory", err)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="inventory.`+format+`"`)
	w.Write(buf.Bytes())
}

// tenantSpecs returns the stored tenants that inv names, for an export.
func (s *server) tenantSpecs(r *http.Request, inv *scope.Inventory) ([]scope.TenantSpec,
	error) {
	ts, err := s.cfg.Store.ListTenants(r.Context())
	if err != nil {
		return nil, err
	}
	specs := make([]scope.TenantSpec, 0, len(ts))
	for _, t := range ts {
		specs = append(specs, scope.TenantSpec{Tenant: t})
	}
	return specs, nil
}

// nonNilInventory gives every list of inv a value, so that JSON shows [].
func nonNilInventory(inv *scope.Inventory) *scope.Inventory {
	c := *inv
	c.Regions, c.Datacenters = nonNil(c.Regions), nonNil(c.Datacenters)
	c.Services, c.Farms, c.Servers = nonNil(c.Services), nonNil(c.Farms), nonNil(c.Servers)
	return &c
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// inventoryProblem is one problem of a refused inventory, as answered.
type inventoryProblem struct {
	Line   int    `json:"line,omitempty"`
	Entry  string `json:"entry,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// writeInventoryError answers a refused inventory with every problem.
func writeInventoryError(w http.ResponseWriter, status int, err error) {
	body := struct {
		Error    string             `json:"error"`
		Problems []inventoryProblem `json:"problems"`
	}{Error: err.Error(), Problems: []inventoryProblem{}}
	var ve *scope.ValidationError
	var pe *scope.ParseError
	switch {
	case errors.As(err, &ve):
		for _, e := range ve.Errs {
			p := inventoryProblem{Line: e.Line, Field: e.Field, Reason: e.Reason}
			if e.Entry.Kind != "" {
				p.Entry = e.Entry.String()
			}
			body.Problems = append(body.Problems, p)
		}
	case errors.As(err, &pe):
		body.Problems = append(body.Problems, inventoryProblem{Line: pe.Line, Field: pe.Key,
			Reason: pe.Reason})
	}
	writeJSON(w, status, body)
}

// importInventory answers PUT /api/v1/inventory: the body (YAML, CSV or
// JSON, by Content-Type) replaces the whole inventory; tenants listed in a
// YAML file are created or updated. If-Match, when sent, must name the
// current revision.
func (s *server) importInventory(w http.ResponseWriter, r *http.Request) {
	want, sent, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		status, msg := s.readError(err)
		writeError(w, status, msg)
		return
	}
	doc, status, err := parseInventoryBody(r.Header.Get("Content-Type"), data)
	if err != nil {
		writeInventoryError(w, status, err)
		return
	}
	rev, err := s.cfg.Store.InventoryRevision(r.Context())
	if err != nil {
		s.storeError(w, "inventory revision", err)
		return
	}
	if sent && want != rev {
		stale(w, want, rev)
		return
	}
	res, err := store.ImportInventory(r.Context(), s.cfg.Store, doc, rev)
	var ve *scope.ValidationError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &ve):
		writeInventoryError(w, http.StatusUnprocessableEntity, err)
		return
	case errors.As(err, &ce):
		stale(w, rev, ce.Current)
		return
	case err != nil:
		s.storeError(w, "import inventory", err)
		return
	}
	s.recordImport(r, res, doc.File)
	s.refreshInventory(r)
	w.Header().Set("ETag", etag(res.Revision))
	writeJSON(w, http.StatusOK, res)
}

// parseInventoryBody reads an inventory file by its media type; on error
// it returns the status to answer with.
func parseInventoryBody(contentType string, data []byte) (*scope.Document, int, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	var (
		doc *scope.Document
		err error
	)
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		doc, err = scope.ParseYAML(data, "body")
	case "text/csv":
		doc, err = scope.ParseCSV(data, "body")
	case "application/json", "":
		doc, err = parseInventoryJSON(data)
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("unsupported Content-Type %q; "+
			"send application/yaml, text/csv or application/json", contentType)
	}
	if err != nil {
		return nil, http.StatusUnprocessableEntity, err
	}
	return doc, 0, nil
}

// parseInventoryJSON reads the JSON form of GET /api/v1/inventory (the
// inventory alone, or with its revision).
func parseInventoryJSON(data []byte) (*scope.Document, error) {
	var v struct {
		Revision  int64           `json:"revision"`
		Inventory scope.Inventory `json:"inventory"`
	}
	if err := decodeStrict(data, &v); err != nil {
		return nil, &scope.ParseError{File: "body", Reason: err.Error()}
	}
	return &scope.Document{Inventory: v.Inventory, Lines: map[scope.Ref]int{}, File: "body"},
		nil
}

// recordImport records inventory.imported, and the tenants and contacts
// an import created or changed.
func (s *server) recordImport(r *http.Request, res store.ImportResult, via string) {
	s.recordAfter(r, audit.Entry{Action: audit.InventoryImported, ObjectType: "inventory",
		ObjectID: strconv.FormatInt(res.Revision, 10), Details: auditDetails(map[string]any{
			"entries": res.Entries, "tenants_created": res.TenantsCreated,
			"tenants_updated": res.TenantsUpdated, "via": via})})
	for _, id := range res.TenantsCreated {
		s.recordAfter(r, audit.Entry{Action: audit.TenantCreated, ObjectType: "tenant",
			ObjectID: id, Tenant: id, Details: auditDetails(map[string]any{"via": "import"})})
	}
	for _, id := range res.TenantsUpdated {
		s.recordAfter(r, audit.Entry{Action: audit.TenantUpdated, ObjectType: "tenant",
			ObjectID: id, Tenant: id, Details: auditDetails(map[string]any{"via": "import"})})
	}
	for _, l := range []struct {
		action audit.Action
		ids    map[string][]int64
	}{{audit.ContactAdded, res.ContactsAdded}, {audit.ContactUpdated, res.ContactsUpdated}} {
		for _, tenant := range slices.Sorted(maps.Keys(l.ids)) {
			for _, id := range l.ids[tenant] {
				s.recordAfter(r, audit.Entry{Action: l.action, ObjectType: "contact",
					ObjectID: strconv.FormatInt(id, 10), Tenant: tenant,
					Details: auditDetails(map[string]any{"via": "import"})})
			}
		}
	}
}

// recordAfter appends an audit entry for a change that is stored already;
// a failure is logged for an operator, not answered.
// TODO: record in the change's transaction, so that no change escapes the
// trail (#3).
func (s *server) recordAfter(r *http.Request, e audit.Entry) {
	if _, err := s.audit.Record(r.Context(), e); err != nil {
		s.log.Error("record audit entry", "err", err, "action", string(e.Action))
	}
}

// refreshInventory rebuilds the inventory cache after a change.
func (s *server) refreshInventory(r *http.Request) {
	if _, err := s.inv.Refresh(r.Context()); err != nil {
		s.log.Error("refresh inventory", "err", err)
	}
}

// kinds maps the {kind} of the entry routes to an entry kind.
var kinds = map[string]scope.Kind{"regions": scope.KindRegion,
	"datacenters": scope.KindDatacenter, "services": scope.KindService,
	"farms": scope.KindFarm, "servers": scope.KindServer}

// entryRef reads {kind} and {id}, answering 404 for an unknown kind.
func entryRef(w http.ResponseWriter, r *http.Request) (scope.Ref, bool) {
	kind, ok := kinds[r.PathValue("kind")]
	if !ok {
		closeUnread(w, r)
		writeError(w, http.StatusNotFound, "not found: the kinds are regions, datacenters, "+
			"services, farms and servers")
		return scope.Ref{}, false
	}
	id := r.PathValue("id")
	if kind == scope.KindServer {
		id = scope.NormalizeHost(id)
	}
	return scope.Ref{Kind: kind, ID: id}, true
}

// getEntry answers GET /api/v1/inventory/{kind}/{id}.
func (s *server) getEntry(w http.ResponseWriter, r *http.Request) {
	ref, ok := entryRef(w, r)
	if !ok {
		return
	}
	inv, rev, err := s.cfg.Store.LoadInventory(r.Context())
	if err != nil {
		s.storeError(w, "load inventory", err)
		return
	}
	e, ok := findEntry(inv, ref)
	if !ok {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	w.Header().Set("ETag", etag(rev))
	writeJSON(w, http.StatusOK, e)
}

// findEntry returns the entry ref names in inv.
func findEntry(inv *scope.Inventory, ref scope.Ref) (any, bool) {
	switch ref.Kind {
	case scope.KindRegion:
		return find(inv.Regions, func(e scope.Region) bool { return e.ID == ref.ID })
	case scope.KindDatacenter:
		return find(inv.Datacenters, func(e scope.Datacenter) bool { return e.ID == ref.ID })
	case scope.KindService:
		return find(inv.Services, func(e scope.Service) bool { return e.ID == ref.ID })
	case scope.KindFarm:
		return find(inv.Farms, func(e scope.Farm) bool { return e.ID == ref.ID })
	default:
		return find(inv.Servers, func(e scope.Server) bool { return e.Name == ref.ID })
	}
}

func find[T any](list []T, match func(T) bool) (any, bool) {
	for _, e := range list {
		if match(e) {
			return e, true
		}
	}
	return nil, false
}

// putEntry answers PUT /api/v1/inventory/{kind}/{id}: the entry is
// created (201) or replaced (200), if the whole inventory stays valid.
// If-Match, when sent, must name the current inventory revision.
func (s *server) putEntry(w http.ResponseWriter, r *http.Request) {
	ref, ok := entryRef(w, r)
	if !ok {
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxRecordBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "body could not be read")
		return
	}
	var put scope.Inventory
	if err := decodeEntry(ref, data, &put); err != nil {
		writeRequestError(w, err)
		return
	}
	s.changeEntry(w, r, ref, store.InventoryChange{Put: put}, audit.InventoryEntrySaved)
}

// deleteEntry answers DELETE /api/v1/inventory/{kind}/{id}: refused (409)
// while other entries name it.
func (s *server) deleteEntry(w http.ResponseWriter, r *http.Request) {
	ref, ok := entryRef(w, r)
	if !ok {
		return
	}
	s.changeEntry(w, r, ref, store.InventoryChange{Delete: []scope.Ref{ref}},
		audit.InventoryEntryDeleted)
}

// decodeEntry decodes the JSON entry of kind ref.Kind into put, with the
// ID of the path; an ID in the body must agree.
func decodeEntry(ref scope.Ref, data []byte, put *scope.Inventory) *requestError {
	var err *requestError
	switch ref.Kind {
	case scope.KindRegion:
		var e scope.Region
		err = decodeWithID(data, &e, &e.ID, ref.ID)
		put.Regions = []scope.Region{e}
	case scope.KindDatacenter:
		var e scope.Datacenter
		err = decodeWithID(data, &e, &e.ID, ref.ID)
		put.Datacenters = []scope.Datacenter{e}
	case scope.KindService:
		var e scope.Service
		err = decodeWithID(data, &e, &e.ID, ref.ID)
		put.Services = []scope.Service{e}
	case scope.KindFarm:
		var e scope.Farm
		err = decodeWithID(data, &e, &e.ID, ref.ID)
		put.Farms = []scope.Farm{e}
	case scope.KindServer:
		var e scope.Server
		err = decodeWithID(data, &e, &e.Name, ref.ID)
		put.Servers = []scope.Server{e}
	}
	return err
}

// decodeWithID decodes data into v and sets *id, the ID field of v, to
// want; an ID given in data must name the same entry.
func decodeWithID(data []byte, v any, id *string, want string) *requestError {
	if err := decodeStrict(data, v); err != nil {
		return &requestError{Status: http.StatusBadRequest, Msg: "body: " + err.Error()}
	}
	if got := *id; got != "" && scope.NormalizeHost(got) != want {
		return invalid("id", "%q differs from the path's %q", got, want)
	}
	*id = want
	return nil
}

// decodeStrict decodes one JSON value from data into v, refusing unknown
// fields and trailing data.
func decodeStrict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

// changeEntry applies c to the stored inventory if the result is valid
// and records action.
func (s *server) changeEntry(w http.ResponseWriter, r *http.Request, ref scope.Ref,
	c store.InventoryChange, action audit.Action) {
	want, sent, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	inv, rev, err := s.cfg.Store.LoadInventory(r.Context())
	if err != nil {
		s.storeError(w, "load inventory", err)
		return
	}
	if sent && want != rev {
		stale(w, want, rev)
		return
	}
	_, existed := findEntry(inv, ref)
	if action == audit.InventoryEntryDeleted && !existed {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	next := applyChange(inv, c)
	next.Normalize()
	known, err := store.KnownTenants(r.Context(), s.cfg.Store)
	if err != nil {
		s.storeError(w, "list tenants", err)
		return
	}
	if err := scope.Validate(next, func(t string) bool { return known[t] }); err != nil {
		status := http.StatusUnprocessableEntity
		if action == audit.InventoryEntryDeleted {
			status = http.StatusConflict
		}
		writeInventoryError(w, status, err)
		return
	}
	c.Revision = rev
	c.Put.Normalize()
	newRev, err := s.cfg.Store.ChangeInventory(r.Context(), c)
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		stale(w, rev, ce.Current)
		return
	} else if err != nil {
		s.storeError(w, "change inventory", err)
		return
	}
	s.recordAfter(r, audit.Entry{Action: action, ObjectType: string(ref.Kind), ObjectID: ref.ID,
		Details: auditDetails(map[string]any{"revision": newRev, "created": !existed})})
	s.refreshInventory(r)
	w.Header().Set("ETag", etag(newRev))
	if action == audit.InventoryEntryDeleted {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	e, _ := findEntry(next, ref)
	status := http.StatusOK
	if !existed {
		status = http.StatusCreated
	}
	writeJSON(w, status, e)
}

// applyChange returns inv with c's entries put and deleted.
func applyChange(inv *scope.Inventory, c store.InventoryChange) *scope.Inventory {
	drop := map[scope.Ref]bool{}
	for _, ref := range c.Delete {
		drop[ref] = true
	}
	for _, row := range store.InventoryEntries(&c.Put) {
		drop[scope.Ref{Kind: row.Kind, ID: row.ID}] = true
	}
	next := &scope.Inventory{}
	keep := func(kind scope.Kind, id string) bool { return !drop[scope.Ref{Kind: kind, ID: id}] }
	for _, e := range inv.Regions {
		if keep(scope.KindRegion, e.ID) {
			next.Regions = append(next.Regions, e)
		}
	}
	for _, e := range inv.Datacenters {
		if keep(scope.KindDatacenter, e.ID) {
			next.Datacenters = append(next.Datacenters, e)
		}
	}
	for _, e := range inv.Services {
		if keep(scope.KindService, e.ID) {
			next.Services = append(next.Services, e)
		}
	}
	for _, e := range inv.Farms {
		if keep(scope.KindFarm, e.ID) {
			next.Farms = append(next.Farms, e)
		}
	}
	for _, e := range inv.Servers {
		if keep(scope.KindServer, e.Name) {
			next.Servers = append(next.Servers, e)
		}
	}
	next.Regions = append(next.Regions, c.Put.Regions...)
	next.Datacenters = append(next.Datacenters, c.Put.Datacenters...)
	next.Services = append(next.Services, c.Put.Services...)
	next.Farms = append(next.Farms, c.Put.Farms...)
	next.Servers = append(next.Servers, c.Put.Servers...)
	return next
}

// lookupHost answers GET /api/v1/inventory/lookup?q=: where a host name or
// address sits, as event enrichment sees it.
func (s *server) lookupHost(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "q")
	v := strings.TrimSpace(q.str("q"))
	switch {
	case q.err != nil:
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	case v == "":
		writeError(w, http.StatusBadRequest, "query parameter \"q\": give a host name or address")
		return
	}
	x := s.index(r)
	loc, ok := x.Lookup(v)
	if !ok {
		writeError(w, http.StatusNotFound, "no server or farm of the inventory has "+
			strconv.Quote(v))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Query    string `json:"query"`
		Revision int64  `json:"inventory_revision"`
		*scope.Location
	}{v, x.Revision(), loc})
}
