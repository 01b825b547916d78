package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/corpustest"
	"github.com/vigilsec/vigil/internal/detect"
)

// replayStart is the first event time of the replay: far from the wall
// clock, so that the server's clock ticks leave the buckets to the events.
var replayStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// replayEvent is one event of the replay, as posted.
type replayEvent struct {
	Time    time.Time `json:"@timestamp"`
	Program string    `json:"program"`
	Host    string    `json:"host"`
	Message string    `json:"message"`
}

// loghubContent reads the Content column of a Loghub 2k system.
func loghubContent(t *testing.T, system string) []string {
	t.Helper()
	dir := corpustest.Path(t, "loghub-2k", system)
	f, err := os.Open(filepath.Join(dir, system+"_2k.log_structured.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "Content" {
			col = i
		}
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[col])
	}
	return out
}

// buildReplay lays the real OpenSSH log of a bastion (one message every 3 s,
// 100 minutes) beside the real Apache log of a web server (one message every
// 4 s) and injects three anomalies: the web server stops logging at minute
// 70, 400 failed root logins hit the bastion in minute 80, and sshd logs a
// message it never logged before at minute 85.
func buildReplay(t *testing.T) []replayEvent {
	ssh, web := loghubContent(t, "OpenSSH"), loghubContent(t, "Apache")
	var evs []replayEvent
	for i, msg := range ssh {
		evs = append(evs, replayEvent{replayStart.Add(time.Duration(i) * 3 * time.Second),
			"sshd", "LabSZ", msg})
	}
	for i := 0; i*4 < 70*60; i++ {
		evs = append(evs, replayEvent{replayStart.Add(time.Duration(i) * 4 * time.Second),
			"httpd", "web-01", web[i%len(web)]})
	}
	burst := replayStart.Add(80 * time.Minute)
	for i := range 400 {
		evs = append(evs, replayEvent{burst.Add(time.Duration(i) * 100 * time.Millisecond),
			"sshd", "LabSZ", fmt.Sprintf("Failed password for root from 10.66.6.%d port %d ssh2",
				i%200, 30000+i)})
	}
	evs = append(evs, replayEvent{replayStart.Add(85 * time.Minute), "sshd", "LabSZ",
		"Received signal 15; terminating."})
	sortReplay(evs)
	return evs
}

func sortReplay(evs []replayEvent) {
	// Stable, so that events of one instant keep their log order.
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].Time.Before(evs[j-1].Time); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// postReplay posts events as NDJSON in batches of 500, in order.
func (s *testServer) postReplay(t *testing.T, token string, evs []replayEvent) {
	t.Helper()
	for start := 0; start < len(evs); start += 500 {
		var b strings.Builder
		for _, e := range evs[start:min(start+500, len(evs))] {
			line, _ := json.Marshal(e)
			b.Write(line)
			b.WriteByte('\n')
		}
		req, err := http.NewRequest("POST", "http://"+s.addr+"/api/v1/events",
			strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST events: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST events: status %d", resp.StatusCode)
		}
	}
}

// modelAlerts returns the alerts of one model, read through the API.
func (s *testServer) modelAlerts(t *testing.T, token, model string) []detect.Alert {
	t.Helper()
	status, body := s.get(t, "/api/v1/alerts?limit=100&rule_id=anomaly."+model, token)
	if status != 200 {
		t.Fatalf("GET alerts: %d %s", status, body)
	}
	var page struct{ Items []detect.Alert }
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// TestServeAnomalies replays real logs with an injected burst, a silence
// and a new template through vigil serve, checks that each is raised as an
// alert with its explanation, then restarts the server and checks that the
// models kept what they had learned. One scenario, read top to bottom.
func TestServeAnomalies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "anomaly.yml")
	if err := os.WriteFile(cfg, []byte("bucket: 1m\nhistory: 24h\n"+
		"defaults:\n  learning: 30m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "vgl_anomaly-test-token-0123"
	args := []string{"--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
		"--anomaly-config", cfg}
	s := startServe(t, args, "VIGIL_ADMIN_TOKEN", token)
	s.postReplay(t, token, buildReplay(t))

	spikes := s.modelAlerts(t, token, "rate_spike")
	var bastion *detect.Explanation
	for _, a := range spikes {
		if x := a.Explanation; x != nil && (x.Host == "LabSZ" || x.Service == "sshd") {
			bastion = x
			if !a.EventTime.Before(replayStart.Add(80*time.Minute)) &&
				a.EventTime.Before(replayStart.Add(81*time.Minute)) {
				break
			}
		}
	}
	if bastion == nil || bastion.Observed < 20 || bastion.Score < 6 || bastion.Text == "" ||
		!bastion.From.Equal(replayStart.Add(80*time.Minute)) {
		t.Errorf("burst: spike alerts %+v, want one for the bastion in minute 80", spikes)
	}

	var web *detect.Explanation
	for _, a := range s.modelAlerts(t, token, "rate_silence") {
		if x := a.Explanation; x != nil && (x.Host == "web-01" || x.Service == "httpd") {
			web = x
		}
	}
	if web == nil || web.Baseline < 10 || web.Observed != 0 || web.Text == "" ||
		!web.From.Equal(replayStart.Add(70*time.Minute)) {
		t.Errorf("silence: explanation %+v, want web-01 silent from minute 70", web)
	}

	news := s.modelAlerts(t, token, "new_template")
	found := false
	for _, a := range news {
		x := a.Explanation
		found = found || x != nil && x.Template == "Received signal <*> terminating." &&
			x.Service == "sshd" && len(a.EventIDs) == 1
	}
	if !found {
		t.Errorf("new template: alerts %+v", news)
	}
	t.Logf("model alerts: %d spikes, %d new templates, %d silences", len(spikes), len(news),
		len(s.modelAlerts(t, token, "rate_silence")))
	if code := s.stop(); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, s.stderr)
	}

	// After a restart the models know sshd's templates and are past
	// learning: a known message raises nothing, a new one an alert at once.
	s = startServe(t, args, "VIGIL_ADMIN_TOKEN", token)
	defer s.stop()
	if !strings.Contains(s.stderr.String(), "anomaly state restored") {
		t.Errorf("no restore in the log:\n%s", s.stderr)
	}
	later := replayStart.Add(101 * time.Minute)
	s.postReplay(t, token, []replayEvent{
		{later, "sshd", "LabSZ", "Invalid user guest from 10.0.0.8"},
		{later.Add(time.Second), "sshd", "LabSZ", "Server listening on 0.0.0.0 port 2222."},
	})
	after := s.modelAlerts(t, token, "new_template")
	if len(after) != len(news)+1 ||
		after[0].Explanation.Template != "Server listening on <*> port <*>" {
		t.Errorf("after restart: %d new-template alerts (was %d), newest %+v", len(after),
			len(news), after[0].Explanation)
	}
}
