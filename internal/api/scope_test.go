package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// scopeNow is the clock of the scope fixtures.
var scopeNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// newScopeFixture is a fixture whose pipeline enriches events from the
// inventory cache that the API refreshes, with the sample inventory
// imported.
func newScopeFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, func(cfg *api.Config) {
		cache := scope.NewCache(cfg.Store)
		p, err := detect.NewPipeline(detect.Config{Events: cfg.Store, Alerts: cfg.Store,
			Incidents: cfg.Store, Rules: kindRules{}, Enricher: cache})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Pipeline = p
		cfg.Scope = api.ScopeConfig{Inventory: cache, Now: func() time.Time { return scopeNow }}
	})
	data, err := os.ReadFile("../../samples/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := f.do(t, "PUT", "/api/v1/inventory", bytes.NewReader(data),
		"Content-Type", "application/yaml")
	if status != http.StatusOK {
		t.Fatalf("import the sample inventory: %d %s", status, body)
	}
	return f
}

// bearer returns the header of a token.
func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// tokenOf stores a token of role (and tenant) whose secret is its name
// padded, and returns the secret.
func (f *fixture) tokenOf(t *testing.T, name, role, tenant string) string {
	t.Helper()
	secret := "vgl_test-" + name + strings.Repeat("x", 32)
	err := f.st.CreateToken(context.Background(), store.Token{Name: name,
		Hash: auth.HashToken(secret), Role: role, Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// auditCount counts the audit entries of an action.
func (f *fixture) auditCount(t *testing.T, action audit.Action) int64 {
	t.Helper()
	page, err := f.st.ListAudit(context.Background(), store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

func TestInventoryImportExport(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	if n := f.auditCount(t, audit.InventoryImported); n != 1 {
		t.Errorf("%d inventory.imported entries, want 1", n)
	}
	if n := f.auditCount(t, audit.TenantCreated); n != 6 {
		t.Errorf("%d tenant.created entries after the import, want 6", n)
	}

	var view struct {
		Revision  int64           `json:"revision"`
		Inventory scope.Inventory `json:"inventory"`
	}
	f.getJSON(t, "/api/v1/inventory", &view)
	if view.Revision != 1 || len(view.Inventory.Farms) != 7 || len(view.Inventory.Servers) != 7 {
		t.Fatalf("GET inventory: revision %d, %d farms, %d servers; want 1, 7, 7",
			view.Revision, len(view.Inventory.Farms), len(view.Inventory.Servers))
	}
	for _, format := range []string{"csv", "yaml"} {
		status, h, body := f.do(t, "GET", "/api/v1/inventory?format="+format, nil)
		if status != http.StatusOK || h.Get("ETag") != `"v1"` {
			t.Fatalf("export %s: %d, ETag %s", format, status, h.Get("ETag"))
		}
		parse := scope.ParseCSV
		if format == "yaml" {
			parse = scope.ParseYAML
		}
		doc, err := parse(body, "export")
		if err == nil {
			err = doc.Validate(nil)
		}
		if err != nil {
			t.Fatalf("export %s does not read back: %v\n%s", format, err, body)
		}
		doc.Inventory.Sort()
		if diff := cmp.Diff(view.Inventory, doc.Inventory, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("export %s (-json +%s):\n%s", format, format, diff)
		}
		if format == "yaml" && len(doc.Tenants) != 6 {
			t.Errorf("the YAML export lists %d tenants, want 6", len(doc.Tenants))
		}
	}

	// A bad file is refused whole, with the line of each problem.
	bad := "kind,id,farm,addresses\nserver,st-3-09,st-9,10.1.3.300\n"
	status, _, body := f.do(t, "PUT", "/api/v1/inventory", strings.NewReader(bad),
		"Content-Type", "text/csv")
	if status != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte(`"line":2`)) ||
		!bytes.Contains(body, []byte(`"entry":"server st-3-09"`)) {
		t.Errorf("bad CSV: %d %s, want 422 naming line 2 and the server", status, body)
	}
	status, _, _ = f.do(t, "PUT", "/api/v1/inventory", strings.NewReader("{}"),
		"Content-Type", "application/json", "If-Match", `"v7"`)
	if status != http.StatusPreconditionFailed {
		t.Errorf("import at a stale revision: %d, want 412", status)
	}
	status, _, _ = f.do(t, "PUT", "/api/v1/inventory", strings.NewReader("x"),
		"Content-Type", "text/plain")
	if status != http.StatusUnsupportedMediaType {
		t.Errorf("import as text/plain: %d, want 415", status)
	}
	f.getJSON(t, "/api/v1/inventory", &view)
	if view.Revision != 1 {
		t.Errorf("refused imports moved the revision to %d", view.Revision)
	}
}

// TestInventoryTenantLanguage exports a tenant's notice language in the
// YAML and imports it back: the export names it, an import without the key
// keeps it, and an import with another language changes it.
func TestInventoryTenantLanguage(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	f.send(t, "PATCH", "/api/v1/tenants/globex-bank", map[string]any{"language": "en"},
		"If-Match", `"v1"`).want(t, "set the language", http.StatusOK, "language", "en")
	status, _, export := f.do(t, "GET", "/api/v1/inventory?format=yaml", nil)
	if status != http.StatusOK || strings.Count(string(export), "language:") != 1 ||
		!strings.Contains(string(export), "    language: en\n") {
		t.Fatalf("YAML export: %d, want globex-bank's language en alone:\n%s", status, export)
	}
	for _, tc := range []struct {
		name, file, want string
	}{
		{"the export", string(export), "en"},
		{"without the key", strings.Replace(string(export), "    language: en\n", "", 1), "en"},
		{"another language", strings.Replace(string(export), "language: en", "language: de", 1),
			"de"},
	} {
		status, _, body := f.do(t, "PUT", "/api/v1/inventory", strings.NewReader(tc.file),
			"Content-Type", "application/yaml")
		if status != http.StatusOK {
			t.Fatalf("import %s: %d %s", tc.name, status, body)
		}
		f.send(t, "GET", "/api/v1/tenants/globex-bank", nil).
			want(t, "after importing "+tc.name, http.StatusOK, "language", tc.want)
	}
	bad := strings.Replace(string(export), "language: en", "language: English", 1)
	status, _, body := f.do(t, "PUT", "/api/v1/inventory", strings.NewReader(bad),
		"Content-Type", "application/yaml")
	if status != http.StatusUnprocessableEntity ||
		!bytes.Contains(body, []byte(`"English\" is not a language subtag`)) {
		t.Errorf("import of a bad language: %d %s, want 422 naming it", status, body)
	}
}

func TestInventoryEntries(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	f.send(t, "GET", "/api/v1/inventory/lookup?q=10.1.3.11", nil).
		want(t, "lookup", http.StatusOK, "farm", "st-3", "server", "st-3-01.fra1.example.net")
	f.send(t, "GET", "/api/v1/inventory/lookup?q=10.1.3.13", nil).
		want(t, "lookup in the farm's range", http.StatusOK, "farm", "st-3", "server", "")
	f.send(t, "GET", "/api/v1/inventory/lookup?q=nowhere", nil).
		want(t, "lookup unknown", http.StatusNotFound)
	f.send(t, "GET", "/api/v1/inventory/lookup", nil).want(t, "lookup nothing", 400)
	f.send(t, "GET", "/api/v1/inventory/farms/st-3", nil).
		want(t, "get farm", http.StatusOK, "service", "storage")
	f.send(t, "GET", "/api/v1/inventory/racks/r1", nil).want(t, "unknown kind", 404)

	server := "/api/v1/inventory/servers/st-3-03.fra1.example.net"
	body := map[string]any{"farm": "st-3", "addresses": []string{"10.1.3.13"},
		"tenants": []string{"acme-health"}}
	created := f.send(t, "PUT", server, body)
	created.want(t, "create server", http.StatusCreated, "name", "st-3-03.fra1.example.net")
	if created.etag != `"v2"` {
		t.Errorf("ETag after the change %s, want v2", created.etag)
	}
	f.send(t, "GET", "/api/v1/inventory/lookup?q=st-3-03", nil).
		want(t, "lookup after the change", http.StatusOK, "server", "st-3-03.fra1.example.net")
	f.send(t, "PUT", server, body).want(t, "replace server", http.StatusOK)
	f.send(t, "PUT", server, map[string]any{"farm": "st-9"}).
		want(t, "unknown farm", http.StatusUnprocessableEntity)
	f.send(t, "PUT", server, map[string]any{"farm": "st-3", "tenants": []string{"nobody"}}).
		want(t, "unknown tenant", http.StatusUnprocessableEntity)
	f.send(t, "PUT", server, map[string]any{"name": "other.example", "farm": "st-3"}).
		want(t, "name differs from the path", http.StatusUnprocessableEntity, "field", "id")
	f.send(t, "PUT", server, map[string]any{"farm": "st-3", "colour": "red"}).
		want(t, "unknown field", http.StatusBadRequest)
	f.send(t, "PUT", "/api/v1/inventory/regions/ap-east", map[string]any{"name": "AP East"},
		"If-Match", `"v1"`).want(t, "stale If-Match", http.StatusPreconditionFailed)

	f.send(t, "DELETE", "/api/v1/inventory/farms/st-3", nil).
		want(t, "delete a farm with servers", http.StatusConflict)
	if st, _, b := f.do(t, "DELETE", server, nil); st != http.StatusNoContent {
		t.Fatalf("delete server: %d %s", st, b)
	}
	if st, _, _ := f.do(t, "DELETE", server, nil); st != http.StatusNotFound {
		t.Errorf("delete the server again: %d, want 404", st)
	}
	for action, want := range map[audit.Action]int64{audit.InventoryEntrySaved: 2,
		audit.InventoryEntryDeleted: 1} {
		if n := f.auditCount(t, action); n != want {
			t.Errorf("%d %s entries, want %d", n, action, want)
		}
	}
}

func TestTenantsAndContacts(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	hooli := f.tokenOf(t, "hooli-admin", auth.RoleTenantAdmin, "hooli")
	initech := f.tokenOf(t, "initech-admin", auth.RoleTenantAdmin, "initech")
	comms := f.tokenOf(t, "comms", auth.RoleCommunications, "")

	profile := map[string]any{"jurisdictions": []string{"FR"},
		"roles": []string{"nis2-important-entity"}, "data_categories": []string{"personal"}}
	f.send(t, "POST", "/api/v1/tenants", map[string]any{"id": "wayne", "name": "Wayne SA",
		"profile": profile, "language": "fr"}).want(t, "create", http.StatusCreated, "id", "wayne",
		"language", "fr")
	f.send(t, "POST", "/api/v1/tenants", map[string]any{"id": "bad", "name": "B",
		"language": "French"}).want(t, "bad language", http.StatusUnprocessableEntity,
		"field", "language", "error",
		`language: "French" is not a language subtag (2 or 3 lowercase letters, such as "en", `+
			`"de" or "fr")`)
	f.send(t, "POST", "/api/v1/tenants", map[string]any{"id": "wayne", "name": "Wayne SA"}).
		want(t, "create twice", http.StatusConflict)
	f.send(t, "POST", "/api/v1/tenants", map[string]any{"id": "bad", "name": "B",
		"profile": map[string]any{"roles": []string{"bank"}}}).
		want(t, "bad role", http.StatusUnprocessableEntity, "field", "profile.roles[0]")
	f.send(t, "POST", "/api/v1/tenants", map[string]any{"id": "bad", "name": "B",
		"profile": map[string]any{"jurisdictions": []string{"UK", "XX"}}}).
		want(t, "mistyped jurisdiction", http.StatusUnprocessableEntity,
			"field", "profile.jurisdictions[0]", "error",
			`profile.jurisdictions[0]: "UK" is not an ISO 3166-1 code; the United Kingdom is "GB"`)
	f.send(t, "POST", "/api/v1/tenants", map[string]any{"id": "bad", "name": "B",
		"profile": map[string]any{"jurisdictions": []string{"GB", "XX"}}}).
		want(t, "unassigned jurisdiction", http.StatusUnprocessableEntity,
			"field", "profile.jurisdictions[1]")

	var list struct {
		Items []scope.Tenant `json:"items"`
	}
	f.getJSON(t, "/api/v1/tenants", &list)
	if len(list.Items) != 7 {
		t.Errorf("staff see %d tenants, want 7", len(list.Items))
	}
	a := f.send(t, "GET", "/api/v1/tenants", nil, bearer(hooli)...)
	if items, _ := a.body["items"].([]any); a.status != 200 || len(items) != 1 {
		t.Errorf("hooli's admin lists %s, want hooli only", a.raw)
	}
	f.send(t, "GET", "/api/v1/tenants/initech", nil, bearer(hooli)...).
		want(t, "another tenant", http.StatusNotFound)
	got := f.send(t, "GET", "/api/v1/tenants/hooli", nil, bearer(hooli)...)
	got.want(t, "own tenant", http.StatusOK, "name", "Hooli Pte. Ltd.")
	contacts, _ := got.body["contacts"].([]any)
	if len(contacts) != 1 || contacts[0].(map[string]any)["stale"] != true {
		t.Errorf("hooli's contact (verified 2025-11-02) is not flagged stale: %s", got.raw)
	}

	f.send(t, "PATCH", "/api/v1/tenants/wayne", map[string]any{"name": "Wayne"}).
		want(t, "no If-Match", http.StatusPreconditionRequired)
	f.send(t, "PATCH", "/api/v1/tenants/wayne", map[string]any{"name": "Wayne"},
		"If-Match", `"v1"`).want(t, "patch", http.StatusOK, "name", "Wayne", "language", "fr")
	f.send(t, "PATCH", "/api/v1/tenants/wayne", map[string]any{"name": "W"},
		"If-Match", `"v1"`).want(t, "stale", http.StatusPreconditionFailed)
	f.send(t, "PATCH", "/api/v1/tenants/wayne", map[string]any{"language": "de-CH"},
		"If-Match", `"v2"`).want(t, "patch a bad language", http.StatusUnprocessableEntity,
		"field", "language")
	a = f.send(t, "PATCH", "/api/v1/tenants/wayne", map[string]any{"language": ""},
		"If-Match", `"v2"`)
	a.want(t, "remove the language", http.StatusOK, "name", "Wayne")
	if _, ok := a.body["language"]; ok {
		t.Errorf("the language is still set after PATCH \"\": %s", a.raw)
	}

	// A tenant-admin manages its own contacts only.
	path := "/api/v1/tenants/hooli/contacts"
	added := f.send(t, "POST", path, map[string]any{"name": "Ravi", "email": "ravi@hooli.example"},
		bearer(hooli)...)
	added.want(t, "add own contact", http.StatusCreated, "preferred_channel", "email")
	f.send(t, "POST", "/api/v1/tenants/initech/contacts", map[string]any{"name": "X",
		"email": "x@hooli.example"}, bearer(hooli)...).want(t, "another tenant's", 404)
	f.send(t, "POST", path, map[string]any{"name": "Hook", "preferred_channel": "webhook",
		"webhook_url": "https://127.0.0.1/hook"}, bearer(hooli)...).
		want(t, "private webhook", http.StatusUnprocessableEntity, "field", "webhook_url")
	f.send(t, "POST", path, map[string]any{"name": "Pager", "preferred_channel": "phone"},
		bearer(hooli)...).want(t, "channel without detail", http.StatusUnprocessableEntity)
	contact := path + "/" + itoa(added.num("id"))
	f.send(t, "PATCH", contact, map[string]any{"verified": true}, "If-Match", `"v1"`).
		want(t, "verify", http.StatusOK, "last_verified", "2026-12-01T09:00:00Z")
	f.send(t, "PATCH", contact, map[string]any{"phone": "+65 6000 0000"},
		append(bearer(initech), "If-Match", `"v2"`)...).want(t, "another tenant's contact", 404)

	// Stale contacts: initech's (never verified) and hooli's Mei (old).
	stale := func(tok string) []string {
		a := f.send(t, "GET", "/api/v1/contacts/stale", nil, bearer(tok)...)
		if a.status != http.StatusOK {
			t.Fatalf("stale contacts: %d %s", a.status, a.raw)
		}
		var names []string
		for _, c := range a.body["items"].([]any) {
			names = append(names, c.(map[string]any)["name"].(string))
		}
		return names
	}
	if got := stale(comms); !cmp.Equal(got, []string{"Mei Tan", "Peter Gibbons"}) {
		t.Errorf("stale contacts for communications: %v, want Mei Tan and Peter Gibbons", got)
	}
	if got := stale(hooli); !cmp.Equal(got, []string{"Mei Tan"}) {
		t.Errorf("stale contacts for hooli's admin: %v, want Mei Tan only", got)
	}
	f.send(t, "GET", "/api/v1/contacts/stale?max_age_days=0", nil, bearer(comms)...).
		want(t, "bad age", http.StatusBadRequest)
	if st, _, _ := f.do(t, "DELETE", contact, nil, bearer(hooli)...); st != 204 {
		t.Errorf("delete own contact: %d", st)
	}

	// A tenant that the inventory serves stays.
	f.send(t, "DELETE", "/api/v1/tenants/hooli", nil).want(t, "delete served", 409)
	if st, _, _ := f.do(t, "DELETE", "/api/v1/tenants/wayne", nil); st != 204 {
		t.Errorf("delete wayne: %d", st)
	}
	for action, want := range map[audit.Action]int64{audit.TenantCreated: 7,
		audit.TenantUpdated: 2, audit.TenantDeleted: 1, audit.ContactAdded: 6,
		audit.ContactUpdated: 1, audit.ContactRemoved: 1} {
		page, err := f.st.ListAudit(context.Background(), store.AuditFilter{Action: action})
		if err != nil || page.Total != want {
			t.Errorf("%s: %d entries (%v), want %d", action, page.Total, err, want)
		}
	}
}

// scopeAnswer is the JSON of the scope routes.
type scopeAnswer struct {
	Scope   store.IncidentScope    `json:"scope"`
	Tenants []store.AffectedTenant `json:"tenants"`
}

// pathsOf lists each affected tenant with the text of its paths.
func pathsOf(ts []store.AffectedTenant) map[string][]string {
	out := map[string][]string{}
	for _, a := range ts {
		for _, p := range a.Paths {
			out[a.Tenant] = append(out[a.Tenant], p.Text)
		}
	}
	return out
}

// TestIncidentScope imports an inventory of several regions and services,
// sets an incident's scope to one server farm, checks the affected tenants
// and their paths, changes the scope and checks the difference in the
// history, the incident's actions and the audit trail, and what each
// tenant-admin sees.
func TestIncidentScope(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	initech := f.tokenOf(t, "initech-admin", auth.RoleTenantAdmin, "initech")
	hooli := f.tokenOf(t, "hooli-admin", auth.RoleTenantAdmin, "hooli")
	engineer := f.tokenOf(t, "engineer", auth.RoleServiceEngineer, "")
	legal := f.tokenOf(t, "legal", auth.RoleLegal, "")
	_, res := f.post(t, `{"kind":"high","Computer":"st-3-01.fra1.example.net"}`+"\n")
	if len(res.Incidents) != 1 {
		t.Fatalf("posted event opened %v, want one incident", res.Incidents)
	}
	var list incidentPage
	f.getJSON(t, "/api/v1/incidents?limit=1", &list)
	id := itoa(list.Items[0].ID)
	path := "/api/v1/incidents/" + id + "/scope"

	var got scopeAnswer
	f.getJSON(t, path, &got)
	if got.Scope.Revision != 0 || len(got.Tenants) != 0 {
		t.Errorf("scope of a new incident: %+v, want revision 0 and no tenant", got)
	}
	f.send(t, "PUT", path, map[string]any{"farms": []string{"st-3"}}, bearer(legal)...).
		want(t, "legal sets the scope", http.StatusForbidden)
	set := f.send(t, "PUT", path, map[string]any{"farms": []string{"st-3"}},
		bearer(engineer)...)
	set.want(t, "scope to farm st-3", http.StatusOK)
	if err := json.Unmarshal(set.raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"globex-bank": {"farm st-3: region eu-west ▸ service storage serves globex-bank"},
		"hooli": {"farm st-3: region eu-west ▸ datacenter fra1 ▸ service storage ▸ farm st-3 ▸ " +
			"server st-3-01.fra1.example.net serves hooli"},
		"initech": {"farm st-3: region eu-west ▸ datacenter fra1 ▸ service storage ▸ farm st-3 " +
			"serves initech"},
	}
	if diff := cmp.Diff(want, pathsOf(got.Tenants)); diff != "" {
		t.Errorf("tenants of farm st-3 (-want +got):\n%s", diff)
	}
	if got.Scope.Revision != 1 || len(got.Scope.Diff.Added) != 3 || set.etag != `"v1"` ||
		!got.Tenants[0].Since.Equal(scopeNow) || got.Scope.By != "token:engineer" {
		t.Errorf("first revision %+v, ETag %s", got.Scope, set.etag)
	}

	// The scope moves to farm mx-1: soylent joins, globex-bank and hooli
	// leave, initech stays since revision 1.
	f.send(t, "PUT", path, map[string]any{"farms": []string{"mx-1"}}, "If-Match", `"v7"`).
		want(t, "stale If-Match", http.StatusPreconditionFailed)
	f.send(t, "PUT", path, map[string]any{"farms": []string{"st-9"}}).
		want(t, "unknown farm", http.StatusUnprocessableEntity, "field", "farms[0]")
	set = f.send(t, "PUT", path, map[string]any{"farms": []string{"mx-1"}}, "If-Match", `"v1"`)
	set.want(t, "scope to farm mx-1", http.StatusOK)
	if err := json.Unmarshal(set.raw, &got); err != nil {
		t.Fatal(err)
	}
	d := got.Scope.Diff
	if len(d.Added) != 1 || d.Added[0].Tenant != "soylent" || len(d.Removed) != 2 ||
		d.Removed[0].Tenant != "globex-bank" || d.Removed[1].Tenant != "hooli" ||
		d.Unchanged != 1 {
		t.Errorf("diff of the second revision %+v", d)
	}
	if got.Tenants[0].Tenant != "initech" || got.Tenants[0].SinceRevision != 1 {
		t.Errorf("initech since revision %d, want 1", got.Tenants[0].SinceRevision)
	}
	var history struct {
		Items []store.IncidentScope `json:"items"`
	}
	f.getJSON(t, path+"/history", &history)
	if len(history.Items) != 2 || history.Items[0].Scope.Farms[0] != "st-3" {
		t.Errorf("history %+v, want two revisions", history.Items)
	}
	rec, _ := f.record(t, list.Items[0].ID)
	var notes []string
	for _, a := range rec.Record.Actions {
		if strings.HasPrefix(a.What, "Scope set") {
			notes = append(notes, a.What+" => "+a.Result)
		}
	}
	wantNotes := []string{
		"Scope set (revision 1): farms st-3 => 3 tenants affected; added globex-bank, hooli, " +
			"initech",
		"Scope set (revision 2): farms mx-1 => 2 tenants affected; added soylent; removed " +
			"globex-bank, hooli",
	}
	if diff := cmp.Diff(wantNotes, notes); diff != "" {
		t.Errorf("the incident's actions (-want +got):\n%s", diff)
	}
	if n := f.auditCount(t, audit.IncidentScopeSet); n != 2 {
		t.Errorf("%d incident.scope_set entries, want 2", n)
	}

	// Each tenant-admin sees its own row or nothing; staff see all.
	affected := "/api/v1/incidents/" + id + "/affected-tenants"
	count := func(tok, path string) int {
		a := f.send(t, "GET", path, nil, bearer(tok)...)
		if a.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, a.status, a.raw)
		}
		return len(a.body["items"].([]any))
	}
	if n := count(initech, affected); n != 1 {
		t.Errorf("initech's admin sees %d affected tenants, want its own", n)
	}
	if n := count(hooli, affected); n != 0 {
		t.Errorf("hooli's admin sees %d affected tenants, want none", n)
	}
	if n := count(hooli, "/api/v1/incidents/999/affected-tenants"); n != 0 {
		t.Errorf("an incident that does not exist shows %d tenants", n)
	}
	if n := count(goodToken, affected); n != 2 {
		t.Errorf("staff see %d affected tenants, want 2", n)
	}
	f.send(t, "GET", "/api/v1/incidents/999/affected-tenants", nil).
		want(t, "staff, unknown incident", http.StatusNotFound)
	f.send(t, "GET", "/api/v1/incidents/999/scope", nil).want(t, "unknown incident", 404)
	f.send(t, "GET", path+"/history", nil, bearer(initech)...).
		want(t, "tenant-admin reads the history", http.StatusForbidden)
}

// TestIncidentScopeFromIndicators takes the scope from the incident's
// indicators and the hosts of its alerts.
func TestIncidentScopeFromIndicators(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	f.post(t, `{"kind":"high","host":{"name":"st-3-01.fra1.example.net"}}`+"\n")
	var list incidentPage
	f.getJSON(t, "/api/v1/incidents?limit=1", &list)
	id := itoa(list.Items[0].ID)
	f.send(t, "POST", "/api/v1/incidents/"+id+"/indicators",
		map[string]any{"kind": "ip", "value": "10.7.9.5"}).want(t, "indicator", 200)
	f.send(t, "POST", "/api/v1/incidents/"+id+"/indicators",
		map[string]any{"kind": "host", "value": "laptop-42.corp"}).want(t, "indicator", 200)
	set := f.send(t, "PUT", "/api/v1/incidents/"+id+"/scope",
		map[string]any{"from_incident": true})
	set.want(t, "scope from the incident", http.StatusOK)
	var got scopeAnswer
	if err := json.Unmarshal(set.raw, &got); err != nil {
		t.Fatal(err)
	}
	paths := pathsOf(got.Tenants)
	wantUmbrella := "address 10.7.9.5 (indicator): region us-east ▸ datacenter nyc1 ▸ " +
		"service compute ▸ farm gov-1 serves umbrella-gov"
	if len(paths) != 4 || len(paths["umbrella-gov"]) != 1 ||
		paths["umbrella-gov"][0] != wantUmbrella || len(paths["hooli"]) != 1 ||
		!strings.HasPrefix(paths["hooli"][0], "host st-3-01.fra1.example.net (alert ") {
		t.Errorf("tenants from the incident: %v", paths)
	}
	if len(got.Scope.Unmatched) != 1 || got.Scope.Unmatched[0].Value != "laptop-42.corp" {
		t.Errorf("unmatched %+v, want the laptop", got.Scope.Unmatched)
	}
	var alerts struct {
		Items []detect.Alert `json:"items"`
	}
	f.getJSON(t, "/api/v1/alerts?limit=1", &alerts)
	if len(alerts.Items) != 1 || !cmp.Equal(alerts.Items[0].Tenants,
		[]string{"globex-bank", "hooli", "initech"}) {
		t.Errorf("the alert of st-3-01 carries tenants %v", alerts.Items[0].Tenants)
	}
}
