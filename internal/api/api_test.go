package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

const (
	goodToken    = "vgl_test-good-token-0123456789abcdef"
	expiredToken = "vgl_test-expired-token-0123456789abc"
)

// kindRules fires a rule of the level named by an event's "kind" field.
type kindRules struct{}

var testRules = map[string]*sigma.Rule{
	"medium": {ID: "rule-medium", Title: "Medium thing", Level: "medium"},
	"high": {ID: "rule-high", Title: "LSASS dump", Level: "high",
		Tags: []string{"attack.t1003.001"}},
}

func (kindRules) Match(e *event.Event, fn func(r *sigma.Rule)) {
	kind, _ := e.Fields["kind"].(string)
	if r := testRules[kind]; r != nil {
		fn(r)
	}
}

// fixture is an API server over a fresh SQLite store.
type fixture struct {
	srv *httptest.Server
	st  *sqlite.Store
	log *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newFixture(t *testing.T, edit func(*api.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	for _, tok := range []store.Token{
		{Name: "good", Hash: auth.HashToken(goodToken), Role: "admin"},
		{Name: "expired", Hash: auth.HashToken(expiredToken), Role: "admin",
			Expires: time.Now().Add(-time.Hour)},
	} {
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatalf("create token: %v", err)
		}
	}

	reg := prometheus.NewRegistry()
	p, err := detect.NewPipeline(detect.Config{
		Events: st, Alerts: st, Incidents: st, Rules: kindRules{}, Registerer: reg,
	})
	if err != nil {
		t.Fatalf("NewPipeline: %v", err)
	}
	logs := &syncBuffer{}
	cfg := api.Config{
		Store:    st,
		Pipeline: p,
		Logger: slog.New(slog.NewTextHandler(logs,
			&slog.HandlerOptions{Level: slog.LevelDebug})),
		Gatherer:   reg,
		Registerer: reg,
		Version:    "test",
	}
	if edit != nil {
		edit(&cfg)
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	srv := httptest.NewServer(api.RecordResponses(h))
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, st: st, log: logs}
}

// do sends a request with the good token unless headers say otherwise, and
// returns the status, headers and body.
func (f *fixture) do(t *testing.T, method, path string, body io.Reader,
	headers ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+goodToken)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, b
}

// getJSON GETs path with the good token, wants status 200 and decodes into v.
func (f *fixture) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, _, body := f.do(t, "GET", path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: decode %s: %v", path, body, err)
	}
}

// post sends an NDJSON batch with the good token.
func (f *fixture) post(t *testing.T, body string) (int, ingestResult) {
	t.Helper()
	status, _, b := f.do(t, "POST", "/api/v1/events", strings.NewReader(body),
		"Content-Type", "application/x-ndjson")
	var res ingestResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("POST events: decode %s: %v", b, err)
	}
	return status, res
}

func (f *fixture) countEvents(t *testing.T) int64 {
	t.Helper()
	n, err := f.st.CountEvents(context.Background())
	if err != nil {
		t.Fatalf("CountEvents: %v", err)
	}
	return n
}

type ingestResult struct {
	Error     string     `json:"error"`
	Accepted  int        `json:"accepted"`
	Rejected  []rejected `json:"rejected"`
	Alerts    int        `json:"alerts"`
	Incidents []string   `json:"incidents"`
}

type rejected struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

type errorBody struct {
	Error string `json:"error"`
}

func decodeError(t *testing.T, body []byte) string {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("body %q is not a JSON error (%v)", body, err)
	}
	return e.Error
}

func TestAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/events"},
		{"GET", "/api/v1/alerts"},
		{"GET", "/api/v1/incidents"},
		{"GET", "/api/v1/incidents/1"},
		{"GET", "/metrics"},
	}
	creds := []struct {
		name       string
		header     string
		wantStatus int
		challenge  string
	}{
		{"missing", "", 401, `Bearer realm="vigil"`},
		{"other scheme", "Basic dXNlcjpwYXNz", 401, `Bearer realm="vigil"`},
		{"empty bearer", "Bearer ", 401, `Bearer realm="vigil"`},
		{"wrong", "Bearer vgl_wrong", 401, `Bearer realm="vigil", error="invalid_token"`},
		{"expired", "Bearer " + expiredToken, 401,
			`Bearer realm="vigil", error="invalid_token"`},
		{"too long", "Bearer vgl_" + strings.Repeat("x", 600), 401,
			`Bearer realm="vigil", error="invalid_token"`},
		{"good", "Bearer " + goodToken, 0, ""},
		{"good, lowercase scheme", "bearer " + goodToken, 0, ""},
	}
	for _, rt := range routes {
		for _, c := range creds {
			t.Run(rt.method+" "+rt.path+"/"+c.name, func(t *testing.T) {
				status, hdr, body := f.do(t, rt.method, rt.path, strings.NewReader(`{"a":1}`),
					"Authorization", c.header)
				if c.wantStatus == 0 {
					if status == http.StatusUnauthorized {
						t.Errorf("status 401 with a good token: %s", body)
					}
					return
				}
				if status != c.wantStatus {
					t.Fatalf("status %d, want %d; body %s", status, c.wantStatus, body)
				}
				if got := hdr.Get("WWW-Authenticate"); got != c.challenge {
					t.Errorf("WWW-Authenticate %q, want %q", got, c.challenge)
				}
				decodeError(t, body)
			})
		}
	}
}

func TestPublicRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/openapi.json"} {
		status, hdr, body := f.do(t, "GET", path, nil, "Authorization", "")
		if status != http.StatusOK {
			t.Errorf("GET %s: status %d, body %s", path, status, body)
		}
		if got := hdr.Get("X-Vigil-Version"); got != "test" {
			t.Errorf("GET %s: X-Vigil-Version %q, want test", path, got)
		}
	}
	status, _, body := f.do(t, "GET", "/healthz", nil)
	if status != 200 || string(body) != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", status, body)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		public bool
		header string
		want   int
	}{
		{"token needed", false, "", 401},
		{"with token", false, "Bearer " + goodToken, 200},
		{"public", true, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *api.Config) { c.MetricsPublic = tt.public })
			f.post(t, `{"kind":"high"}`)
			status, _, body := f.do(t, "GET", "/metrics", nil, "Authorization", tt.header)
			if status != tt.want {
				t.Fatalf("status %d, want %d", status, tt.want)
			}
			if status != 200 {
				return
			}
			for _, name := range []string{
				"vigil_events_ingested_total 1",
				`vigil_alerts_total{level="high"} 1`,
				`vigil_http_requests_total{code="200",route="POST /api/v1/events"} 1`,
			} {
				if !strings.Contains(string(body), name) {
					t.Errorf("metrics lack %q", name)
				}
			}
		})
	}
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPostEvents(t *testing.T) {
	t.Parallel()
	const limit = 4096
	longLine := `{"kind":"benign","pad":"` + strings.Repeat("a", 2048) + `"}`
	tests := []struct {
		name     string
		body     string
		headers  []string
		status   int
		want     ingestResult // reasons are not compared, only that they exist
		wantErr  string       // substring of the error message
		stored   int64
		maxLine  int
		maxBytes int64
	}{
		{
			name:   "ndjson",
			body:   "{\"kind\":\"benign\"}\n{\"kind\":\"medium\"}\n\n{\"kind\":\"high\"}\n",
			status: 200,
			want:   ingestResult{Accepted: 3, Alerts: 2, Incidents: []string{"INC-"}},
			stored: 3,
		},
		{
			name:    "json array without content type",
			body:    `[{"kind":"benign"}, {"kind":"high"}, {"kind":"high"}]`,
			headers: []string{"Content-Type", ""},
			status:  200,
			want:    ingestResult{Accepted: 3, Alerts: 2, Incidents: []string{"INC-"}},
			stored:  3,
		},
		{
			name:    "json array as application/json",
			body:    "[\n{\"kind\":\"benign\"},\n{\"kind\":\"medium\"}\n]",
			headers: []string{"Content-Type", "application/json; charset=utf-8"},
			status:  200,
			want:    ingestResult{Accepted: 2, Alerts: 1},
			stored:  2,
		},
		{
			name:   "good and bad lines",
			body:   "{\"kind\":\"benign\"}\n{not json\n{\"kind\":\"medium\"}\n[1,2]\n{\"kind\":",
			status: 200,
			want: ingestResult{Accepted: 2, Alerts: 1,
				Rejected: []rejected{{Line: 2}, {Line: 4}, {Line: 5}}},
			stored: 2,
		},
		{
			name:    "nothing good",
			body:    "{\"kind\":\"benign\"\n{nope}\n",
			status:  400,
			want:    ingestResult{Rejected: []rejected{{Line: 1}, {Line: 2}}},
			wantErr: "no event accepted",
		},
		{
			name:    "empty body",
			body:    "\n\n",
			status:  400,
			wantErr: "no event",
		},
		{
			name:    "gzip",
			body:    gzipped(t, "{\"kind\":\"high\"}\n{\"kind\":\"benign\"}\n"),
			headers: []string{"Content-Encoding", "gzip"},
			status:  200,
			want:    ingestResult{Accepted: 2, Alerts: 1, Incidents: []string{"INC-"}},
			stored:  2,
		},
		{
			name:    "bad gzip",
			body:    "{\"kind\":\"high\"}\n",
			headers: []string{"Content-Encoding", "gzip"},
			status:  400,
			wantErr: "gzip",
		},
		{
			name:    "unsupported content type",
			body:    "{\"kind\":\"high\"}\n",
			headers: []string{"Content-Type", "application/x-www-form-urlencoded"},
			status:  415,
			wantErr: "Content-Type",
		},
		{
			name:    "unsupported encoding",
			body:    "{\"kind\":\"high\"}\n",
			headers: []string{"Content-Encoding", "br"},
			status:  415,
			wantErr: "Content-Encoding",
		},
		{
			name:     "body over the limit",
			body:     strings.Repeat("{\"kind\":\"benign\"}\n", 2*limit/18),
			status:   413,
			wantErr:  "request body exceeds the limit of 4096 bytes",
			maxBytes: limit,
		},
		{
			name: "gzip body over the limit once decoded",
			body: gzipped(t, strings.Repeat("{\"kind\":\"benign\"}\n", 2*limit/18)),
			headers: []string{
				"Content-Encoding", "gzip",
			},
			status:   413,
			wantErr:  "request body exceeds the limit",
			maxBytes: limit,
		},
		{
			name: "array element over the limit",
			body: "[\n{\"kind\":\"high\"},\n" + longLine + ",\n{\"kind\":\"high\"}\n]",
			headers: []string{
				"Content-Type", "application/json",
			},
			status:   413,
			wantErr:  "the record at line 3 exceeds the limit of 1024 bytes",
			maxLine:  1024,
			maxBytes: limit,
		},
		{
			name:     "line over the limit",
			body:     "{\"kind\":\"high\"}\n" + longLine + "\n{\"kind\":\"high\"}\n",
			status:   413,
			wantErr:  "line 2 exceeds the limit of 1024 bytes",
			maxLine:  1024,
			maxBytes: limit,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *api.Config) {
				c.MaxLineBytes = tt.maxLine
				c.MaxBodyBytes = tt.maxBytes
			})
			headers := append([]string{"Content-Type", "application/x-ndjson"}, tt.headers...)
			status, _, body := f.do(t, "POST", "/api/v1/events", strings.NewReader(tt.body),
				headers...)
			if status != tt.status {
				t.Fatalf("status %d, want %d; body %s", status, tt.status, body)
			}
			if tt.wantErr != "" {
				if msg := decodeError(t, body); !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error %q does not contain %q", msg, tt.wantErr)
				}
			}
			if got := f.countEvents(t); got != tt.stored {
				t.Errorf("stored %d events, want %d", got, tt.stored)
			}
			if status != 200 && status != 400 {
				return
			}

			var got ingestResult
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("decode %s: %v", body, err)
			}
			if got.Rejected == nil || got.Incidents == nil {
				t.Errorf("rejected or incidents is null in %s", body)
			}
			for i, r := range got.Rejected {
				if r.Reason == "" {
					t.Errorf("rejected line %d has no reason", r.Line)
				}
				got.Rejected[i].Reason = ""
			}
			for i, n := range got.Incidents {
				if !strings.HasPrefix(n, "INC-") {
					t.Errorf("incident number %q", n)
				}
				got.Incidents[i] = "INC-"
			}
			got.Error = ""
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

// alertPage and incidentPage decode the listings.
type alertPage struct {
	Items []detect.Alert `json:"items"`
	Next  string         `json:"next"`
	Total int64          `json:"total"`
}

type incidentPage struct {
	Items []struct {
		ID       int64   `json:"id"`
		Number   string  `json:"number"`
		Severity string  `json:"severity"`
		Status   string  `json:"status"`
		AlertIDs []int64 `json:"alert_ids"`
	} `json:"items"`
	Next  string `json:"next"`
	Total int64  `json:"total"`
}

func TestListAlertsPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := strings.Repeat("{\"kind\":\"high\"}\n", 7) +
		strings.Repeat("{\"kind\":\"medium\"}\n", 3)
	if status, res := f.post(t, body); status != 200 || res.Alerts != 10 {
		t.Fatalf("post: status %d, %+v", status, res)
	}

	seen := map[int64]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		var page alertPage
		f.getJSON(t, "/api/v1/alerts?limit=3&cursor="+cursor, &page)
		if page.Total != 10 {
			t.Errorf("total %d, want 10", page.Total)
		}
		for _, a := range page.Items {
			if seen[a.ID] {
				t.Errorf("alert %d on two pages", a.ID)
			}
			seen[a.ID] = true
			if len(a.Events) != 1 || len(a.EventIDs) != 1 {
				t.Errorf("alert %d: %d events, %d event IDs", a.ID, len(a.Events), len(a.EventIDs))
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(seen) != 10 {
		t.Errorf("paged through %d alerts, want 10", len(seen))
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.post(t, "{\"kind\":\"high\"}\n{\"kind\":\"medium\"}\n{\"kind\":\"medium\"}\n")
	f.post(t, "{\"kind\":\"high\"}\n")

	var incidents incidentPage
	f.getJSON(t, "/api/v1/incidents", &incidents)
	if incidents.Total != 2 {
		t.Fatalf("%d incidents, want 2", incidents.Total)
	}
	incID := incidents.Items[0].ID
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)

	tests := []struct {
		path  string
		total int64
	}{
		{"/api/v1/alerts", 4},
		{"/api/v1/alerts?level=medium", 2},
		{"/api/v1/alerts?level=critical", 0},
		{"/api/v1/alerts?rule_id=rule-high", 2},
		{"/api/v1/alerts?rule_id=rule-high&level=medium", 0},
		{"/api/v1/alerts?incident_id=" + itoa(incID), 1},
		{"/api/v1/alerts?since=" + past, 4},
		{"/api/v1/alerts?since=" + future, 0},
		{"/api/v1/alerts?until=" + past, 0},
		{"/api/v1/alerts?since=" + past + "&until=" + future, 4},
		{"/api/v1/incidents?status=open", 2},
		{"/api/v1/incidents?status=closed", 0},
		{"/api/v1/incidents?severity=high", 2},
		{"/api/v1/incidents?severity=critical", 0},
		{"/api/v1/incidents?since=" + future, 0},
		{"/api/v1/incidents?until=" + future + "&limit=1", 2},
	}
	for _, tt := range tests {
		var page struct {
			Items []json.RawMessage `json:"items"`
			Total int64             `json:"total"`
		}
		f.getJSON(t, tt.path, &page)
		if page.Total != tt.total {
			t.Errorf("GET %s: total %d, want %d", tt.path, page.Total, tt.total)
		}
		if page.Items == nil {
			t.Errorf("GET %s: items is null", tt.path)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestBadParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct {
		path   string
		status int
		want   string // substring of the error
	}{
		{"/api/v1/alerts?level=severe", 400, `"level"`},
		{"/api/v1/alerts?limit=0", 400, `"limit"`},
		{"/api/v1/alerts?limit=1001", 400, `"limit"`},
		{"/api/v1/alerts?limit=ten", 400, `"limit"`},
		{"/api/v1/alerts?since=yesterday", 400, `"since"`},
		{"/api/v1/alerts?until=2026-01-01", 400, `"until"`},
		{"/api/v1/alerts?incident_id=-1", 400, `"incident_id"`},
		{"/api/v1/alerts?incident_id=x", 400, `"incident_id"`},
		{"/api/v1/alerts?cursor=bogus", 400, `"cursor"`},
		{"/api/v1/alerts?levle=high", 400, `"levle"`},
		{"/api/v1/alerts?level=high&level=low", 400, `"level"`},
		{"/api/v1/alerts?a=%zz", 400, "query string"},
		{"/api/v1/incidents?status=pending", 400, `"status"`},
		{"/api/v1/incidents?severity=informational", 400, `"severity"`},
		{"/api/v1/incidents?rule_id=x", 400, `"rule_id"`},
		{"/api/v1/incidents?cursor=MTIzYQ", 400, `"cursor"`},
		{"/api/v1/incidents/abc", 400, `"id"`},
		{"/api/v1/incidents/0", 400, `"id"`},
		{"/api/v1/incidents/1?x=1", 400, `"x"`},
		{"/api/v1/incidents/999", 404, "not found"},
		{"/api/v1/nothing", 404, "no such route"},
		{"/nothing", 404, "no such route"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, _, body := f.do(t, "GET", tt.path, nil)
			if status != tt.status {
				t.Fatalf("status %d, want %d; body %s", status, tt.status, body)
			}
			if msg := decodeError(t, body); !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not name %s", msg, tt.want)
			}
		})
	}
}

func TestGetIncident(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, res := f.post(t, "{\"kind\":\"high\"}\n{\"kind\":\"high\"}\n")
	if len(res.Incidents) != 1 {
		t.Fatalf("incidents %v, want one", res.Incidents)
	}
	var list incidentPage
	f.getJSON(t, "/api/v1/incidents", &list)
	var inc struct {
		ID       int64   `json:"id"`
		Number   string  `json:"number"`
		Title    string  `json:"title"`
		Severity string  `json:"severity"`
		Status   string  `json:"status"`
		Phase    string  `json:"phase"`
		AlertIDs []int64 `json:"alert_ids"`
	}
	f.getJSON(t, "/api/v1/incidents/"+itoa(list.Items[0].ID), &inc)
	if inc.Number != res.Incidents[0] || inc.Title != "LSASS dump" || inc.Severity != "high" ||
		inc.Status != "open" || inc.Phase != "detected" || len(inc.AlertIDs) != 2 {
		t.Errorf("incident %+v, want %s, LSASS dump, high, open, detected, 2 alerts",
			inc, res.Incidents[0])
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct {
		method, path, allow string
	}{
		{"DELETE", "/api/v1/alerts", "GET, HEAD"},
		{"GET", "/api/v1/events", "POST"},
		{"POST", "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		status, hdr, body := f.do(t, tt.method, tt.path, nil)
		if status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: status %d, want 405", tt.method, tt.path, status)
			continue
		}
		if got := hdr.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
		decodeError(t, body)
	}
}

// closedPinger fails Ping, as a store that went away.
type closedPinger struct{ store.Store }

func (closedPinger) Ping(context.Context) error { return context.DeadlineExceeded }

func TestReadyz(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *api.Config) { c.Store = closedPinger{c.Store} })
	status, _, body := f.do(t, "GET", "/readyz", nil)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", status)
	}
	decodeError(t, body)
}

// panicky panics on every ingest.
type panicky struct{}

func (panicky) Ingest(context.Context, []*event.Event) (detect.Result, error) {
	panic("boom")
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *api.Config) { c.Pipeline = panicky{} })
	status, _, body := f.do(t, "POST", "/api/v1/events", strings.NewReader(`{"a":1}`))
	if status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", status)
	}
	decodeError(t, body)
	if logs := f.log.String(); !strings.Contains(logs, "handler panic") ||
		!strings.Contains(logs, "boom") {
		t.Errorf("panic not logged:\n%s", logs)
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.post(t, `{"kind":"benign","password":"hunter2-in-body"}`)
	logs := f.log.String()
	for _, want := range []string{
		`msg="http request" method=POST path=/api/v1/events status=200 duration_ms=`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{goodToken, "hunter2", "Authorization", "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	st := closedPinger{}
	p := panicky{}
	tests := []struct {
		name string
		cfg  api.Config
	}{
		{"no store", api.Config{Pipeline: p}},
		{"no pipeline", api.Config{Store: st}},
		{"negative body limit", api.Config{Store: st, Pipeline: p, MaxBodyBytes: -1}},
		{"line over body", api.Config{Store: st, Pipeline: p, MaxBodyBytes: 10, MaxLineBytes: 20}},
	}
	for _, tt := range tests {
		if _, err := api.New(tt.cfg); err == nil {
			t.Errorf("%s: New gave no error", tt.name)
		}
	}
}

// TestUnreadBodyDoesNotHold checks that an answer given without reading the
// body goes out at once: a client announcing a body it never sends must not
// hold the connection, with or without a token.
func TestUnreadBodyDoesNotHold(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct {
		name    string
		headers string
		want    string
	}{
		{"no token", "", "401"},
		{"bad token", "Authorization: Bearer vgl_wrong\r\n", "401"},
		{"unsupported content type", "Authorization: Bearer " + goodToken +
			"\r\nContent-Type: text/csv\r\n", "415"},
		{"unsupported content encoding", "Authorization: Bearer " + goodToken +
			"\r\nContent-Encoding: br\r\n", "415"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", f.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// 1,000 bytes announced, none sent.
			req := "POST /api/v1/events HTTP/1.1\r\nHost: vigil\r\n" + tt.headers +
				"Content-Length: 1000\r\n\r\n"
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer while the body is pending: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if got := strconv.Itoa(resp.StatusCode); got != tt.want {
				t.Errorf("status %s, want %s", got, tt.want)
			}
			if !resp.Close {
				t.Error("answer without Connection: close, with the body unread")
			}
			// The server lets go of the connection: it does not wait for the
			// body after answering either.
			if n, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
				t.Errorf("after the answer, Read = %d, %v; want the connection closed (EOF)",
					n, err)
			}
		})
	}
}
