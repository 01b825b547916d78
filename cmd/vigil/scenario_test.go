package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/notify/smtptest"
)

// scenarioPassword is every scenario user's password.
const scenarioPassword = "correct horse battery staple 42"

// scenarioUser is a user the scenario creates with "vigil user add".
type scenarioUser struct {
	name, tenant string
	roles        []string
}

func (u scenarioUser) email() string { return u.name + "@vigil.example" }

var scenarioUsers = []scenarioUser{
	{name: "ada", roles: []string{"admin"}},
	{name: "rita", roles: []string{"responder"}},
	{name: "sam", roles: []string{"responder"}},
	{name: "eve", roles: []string{"executive"}},
	{name: "aldo", roles: []string{"auditor"}},
	{name: "cora", roles: []string{"communications"}},
	{name: "tara", roles: []string{"tenant-admin"}, tenant: "acme"},
	{name: "gus", roles: []string{"tenant-admin"}, tenant: "globex"},
}

// session is a signed-in user of a scenario server.
type session struct {
	t      *testing.T
	base   string
	who    string
	cookie *http.Cookie
	csrf   string
}

// reply is an answer of the server.
type reply struct {
	status int
	etag   string
	raw    []byte
	body   map[string]any
}

// num returns a numeric field of the body.
func (r reply) num(key string) int64 {
	f, _ := r.body[key].(float64)
	return int64(f)
}

// want fails the test unless the status is want.
func (r reply) want(t *testing.T, what string, want int) reply {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, want, r.raw)
	}
	return r
}

// signIn posts the user's name and password to /api/v1/session.
func signIn(t *testing.T, base, name string) *session {
	t.Helper()
	s := &session{t: t, base: base, who: name}
	r := s.send("POST", "/api/v1/session", map[string]string{"name": name,
		"password": scenarioPassword}).want(t, "sign in "+name, http.StatusOK)
	s.csrf, _ = r.body["csrf_token"].(string)
	if s.cookie == nil || s.csrf == "" {
		t.Fatalf("sign in %s: no session cookie or CSRF token: %s", name, r.raw)
	}
	return s
}

// send sends v as JSON (or raw bytes) with the session's cookie and CSRF
// token; headers are name, value pairs.
func (s *session) send(method, path string, v any, headers ...string) reply {
	s.t.Helper()
	var body io.Reader
	ctype := "application/json"
	switch v := v.(type) {
	case nil:
	case []byte:
		body, ctype = bytes.NewReader(v), "application/x-ndjson"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			s.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if s.cookie != nil {
		req.AddCookie(s.cookie)
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s as %s: %v", method, path, s.who, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, "vigil_session") && c.Value != "" {
			s.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	r := reply{status: resp.StatusCode, etag: resp.Header.Get("ETag"), raw: raw}
	json.Unmarshal(raw, &r.body)
	return r
}

// get GETs path, wants 200 and decodes into v.
func (s *session) get(path string, v any) string {
	s.t.Helper()
	r := s.send("GET", path, nil).want(s.t, "GET "+path+" as "+s.who, http.StatusOK)
	if err := json.Unmarshal(r.raw, v); err != nil {
		s.t.Fatalf("GET %s: decode %s: %v", path, r.raw, err)
	}
	return r.etag
}

// runBinary runs the binary with args and stdin, returning its exit code and
// output.
func runBinary(t *testing.T, bin, stdin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("run vigil %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// waitMail polls the SMTP server until a message to rcpt has a subject
// containing subject, or fails at the deadline.
func waitMail(t *testing.T, srv *smtptest.Server, rcpt, subject string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, m := range srv.Messages() {
			if slices.Contains(m.To, rcpt) && strings.Contains(m.Header().Get("Subject"), subject) {
				return
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, m := range srv.Messages() {
				got = append(got, fmt.Sprintf("%v %q", m.To, m.Header().Get("Subject")))
			}
			t.Fatalf("no mail to %s about %q; received:\n%s", rcpt, subject,
				strings.Join(got, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestScenarioIncidentLifecycle is issue 3's scenario: the real binary
// raises alerts from the LSASS dump dataset; a responder confirms the alert
// into an incident and drives it through every phase to closed, with an
// executive's approval; then the record, the audit chain (and its
// tampering), the e-mails and tenant isolation are checked.
func TestScenarioIncidentLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	e2eCorpus(t)
	t.Parallel()
	started := time.Now()
	data, _ := readDataset(t)
	bin := buildVigil(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	mail := smtptest.Start(t, smtptest.Config{})
	port := strconv.Itoa(mail.Port())
	p := startVigilWith(t, bin, []string{"--data", dataDir, "--insecure-cookies",
		"--smtp-host", "127.0.0.1", "--smtp-port", port, "--smtp-from", "vigil@vigil.example",
		"--notify-backoff", "50ms"})
	// The users are added while the server runs, as an operator would,
	// after the tenants their tenant-admins are bound to.
	tenants := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(tenants, []byte("tenants:\n  - {id: acme, name: ACME}\n"+
		"  - {id: globex, name: Globex}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runBinary(t, bin, "", "inventory", "import", "--data", dataDir,
		tenants); code != 0 {
		t.Fatalf("vigil inventory import: exit %d: %s", code, out)
	}
	for _, u := range scenarioUsers {
		args := []string{"user", "add", "--data", dataDir, "--name", u.name,
			"--email", u.email()}
		for _, r := range u.roles {
			args = append(args, "--role", r)
		}
		if u.tenant != "" {
			args = append(args, "--tenant", u.tenant)
		}
		if code, out := runBinary(t, bin, scenarioPassword+"\n", args...); code != 0 {
			t.Fatalf("vigil user add %s: exit %d: %s", u.name, code, out)
		}
	}
	base := "http://" + p.addr
	t.Logf("setup (build, users, start): %v", time.Since(started))

	admin := signIn(t, base, "ada")
	admin.send("POST", "/api/v1/teams", map[string]any{"id": "comms", "name": "Communications",
		"kind": "communications", "members": []string{"cora"}, "escalation_contact": "cora"}).
		want(t, "create the communications team", http.StatusCreated)
	ingest := admin.send("POST", "/api/v1/events", data).want(t, "POST events", http.StatusOK)
	if ingest.num("alerts") == 0 {
		t.Fatalf("the dataset raised no alert: %s", ingest.raw)
	}

	rita := signIn(t, base, "rita")
	alertID, eventIDs := findLsassAlert(t, rita)
	id, number := confirmAlert(t, rita, alertID)
	incBase := "/api/v1/incidents/" + strconv.FormatInt(id, 10)
	driveIncident(t, rita, signIn(t, base, "eve"), incBase, eventIDs, mail)
	checkRecord(t, signIn(t, base, "aldo"), incBase)
	for _, subject := range []string{"Severity 1 incident moved to containment",
		"Severity 1 incident moved to closed", "Approval needed"} {
		waitMail(t, mail, "eve@vigil.example", number+"] "+subject)
	}
	for _, name := range []string{"tara", "gus"} {
		checkTenantBlind(t, signIn(t, base, name), incBase, number)
	}
	t.Logf("scenario through the API: %v", time.Since(started))
	p.stop(t)
	checkAuditChain(t, bin, dataDir)
	t.Logf("scenario total: %v", time.Since(started))
}

// findLsassAlert pages through the alerts for the credential-dumping one
// (attack.t1003*) of level high or critical.
func findLsassAlert(t *testing.T, s *session) (int64, []int64) {
	t.Helper()
	cursor := ""
	for range 100 {
		var page struct {
			Items []e2eAlert `json:"items"`
			Next  string     `json:"next"`
		}
		s.get("/api/v1/alerts?limit=1000&cursor="+url.QueryEscape(cursor), &page)
		for _, a := range page.Items {
			if (a.Level == "high" || a.Level == "critical") && slices.ContainsFunc(a.Tags,
				func(tag string) bool { return strings.HasPrefix(tag, "attack.t1003") }) {
				return a.ID, a.EventIDs
			}
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	t.Fatal("no high or critical alert tagged attack.t1003*")
	return 0, nil
}

// confirmAlert takes the alert from the queue and confirms it into a new incident.
func confirmAlert(t *testing.T, s *session, alertID int64) (int64, string) {
	t.Helper()
	var queue struct {
		Items []struct {
			Kind string `json:"kind"`
			ID   int64  `json:"id"`
		} `json:"items"`
	}
	s.get("/api/v1/queue?kind=alert&limit=1000", &queue)
	if !slices.ContainsFunc(queue.Items, func(q struct {
		Kind string `json:"kind"`
		ID   int64  `json:"id"`
	}) bool {
		return q.ID == alertID
	}) {
		t.Fatalf("alert %d is not in the queue", alertID)
	}
	a := "/api/v1/alerts/" + strconv.FormatInt(alertID, 10)
	s.send("POST", a+"/ack", nil).want(t, "acknowledge", http.StatusOK)
	s.send("POST", a+"/assign", map[string]string{"user": "rita"}).want(t, "assign",
		http.StatusOK)
	r := s.send("POST", "/api/v1/alerts/confirm", map[string]any{"alert_ids": []int64{alertID}})
	r.want(t, "confirm into an incident", http.StatusCreated)
	id := r.num("incident_id")
	var inc struct {
		Number string `json:"number"`
	}
	s.get("/api/v1/incidents/"+strconv.FormatInt(id, 10), &inc)
	return id, inc.Number
}

// driveIncident moves the incident from detected to closed.
func driveIncident(t *testing.T, rita, eve *session, base string, eventIDs []int64,
	mail *smtptest.Server) {
	t.Helper()
	move := func(to string, want int) reply {
		t.Helper()
		return rita.send("POST", base+"/transitions", map[string]string{"to": to,
			"time_zone": "Europe/Paris", "reason": "scenario"}).want(t, "move to "+to, want)
	}
	patch := func(what string, v any) {
		t.Helper()
		var cur map[string]any
		tag := rita.get(base, &cur)
		rita.send("PATCH", base, v, "If-Match", tag).want(t, what, http.StatusOK)
	}
	patch("factors and severity", map[string]any{
		"summary":  "LSASS memory dumped with comsvcs.dll on a workstation",
		"category": "unauthorized-access",
		"factors": map[string]string{"functional_impact": "medium",
			"information_impact": "proprietary", "recoverability": "supplemented"},
		"severity": map[string]any{"criteria": map[string]any{"privacy": "unknown",
			"scope": "host", "tenants": 1}, "decided": 1,
			"reason": "domain credentials likely exposed"}})
	move("analysis", http.StatusOK)
	rita.send("POST", base+"/classification", map[string]string{"classification": "confirmed",
		"reason": "rundll32 comsvcs MiniDump of lsass"}).want(t, "classify", http.StatusOK)
	esc := rita.send("POST", base+"/escalate", map[string]string{"commander": "rita",
		"scribe": "sam", "reason": "credential theft"}).want(t, "escalate", http.StatusOK)
	for _, who := range []string{"rita", "sam", "cora"} {
		if !bytes.Contains(esc.raw, []byte(`"user":"`+who+`"`)) {
			t.Errorf("virtual team lacks %s: %s", who, esc.raw)
		}
		waitMail(t, mail, who+"@vigil.example", "] You are engaged on ")
	}
	rita.send("POST", base+"/actions", map[string]string{"what": "isolated the host",
		"result": "done"}).want(t, "action", http.StatusOK)
	rita.send("POST", base+"/indicators", map[string]string{"kind": "process",
		"value": "rundll32.exe", "source": "sysmon"}).want(t, "indicator", http.StatusOK)
	rita.send("POST", base+"/evidence/from-events", map[string]any{"event_ids": eventIDs,
		"description": "the alert's events", "reason": "preserve"}).want(t, "evidence",
		http.StatusCreated)
	move("containment", http.StatusOK)

	task := rita.send("POST", base+"/tasks", map[string]any{"phase": "eradication",
		"title": "Reset domain credentials", "owner": "rita", "high_impact": true,
		"due": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})
	task.want(t, "plan a high-impact task", http.StatusCreated)
	taskPath := base + "/tasks/" + strconv.FormatInt(task.num("id"), 10)
	for _, r := range []reply{move("eradication", http.StatusConflict),
		rita.send("PATCH", taskPath, map[string]string{"status": "in_progress"},
			"If-Match", `"v1"`).want(t, "start unapproved", http.StatusConflict)} {
		if r.body["gate"] != "approval" {
			t.Errorf("refusal %s does not name the approval gate", r.raw)
		}
	}
	eve.send("POST", base+"/approvals", map[string]string{"step": "task-" +
		strconv.FormatInt(task.num("id"), 10), "note": "go"}).want(t, "approve", http.StatusOK)
	rita.send("PATCH", taskPath, map[string]string{"status": "in_progress"}, "If-Match",
		`"v1"`).want(t, "start approved", http.StatusOK)
	move("eradication", http.StatusOK)
	rita.send("PATCH", taskPath, map[string]string{"status": "done", "result": "reset"},
		"If-Match", `"v2"`).want(t, "task done", http.StatusOK)
	move("recovery", http.StatusOK)
	recoverPhase(t, rita, base)
	move("post-incident", http.StatusOK)
	move("closed", http.StatusConflict)
	// The commander (rita, named at escalation) and an executive sign the
	// post-mortem that entering post-incident created off.
	rita.send("POST", base+"/postmortem/signoffs", map[string]string{"role": "commander"}).
		want(t, "commander signs off", http.StatusOK)
	eve.send("POST", base+"/postmortem/signoffs", map[string]string{"role": "executive"}).
		want(t, "executive signs off", http.StatusOK)
	move("closed", http.StatusOK)
}

// recoverPhase records recovery's plan, checks it off and adds a watch rule.
func recoverPhase(t *testing.T, s *session, base string) {
	t.Helper()
	for _, kind := range []string{"last-known-good", "restore", "validation"} {
		r := s.send("POST", base+"/tasks", map[string]any{"phase": "recovery", "kind": kind,
			"title": kind + " of the workstation"}).want(t, kind, http.StatusCreated)
		s.send("PATCH", base+"/tasks/"+strconv.FormatInt(r.num("id"), 10),
			map[string]string{"status": "done"}, "If-Match", `"v1"`).want(t, kind+" done",
			http.StatusOK)
	}
	rule := "title: LSASS access watch\nid: 5ca1ab1e-0000-4000-8000-000000000003\n" +
		"logsource:\n  product: windows\ndetection:\n  sel:\n    TargetImage|endswith: " +
		"'\\lsass.exe'\n  condition: sel\nlevel: high\n"
	s.send("POST", base+"/watch-rules", map[string]any{"yaml": rule,
		"expires": time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)}).
		want(t, "watch rule", http.StatusCreated)
}

// checkRecord reads the closed incident's record as an auditor.
func checkRecord(t *testing.T, s *session, base string) {
	t.Helper()
	var v struct {
		Status string `json:"status"`
		Phase  string `json:"phase"`
		Record struct {
			PhaseChanges []struct {
				To, Location, By string
				At               time.Time
			} `json:"phase_changes"`
			Actions    []struct{ What, By string } `json:"actions"`
			Indicators []struct{ Kind, Value string }
			Severity   []struct{ Decided int } `json:"severity"`
		} `json:"record"`
		Gates struct {
			Approvals []struct{ By, Role, Step string } `json:"approvals"`
		} `json:"gates"`
	}
	s.get(base, &v)
	rec := v.Record
	if v.Status != "closed" || v.Phase != "closed" || len(rec.PhaseChanges) != 6 {
		t.Errorf("status %s, phase %s, %d phase changes; want closed and 6", v.Status, v.Phase,
			len(rec.PhaseChanges))
	}
	for _, pc := range rec.PhaseChanges {
		if pc.Location != "Europe/Paris" || pc.By != "user:rita" || pc.At.IsZero() {
			t.Errorf("phase change %+v, want Europe/Paris by user:rita", pc)
		}
	}
	if len(rec.Actions) == 0 || len(rec.Indicators) != 1 || len(rec.Severity) == 0 ||
		rec.Severity[len(rec.Severity)-1].Decided != 1 {
		t.Errorf("record actions %+v indicators %+v severity %+v", rec.Actions, rec.Indicators,
			rec.Severity)
	}
	if len(v.Gates.Approvals) != 1 || v.Gates.Approvals[0].By != "user:eve" {
		t.Errorf("approvals %+v, want one by user:eve", v.Gates.Approvals)
	}
	var ev struct {
		Items []struct {
			ID     int64  `json:"id"`
			SHA256 string `json:"sha256"`
		} `json:"items"`
	}
	s.get(base+"/evidence", &ev)
	if len(ev.Items) != 1 || len(ev.Items[0].SHA256) != 64 {
		t.Fatalf("evidence %+v, want one item with its SHA-256", ev.Items)
	}
	var one struct {
		Custody []struct{ Action, By string } `json:"custody"`
	}
	evPath := "/api/v1/evidence/" + strconv.FormatInt(ev.Items[0].ID, 10)
	s.send("GET", evPath+"/content?reason=scenario+review", nil).want(t, "download evidence",
		http.StatusOK)
	s.get(evPath, &one)
	if len(one.Custody) != 2 || one.Custody[0].By != "user:rita" ||
		one.Custody[1].By != "user:aldo" {
		t.Errorf("custody %+v, want the acquisition by rita and the download by aldo",
			one.Custody)
	}
}

// checkTenantBlind shows that a tenant-admin sees nothing of the incident.
func checkTenantBlind(t *testing.T, s *session, base, number string) {
	t.Helper()
	for _, path := range []string{base, "/api/v1/incidents", "/api/v1/alerts",
		base + "/evidence", "/api/v1/queue"} {
		r := s.send("GET", path, nil)
		if r.status != http.StatusNotFound && r.status != http.StatusForbidden &&
			r.status != http.StatusOK {
			t.Errorf("GET %s as %s: status %d", path, s.who, r.status)
		}
		if bytes.Contains(r.raw, []byte(number)) || bytes.Contains(r.raw, []byte("LSASS")) ||
			bytes.Contains(r.raw, []byte("lsass")) {
			t.Errorf("GET %s as %s shows the incident: %.300s", path, s.who, r.raw)
		}
	}
	if r := s.send("GET", base, nil); r.status == http.StatusOK {
		t.Errorf("GET %s as %s: 200, want 404 or 403", base, s.who)
	} else {
		t.Logf("GET %s as %s (tenant-admin): %d", base, s.who, r.status)
	}
	var cases struct {
		Items []any `json:"items"`
	}
	s.get("/api/v1/cases", &cases)
	if len(cases.Items) != 0 {
		t.Errorf("cases of %s: %d, want none", s.who, len(cases.Items))
	}
}

// checkAuditChain verifies the stopped server's audit chain, tampers with
// the approval's entry and verifies again.
func checkAuditChain(t *testing.T, bin, dataDir string) {
	t.Helper()
	if code, out := runBinary(t, bin, "", "audit", "verify", "--data", dataDir); code != 0 ||
		!strings.Contains(out, "chain intact") {
		t.Fatalf("audit verify = %d, %q; want 0 and an intact chain", code, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seq int64
	err = db.QueryRow(`SELECT seq FROM audit_log WHERE action = 'approval.granted'`).Scan(&seq)
	if err != nil {
		t.Fatalf("find the approval's audit entry: %v", err)
	}
	if _, err := db.Exec(`UPDATE audit_log SET details = '{"step":"forged"}' WHERE seq = ?`,
		seq); err != nil {
		t.Fatal(err)
	}
	code, out := runBinary(t, bin, "", "audit", "verify", "--data", dataDir)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("chain BROKEN at seq %d (", seq)) {
		t.Fatalf("audit verify after tampering with seq %d = %d, %q; want 1 naming it", seq,
			code, out)
	}
}
