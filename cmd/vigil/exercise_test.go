package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/scenarios"
)

const exerciseAdminToken = "vgl_exercise-test-admin-0123456789"

// apiCall sends a JSON request to a test server and decodes the answer.
func apiCall(t *testing.T, s *testServer, token, method, path string, body any,
	out any) int {
	t.Helper()
	var rd io.Reader
	if b, ok := body.([]byte); ok {
		rd = bytes.NewReader(b)
	} else if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, "http://"+s.addr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// exerciseServer starts vigil serve with the repository's rules and returns
// it with a responder's token.
func exerciseServer(t *testing.T) (*testServer, string) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	s := startServe(t, []string{"--listen", "127.0.0.1:0", "--data", data, "--rules",
		"../../rules"}, "VIGIL_ADMIN_TOKEN", exerciseAdminToken)
	t.Cleanup(func() { s.stop() })
	var tok struct {
		Secret string `json:"token"`
	}
	if st := apiCall(t, s, exerciseAdminToken, "POST", "/api/v1/tokens",
		map[string]any{"name": "red-team", "role": "responder"}, &tok); st != 201 {
		t.Fatalf("create a responder token: %d", st)
	}
	return s, tok.Secret
}

// TestExerciseRunScenarios replays every shipped scenario into a real
// server with vigil exercise run (as a responder, token from VIGIL_TOKEN)
// and checks that every expected detection is found, that the times are
// measured from the step's event to the alert, that the run is recorded on
// a completed exercise, and that the exercise's alerts and incidents are
// marked.
func TestExerciseRunScenarios(t *testing.T) {
	t.Parallel()
	s, token := exerciseServer(t)
	names, _ := fs.Glob(scenarios.FS, "*.yaml")
	if len(names) < 4 {
		t.Fatalf("shipped scenarios: %v", names)
	}
	var wg sync.WaitGroup
	for _, file := range names {
		name := strings.TrimSuffix(file, ".yaml")
		wg.Go(func() { replayScenario(t, s, token, name) })
	}
	wg.Wait()

	var exercises struct {
		Items []readiness.Exercise `json:"items"`
	}
	apiCall(t, s, token, "GET", "/api/v1/exercises", nil, &exercises)
	if len(exercises.Items) != len(names) {
		t.Fatalf("%d exercises, want one per scenario (%d)", len(exercises.Items), len(names))
	}
	for _, e := range exercises.Items {
		if e.Status != readiness.ExerciseCompleted || len(e.Runs) != 1 ||
			e.Kind != readiness.ExerciseSimulation || e.End.IsZero() {
			t.Errorf("exercise %d: status %s, %d runs, kind %s, end %v; want a completed "+
				"simulation with one run", e.ID, e.Status, len(e.Runs), e.Kind, e.End)
		}
	}
	var alerts struct {
		Items []struct {
			ID       int64 `json:"id"`
			Exercise int64 `json:"exercise"`
		} `json:"items"`
		Total int64 `json:"total"`
	}
	apiCall(t, s, token, "GET", "/api/v1/alerts?limit=1000", nil, &alerts)
	if alerts.Total == 0 {
		t.Fatal("no alert at all")
	}
	for _, a := range alerts.Items {
		if a.Exercise == 0 {
			t.Errorf("alert %d is not marked as an exercise's", a.ID)
		}
	}
	var incs struct {
		Items []struct {
			ID       int64 `json:"id"`
			Exercise int64 `json:"exercise"`
		} `json:"items"`
	}
	apiCall(t, s, token, "GET", "/api/v1/incidents?limit=1000", nil, &incs)
	if len(incs.Items) == 0 {
		t.Error("the scenarios opened no incident; their critical alerts should")
	}
	for _, inc := range incs.Items {
		if inc.Exercise == 0 {
			t.Errorf("incident %d is not marked as an exercise's", inc.ID)
		}
	}
}

// replayScenario runs "vigil exercise run NAME --json" and checks the run.
func replayScenario(t *testing.T, s *testServer, token, name string) {
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := runExercise(t.Context(), []string{"run", name, "--server", "http://" + s.addr,
		"--speed", "25", "--json", "--timeout", "20s"}, envMap("VIGIL_TOKEN", token), &stdout,
		&stderr)
	if code != exitOK {
		t.Errorf("%s: exit %d\nstderr:\n%s\nstdout:\n%s", name, code, stderr.String(),
			stdout.String())
		return
	}
	var run readiness.Run
	if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
		t.Errorf("%s: decode the run: %v\n%s", name, err, stdout.String())
		return
	}
	sc, err := loadScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	if run.Summary.Expected != len(sc.Expect) || run.Summary.Detected != len(sc.Expect) {
		t.Errorf("%s: detected %d of %d, want all %d", name, run.Summary.Detected,
			run.Summary.Expected, len(sc.Expect))
	}
	sent := map[string]time.Time{}
	for _, st := range run.Steps {
		sent[st.Step] = st.Sent
		if st.Sent.Before(start) {
			t.Errorf("%s: step %q sent %v, before the run began", name, st.Step, st.Sent)
		}
	}
	for _, d := range run.Detections {
		if !d.Detected || d.AlertID == 0 || d.Step == "" {
			t.Errorf("%s: %s not detected (%+v)", name, d.Expect.Label(), d)
			continue
		}
		// The time to detect runs from the sending of the first event of the
		// step whose event raised the alert (its "vigil.step") to the poll that
		// first saw the alert; events of one step at one time share a send.
		at, ok := sent[d.Step]
		if !ok || d.DetectedAt.Before(at) || d.TTDMillis < 0 ||
			d.TTDMillis > d.DetectedAt.Sub(at).Milliseconds() {
			t.Errorf("%s: %s: detected at %v, ttd %d ms, step %q sent %v", name,
				d.Expect.Label(), d.DetectedAt, d.TTDMillis, d.Step, at)
		}
	}
	if !strings.Contains(stderr.String(), "sent") {
		t.Errorf("%s: no progress on stderr:\n%s", name, stderr.String())
	}
	t.Logf("%s: %d/%d detected, mean time to detect %d ms, max %d ms", name,
		run.Summary.Detected, run.Summary.Expected, run.Summary.MeanTTDMillis,
		run.Summary.MaxTTDMillis)
}

// TestExerciseMissAndReport replays a scenario that expects a detection no
// rule raises: the command exits 1, the miss becomes a finding of the
// exercise, and the disclosure report lists what the red team did and what
// was seen and missed.
func TestExerciseMissAndReport(t *testing.T) {
	t.Parallel()
	s, token := exerciseServer(t)
	file := filepath.Join(t.TempDir(), "probe.yaml")
	err := os.WriteFile(file, []byte(`name: quiet-probe
description: One SSH guess, and a technique the rules do not cover.
events:
  - at: 0s
    step: Guess root's password
    fields: {program: sshd, host: bastion-09, message: "Failed password for root from 192.0.2.9 port 4 ssh2"}
  - at: 1s
    step: Hide in the noise
    fields: {program: sshd, host: bastion-09, message: "Connection closed by 192.0.2.9 port 4"}
expect:
  - tag: attack.t1110.001
    title: Password guessing
  - tag: attack.t1070.002
    title: Log clearing
    severity: high
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	env := envMap("VIGIL_TOKEN", token, "VIGIL_SERVER", "http://"+s.addr)
	var stdout, stderr bytes.Buffer
	code := runExercise(t.Context(), []string{"run", file, "--speed", "0", "--timeout", "1s"},
		env, &stdout, &stderr)
	if code != exitError || !strings.Contains(stdout.String(), "MISSED") ||
		!strings.Contains(stdout.String(), "detected 1 of 2") {
		t.Fatalf("exit %d, want 1 with the miss\nstdout:\n%s\nstderr:\n%s", code,
			stdout.String(), stderr.String())
	}
	var findings struct {
		Items []readiness.Finding `json:"items"`
	}
	apiCall(t, s, token, "GET", "/api/v1/findings?exercise=1", nil, &findings)
	if len(findings.Items) != 1 || findings.Items[0].Severity != readiness.SeverityHigh ||
		findings.Items[0].Source != readiness.SourceExercise ||
		!strings.Contains(findings.Items[0].Title, "Log clearing") {
		t.Errorf("findings of the exercise: %+v, want one high finding for the miss",
			findings.Items)
	}

	stdout.Reset()
	if code := runExercise(t.Context(), []string{"report", "1"}, env, &stdout,
		&stderr); code != exitOK {
		t.Fatalf("exercise report: exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"# Disclosure report: Simulation quiet-probe",
		"### What the red team did", "| 1 | +0ms | Guess root's password | 1 |",
		"| Password guessing | yes | #1 | SSH Password Guessing Against Root |",
		"| Log clearing | **no** |", "- Log clearing: no an alert tagged attack.t1070.002",
		"| Missed detection: Log clearing | high |"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestExerciseTagsGuarded checks that events tagged with an exercise are
// refused from an ingest token (a collector must not silence real events)
// and for an exercise that is completed, and that bad usage exits 2.
func TestExerciseTagsGuarded(t *testing.T) {
	t.Parallel()
	s, token := exerciseServer(t)
	var tok struct {
		Secret string `json:"token"`
	}
	apiCall(t, s, exerciseAdminToken, "POST", "/api/v1/tokens",
		map[string]any{"name": "collector", "role": "ingest"}, &tok)
	var ex readiness.Exercise
	apiCall(t, s, token, "POST", "/api/v1/exercises", map[string]any{"name": "drill",
		"kind": "blue_team"}, &ex)
	line := func(id int64) []byte {
		return []byte(`{"program":"sshd","message":"x","vigil":{"exercise":` +
			strconv.FormatInt(id, 10) + `}}` + "\n" + `{"program":"sshd","message":"y"}` + "\n")
	}
	type answer struct {
		Accepted int `json:"accepted"`
		Rejected []struct {
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"rejected"`
	}
	for _, tt := range []struct {
		who, token string
		id         int64
		reason     string
	}{
		{"ingest token", tok.Secret, ex.ID, "only admins and responders"},
		{"unknown exercise", token, 99, "no exercise 99"},
	} {
		var a answer
		apiCall(t, s, tt.token, "POST", "/api/v1/events", line(tt.id), &a)
		if a.Accepted != 1 || len(a.Rejected) != 1 || a.Rejected[0].Line != 1 ||
			!strings.Contains(a.Rejected[0].Reason, tt.reason) {
			t.Errorf("%s: %+v, want line 1 rejected (%s) and line 2 accepted", tt.who, a,
				tt.reason)
		}
	}
	var a answer
	apiCall(t, s, token, "POST", "/api/v1/events", line(ex.ID), &a)
	if a.Accepted != 2 {
		t.Errorf("responder tagging an open exercise: %+v, want both accepted", a)
	}

	var stderr bytes.Buffer
	for _, args := range [][]string{{"run"}, {"run", "x", "--speed", "-1", "--token", "t"},
		{"run", "x", "--server", "ftp://h", "--token", "t"}, {"fly"}, {"run", "x"}} {
		if code := runExercise(context.Background(), args, envMap(), io.Discard,
			&stderr); code != exitUsage {
			t.Errorf("vigil exercise %v: exit %d, want 2", args, code)
		}
	}
	var out bytes.Buffer
	if code := runExercise(context.Background(), []string{"list"}, envMap(), &out,
		&stderr); code != exitOK || strings.Count(out.String(), "\n") < 4 ||
		!strings.Contains(out.String(), "storage-exfiltration") {
		t.Errorf("vigil exercise list: exit %d\n%s", code, out.String())
	}
}

// TestTrainingReportCommand keeps two training records through the API and
// checks vigil training report's table, its exit status and the CSV export.
func TestTrainingReportCommand(t *testing.T) {
	t.Parallel()
	s, _ := exerciseServer(t)
	old := time.Now().UTC().AddDate(-2, 0, 0).Format(time.DateOnly)
	fresh := time.Now().UTC().Format(time.DateOnly)
	for name, p := range map[string]map[string]any{
		"ana": {"roles": []string{"auditor"}, "teams": []string{"audit"}, "joined": old},
		"ben": {"roles": []string{"auditor"}, "teams": []string{"audit"}, "joined": fresh},
	} {
		if st := apiCall(t, s, exerciseAdminToken, "PUT", "/api/v1/training/people/"+name, p,
			nil); st != 201 {
			t.Fatalf("PUT %s: %d", name, st)
		}
	}
	env := envMap("VIGIL_TOKEN", exerciseAdminToken, "VIGIL_SERVER", "http://"+s.addr)
	var out, errs bytes.Buffer
	code := runTraining(t.Context(), []string{"report"}, env, &out, &errs)
	if code != exitError || !strings.Contains(out.String(), "2 people, 1 overdue, 0 due soon") ||
		!strings.Contains(out.String(), "ana     overdue (") ||
		!strings.Contains(out.String(), "Security incident basics") ||
		strings.Contains(out.String(), "ben ") {
		t.Errorf("training report: exit %d, want 1 (ana overdue)\n%s%s", code, out.String(),
			errs.String())
	}
	out.Reset()
	code = runTraining(t.Context(), []string{"report", "--person", "ben"}, env, &out, &errs)
	if code != exitOK || !strings.Contains(out.String(), "1 people, 0 overdue") {
		t.Errorf("report for ben: exit %d\n%s", code, out.String())
	}
	out.Reset()
	code = runTraining(t.Context(), []string{"report", "--format", "csv"}, env, &out, &errs)
	if code != exitOK || !strings.HasPrefix(out.String(), "person,teams,kind,requirement") ||
		strings.Count(out.String(), "\n") != 3 {
		t.Errorf("CSV export: exit %d\n%s", code, out.String())
	}
	if code := runTraining(t.Context(), []string{"report", "--format", "xml"}, env, &out,
		&errs); code != exitUsage {
		t.Errorf("--format xml: exit %d, want 2", code)
	}
}
