package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/api"
)

// lockedBuffer is a bytes.Buffer safe for a server's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// envMap is a fake environment.
func envMap(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestServeUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  []string
		want int
		// msg must appear on stderr: the message names where the bad
		// setting came from.
		msg string
	}{
		{"help", []string{"--help"}, nil, exitOK, ""},
		{"unknown flag", []string{"--colour"}, nil, exitUsage, "-colour"},
		{"positional argument", []string{"logs"}, nil, exitUsage, `"logs"`},
		{"bad store", []string{"--store", "mysql"}, nil, exitUsage, `--store "mysql"`},
		{"bad store from env", nil, []string{"VIGIL_STORE", "mysql"}, exitUsage,
			`VIGIL_STORE "mysql"`},
		{"postgres without dsn", []string{"--store", "postgres"}, nil, exitUsage, "--pg-dsn"},
		{"bad log level", []string{"--log-level", "loud"}, nil, exitUsage, "--log-level"},
		{"bad log level from env", nil, []string{"VIGIL_LOG_LEVEL", "loud"}, exitUsage,
			"VIGIL_LOG_LEVEL"},
		{"bad metrics env", nil, []string{"VIGIL_METRICS_PUBLIC", "maybe"}, exitUsage,
			"VIGIL_METRICS_PUBLIC"},
		{"bad anomaly env", nil, []string{"VIGIL_ANOMALY", "perhaps"}, exitUsage,
			"VIGIL_ANOMALY"},
		{"empty rules", []string{"--rules", ""}, nil, exitUsage, "--rules"},
		{"short admin token", nil, []string{"VIGIL_ADMIN_TOKEN", "short"}, exitUsage,
			"VIGIL_ADMIN_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			got := serve(context.Background(), tt.args, envMap(tt.env...), &stdout, &stderr)
			if got != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, tt.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("stderr does not name %s:\n%s", tt.msg, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}

func TestResolveServeConfig(t *testing.T) {
	t.Parallel()
	sep := string(os.PathListSeparator)
	tests := []struct {
		name string
		args []string
		env  []string
		want serveConfig
	}{
		{
			name: "defaults",
			want: serveConfig{listen: "127.0.0.1:8080", dataDir: "./vigil-data", store: "sqlite",
				logLevel: slog.LevelInfo, anomaly: true},
		},
		{
			name: "environment over defaults",
			env: []string{
				"VIGIL_LISTEN", "127.0.0.1:9000", "VIGIL_DATA", "/srv/vigil",
				"VIGIL_RULES", "a" + sep + "b", "VIGIL_STORE", "postgres",
				"VIGIL_PG_DSN", "postgres://x", "VIGIL_LOG_LEVEL", "debug",
				"VIGIL_METRICS_PUBLIC", "true", "VIGIL_ADMIN_TOKEN", "vgl_0123456789abcdef",
				"VIGIL_ANOMALY", "false", "VIGIL_ANOMALY_CONFIG", "/etc/vigil/anomaly.yml",
			},
			want: serveConfig{listen: "127.0.0.1:9000", dataDir: "/srv/vigil",
				rules: []string{"a", "b"}, store: "postgres", pgDSN: "postgres://x",
				logLevel: slog.LevelDebug, metricsPublic: true,
				adminToken: "vgl_0123456789abcdef", anomalyConfig: "/etc/vigil/anomaly.yml"},
		},
		{
			name: "flags over environment",
			args: []string{"--listen", "127.0.0.1:0", "--data", "d", "--rules", "r1",
				"--rules", "r2", "--store", "sqlite", "--log-level", "warn",
				"--metrics-public=false", "--anomaly=true", "--anomaly-config", "a.yml"},
			env: []string{"VIGIL_LISTEN", "127.0.0.1:9000", "VIGIL_DATA", "/srv/vigil",
				"VIGIL_RULES", "a", "VIGIL_STORE", "postgres", "VIGIL_LOG_LEVEL", "debug",
				"VIGIL_METRICS_PUBLIC", "true", "VIGIL_ANOMALY", "false",
				"VIGIL_ANOMALY_CONFIG", "b.yml"},
			want: serveConfig{listen: "127.0.0.1:0", dataDir: "d", rules: []string{"r1", "r2"},
				store: "sqlite", logLevel: slog.LevelWarn, anomaly: true, anomalyConfig: "a.yml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolveServeConfig(tt.args, envMap(tt.env...), io.Discard)
			if err != nil {
				t.Fatalf("resolveServeConfig: %v", err)
			}
			// The rule flags are pointers into the FlagSet: compared apart;
			// notifications are tested in notify_test.go.
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(serveConfig{}),
				cmpopts.IgnoreFields(serveConfig{}, "ruleFlags", "notify",
					"obligations")); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if got.ruleFlags == nil || got.ruleFlags.mapping == nil {
				t.Errorf("ruleFlags = %+v, want the flags of a command that reads events",
					got.ruleFlags)
			}
		})
	}
}

// testServer is vigil serve running in the test process.
type testServer struct {
	addr           string
	stdout, stderr *lockedBuffer
	stop           func() int // cancels the server and returns its exit code
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServe runs serve with args and env until the test stops it, and waits
// until it listens.
func startServe(t *testing.T, args []string, env ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	done := make(chan int, 1)
	go func() { done <- serve(ctx, args, envMap(env...), s.stdout, s.stderr) }()
	s.stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatalf("serve did not stop; stderr:\n%s", s.stderr)
			return -1
		}
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(s.stderr.String()); m != nil {
			s.addr = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d; stderr:\n%s", code, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not listen; stderr:\n%s", s.stderr)
		}
	}
	return s
}

// get sends GET path with a bearer token and returns the status and body.
func (s *testServer) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+s.addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var tokenBoxRE = regexp.MustCompile(`Admin API token \(shown once, store it now\): (vgl_\S+)`)

func TestServeFirstStartPrintsTokenOnce(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	args := []string{"--listen", "127.0.0.1:0", "--data", data}

	s := startServe(t, args)
	m := tokenBoxRE.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no admin token on stdout:\n%s", s.stdout)
	}
	token := m[1]
	if strings.Contains(s.stderr.String(), token) {
		t.Error("the admin token was logged")
	}
	if status, body := s.get(t, "/api/v1/incidents", token); status != 200 {
		t.Errorf("GET incidents with the printed token: %d %s", status, body)
	}
	if status, _ := s.get(t, "/api/v1/incidents", ""); status != 401 {
		t.Errorf("GET incidents without a token: %d, want 401", status)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit %d, want 0; stderr:\n%s", code, s.stderr)
	}
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder: %v, %v; want mode 0700", fi.Mode(), err)
	}
	for _, want := range []string{"msg=\"store opened\"", "msg=\"shutting down\"", "msg=stopped"} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, s.stderr)
		}
	}

	// The second start keeps the token and prints nothing.
	s = startServe(t, args)
	if status, body := s.get(t, "/api/v1/incidents", token); status != 200 {
		t.Errorf("GET incidents after restart: %d %s", status, body)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit %d after restart", code)
	}
	if out := s.stdout.String(); out != "" {
		t.Errorf("second start printed:\n%s", out)
	}
}

const testRule = `title: Test rundll32 MiniDump
id: 11111111-2222-3333-4444-555555555555
level: critical
tags: [attack.t1003.001]
logsource: {product: windows, category: process_creation}
detection:
  selection: {CommandLine|contains: MiniDump}
  condition: selection
`

func TestServeWithEnvTokenAndRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"good.yml":   testRule,
		"broken.yml": "title: broken\ndetection: [\n",
	} {
		if err := os.WriteFile(filepath.Join(rules, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const token = "vgl_from-the-environment-0123"
	s := startServe(t, []string{"--listen", "127.0.0.1:0", "--rules", rules},
		"VIGIL_DATA", filepath.Join(dir, "data"), "VIGIL_ADMIN_TOKEN", token,
		"VIGIL_METRICS_PUBLIC", "1")
	defer s.stop()

	if out := s.stdout.String(); out != "" {
		t.Errorf("printed with VIGIL_ADMIN_TOKEN set:\n%s", out)
	}
	logs := s.stderr.String()
	for _, want := range []string{"msg=\"rule not loaded\"", "broken.yml",
		"msg=\"rules loaded\" count=1 failed=1"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, token) {
		t.Error("the admin token was logged")
	}

	req, err := http.NewRequest("POST", "http://"+s.addr+"/api/v1/events", strings.NewReader(
		`{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational",`+
			`"CommandLine":"rundll32 comsvcs.dll MiniDump 624 x.dmp full"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST events: %v", err)
	}
	var res struct {
		Accepted  int      `json:"accepted"`
		Alerts    int      `json:"alerts"`
		Incidents []string `json:"incidents"`
	}
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST events: %d, %v", resp.StatusCode, err)
	}
	if res.Accepted != 1 || res.Alerts != 1 || len(res.Incidents) != 1 {
		t.Errorf("POST events = %+v, want 1 accepted, 1 alert, 1 incident", res)
	}
	if status, body := s.get(t, "/metrics", ""); status != 200 ||
		!strings.Contains(body, `vigil_alerts_total{level="critical"} 1`) {
		t.Errorf("public /metrics: %d\n%s", status, body)
	}
}

func TestServeStartFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
	}{
		{"missing rules path", []string{"--rules", filepath.Join(dir, "nope")}, nil},
		{"data is a file", []string{"--data", filepath.Join(file, "sub")}, nil},
		{"bad listen address", []string{"--listen", "127.0.0.1:99999"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--listen", "127.0.0.1:0",
				"--data", filepath.Join(t.TempDir(), "data")}, tt.args...)
			var stdout, stderr bytes.Buffer
			code := serve(context.Background(), args, envMap(tt.env...), &stdout, &stderr)
			if code != exitError {
				t.Errorf("exit %d, want 1; stderr:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "level=ERROR") {
				t.Errorf("no error logged:\n%s", stderr.String())
			}
		})
	}
}

// TestHTTPServerDeadlines guards the deadlines that keep a slow client from
// holding a connection: without ReadTimeout, a request body sent a byte a
// minute ties up a goroutine for good.
func TestHTTPServerDeadlines(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	tests := []struct {
		name string
		got  time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout},
		{"ReadTimeout", srv.ReadTimeout},
		{"IdleTimeout", srv.IdleTimeout},
	}
	for _, tt := range tests {
		if tt.got <= 0 {
			t.Errorf("%s = %v, want a deadline", tt.name, tt.got)
		}
	}
	// A full batch must still fit in ReadTimeout at a modest 300 KB/s.
	if need := time.Duration(api.DefaultMaxBodyBytes) * time.Second / 300e3; srv.ReadTimeout < need {
		t.Errorf("ReadTimeout = %v, shorter than the %v a full batch takes at 300 KB/s",
			srv.ReadTimeout, need)
	}
}
