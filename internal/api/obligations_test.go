package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// obligationsAnswer is the answer of the obligations listing.
type obligationsAnswer struct {
	Items []obligation.View `json:"items"`
}

// factAnswer is the answer of a recorded fact.
type factAnswer struct {
	Fact    store.IncidentFact `json:"fact"`
	Changes []struct {
		Kind string `json:"kind"`
	} `json:"changes"`
	Obligations []obligation.View `json:"obligations"`
}

// scopedIncident opens an incident on farm st-3 and sets its scope to the
// farm (globex-bank, hooli and initech), returning its path.
func scopedIncident(t *testing.T, f *fixture) string {
	t.Helper()
	if _, res := f.post(t, `{"kind":"high","Computer":"st-3-01.fra1.example.net"}`+"\n"); len(
		res.Incidents) != 1 {
		t.Fatalf("posted event opened %v, want one incident", res.Incidents)
	}
	var list incidentPage
	f.getJSON(t, "/api/v1/incidents?limit=1", &list)
	path := "/api/v1/incidents/" + itoa(list.Items[0].ID)
	f.send(t, "PUT", path+"/scope", map[string]any{"farms": []string{"st-3"}}).
		want(t, "scope to farm st-3", http.StatusOK)
	return path
}

// byKey indexes views by key.
func byKey(vs []obligation.View) map[string]obligation.View {
	out := map[string]obligation.View{}
	for _, v := range vs {
		out[v.Key] = v
	}
	return out
}

const ukKey = "uk-gdpr-art33-2/notification@initech"

// TestObligationsAPI sets a scope (obligations appear), records facts
// (deadlines follow, fact and changes audited), refuses bad facts naming
// the field, reads one obligation by its escaped key, marks it not
// required and reinstates it, and narrows the scope (the obligations of
// the tenants that left are withdrawn, not deleted).
func TestObligationsAPI(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t)
	path := scopedIncident(t, f)

	var list obligationsAnswer
	f.getJSON(t, path+"/obligations", &list)
	got := byKey(list.Items)
	uk, ok := got[ukKey]
	if !ok {
		t.Fatalf("no %s after the scope; have %d obligations", ukKey, len(list.Items))
	}
	if uk.Status != "clock-not-started" || uk.State != "pending" || uk.Deadline != nil ||
		uk.SecondsLeft != nil || uk.TenantName != "Initech Ltd" {
		t.Errorf("before awareness: %+v", uk)
	}
	var globex int
	for k := range got {
		if strings.HasSuffix(k, "@globex-bank") {
			globex++
		}
	}
	if globex == 0 {
		t.Errorf("no obligation of globex-bank (DE, FR, DORA): %v", keysOf(got))
	}

	aware := scopeNow.Add(-2 * time.Hour)
	a := f.send(t, "POST", path+"/facts", map[string]any{"name": "awareness", "truth": "yes",
		"at": aware, "note": "SOC call"})
	a.want(t, "record awareness", http.StatusOK)
	var fa factAnswer
	if err := json.Unmarshal(a.raw, &fa); err != nil {
		t.Fatal(err)
	}
	if fa.Fact.ID == 0 || fa.Fact.By != "token:good" || !fa.Fact.At.Equal(aware) ||
		len(fa.Changes) == 0 {
		t.Errorf("fact answer: fact %+v, %d changes", fa.Fact, len(fa.Changes))
	}
	uk = byKey(fa.Obligations)[ukKey]
	if uk.Deadline == nil || !uk.Deadline.Equal(aware.Add(24*time.Hour)) ||
		uk.SecondsLeft == nil || *uk.SecondsLeft != int64(22*3600) {
		t.Errorf("after awareness: deadline %v, seconds left %v; want %v and %d", uk.Deadline,
			uk.SecondsLeft, aware.Add(24*time.Hour), 22*3600)
	}
	if n := f.auditCount(t, audit.FactRecorded); n != 1 {
		t.Errorf("%d incident.fact_recorded entries, want 1", n)
	}
	if n := f.auditCount(t, audit.ObligationsRecomputed); n < 2 {
		t.Errorf("%d obligation.recomputed entries (scope, fact), want >= 2", n)
	}

	for _, tt := range []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"bad truth", map[string]any{"name": "awareness", "truth": "maybe"}, 422, "truth"},
		{"no truth", map[string]any{"name": "awareness"}, 422, "truth"},
		{"unknown fact", map[string]any{"name": "vibes", "truth": "yes"}, 422, "name"},
		{"unknown field", map[string]any{"name": "awareness", "truth": "yes", "x": 1}, 422,
			"x"},
		{"count on a bool", map[string]any{"name": "personal_data", "truth": "yes",
			"count": 3}, 422, "count"},
		{"tenant not affected", map[string]any{"name": "personal_data", "truth": "yes",
			"tenant": "acme-health"}, 422, "tenant"},
		{"future", map[string]any{"name": "awareness", "truth": "yes",
			"at": scopeNow.Add(time.Hour)}, 422, "at"},
		{"count as text", map[string]any{"name": "affected_individuals", "truth": "yes",
			"count": "many"}, 422, "count"},
		{"at in words", map[string]any{"name": "awareness", "truth": "yes",
			"at": "yesterday"}, 422, "at"},
		{"at without T", map[string]any{"name": "awareness", "truth": "yes",
			"at": "2026-12-04 10:00"}, 422, "at"},
		{"at before 2000", map[string]any{"name": "awareness", "truth": "yes",
			"at": "1999-12-31T10:00:00Z", "note": "typo"}, 422, "at"},
		{"awareness changed without a note", map[string]any{"name": "awareness",
			"truth": "yes", "at": aware.Add(-time.Hour)}, 422, "note"},
		{"residents over the count", map[string]any{"name": "affected_individuals",
			"truth": "yes", "count": 2, "residents": map[string]int{"DE": 2, "FR": 1}}, 422,
			"residents"},
		{"residents EU", map[string]any{"name": "affected_individuals",
			"truth": "yes", "count": 2, "residents": map[string]int{"EU": 1}}, 422,
			"residents"},
	} {
		a := f.send(t, "POST", path+"/facts", tt.body)
		a.want(t, tt.name, tt.status, "field", tt.field)
		if at, _ := tt.body["at"].(string); strings.HasPrefix(tt.name, "at ") &&
			!strings.Contains(string(a.raw), "is not an RFC 3339 time such as") &&
			!strings.Contains(string(a.raw), "before 2000-01-01") {
			t.Errorf("%s: %s, want a message naming %q and the format", tt.name, a.raw, at)
		}
	}
	big := `{"name":"awareness","truth":"yes","note":"` + strings.Repeat("x", 1<<20) + `"}`
	if status, _, body := f.do(t, "POST", path+"/facts", strings.NewReader(big),
		"Content-Type", "application/json"); status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(string(body), "1048576 bytes") {
		t.Errorf("body over 1 MiB: %d %s, want 413 naming the limit", status, body)
	}
	status, _, body := f.do(t, "POST", path+"/facts", strings.NewReader("{"),
		"Content-Type", "application/json")
	if status != http.StatusBadRequest {
		t.Errorf("malformed body: %d %s, want 400", status, body)
	}
	f.send(t, "POST", path+"/facts", map[string]any{"name": "personal_data", "truth": "yes",
		"tenant": "initech"}).want(t, "tenant fact", http.StatusOK)

	var facts struct {
		Current []store.IncidentFact `json:"current"`
		History []store.IncidentFact `json:"history"`
	}
	f.getJSON(t, path+"/facts", &facts)
	if len(facts.History) != 2 || len(facts.Current) != 2 || facts.History[1].Tenant !=
		"initech" {
		t.Errorf("facts: %+v", facts)
	}

	one := path + "/obligations/" + url.PathEscape(ukKey)
	var v obligation.View
	f.getJSON(t, one, &v)
	if v.Key != ukKey || v.Explain == "" || len(v.History) == 0 {
		t.Errorf("GET one: %+v", v)
	}
	f.send(t, "GET", path+"/obligations/"+url.PathEscape("nope/x"), nil).
		want(t, "unknown key", http.StatusNotFound)
	f.send(t, "GET", "/api/v1/incidents/9999/obligations", nil).
		want(t, "unknown incident", http.StatusNotFound)

	legal := f.tokenOf(t, "legal", auth.RoleLegal, "")
	responder := f.tokenOf(t, "responder", auth.RoleResponder, "")
	tenant := f.tokenOf(t, "initech-admin", auth.RoleTenantAdmin, "initech")
	f.send(t, "GET", path+"/obligations", nil, bearer(tenant)...).
		want(t, "tenant-admin lists obligations", http.StatusForbidden)
	f.send(t, "POST", one+"/not-required", map[string]any{"reason": "x"}, bearer(responder)...).
		want(t, "responder marks not required", http.StatusForbidden)
	f.send(t, "POST", one+"/not-required", map[string]any{"reason": " "}, bearer(legal)...).
		want(t, "no reason", http.StatusUnprocessableEntity, "field", "reason")
	nr := f.send(t, "POST", one+"/not-required", map[string]any{
		"reason": "only pseudonymised data"}, bearer(legal)...)
	nr.want(t, "legal marks not required", http.StatusOK)
	if nr.body["state"] != "not-required" || nr.body["not_required_reason"] !=
		"only pseudonymised data" {
		t.Errorf("not required: %s", nr.raw)
	}
	f.send(t, "POST", one+"/not-required", map[string]any{"reason": "again"}, bearer(legal)...).
		want(t, "not required twice", http.StatusConflict)
	f.send(t, "POST", one+"/reinstate", map[string]any{"reason": "names leaked too"},
		bearer(legal)...).want(t, "reinstate", http.StatusOK, "state", "pending")
	f.send(t, "POST", one+"/clear-overdue", map[string]any{"reason": "not overdue"},
		bearer(legal)...).want(t, "clear a flag not set", http.StatusConflict)
	for _, a := range []audit.Action{audit.ObligationNotRequired, audit.ObligationReinstated} {
		if n := f.auditCount(t, a); n != 1 {
			t.Errorf("%d %s entries, want 1", n, a)
		}
	}

	// farm mx-1 keeps initech and drops globex-bank and hooli
	f.send(t, "PUT", path+"/scope", map[string]any{"farms": []string{"mx-1"}}).
		want(t, "scope to farm mx-1", http.StatusOK)
	f.getJSON(t, path+"/obligations", &list)
	after := byKey(list.Items)
	for k, old := range got {
		nv, ok := after[k]
		switch {
		case !ok:
			t.Errorf("%s deleted by the scope change; want it kept", k)
		case strings.HasSuffix(k, "@initech") && nv.Withdrawn:
			t.Errorf("%s withdrawn, but initech is still affected", k)
		case (strings.HasSuffix(k, "@globex-bank") || strings.HasSuffix(k, "@hooli")) &&
			(!nv.Withdrawn || !strings.Contains(nv.WithdrawnReason, "scope revision 2")):
			t.Errorf("%s: withdrawn %v (%q), want withdrawn by scope revision 2", k,
				nv.Withdrawn, nv.WithdrawnReason)
		}
		_ = old
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestObligationsOverdueAPI moves the obligation clock past a deadline:
// the view says overdue before the watcher looks, the watcher flags it,
// clearing the flag is refused while it is still due unsent and accepted
// with a reason once it is marked not required; the response metrics count
// the tenant deadlines.
func TestObligationsOverdueAPI(t *testing.T) {
	t.Parallel()
	clk := &movingClock{now: scopeNow}
	var svc *obligation.Service
	f := newScopeFixtureWith(t, func(cfg *api.Config) {
		cat, err := regulation.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		svc, err = obligation.New(obligation.Config{Store: cfg.Store, Catalog: cat,
			Clock: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Obligations = svc
	})
	path := scopedIncident(t, f)
	f.send(t, "POST", path+"/facts", map[string]any{"name": "awareness", "truth": "yes",
		"at": scopeNow}).want(t, "awareness", http.StatusOK)
	one := path + "/obligations/" + url.PathEscape(ukKey)

	clk.Set(scopeNow.Add(30 * time.Hour))
	var v obligation.View
	f.getJSON(t, one, &v)
	if !v.Overdue || v.SecondsLeft == nil || *v.SecondsLeft != -6*3600 {
		t.Errorf("6 hours past the deadline: overdue %v, seconds left %v", v.Overdue,
			v.SecondsLeft)
	}
	wt, err := obligation.NewWatcher(obligation.WatcherConfig{Service: svc, People: f.st,
		Notifier: notify.NewDispatcher(f.st, store.NotifyDirectory(f.st))})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := wt.Tick(t.Context()); err != nil || res.Overdue == 0 {
		t.Fatalf("watcher: %+v, %v; want overdue obligations", res, err)
	}
	f.getJSON(t, one, &v)
	if v.OverdueSince == nil || !v.OverdueSince.Equal(scopeNow.Add(24*time.Hour)) {
		t.Errorf("overdue since %v, want the deadline", v.OverdueSince)
	}
	legal := f.tokenOf(t, "legal", auth.RoleLegal, "")
	f.send(t, "POST", one+"/clear-overdue", map[string]any{"reason": "x"}, bearer(legal)...).
		want(t, "clear while still due", http.StatusConflict)
	f.send(t, "POST", one+"/not-required", map[string]any{"reason": "no personal data"},
		bearer(legal)...).want(t, "not required", http.StatusOK)
	cl := f.send(t, "POST", one+"/clear-overdue", map[string]any{
		"reason": "not required after all"}, bearer(legal)...)
	cl.want(t, "clear overdue", http.StatusOK)
	if cl.body["overdue"] != false || cl.body["overdue_since"] != nil {
		t.Errorf("after clearing: %s", cl.raw)
	}
	if n := f.auditCount(t, audit.ObligationOverdueCleared); n != 1 {
		t.Errorf("%d obligation.overdue_cleared entries, want 1", n)
	}

	var rep struct {
		Overall struct {
			Deadlines map[string]struct{ Met, Missed, Pending int } `json:"deadlines"`
		} `json:"overall"`
	}
	f.getJSON(t, "/api/v1/response-metrics?from=2026-11-01&to=2026-12-31", &rep)
	if c := rep.Overall.Deadlines["tenant"]; c.Met+c.Missed+c.Pending == 0 {
		t.Errorf("response metrics deadlines %+v, want tenant deadlines", rep.Overall.Deadlines)
	}
}

// movingClock is a clock the test moves.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movingClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// newScopeFixtureWith is newScopeFixture with a further edit of the
// configuration.
func newScopeFixtureWith(t *testing.T, edit func(*api.Config)) *fixture {
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
		edit(cfg)
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
