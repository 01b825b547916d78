package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// scopeState reads the inventory, tenants, contacts, an incident's scope
// and record, and the preparation program, to compare before and after.
func (f *fixture) scopeState(t *testing.T, incidentID int64) map[string]any {
	t.Helper()
	ctx := t.Context()
	inv, rev, err0 := f.st.LoadInventory(ctx)
	tenants, err1 := f.st.ListTenants(ctx)
	contacts, err2 := f.st.ListContacts(ctx, store.ContactFilter{})
	scopes, err3 := f.st.ListIncidentScopes(ctx, incidentID)
	affected, err4 := f.st.ListAffectedTenants(ctx, incidentID, "")
	rec, err5 := f.st.GetIncidentRecord(ctx, incidentID)
	pol, err6 := f.st.GetReadinessPolicy(ctx)
	people, err7 := f.st.ListPeople(ctx)
	done, err8 := f.st.ListCompletions(ctx, "")
	findings, err9 := f.st.ListFindings(ctx, readiness.FindingFilter{})
	exercises, err10 := f.st.ListExercises(ctx)
	audit, err11 := f.st.ListAudit(ctx, store.AuditFilter{})
	if err := errors.Join(err0, err1, err2, err3, err4, err5, err6, err7, err8, err9, err10,
		err11); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"inventory": inv, "revision": rev, "tenants": tenants,
		"contacts": contacts, "scopes": scopes, "affected": affected, "record": rec,
		"policy": pol, "people": people, "completions": done, "findings": findings,
		"exercises": exercises, "audit entries": audit.Total}
}

// TestScopeChangesWithoutAuditRefused makes every audit append fail: each
// change of the inventory, tenants, contacts, an incident's scope and the
// preparation program is answered 500 and none of it is kept, not even in
// part (an import's tenants and contacts, a run's findings).
func TestScopeChangesWithoutAuditRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(cfg *api.Config) { cfg.Store = refusingStore{cfg.Store} })
	ctx := t.Context()
	id := f.openIncident(t)
	inv := &scope.Inventory{Regions: []scope.Region{{ID: "eu-west"}},
		Datacenters: []scope.Datacenter{{ID: "fra1", Region: "eu-west"}},
		Services:    []scope.Service{{ID: "storage"}},
		Farms: []scope.Farm{{ID: "st-3", Datacenter: "fra1", Service: "storage",
			Tenants: []string{"acme"}}}}
	acme, gone := &scope.Tenant{ID: "acme", Name: "Acme"}, &scope.Tenant{ID: "gone", Name: "G"}
	contact := &scope.Contact{Tenant: "acme", Name: "Ana", Email: "ana@acme.example",
		Channel: scope.ChannelEmail}
	fs := []readiness.Finding{{Source: readiness.SourcePentest, Title: "XSS",
		Severity: readiness.SeverityLow, Found: time.Now(), Services: []string{},
		Tracking: readiness.Tracking{State: readiness.StateOpen, Due: time.Now()}}}
	ex := &readiness.Exercise{Name: "drill", Kind: readiness.ExerciseSimulation,
		Status: readiness.ExerciseRunning}
	_, err := f.st.ChangeInventory(ctx, store.InventoryChange{Replace: inv})
	err = errors.Join(err, f.st.CreateTenant(ctx, acme), f.st.CreateTenant(ctx, gone),
		f.st.AddContact(ctx, contact), f.st.CreateFindings(ctx, fs),
		f.st.CreateExercise(ctx, ex),
		f.st.PutPerson(ctx, &readiness.Person{Name: "ana", Roles: []string{"responder"},
			Joined: readiness.NewDate(time.Now())}))
	if err != nil {
		t.Fatal(err)
	}
	before := f.scopeState(t, id)

	c := "/api/v1/tenants/acme/contacts/" + itoa(contact.ID)
	yaml := "regions:\n  - id: us-east\ntenants:\n  - id: wayne\n    name: Wayne\n" +
		"    contacts:\n      - {name: Bo, email: bo@wayne.example}\n"
	now := time.Now().UTC()
	run := readiness.Run{Scenario: "lsass", Started: now, Finished: now.Add(time.Second),
		Speed: 1, Steps: []readiness.RunStep{{Step: "dump", Sent: now, Events: 1}},
		Detections: []readiness.Detection{{Expect: readiness.Expectation{Rule: "r-9",
			Severity: readiness.SeverityHigh}}}}
	for _, tt := range []struct {
		name, method, path string
		body               any
		headers            []string
	}{
		{"set scope", "PUT", "/api/v1/incidents/" + itoa(id) + "/scope",
			map[string]any{"farms": []string{"st-3"}}, nil},
		{"put entry", "PUT", "/api/v1/inventory/regions/ap-south", map[string]any{}, nil},
		{"delete entry", "DELETE", "/api/v1/inventory/farms/st-3", nil, nil},
		{"create tenant", "POST", "/api/v1/tenants", map[string]any{"id": "wayne",
			"name": "Wayne"}, nil},
		{"patch tenant", "PATCH", "/api/v1/tenants/acme", map[string]any{"name": "A"},
			[]string{"If-Match", `"v1"`}},
		{"delete tenant", "DELETE", "/api/v1/tenants/gone", nil, nil},
		{"add contact", "POST", "/api/v1/tenants/acme/contacts", map[string]any{"name": "Al",
			"email": "al@acme.example"}, nil},
		{"verify contact", "PATCH", c, map[string]any{"verified": true},
			[]string{"If-Match", `"v1"`}},
		{"delete contact", "DELETE", c, nil, nil},
		{"put person", "PUT", "/api/v1/training/people/bo", map[string]any{
			"roles": []string{"responder"}, "joined": now.Format(time.DateOnly)}, nil},
		{"completion", "POST", "/api/v1/training/completions", map[string]any{"person": "ana",
			"course": "ir-basics", "completed": now.Format(time.DateOnly),
			"evidence": "CERT-1"}, nil},
		{"create finding", "POST", "/api/v1/findings", map[string]any{"title": "RCE",
			"severity": "high", "source": "pentest"}, nil},
		{"patch finding", "PATCH", "/api/v1/findings/" + itoa(fs[0].ID), map[string]any{
			"version": 1, "owner": "dan"}, nil},
		{"create exercise", "POST", "/api/v1/exercises", map[string]any{"name": "x",
			"kind": "tabletop"}, nil},
		{"patch exercise", "PATCH", "/api/v1/exercises/" + itoa(ex.ID), map[string]any{
			"version": 1, "name": "y"}, nil},
		{"record run", "POST", "/api/v1/exercises/" + itoa(ex.ID) + "/runs", run, nil},
	} {
		body, err := json.Marshal(tt.body)
		if err != nil {
			t.Fatal(err)
		}
		st, _, raw := f.do(t, tt.method, tt.path, bytes.NewReader(body),
			append([]string{"Content-Type", "application/json"}, tt.headers...)...)
		if st != http.StatusInternalServerError {
			t.Errorf("%s: status %d, want 500; body %s", tt.name, st, raw)
		}
	}
	for _, raw := range []struct{ name, method, path, ctype, ifMatch, body string }{
		{"import inventory", "PUT", "/api/v1/inventory", "application/yaml", "", yaml},
		{"import findings", "POST", "/api/v1/findings/import?source=scan", "text/csv", "",
			"ref,title,severity\nS-1,Old TLS,low\n"},
		{"set policy", "PUT", "/api/v1/readiness/policy", "application/yaml", `"v0"`,
			"onboarding_days: 21\ncourses:\n  - {id: basics, title: Basics, kind: basics}\n"},
	} {
		headers := []string{"Content-Type", raw.ctype}
		if raw.ifMatch != "" {
			headers = append(headers, "If-Match", raw.ifMatch)
		}
		st, _, body := f.do(t, raw.method, raw.path, strings.NewReader(raw.body), headers...)
		if st != http.StatusInternalServerError {
			t.Errorf("%s: status %d, want 500; body %s", raw.name, st, body)
		}
	}
	if diff := cmp.Diff(before, f.scopeState(t, id)); diff != "" {
		t.Errorf("changes kept without their entries (-before +after):\n%s", diff)
	}
}
