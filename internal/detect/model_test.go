package detect_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/triage"
)

// fakeModels raises one alert for each event of kind "odd", all of one
// group.
type fakeModels struct{}

func (fakeModels) Observe(events []*event.Event, ids []int64) []detect.ModelAlert {
	var out []detect.ModelAlert
	for i, e := range events {
		if e.Fields["kind"] != "odd" {
			continue
		}
		out = append(out, detect.ModelAlert{
			Alert: &detect.Alert{RuleID: "anomaly.test", RuleTitle: "Odd event", Level: "medium",
				EventIDs: []int64{ids[i]}, EventTime: e.Time, GroupKey: `{"k":"odd"}`,
				Group:       map[string]string{"k": "odd"},
				Explanation: &detect.Explanation{Model: "test", Baseline: 1, Observed: 9, Score: 4}},
			Window: time.Hour, Event: e,
		})
	}
	return out
}

// TestIngestModels follows model alerts through Ingest and
// RaiseModelAlerts: stored with their explanation, folded, audited.
func TestIngestModels(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	tri, err := triage.New(triage.Config{Store: st, Audit: audit.New(st, nil)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := detect.NewPipeline(detect.Config{
		Events: st, Alerts: st, Incidents: st, Rules: rules, Models: fakeModels{},
		Audit: audit.New(st, nil), Suppressor: tri,
		Now: func() time.Time { return clockTime },
	})
	if err != nil {
		t.Fatalf("NewPipeline: %v", err)
	}
	ctx := context.Background()
	res, err := p.Ingest(ctx, events("medium", "odd"))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if len(res.Alerts) != 2 || res.Alerts[1].RuleID != "anomaly.test" {
		t.Fatalf("alerts %+v, want the rule's then the model's", res.Alerts)
	}
	stored, err := st.GetAlert(ctx, res.Alerts[1].ID)
	if err != nil {
		t.Fatalf("GetAlert: %v", err)
	}
	if x := stored.Explanation; x == nil || x.Model != "test" || x.Observed != 9 ||
		len(stored.EventIDs) != 1 || stored.EventIDs[0] != res.EventIDs[1] {
		t.Errorf("stored model alert %+v, explanation %+v", stored, stored.Explanation)
	}

	// The same group again within its window is a repeat.
	res, err = p.Ingest(ctx, events("odd"))
	if err != nil || res.Repeats != 1 || len(res.Alerts) != 0 {
		t.Errorf("second odd event: %+v, %v; want one repeat", res, err)
	}

	// An alert without an event, raised outside Ingest.
	silent := detect.ModelAlert{Alert: &detect.Alert{RuleID: "anomaly.silence",
		RuleTitle: "Silent", Level: "medium", EventTime: eventTime,
		Explanation: &detect.Explanation{Model: "rate_silence", Baseline: 40}}}
	out := p.RaiseModelAlerts(ctx, []detect.ModelAlert{silent})
	if len(out.Alerts) != 1 || out.Alerts[0].ID == 0 || len(out.Incidents) != 0 {
		t.Fatalf("RaiseModelAlerts: %+v", out)
	}

	page, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var details map[string]any
	if err := json.Unmarshal(page.Items[0].Details, &details); err != nil ||
		page.Items[0].Action != audit.AlertRaised || details["model"] != "rate_silence" {
		t.Errorf("latest audit entry %+v %v", page.Items[0], details)
	}
}
