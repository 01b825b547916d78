package detect_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
)

func watchRule(t *testing.T) *sigma.Rule {
	t.Helper()
	rules, diags := sigma.Parse([]byte(`title: Watch beacon
id: 0b7d1d3e-2222-4333-8444-955566667777
logsource:
  product: watchtest
detection:
  sel:
    kind: beacon
  condition: sel
level: critical
`), "watch.yml", sigma.Options{})
	if len(diags) > 0 || len(rules) != 1 {
		t.Fatalf("parse watch rule: %v", diags)
	}
	return rules[0]
}

// watchEvents are events of the watchtest product, one per kind.
func watchEvents(kinds ...string) []*event.Event {
	es := events(kinds...)
	for _, e := range es {
		e.Fields["logsource"] = map[string]any{"product": "watchtest"}
	}
	return es
}

func TestExtraRulesExpire(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	inc := &incident.Incident{Title: "x", Severity: incident.SeverityHigh,
		Status: incident.StatusOpen, Phase: incident.PhaseDetected}
	if err := st.CreateIncident(t.Context(), inc); err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(clockTime.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	x := detect.NewExtraRules(clock)
	x.Add(1, watchRule(t), inc.ID, clockTime.Add(time.Hour))
	p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
		Rules: fakeRules{}, Extra: x, Now: clock})
	if err != nil {
		t.Fatal(err)
	}

	res, err := p.Ingest(t.Context(), watchEvents("beacon", "other"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != 1 || len(res.Incidents) != 0 {
		t.Fatalf("got %d alerts, %d incidents; want 1 alert joining incident %d",
			len(res.Alerts), len(res.Incidents), inc.ID)
	}
	a := res.Alerts[0]
	if a.IncidentID != inc.ID || !slices.Contains(a.Tags, detect.IncidentTag(inc.ID)) {
		t.Errorf("alert incident %d tags %v, want incident %d and its tag", a.IncidentID, a.Tags,
			inc.ID)
	}
	page, err := st.ListAlerts(t.Context(), store.AlertFilter{IncidentID: inc.ID})
	if err != nil || page.Total != 1 {
		t.Errorf("alerts of the incident: %d, %v; want 1", page.Total, err)
	}

	now.Store(clockTime.Add(time.Hour).UnixNano())
	res, err = p.Ingest(t.Context(), watchEvents("beacon"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != 0 || x.Len() != 0 {
		t.Errorf("after expiry: %d alerts, %d rules held; want none", len(res.Alerts), x.Len())
	}
}

func TestExtraRulesConcurrent(t *testing.T) {
	t.Parallel()
	x := detect.NewExtraRules(nil)
	r := watchRule(t)
	e := watchEvents("beacon")[0]
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				key := int64(i*1000 + j)
				x.Add(key, r, 1, time.Now().Add(time.Hour))
				x.Match(e, func(*sigma.Rule, int64) {})
				x.Remove(key)
			}
		})
	}
	wg.Wait()
	if x.Len() != 0 {
		t.Errorf("Len = %d after every Remove, want 0", x.Len())
	}
}
