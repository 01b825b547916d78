package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// auditedFixture is a fixture whose detection records what it opens.
func auditedFixture(t *testing.T, edit func(*api.Config)) *fixture {
	t.Helper()
	return newFixture(t, func(cfg *api.Config) {
		p, err := detect.NewPipeline(detect.Config{Events: cfg.Store, Alerts: cfg.Store,
			Incidents: cfg.Store, Rules: kindRules{}, Audit: audit.New(cfg.Store, nil),
			Tx: store.View[detect.Tx]{Store: cfg.Store}})
		if err != nil {
			t.Fatalf("NewPipeline: %v", err)
		}
		cfg.Pipeline = p
		if edit != nil {
			edit(cfg)
		}
	})
}

// incidentEntries returns the audit entries of an incident, oldest first,
// with the record version their details name (0: none).
func (f *fixture) incidentEntries(t *testing.T, id int64) ([]audit.Entry, []int64) {
	t.Helper()
	page, err := f.st.ListAudit(t.Context(), store.AuditFilter{ObjectType: "incident",
		ObjectID: itoa(id), Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	n := len(page.Items)
	entries, versions := make([]audit.Entry, n), make([]int64, n)
	for i, e := range page.Items {
		var d struct {
			Version int64 `json:"version"`
		}
		if err := json.Unmarshal(e.Details, &d); err != nil {
			t.Fatalf("entry %d: details %s: %v", e.Seq, e.Details, err)
		}
		entries[n-1-i], versions[n-1-i] = e, d.Version
	}
	return entries, versions
}

// TestIncidentChangesAudited changes an incident through the API, in turn
// and concurrently, with refused changes between: every change that was
// answered 200 has exactly one audit entry, naming the version it made,
// every refused one has none, and the chain verifies.
func TestIncidentChangesAudited(t *testing.T) {
	t.Parallel()
	f := auditedFixture(t, nil)
	id := f.openIncident(t)
	base := "/api/v1/incidents/" + itoa(id)
	// want maps each version to the action that made it; ok adds to it, on
	// any goroutine (it does not stop the test).
	want := map[int64]audit.Action{}
	ok := func(a answer, action audit.Action) {
		t.Helper()
		var v struct {
			Version int64 `json:"version"`
		}
		err := json.Unmarshal(a.raw, &v)
		if a.status != http.StatusOK || err != nil || want[v.Version] != "" {
			t.Errorf("%s: status %d, version %d (%v): want 200 and a new version; body %s",
				action, a.status, v.Version, err, a.raw)
			return
		}
		want[v.Version] = action
	}
	ok(f.send(t, "PATCH", base, map[string]string{"summary": "LSASS read on dc01"},
		"If-Match", `"v1"`), audit.IncidentUpdated)
	ok(f.send(t, "POST", base+"/comments", map[string]string{"text": "looking"}),
		audit.CommentAdded)
	ok(f.send(t, "POST", base+"/indicators", map[string]string{"kind": "ip",
		"value": "203.0.113.7"}), audit.IndicatorAdded)
	ok(f.send(t, "POST", base+"/actions", map[string]string{"what": "isolated dc01"}),
		audit.ActionAppended)
	ok(f.send(t, "POST", base+"/transitions", map[string]string{"to": "analysis"}),
		audit.IncidentPhaseChanged)
	ok(f.send(t, "POST", base+"/classification", map[string]string{
		"classification": "confirmed", "reason": "procdump on dc01"}), audit.IncidentClassified)

	// Refused changes: a stale version, a bad field, a closed gate.
	f.send(t, "PATCH", base, map[string]string{"summary": "x"}, "If-Match", `"v1"`).
		want(t, "stale", http.StatusPreconditionFailed)
	f.send(t, "PATCH", base, map[string]string{"title": " "}, "If-Match", `"v7"`).
		want(t, "empty title", http.StatusUnprocessableEntity)
	f.send(t, "POST", base+"/transitions", map[string]string{"to": "recovery"}).
		want(t, "skip phases", http.StatusConflict)

	// Concurrent comments race for versions; each one answered 200 made one.
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for i := range 6 {
		wg.Go(func() {
			a, err := f.comment(base, "note "+itoa(int64(i)))
			if err != nil {
				t.Error(err)
				return
			}
			if a.status == http.StatusOK {
				mu.Lock()
				defer mu.Unlock()
				ok(a, audit.CommentAdded)
			}
		})
	}
	wg.Wait()
	f.checkOneEntryPerChange(t, id, want)
}

// checkOneEntryPerChange checks that an incident's entries are its
// incident.opened and then one per version that a change made, with the
// action want names, and that the chain verifies.
func (f *fixture) checkOneEntryPerChange(t *testing.T, id int64, want map[int64]audit.Action) {
	t.Helper()
	entries, versions := f.incidentEntries(t, id)
	if len(entries) == 0 || entries[0].Action != audit.IncidentOpened || versions[0] != 0 {
		t.Fatalf("first entry %+v, want incident.opened", entries)
	}
	got := map[int64]audit.Action{}
	for i, e := range entries[1:] {
		v := versions[i+1]
		if got[v] != "" {
			t.Errorf("version %d: entries %s and %s, want one", v, got[v], e.Action)
		}
		got[v] = e.Action
	}
	if len(got) != len(want) || len(entries) != len(want)+1 {
		t.Errorf("%d changes answered 200, %d entries after incident.opened", len(want),
			len(entries)-1)
	}
	for v, action := range want {
		if got[v] != action {
			t.Errorf("version %d: entry %q, want %q", v, got[v], action)
		}
	}
	rec, _ := f.record(t, id)
	if int(rec.Version) != len(want)+1 {
		t.Errorf("record at version %d after %d changes from version 1", rec.Version, len(want))
	}
	if rep, err := audit.VerifyChain(t.Context(), f.st); err != nil || rep.Entries < 2 {
		t.Errorf("VerifyChain = %+v, %v; want intact", rep, err)
	}
}

// comment posts a comment to the incident at path; unlike send, it is safe
// on any goroutine (it does not stop the test).
func (f *fixture) comment(path, text string) (answer, error) {
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequest("POST", f.srv.URL+path+"/comments", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+goodToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, etag: resp.Header.Get("ETag"), raw: raw}, err
}

// refusingStore is the real store whose transactions refuse every audit
// entry, as a broken audit table would.
type refusingStore struct{ store.Store }

func (r refusingStore) Atomically(ctx context.Context, fn func(tx store.Tx) error) error {
	return r.Store.Atomically(ctx, func(tx store.Tx) error { return fn(refusingTx{tx}) })
}

type refusingTx struct{ store.Tx }

func (refusingTx) AppendAudit(context.Context, *audit.Entry) error {
	return errors.New("audit trail unavailable")
}

// TestChangeWithoutAuditRefused makes every audit append fail: the changes
// are answered 500 and none of them is kept, not even in part.
func TestChangeWithoutAuditRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(cfg *api.Config) { cfg.Store = refusingStore{cfg.Store} })
	id := f.openIncident(t)
	base := "/api/v1/incidents/" + itoa(id)
	before, _ := f.record(t, id)

	tests := []struct {
		name, method, path string
		body               any
		headers            []string
	}{
		{"patch", "PATCH", base, map[string]string{"summary": "x"}, []string{"If-Match", `"v1"`}},
		{"comment", "POST", base + "/comments", map[string]string{"text": "x"}, nil},
		{"transition", "POST", base + "/transitions", map[string]string{"to": "analysis"}, nil},
		{"task", "POST", base + "/tasks", map[string]any{"phase": "eradication",
			"title": "reimage", "high_impact": true}, nil},
		{"escalate", "POST", base + "/escalate", map[string]string{}, nil},
		{"token", "POST", "/api/v1/tokens", map[string]any{"name": "n", "role": "auditor",
			"expires_in": 3600}, nil},
		{"user", "POST", "/api/v1/users", map[string]any{"name": "bo", "roles": []string{
			"auditor"}}, nil},
		{"webhook", "POST", "/api/v1/webhooks", map[string]any{"name": "chat",
			"url": "https://chat.example/hook"}, nil},
	}
	for _, tt := range tests {
		a := f.send(t, tt.method, tt.path, tt.body, tt.headers...)
		if a.status != http.StatusInternalServerError {
			t.Errorf("%s: status %d, want 500; body %s", tt.name, a.status, a.raw)
		}
	}
	after, _ := f.record(t, id)
	if after.Version != before.Version || after.Phase != before.Phase ||
		len(after.Record.Comments) != 0 {
		t.Errorf("record after refused changes: version %d phase %s, %d comments; want "+
			"version %d unchanged", after.Version, after.Phase, len(after.Record.Comments),
			before.Version)
	}
	ctx := t.Context()
	tasks, err1 := f.st.ListTasks(ctx, id)
	team, err2 := f.st.ListEngagements(ctx, id)
	users, err3 := f.st.ListUsers(ctx, store.UserFilter{})
	hooks, err4 := f.st.ListWebhooks(ctx)
	tokens, err5 := f.st.ListTokens(ctx)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		t.Fatal(err)
	}
	if len(tasks)+len(team)+len(users)+len(hooks) != 0 || len(tokens) != 2 {
		t.Errorf("kept without their entries: %d tasks, %d engagements, %d users, "+
			"%d webhooks, %d tokens (2 before)", len(tasks), len(team), len(users), len(hooks),
			len(tokens))
	}
	if page, err := f.st.ListAudit(ctx, store.AuditFilter{}); err != nil || page.Total != 0 {
		t.Errorf("audit entries: %d, %v; want none", page.Total, err)
	}
	if !strings.Contains(f.log.String(), "audit trail unavailable") {
		t.Error("the refused append is not in the log for an operator")
	}
}

// TestTaskGatesAudited adds a high-impact eradication task, which adds a
// step to the incident's gates, and cancels it, which removes the step:
// the task, the record and the entries change together, and the entries
// name the record version their change made.
func TestTaskGatesAudited(t *testing.T) {
	t.Parallel()
	f := auditedFixture(t, nil)
	id := f.openIncident(t)
	base := "/api/v1/incidents/" + itoa(id)
	a := f.send(t, "POST", base+"/tasks", map[string]any{"phase": "eradication",
		"title": "reimage dc01", "high_impact": true})
	a.want(t, "POST task", http.StatusCreated)
	task := a.body["id"].(float64)
	f.send(t, "PATCH", base+"/tasks/"+itoa(int64(task)), map[string]string{
		"status": "cancelled"}, "If-Match", a.etag).want(t, "cancel task", http.StatusOK)

	rec, _ := f.record(t, id)
	if rec.Version != 3 || len(rec.Gates.EradicationSteps) != 0 {
		t.Errorf("record version %d with steps %+v, want 3 and none", rec.Version,
			rec.Gates.EradicationSteps)
	}
	page, err := f.st.ListAudit(t.Context(), store.AuditFilter{ObjectType: "incident",
		ObjectID: itoa(id)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(page.Items) - 1; i >= 0; i-- {
		var d struct {
			RecordVersion int64 `json:"record_version"`
		}
		e := page.Items[i]
		if err := json.Unmarshal(e.Details, &d); err != nil {
			t.Fatal(err)
		}
		got = append(got, string(e.Action)+" v"+itoa(d.RecordVersion))
	}
	want := []string{"incident.opened v0", "task.created v2", "approval.requested v2",
		"task.updated v3"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("entries %v, want %v", got, want)
	}
}
