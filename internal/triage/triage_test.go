package triage_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/triage"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

const ruleYAML = `
title: Admin logon
id: r-logon
level: high
detection:
  sel: {EventID: 4624}
  condition: sel
vigil:
  group_by: [Computer, User]
  window: 1h
---
title: Port scan
id: r-scan
level: medium
detection:
  sel: {EventID: 9}
  condition: sel
`

// fixture is a store, a triage Service and a pipeline sharing one clock.
type fixture struct {
	st    *sqlite.Store
	svc   *triage.Service
	pipe  *detect.Pipeline
	clock *clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.WithClock(c.now))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := triage.New(triage.Config{Store: st, Audit: audit.New(st, c.now), Now: c.now})
	if err != nil {
		t.Fatalf("triage.New: %v", err)
	}
	rules, diags := sigma.Parse([]byte(ruleYAML), "rules.yml", sigma.Options{})
	for _, d := range diags {
		t.Fatalf("rule: %v", d)
	}
	pipe, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
		Rules: sigma.NewRuleset(rules), Suppressor: svc, Now: c.now})
	if err != nil {
		t.Fatalf("NewPipeline: %v", err)
	}
	return &fixture{st: st, svc: svc, pipe: pipe, clock: c}
}

// ingest posts one event with fields and returns what the pipeline did.
func (f *fixture) ingest(t *testing.T, fields map[string]any) detect.Result {
	t.Helper()
	res, err := f.pipe.Ingest(staff(), []*event.Event{{Time: f.clock.t, Fields: fields}})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	return res
}

func staff() context.Context {
	return auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser,
		Name: "ana", Roles: []string{"responder"}})
}

func TestParseVigilAttribute(t *testing.T) {
	t.Parallel()
	rules, _ := sigma.Parse([]byte(ruleYAML), "rules.yml", sigma.Options{})
	if len(rules) != 2 {
		t.Fatalf("parsed %d rules, want 2", len(rules))
	}
	got := []any{rules[0].GroupBy, rules[0].GroupWindow, rules[1].GroupBy, rules[1].GroupWindow}
	want := []any{[]string{"Computer", "User"}, time.Hour, []string(nil), time.Duration(0)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GroupBy, GroupWindow (-want +got):\n%s", diff)
	}
	_, diags := sigma.Parse([]byte(`title: x
detection: {sel: {a: 1}, condition: sel}
vigil: {window: soon}
`), "bad.yml", sigma.Options{})
	if len(diags) != 1 {
		t.Errorf("bad window: %d diagnostics, want 1", len(diags))
	}
}

func TestDedupWindows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	logon := func(host, user string) map[string]any {
		return map[string]any{"EventID": 4624, "Computer": host, "User": user}
	}
	steps := []struct {
		name    string
		advance time.Duration
		fields  map[string]any
		want    string // new or repeat
	}{
		{"first", 0, logon("web1", "root"), "new"},
		{"same group within the window", 50 * time.Minute, logon("web1", "root"), "repeat"},
		{"window counts from the last repeat", 55 * time.Minute, logon("web1", "root"), "repeat"},
		{"another user", 0, logon("web1", "bob"), "new"},
		{"past the window", 61 * time.Minute, logon("web1", "root"), "new"},
		{"default: host field, 15 minutes", 0, map[string]any{"EventID": 9, "Computer": "db1"},
			"new"},
		{"default within 15 minutes", 14 * time.Minute, map[string]any{"EventID": 9,
			"Computer": "db1"}, "repeat"},
		{"default past 15 minutes", 16 * time.Minute, map[string]any{"EventID": 9,
			"Computer": "db1"}, "new"},
		{"no host field: no grouping", 0, map[string]any{"EventID": 9}, "new"},
		{"no host field again", 0, map[string]any{"EventID": 9}, "new"},
	}
	for _, s := range steps {
		f.clock.advance(s.advance)
		res := f.ingest(t, s.fields)
		got := "new"
		if res.Repeats == 1 && len(res.Alerts) == 0 {
			got = "repeat"
		} else if len(res.Alerts) != 1 {
			t.Fatalf("%s: %d alerts, %d repeats", s.name, len(res.Alerts), res.Repeats)
		}
		if got != s.want {
			t.Errorf("%s: %s, want %s", s.name, got, s.want)
		}
	}
	a, err := f.st.GetAlert(context.Background(), 1)
	if err != nil {
		t.Fatalf("GetAlert: %v", err)
	}
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	want := []any{int64(3), start, start.Add(105 * time.Minute), 3}
	got := []any{a.Count, a.FirstSeen, a.LastSeen, len(a.EventIDs)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("grouped alert Count, FirstSeen, LastSeen, events (-want +got):\n%s", diff)
	}
}

func TestSuppressions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := staff()
	fields := func() map[string]any {
		return map[string]any{"EventID": 4624, "Computer": "lab1", "User": "scanner"}
	}
	res := f.ingest(t, fields())
	alertID := res.Alerts[0].ID

	sup := &triage.Suppression{Expires: f.clock.t.Add(2 * time.Hour)}
	if err := f.svc.MarkFalsePositive(ctx, alertID, "", sup); !errors.Is(err, triage.ErrInvalid) {
		t.Fatalf("MarkFalsePositive(no reason) = %v, want ErrInvalid", err)
	}
	if err := f.svc.MarkFalsePositive(ctx, alertID, "lab scanner", sup); err != nil {
		t.Fatalf("MarkFalsePositive: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"Computer": "lab1", "User": "scanner"},
		sup.Fields); diff != "" {
		t.Errorf("suppression fields default to the alert's group (-want +got):\n%s", diff)
	}

	// In force: suppressed and counted; another host is not suppressed.
	f.clock.advance(time.Hour)
	if res := f.ingest(t, fields()); res.Suppressed != 1 || len(res.Alerts) != 0 {
		t.Errorf("suppressed match: %d alerts, %d suppressed; want 0, 1", len(res.Alerts),
			res.Suppressed)
	}
	other := fields()
	other["Computer"] = "web1"
	if res := f.ingest(t, other); len(res.Alerts) != 1 {
		t.Errorf("unsuppressed host: %d alerts, want 1", len(res.Alerts))
	}
	got, err := f.st.GetSuppression(ctx, sup.ID)
	if err != nil || got.Hits != 1 || !got.LastHit.Equal(f.clock.t) {
		t.Errorf("suppression after a hit: %+v, %v; want 1 hit at %v", got, err, f.clock.t)
	}

	// Expired: the match raises an alert again.
	f.clock.advance(time.Hour)
	if res := f.ingest(t, fields()); len(res.Alerts) != 1 || res.Suppressed != 0 {
		t.Errorf("after expiry: %d alerts, %d suppressed; want 1, 0", len(res.Alerts),
			res.Suppressed)
	}
	if err := f.svc.CreateSuppression(ctx, &triage.Suppression{RuleID: "r-logon", Reason: "x",
		Expires: f.clock.t.Add(-time.Second)}); !errors.Is(err, triage.ErrInvalid) {
		t.Errorf("CreateSuppression(expired) = %v, want ErrInvalid", err)
	}
}

func TestStates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := staff()
	id := f.ingest(t, map[string]any{"EventID": 9}).Alerts[0].ID
	steps := []struct {
		name string
		do   func() error
		want string // state after, or "" for ErrInvalid
	}{
		{"reopen a new alert", func() error { return f.svc.Reopen(ctx, id, "x") }, ""},
		{"ack", func() error { return f.svc.Acknowledge(ctx, id) }, triage.StateAcknowledged},
		{"ack twice", func() error { return f.svc.Acknowledge(ctx, id) }, ""},
		{"assign", func() error { return f.svc.Assign(ctx, id, "bob") }, triage.StateAssigned},
		{"assign nobody", func() error { return f.svc.Assign(ctx, id, " ") }, ""},
		{"false positive", func() error { return f.svc.MarkFalsePositive(ctx, id, "dup", nil) },
			triage.StateFalsePositive},
		{"confirm a false positive", func() error {
			_, err := f.svc.Confirm(ctx, []int64{id}, 0)
			return err
		}, ""},
		{"reopen without reason", func() error { return f.svc.Reopen(ctx, id, "") }, ""},
		{"reopen", func() error { return f.svc.Reopen(ctx, id, "was real") }, triage.StateNew},
	}
	for _, s := range steps {
		err := s.do()
		if s.want == "" {
			if !errors.Is(err, triage.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", s.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		a, _ := f.st.GetAlert(ctx, id)
		if a.State != s.want {
			t.Errorf("%s: state %s, want %s", s.name, a.State, s.want)
		}
	}
	page, err := f.st.ListAudit(ctx, store.AuditFilter{ObjectType: "alert"})
	if err != nil || page.Total != 4 {
		t.Errorf("alert audit entries = %d, %v; want 4 (ack, assign, fp, reopen)", page.Total, err)
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for sev, days := range map[string]int{"critical": 7, "high": 30, "medium": 90, "low": 180} {
		got, want := f.svc.Deadline(sev, created), created.AddDate(0, 0, days)
		if !got.Equal(want) {
			t.Errorf("Deadline(%s) = %v, want %v", sev, got, want)
		}
	}
	_, err := triage.New(triage.Config{Store: f.st, Audit: audit.New(f.st, nil),
		Deadlines: map[string]time.Duration{"critical": time.Hour}})
	if err == nil {
		t.Errorf("New with a partial deadline table: no error")
	}
}
