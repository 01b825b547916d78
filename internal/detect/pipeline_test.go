package detect_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// fakeRules fires the rules listed under an event's "kind" field.
type fakeRules map[string][]*sigma.Rule

func (f fakeRules) Match(e *event.Event, fn func(r *sigma.Rule)) {
	kind, _ := e.Fields["kind"].(string)
	for _, r := range f[kind] {
		fn(r)
	}
}

var (
	ruleMedium = &sigma.Rule{ID: "r-medium", Title: "Medium thing", Level: "medium",
		Tags: []string{"attack.t1059"}}
	ruleHigh = &sigma.Rule{ID: "r-high", Title: "LSASS dump", Level: "high",
		Tags: []string{"attack.credential-access", "attack.t1003.001"}}
	ruleCrit = &sigma.Rule{ID: "r-crit", Title: "Ransomware", Level: "critical"}
	rules    = fakeRules{
		"benign": nil,
		"medium": {ruleMedium},
		"high":   {ruleHigh},
		"both":   {ruleHigh, ruleCrit},
	}
)

var (
	eventTime = time.Date(2020, 10, 18, 7, 49, 39, 0, time.UTC)
	clockTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func events(kinds ...string) []*event.Event {
	var es []*event.Event
	for i, k := range kinds {
		es = append(es, &event.Event{
			Time:   eventTime.Add(time.Duration(i) * time.Second),
			Fields: map[string]any{"kind": k},
			Source: event.Source{Line: i + 1},
		})
	}
	return es
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newPipeline(t *testing.T, st store.Store, r detect.Rules,
	reg prometheus.Registerer) *detect.Pipeline {
	t.Helper()
	p, err := detect.NewPipeline(detect.Config{
		Events: st, Alerts: st, Incidents: st,
		Rules:      r,
		Now:        func() time.Time { return clockTime },
		Registerer: reg,
	})
	if err != nil {
		t.Fatalf("NewPipeline: %v", err)
	}
	return p
}

// alertSummary is what a test checks of an alert.
type alertSummary struct {
	RuleID    string
	Level     string
	EventTime time.Time
	Incident  bool
}

func TestIngest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rules     detect.Rules
		kinds     []string
		alerts    []alertSummary
		incidents []incident.Incident // ID, Number and AlertIDs not compared
		incAlerts []int               // alerts linked to each incident
	}{
		{
			name:  "no rules",
			kinds: []string{"high", "benign"},
		},
		{
			name:  "nothing fires",
			rules: rules,
			kinds: []string{"benign", "benign"},
		},
		{
			name:   "medium raises an alert but no incident",
			rules:  rules,
			kinds:  []string{"benign", "medium"},
			alerts: []alertSummary{{"r-medium", "medium", eventTime.Add(time.Second), false}},
		},
		{
			name:  "repeated high alerts share one incident",
			rules: rules,
			kinds: []string{"high", "benign", "high", "high"},
			alerts: []alertSummary{
				{"r-high", "high", eventTime, true},
				{"r-high", "high", eventTime.Add(2 * time.Second), true},
				{"r-high", "high", eventTime.Add(3 * time.Second), true},
			},
			incidents: []incident.Incident{{
				Title: "LSASS dump", Severity: "high", Status: "open", Phase: "detected",
				Opened: clockTime, Updated: clockTime,
			}},
			incAlerts: []int{3},
		},
		{
			name:  "one incident per rule",
			rules: rules,
			kinds: []string{"both", "medium", "high"},
			alerts: []alertSummary{
				{"r-high", "high", eventTime, true},
				{"r-crit", "critical", eventTime, true},
				{"r-medium", "medium", eventTime.Add(time.Second), false},
				{"r-high", "high", eventTime.Add(2 * time.Second), true},
			},
			incidents: []incident.Incident{
				{Title: "LSASS dump", Severity: "high", Status: "open", Phase: "detected",
					Opened: clockTime, Updated: clockTime},
				{Title: "Ransomware", Severity: "critical", Status: "open", Phase: "detected",
					Opened: clockTime, Updated: clockTime},
			},
			incAlerts: []int{2, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := openStore(t)
			p := newPipeline(t, st, tt.rules, nil)

			res, err := p.Ingest(ctx, events(tt.kinds...))
			if err != nil {
				t.Fatalf("Ingest: %v", err)
			}
			if got, want := len(res.EventIDs), len(tt.kinds); got != want {
				t.Errorf("got %d event IDs, want %d", got, want)
			}
			n, err := st.CountEvents(ctx)
			if err != nil || n != int64(len(tt.kinds)) {
				t.Errorf("CountEvents = %d, %v; want %d", n, err, len(tt.kinds))
			}

			var got []alertSummary
			for _, a := range res.Alerts {
				if a.ID == 0 {
					t.Errorf("alert %s has no ID", a.RuleID)
				}
				got = append(got, alertSummary{a.RuleID, a.Level, a.EventTime, a.IncidentID != 0})
			}
			if diff := cmp.Diff(tt.alerts, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}

			var gotInc []incident.Incident
			var gotLinks []int
			for _, inc := range res.Incidents {
				stored, err := st.GetIncident(ctx, inc.ID)
				if err != nil {
					t.Fatalf("GetIncident(%d): %v", inc.ID, err)
				}
				gotLinks = append(gotLinks, len(stored.AlertIDs))
				c := *stored
				c.ID, c.Number, c.AlertIDs = 0, "", nil
				gotInc = append(gotInc, c)
			}
			if diff := cmp.Diff(tt.incidents, gotInc); diff != "" {
				t.Errorf("incidents (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.incAlerts, gotLinks); diff != "" {
				t.Errorf("alerts per incident (-want +got):\n%s", diff)
			}

			page, err := st.ListAlerts(ctx, store.AlertFilter{})
			if err != nil {
				t.Fatalf("ListAlerts: %v", err)
			}
			if got, want := page.Total, int64(len(tt.alerts)); got != want {
				t.Errorf("stored alerts = %d, want %d", got, want)
			}
			for _, a := range page.Items {
				_, opens := incident.SeverityFromLevel(a.Level)
				if opens != (a.IncidentID != 0) {
					t.Errorf("stored alert %d (%s): incident %d", a.ID, a.Level, a.IncidentID)
				}
			}
		})
	}
}

func TestIngestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	p := newPipeline(t, openStore(t), rules, reg)
	_, err := p.Ingest(context.Background(), events("both", "medium", "high", "benign"))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			switch {
			case m.Counter != nil:
				got[name] = m.GetCounter().GetValue()
			case m.Histogram != nil:
				got[name+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	want := map[string]float64{
		"vigil_events_ingested_total":               4,
		"vigil_alerts_total{level=critical}":        1,
		"vigil_alerts_total{level=high}":            2,
		"vigil_alerts_total{level=medium}":          1,
		"vigil_incidents_opened_total":              2,
		"vigil_detect_errors_total":                 0,
		"vigil_detect_match_duration_seconds_count": 4,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}

	// The same names cannot be registered twice.
	if _, err := detect.NewPipeline(detect.Config{
		Events: openStore(t), Alerts: openStore(t), Incidents: openStore(t), Registerer: reg,
	}); err == nil {
		t.Error("NewPipeline registered the metrics twice without an error")
	}
}

// failingStore fails the chosen operations.
type failingStore struct {
	store.Store
	events, alerts, incidents bool
}

var errBroken = errors.New("disk on fire")

func (f failingStore) InsertEvents(ctx context.Context, es []*event.Event) ([]int64, error) {
	if f.events {
		return nil, errBroken
	}
	return f.Store.InsertEvents(ctx, es)
}

func (f failingStore) InsertAlert(ctx context.Context, a *detect.Alert) error {
	if f.alerts {
		return errBroken
	}
	return f.Store.InsertAlert(ctx, a)
}

func (f failingStore) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	if f.incidents {
		return errBroken
	}
	return f.Store.CreateIncident(ctx, inc)
}

func TestIngestStoreFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fail       failingStore
		wantErr    bool
		wantEvents int
		alerts     int
		incidents  int
	}{
		{"events", failingStore{events: true}, true, 0, 0, 0},
		{"alerts", failingStore{alerts: true}, false, 2, 0, 0},
		{"incidents", failingStore{incidents: true}, false, 2, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t)
			fs := tt.fail
			fs.Store = st
			p := newPipeline(t, fs, rules, nil)

			res, err := p.Ingest(context.Background(), events("high", "high"))
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Ingest error = %v, want error %t", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errBroken) {
				t.Errorf("Ingest error %v does not wrap the cause", err)
			}
			if len(res.EventIDs) != tt.wantEvents || len(res.Alerts) != tt.alerts ||
				len(res.Incidents) != tt.incidents {
				t.Errorf("got %d events, %d alerts, %d incidents; want %d, %d, %d",
					len(res.EventIDs), len(res.Alerts), len(res.Incidents),
					tt.wantEvents, tt.alerts, tt.incidents)
			}
		})
	}
}

func TestIngestCancelledAfterStore(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel once the events are stored: detection must still run.
	p := newPipeline(t, cancelAfterEvents{Store: st, cancel: cancel}, rules, nil)
	res, err := p.Ingest(ctx, events("high"))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if len(res.Alerts) != 1 || len(res.Incidents) != 1 {
		t.Errorf("got %d alerts and %d incidents, want 1 and 1",
			len(res.Alerts), len(res.Incidents))
	}
}

type cancelAfterEvents struct {
	store.Store
	cancel context.CancelFunc
}

func (c cancelAfterEvents) InsertEvents(ctx context.Context, es []*event.Event) ([]int64, error) {
	ids, err := c.Store.InsertEvents(ctx, es)
	c.cancel()
	return ids, err
}

func TestNewPipelineRequires(t *testing.T) {
	t.Parallel()
	if _, err := detect.NewPipeline(detect.Config{}); err == nil {
		t.Error("NewPipeline with no stores: no error")
	}
}
