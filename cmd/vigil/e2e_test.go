package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/postgres/pgtest"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// The attack dataset and rules of the end-to-end test, from the test's
// folder.
const (
	e2eDataset = "../../../shared/corpus/attack-json/SDWIN-201018195009"
	e2eZip     = e2eDataset + "/psh_lsass_memory_dump_comsvcs.zip"
	e2eStats   = e2eDataset + "/STATS.json"
	e2eRules   = "../../../shared/corpus/sigma/rules/windows"
	e2eToken   = "vgl_e2e-test-token-0123456789abcdef"
)

// e2eCorpus skips the test when the corpus is absent, or fails it on CI,
// where the corpus must be present.
func e2eCorpus(t *testing.T) {
	t.Helper()
	for _, p := range []string{e2eZip, e2eStats, e2eRules} {
		if _, err := os.Stat(p); err != nil {
			msg := "test corpus missing (" + err.Error() + "): the end-to-end test needs " +
				"../shared/corpus beside the repository"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// e2eProcess is a running vigil binary.
type e2eProcess struct {
	cmd    *exec.Cmd
	addr   string
	stderr *lockedBuffer
	done   chan error
}

// buildVigil builds the binary into a temporary folder.
func buildVigil(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigil")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startVigil starts "vigil serve" with a SQLite store in data, on a
// loopback port 0, and waits until /readyz answers 200.
func startVigil(t *testing.T, bin, data string) *e2eProcess {
	t.Helper()
	return startVigilWith(t, bin, []string{"--data", data})
}

// startVigilWith is startVigil with the store chosen by args and by env, a
// list of VIGIL_*=value settings.
func startVigilWith(t *testing.T, bin string, args []string, env ...string) *e2eProcess {
	t.Helper()
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--rules", e2eRules}, args...)
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIGIL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "VIGIL_ADMIN_TOKEN="+e2eToken)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout = io.Discard
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &e2eProcess{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start vigil: %v", err)
	}
	addrs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.Write([]byte(line + "\n"))
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				addrs <- m[1]
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})

	select {
	case p.addr = <-addrs:
	case err := <-p.done:
		t.Fatalf("vigil exited (%v) before listening:\n%s", err, p.stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("vigil did not listen:\n%s", p.stderr)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("vigil not ready (%v):\n%s", err, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGINT and waits for a clean exit.
func (p *e2eProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("signal vigil: %v", err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("vigil exit: %v\n%s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("vigil did not stop:\n%s", p.stderr)
	}
}

// call sends a request with the test token and decodes a JSON answer into v.
func (p *e2eProcess) call(t *testing.T, method, path string, body io.Reader, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+p.addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e2eToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-ndjson")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s %s: status %d, decode %q: %v", method, path, resp.StatusCode, b, err)
	}
	return resp.StatusCode
}

type e2eAlert struct {
	ID         int64    `json:"id"`
	RuleID     string   `json:"rule_id"`
	RuleTitle  string   `json:"rule_title"`
	Level      string   `json:"level"`
	Tags       []string `json:"tags"`
	EventIDs   []int64  `json:"event_ids"`
	IncidentID int64    `json:"incident_id"`
}

type e2eIncident struct {
	ID       int64   `json:"id"`
	Number   string  `json:"number"`
	Severity string  `json:"severity"`
	AlertIDs []int64 `json:"alert_ids"`
}

// alerts pages through every alert.
func (p *e2eProcess) alerts(t *testing.T) []e2eAlert {
	t.Helper()
	var all []e2eAlert
	cursor := ""
	for range 100 {
		var page struct {
			Items []e2eAlert `json:"items"`
			Next  string     `json:"next"`
		}
		if status := p.call(t, "GET", "/api/v1/alerts?limit=100&cursor="+url.QueryEscape(cursor),
			nil, &page); status != 200 {
			t.Fatalf("GET alerts: status %d", status)
		}
		all = append(all, page.Items...)
		if page.Next == "" {
			return all
		}
		cursor = page.Next
	}
	t.Fatal("alert paging does not end")
	return nil
}

func (p *e2eProcess) incidents(t *testing.T) []e2eIncident {
	t.Helper()
	var page struct {
		Items []e2eIncident `json:"items"`
		Next  string        `json:"next"`
	}
	if status := p.call(t, "GET", "/api/v1/incidents?limit=1000", nil, &page); status != 200 {
		t.Fatalf("GET incidents: status %d", status)
	}
	if page.Next != "" {
		t.Fatal("more than 1000 incidents")
	}
	return page.Items
}

// readDataset returns the NDJSON of the dataset and its event count from
// STATS.json.
func readDataset(t *testing.T) ([]byte, int) {
	t.Helper()
	var stats struct {
		Events    int    `json:"events"`
		InnerFile string `json:"inner_file"`
	}
	b, err := os.ReadFile(e2eStats)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &stats); err != nil {
		t.Fatalf("STATS.json: %v", err)
	}
	zr, err := zip.OpenReader(e2eZip)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.Open(stats.InnerFile)
	if err != nil {
		t.Fatalf("open %s in the zip: %v", stats.InnerFile, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return data, stats.Events
}

func TestEndToEndLsassDump(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	e2eCorpus(t)
	t.Parallel()
	data, wantEvents := readDataset(t)
	if !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	badLine := bytes.Count(data, []byte("\n")) + 1
	body := append(slices.Clip(data), "{\"EventID\": 4688, broken\n"...)

	bin := buildVigil(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startVigil(t, bin, dataDir)

	var res struct {
		Accepted int `json:"accepted"`
		Rejected []struct {
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"rejected"`
		Alerts    int      `json:"alerts"`
		Incidents []string `json:"incidents"`
	}
	if status := p.call(t, "POST", "/api/v1/events", bytes.NewReader(body), &res); status != 200 {
		t.Fatalf("POST events: status %d: %+v", status, res)
	}
	if res.Accepted != wantEvents {
		t.Errorf("accepted %d, want %d (STATS.json)", res.Accepted, wantEvents)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Line != badLine || res.Rejected[0].Reason == "" {
		t.Errorf("rejected %+v, want line %d with a reason", res.Rejected, badLine)
	}
	if res.Alerts == 0 || len(res.Incidents) == 0 {
		t.Errorf("%d alerts, incidents %v; want some of each", res.Alerts, res.Incidents)
	}

	alerts := p.alerts(t)
	t.Logf("%d events accepted, %d alerts, incidents %v", res.Accepted, res.Alerts, res.Incidents)
	if len(alerts) != res.Alerts {
		t.Errorf("listed %d alerts, the POST raised %d", len(alerts), res.Alerts)
	}
	if !slices.ContainsFunc(alerts, func(a e2eAlert) bool {
		return slices.Contains(a.Tags, "attack.t1003.001") ||
			slices.Contains(a.Tags, "attack.t1003")
	}) {
		t.Errorf("no alert tagged attack.t1003.001 or attack.t1003 among %d", len(alerts))
	}
	byID := map[int64]e2eAlert{}
	for _, a := range alerts {
		byID[a.ID] = a
	}
	incidents := p.incidents(t)
	if !slices.ContainsFunc(incidents, func(inc e2eIncident) bool {
		return slices.ContainsFunc(inc.AlertIDs, func(id int64) bool {
			a := byID[id]
			return a.IncidentID == inc.ID && (a.Level == "high" || a.Level == "critical")
		})
	}) {
		t.Errorf("no incident linked to a high or critical alert among %+v", incidents)
	}
	p.stop(t)

	// A restart on the same folder keeps everything.
	p = startVigil(t, bin, dataDir)
	if got := p.alerts(t); len(got) != len(alerts) {
		t.Errorf("after restart: %d alerts, want %d", len(got), len(alerts))
	}
	if got := p.incidents(t); len(got) != len(incidents) {
		t.Errorf("after restart: %d incidents, want %d", len(got), len(incidents))
	}
	p.stop(t)

	st, err := sqlite.Open(context.Background(), filepath.Join(dataDir, "vigil.db"))
	if err != nil {
		t.Fatalf("open the data folder's store: %v", err)
	}
	defer st.Close()
	if n, err := st.CountEvents(context.Background()); err != nil || n != int64(wantEvents) {
		t.Errorf("stored events after restart = %d, %v; want %d", n, err, wantEvents)
	}
}

// TestEndToEndPostgres runs vigil serve on a PostgreSQL database of its own:
// a batch is posted, alerts and incidents are listed, the process is killed
// right after the answer, and a restart still has every acknowledged event.
// It skips when PostgreSQL does not answer, and fails then under CI.
func TestEndToEndPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	e2eCorpus(t)
	dsn := pgtest.NewDatabase(t)
	t.Parallel()
	data, wantEvents := readDataset(t)

	bin := buildVigil(t)
	// The evidence files live under --data even with PostgreSQL.
	dataDir := t.TempDir()
	start := func() *e2eProcess {
		// The DSN goes through the environment, out of the process list.
		return startVigilWith(t, bin, []string{"--store", "postgres", "--data", dataDir},
			"VIGIL_PG_DSN="+dsn)
	}
	p := start()
	var res struct {
		Accepted  int      `json:"accepted"`
		Alerts    int      `json:"alerts"`
		Incidents []string `json:"incidents"`
	}
	if status := p.call(t, "POST", "/api/v1/events", bytes.NewReader(data), &res); status != 200 {
		t.Fatalf("POST events: status %d: %+v", status, res)
	}
	if res.Accepted != wantEvents || res.Alerts == 0 || len(res.Incidents) == 0 {
		t.Errorf("accepted %d events, %d alerts, incidents %v; want %d events and some "+
			"alerts and incidents", res.Accepted, res.Alerts, res.Incidents, wantEvents)
	}
	alerts, incidents := p.alerts(t), p.incidents(t)
	if len(alerts) != res.Alerts || len(incidents) != len(res.Incidents) {
		t.Errorf("listed %d alerts and %d incidents, the POST raised %d and %d",
			len(alerts), len(incidents), res.Alerts, len(res.Incidents))
	}

	// Acknowledged means durable: no clean shutdown.
	p.cmd.Process.Kill()
	<-p.done
	logs := p.stderr.String()
	p = start()
	if got := p.alerts(t); len(got) != len(alerts) {
		t.Errorf("after kill and restart: %d alerts, want %d", len(got), len(alerts))
	}
	if got := p.incidents(t); len(got) != len(incidents) {
		t.Errorf("after kill and restart: %d incidents, want %d", len(got), len(incidents))
	}
	p.stop(t)
	logs += p.stderr.String()
	for _, secret := range []string{e2eToken, dsn} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret (%d characters)", len(secret))
		}
	}

	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	defer st.Close()
	if n, err := st.CountEvents(context.Background()); err != nil || n != int64(wantEvents) {
		t.Errorf("stored events after restart = %d, %v; want %d", n, err, wantEvents)
	}
}
