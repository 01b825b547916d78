package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/pdftest"
	"github.com/vigilsec/vigil/internal/readiness"
)

// TestScenarioPostMortem is issue 5's scenario: vigil exercise run replays
// the credential-dumping scenario into a real server and measures the
// detections; a responder drives one of the incidents it opened to
// post-incident, fills the post-mortem (summary, timeline entry, finding,
// follow-ups, one linked to the loaded rule that detected the attack, with
// the SHA-256 of its file), the commander and an executive sign it off,
// the incident closes; then the response metrics count it, and the PDF
// report, read back with pdftotext and rendered with pdftoppm, holds it.
func TestScenarioPostMortem(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	s := startServe(t, []string{"--listen", "127.0.0.1:0", "--data", data, "--rules",
		"../../rules", "--insecure-cookies"}, "VIGIL_ADMIN_TOKEN", exerciseAdminToken)
	t.Cleanup(func() { s.stop() })
	for _, u := range []struct{ name, role string }{{"rita", "responder"},
		{"eve", "executive"}} {
		if st := apiCall(t, s, exerciseAdminToken, "POST", "/api/v1/users", map[string]any{
			"name": u.name, "roles": []string{u.role}, "password": scenarioPassword,
			"email": u.name + "@vigil.example"}, nil); st != http.StatusCreated {
			t.Fatalf("create %s: %d", u.name, st)
		}
	}
	var tok struct {
		Secret string `json:"token"`
	}
	apiCall(t, s, exerciseAdminToken, "POST", "/api/v1/tokens",
		map[string]any{"name": "red-team", "role": "responder"}, &tok)

	run := replayForPostMortem(t, s, tok.Secret)
	base := "http://" + s.addr
	rita, eve := signIn(t, base, "rita"), signIn(t, base, "eve")
	id, ruleID := exerciseIncident(t, rita, run)
	inc := "/api/v1/incidents/" + strconv.FormatInt(id, 10)
	toPostIncident(t, rita, inc)

	var pm struct {
		PostMortem struct {
			Number   string `json:"number"`
			Timeline []struct {
				Kind string `json:"kind"`
				Text string `json:"text"`
			} `json:"timeline"`
		} `json:"postmortem"`
		Response struct {
			Times []struct {
				Measure string  `json:"measure"`
				Seconds float64 `json:"seconds"`
				Known   bool    `json:"known"`
			} `json:"times"`
		} `json:"response"`
	}
	rita.get(inc+"/postmortem", &pm)
	checkPostMortemTimes(t, pm.Response.Times, len(pm.PostMortem.Timeline))
	fillPostMortem(t, rita, inc, ruleID)
	rita.send("POST", inc+"/transitions", map[string]string{"to": "closed"}).
		want(t, "close unsigned", http.StatusConflict)
	rita.send("POST", inc+"/postmortem/signoffs", map[string]string{"role": "commander",
		"note": "reviewed with the blue team"}).want(t, "commander signs off", http.StatusOK)
	eve.send("POST", inc+"/postmortem/signoffs", map[string]string{"role": "executive"}).
		want(t, "executive signs off", http.StatusOK)
	rita.send("POST", inc+"/transitions", map[string]string{"to": "closed"}).
		want(t, "close", http.StatusOK)

	checkScenarioMetrics(t, rita)
	checkReportPDF(t, rita, inc, pm.PostMortem.Number)
}

// replayForPostMortem runs vigil exercise run and checks that every
// expected detection was found, with a time to detect measured.
func replayForPostMortem(t *testing.T, s *testServer, token string) readiness.Run {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runExercise(t.Context(), []string{"run", "credential-dumping-windows", "--server",
		"http://" + s.addr, "--speed", "25", "--json", "--timeout", "20s"},
		envMap("VIGIL_TOKEN", token), &stdout, &stderr)
	var run readiness.Run
	if err := json.Unmarshal(stdout.Bytes(), &run); code != exitOK || err != nil {
		t.Fatalf("exercise run: exit %d (%v)\n%s\n%s", code, err, stderr.String(),
			stdout.String())
	}
	if run.Summary.Expected == 0 || run.Summary.Detected != run.Summary.Expected {
		t.Fatalf("detected %d of %d", run.Summary.Detected, run.Summary.Expected)
	}
	for _, d := range run.Detections {
		if !d.Detected || d.TTDMillis < 0 || d.TTDMillis > 20_000 {
			t.Errorf("%s: detected %v in %d ms", d.Expect.Label(), d.Detected, d.TTDMillis)
		}
	}
	return run
}

// exerciseIncident returns an incident that an alert the run detected
// opened, and that alert's rule.
func exerciseIncident(t *testing.T, s *session, run readiness.Run) (int64, string) {
	t.Helper()
	var alerts struct {
		Items []struct {
			ID         int64  `json:"id"`
			RuleID     string `json:"rule_id"`
			IncidentID int64  `json:"incident_id"`
			Exercise   int64  `json:"exercise"`
		} `json:"items"`
	}
	s.get("/api/v1/alerts?limit=100", &alerts)
	detected := map[int64]bool{}
	for _, d := range run.Detections {
		detected[d.AlertID] = true
	}
	for _, a := range alerts.Items {
		if a.IncidentID != 0 && a.Exercise != 0 && detected[a.ID] {
			return a.IncidentID, a.RuleID
		}
	}
	t.Fatalf("no incident opened by the run's detections: %+v", alerts.Items)
	return 0, ""
}

// toPostIncident moves the incident to post-incident as the responder,
// who escalates it as its commander.
func toPostIncident(t *testing.T, s *session, inc string) {
	t.Helper()
	s.send("POST", inc+"/escalate", map[string]string{"commander": "rita",
		"reason": "credential dumping drill"}).want(t, "escalate", http.StatusOK)
	steps := []struct {
		path string
		body map[string]any
	}{
		{"/transitions", map[string]any{"to": "analysis", "time_zone": "Europe/Paris"}},
		{"/classification", map[string]any{"classification": "confirmed",
			"reason": "comsvcs.dll MiniDump of lsass"}},
		{"/actions", map[string]any{"what": "isolated WKS-0142", "result": "done"}},
		{"/transitions", map[string]any{"to": "containment", "time_zone": "Europe/Paris"}},
		{"/transitions", map[string]any{"to": "eradication", "time_zone": "Europe/Paris"}},
		{"/transitions", map[string]any{"to": "recovery", "time_zone": "Europe/Paris"}},
	}
	for _, st := range steps {
		s.send("POST", inc+st.path, st.body).want(t, st.path, http.StatusOK)
	}
	var cur map[string]any
	tag := s.get(inc, &cur)
	s.send("PATCH", inc, map[string]any{"recovery_checks": []map[string]any{
		{"name": "no LSASS access for a day", "done": true}}}, "If-Match", tag).
		want(t, "recovery checks", http.StatusOK)
	s.send("POST", inc+"/transitions", map[string]any{"to": "post-incident",
		"time_zone": "Europe/Paris"}).want(t, "to post-incident", http.StatusOK)
}

// checkPostMortemTimes checks the measured times of the new post-mortem:
// detection within the replay's timeout, the rest measured up to recovery.
func checkPostMortemTimes(t *testing.T, times []struct {
	Measure string  `json:"measure"`
	Seconds float64 `json:"seconds"`
	Known   bool    `json:"known"`
}, entries int) {
	t.Helper()
	if entries < 8 {
		t.Errorf("timeline of %d entries, want the alerts, phases, actions and audit", entries)
	}
	for _, tm := range times {
		wantKnown := tm.Measure != "close"
		if tm.Known != wantKnown || tm.Known && (tm.Seconds < 0 || tm.Seconds > 60) {
			t.Errorf("time to %s: %v s, known %v", tm.Measure, tm.Seconds, tm.Known)
		}
	}
}

// fillPostMortem writes the summary, an entry, a finding and follow-ups;
// one links to the rule that detected the attack, whose hash must be the
// SHA-256 of its file.
func fillPostMortem(t *testing.T, s *session, inc, ruleID string) {
	t.Helper()
	pm := inc + "/postmortem"
	s.send("PATCH", pm, map[string]any{"summary": "The red team dumped LSASS with " +
		"comsvcs.dll on WKS-0142; the rules caught every step.", "actors": []string{
		"red team"}}).want(t, "summary", http.StatusOK)
	s.send("POST", pm+"/timeline", map[string]any{"at": time.Now().Add(-time.Minute),
		"time_zone": "Europe/Berlin", "text": "Blue team lead paged by phone"}).
		want(t, "entry", http.StatusCreated)
	s.send("POST", pm+"/findings", map[string]any{"category": "procedural-failure",
		"title": "The page reached the lead by phone only", "evidence": []map[string]string{
			{"type": "timeline", "id": "1"}}}).want(t, "finding", http.StatusCreated)
	due := time.Now().UTC().AddDate(0, 0, 14).Format(time.DateOnly)
	f := s.send("POST", inc+"/follow-ups", map[string]any{"kind": "detection-rule",
		"title": "Tune the LSASS dump rule", "owner": "rita", "due": due, "finding": 1})
	f.want(t, "follow-up", http.StatusCreated)
	s.send("POST", inc+"/follow-ups", map[string]any{"kind": "sop-change",
		"title": "Page the blue team lead by the pager", "owner": "rita", "due": due}).
		want(t, "second follow-up", http.StatusCreated)
	link := s.send("POST", "/api/v1/follow-ups/"+strconv.FormatInt(f.num("id"), 10)+"/rule",
		map[string]string{"rule_id": ruleID}).want(t, "link the rule", http.StatusOK)
	rule, _ := link.body["rule"].(map[string]any)
	file, _ := rule["file"].(string)
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("linked rule file %q: %v", file, err)
	}
	sum := sha256.Sum256(content)
	if rule["sha256"] != hex.EncodeToString(sum[:]) || rule["rule_id"] != ruleID {
		t.Errorf("rule link %v, want the SHA-256 of %s (%x)", rule, file, sum)
	}
}

// checkScenarioMetrics reads the metrics: the closed exercise incident
// counts only with exercises=true, and its times are there.
func checkScenarioMetrics(t *testing.T, s *session) {
	t.Helper()
	type stats struct {
		Count int     `json:"count"`
		P50   float64 `json:"p50_seconds"`
	}
	var with, without struct {
		Overall struct {
			Incidents int              `json:"incidents"`
			Times     map[string]stats `json:"times"`
			FollowUps struct {
				Open int `json:"open"`
			} `json:"follow_ups"`
		} `json:"overall"`
	}
	s.get("/api/v1/response-metrics?exercises=true", &with)
	s.get("/api/v1/response-metrics", &without)
	o := with.Overall
	if o.Incidents == 0 || o.Times["close"].Count != 1 || o.Times["detect"].Count == 0 ||
		o.Times["contain"].Count != 1 || o.FollowUps.Open != 2 {
		t.Errorf("metrics with exercises: %+v", o)
	}
	if without.Overall.Incidents != 0 || without.Overall.FollowUps.Open != 0 {
		t.Errorf("metrics without exercises count the drill: %+v", without.Overall)
	}
	r := s.send("GET", "/api/v1/response-metrics?exercises=true&format=csv", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.raw), "all,,") {
		t.Errorf("metrics CSV: %d\n%s", r.status, r.raw)
	}
}

// checkReportPDF downloads the incident report as PDF and reads it back.
func checkReportPDF(t *testing.T, s *session, inc, number string) {
	t.Helper()
	req, err := http.NewRequest("GET", s.base+inc+"/report?format=pdf", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(s.cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	pdf, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK ||
		resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("report: %d %s (%v)", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	text := strings.Join(strings.Fields(pdftest.Text(t, pdf)), " ")
	for _, want := range []string{"Incident report " + number, "Phase changes",
		"The page reached the lead by phone only", "Tune the LSASS dump rule",
		"answered by rule", "signed off by user:rita (commander) and user:eve (executive)",
		"Blue team lead paged by phone", "Europe/Paris", "How the response went"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	if pages := pdftest.Pages(t, pdf, 50); len(pages) < 2 {
		t.Errorf("the report has %d pages, want at least two", len(pages))
	}
}
