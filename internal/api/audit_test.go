package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

type auditPage struct {
	Items []struct {
		Seq        int64           `json:"seq"`
		Actor      string          `json:"actor"`
		Action     string          `json:"action"`
		Code       string          `json:"code"`
		ObjectType string          `json:"object_type"`
		ObjectID   string          `json:"object_id"`
		Details    json.RawMessage `json:"details"`
		PrevHash   string          `json:"prev_hash"`
		Hash       string          `json:"hash"`
	} `json:"items"`
	Next  string `json:"next"`
	Total int64  `json:"total"`
}

// TestListAudit posts events with a token, then reads what the pipeline
// recorded, as that token, through GET /api/v1/audit.
func TestListAudit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(cfg *api.Config) {
		p, err := detect.NewPipeline(detect.Config{Events: cfg.Store, Alerts: cfg.Store,
			Incidents: cfg.Store, Rules: kindRules{}, Audit: audit.New(cfg.Store, nil),
			Tx: store.View[detect.Tx]{Store: cfg.Store}})
		if err != nil {
			t.Fatalf("NewPipeline: %v", err)
		}
		cfg.Pipeline = p
	})
	body := strings.Repeat("{\"kind\":\"high\"}\n", 2) + "{\"kind\":\"medium\"}\n"
	if status, res := f.post(t, body); status != 200 || res.Alerts != 3 {
		t.Fatalf("post: status %d, %+v", status, res)
	}

	var page auditPage
	f.getJSON(t, "/api/v1/audit", &page)
	var got []string
	for _, e := range page.Items {
		got = append(got, e.Code+" "+e.Action+" "+e.ObjectType+" by "+e.Actor)
		if len(e.Hash) != 64 || len(e.PrevHash) != 64 {
			t.Errorf("entry %d: hash %q prev_hash %q, want hex SHA-256", e.Seq, e.Hash, e.PrevHash)
		}
	}
	want := []string{
		"I001 incident.opened incident by token:good",
		"A001 alert.raised alert by token:good",
		"A001 alert.raised alert by token:good",
		"A001 alert.raised alert by token:good",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /api/v1/audit (-want +got):\n%s", diff)
	}
	if page.Total != 4 || page.Items[0].Seq != 4 || page.Items[1].Hash != page.Items[0].PrevHash {
		t.Errorf("page total %d, first seq %d, not chained", page.Total, page.Items[0].Seq)
	}

	tests := []struct {
		query string
		total int64
	}{
		{"action=incident.opened", 1},
		{"action=alert.raised&limit=1", 3},
		{"object_type=alert&object_id=" + page.Items[1].ObjectID, 1},
		{"since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z", 0},
	}
	for _, tt := range tests {
		var p auditPage
		f.getJSON(t, "/api/v1/audit?"+tt.query, &p)
		if p.Total != tt.total {
			t.Errorf("GET /api/v1/audit?%s: total %d, want %d", tt.query, p.Total, tt.total)
		}
	}

	// Paging by one gives each entry once.
	seen := map[int64]bool{}
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		var p auditPage
		f.getJSON(t, "/api/v1/audit?limit=1&cursor="+cursor, &p)
		for _, e := range p.Items {
			seen[e.Seq] = true
		}
		cursor = p.Next
	}
	if len(seen) != 4 {
		t.Errorf("paged through %d entries, want 4", len(seen))
	}

	for _, q := range []string{"actor=x", "cursor=bad", "since=yesterday"} {
		if status, _, _ := f.do(t, "GET", "/api/v1/audit?"+q, nil); status != 400 {
			t.Errorf("GET /api/v1/audit?%s: status %d, want 400", q, status)
		}
	}
	if status, _, _ := f.do(t, "GET", "/api/v1/audit", nil, "Authorization", ""); status != 401 {
		t.Errorf("GET /api/v1/audit without a token: status %d, want 401", status)
	}
}
