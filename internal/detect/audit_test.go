package detect_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// TestIngestAudit checks that stored alerts and incidents are recorded in
// the audit trail, with the actor of the context, and that the chain holds.
func TestIngestAudit(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	p, err := detect.NewPipeline(detect.Config{
		Events: st, Alerts: st, Incidents: st, Rules: rules,
		Audit: audit.New(st, nil), Tx: store.View[detect.Tx]{Store: st},
	})
	if err != nil {
		t.Fatalf("NewPipeline: %v", err)
	}
	ctx := audit.WithActor(context.Background(), audit.TokenActor("ci"))
	res, err := p.Ingest(ctx, events("high", "medium", "benign"))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if len(res.Alerts) != 2 || len(res.Incidents) != 1 {
		t.Fatalf("Ingest raised %d alerts and %d incidents, want 2 and 1", len(res.Alerts),
			len(res.Incidents))
	}
	// A second batch from files: the system acts.
	if _, err := p.Ingest(context.Background(), events("medium")); err != nil {
		t.Fatalf("Ingest: %v", err)
	}

	type summary struct {
		Action audit.Action
		Actor  string
		Object string
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	want := []summary{
		{audit.AlertRaised, "token:ci", "alert " + id(res.Alerts[0].ID)},
		{audit.AlertRaised, "token:ci", "alert " + id(res.Alerts[1].ID)},
		{audit.IncidentOpened, "token:ci", "incident " + id(res.Incidents[0].ID)},
		{audit.AlertRaised, "system", "alert " + id(res.Alerts[1].ID+1)},
	}
	page, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var got []summary
	for i := len(page.Items) - 1; i >= 0; i-- {
		e := page.Items[i]
		got = append(got, summary{e.Action, e.Actor, e.ObjectType + " " + e.ObjectID})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit entries (-want +got):\n%s", diff)
	}
	if _, err := audit.VerifyChain(ctx, st); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
}
