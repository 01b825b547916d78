package ingest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigilsec/vigil/internal/event"
)

// corpusDir is the shared test corpus, relative to this package.
const corpusDir = "../../../shared/corpus"

// corpus returns the path of a corpus folder, skipping the test when the
// corpus is missing, or failing it on CI, where it must be present.
func corpus(t testing.TB, sub string) string {
	t.Helper()
	dir := filepath.Join(corpusDir, sub)
	if _, err := os.Stat(dir); err != nil {
		msg := fmt.Sprintf("test corpus missing: %s (%v)", dir, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// readAll reads paths with opts and returns the events and bad records.
func readAll(t testing.TB, opts Options, paths ...string) ([]*event.Event, []*LineError) {
	t.Helper()
	var (
		events []*event.Event
		bad    []*LineError
	)
	err := ReadPaths(context.Background(), paths, opts, func(e *event.Event) error {
		events = append(events, e)
		return nil
	}, func(le *LineError) { bad = append(bad, le) })
	if err != nil {
		t.Fatalf("ReadPaths(%v): %v", paths, err)
	}
	return events, bad
}

type attackStats struct {
	Zip                  string         `json:"zip"`
	InnerFile            string         `json:"inner_file"`
	Events               int            `json:"events"`
	EventsByChannel      map[string]int `json:"events_by_channel"`
	EventsByChannelAndID map[string]int `json:"events_by_channel_and_eventid"`
}

func TestCorpusAttackJSON(t *testing.T) {
	t.Parallel()
	root := corpus(t, "attack-json")
	dirs, _ := filepath.Glob(filepath.Join(root, "SDWIN-*"))
	if len(dirs) == 0 {
		t.Fatalf("no datasets under %s", root)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			var want attackStats
			data, err := os.ReadFile(filepath.Join(dir, "STATS.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			zipPath := filepath.Join(dir, want.Zip)
			events, bad := readAll(t, Options{}, zipPath)
			if len(bad) > 0 {
				t.Errorf("%d bad records, first: %v", len(bad), bad[0])
			}
			got := attackStats{
				Zip: want.Zip, InnerFile: want.InnerFile, Events: len(events),
				EventsByChannel: map[string]int{}, EventsByChannelAndID: map[string]int{},
			}
			for i, e := range events {
				ch, _ := e.Fields["Channel"].(string)
				id := fmt.Sprint(e.Fields["EventID"])
				got.EventsByChannel[ch]++
				got.EventsByChannelAndID[ch+"|"+id]++
				wantSrc := event.Source{File: zipPath + "!" + want.InnerFile, Line: i + 1}
				if e.Source != wantSrc && i < 3 {
					t.Errorf("event %d Source = %v, want %v", i, e.Source, wantSrc)
				}
				if e.Time.IsZero() {
					t.Errorf("event %d (%v) has no time", i, e.Source)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("counts (-STATS.json +read):\n%s", diff)
			}
		})
	}
}

func TestCorpusSigmaRegression(t *testing.T) {
	t.Parallel()
	root := corpus(t, "sigma-regression")
	f, err := os.Open(filepath.Join(root, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	tests := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 5 || !strings.HasSuffix(cols[3], ".json") {
			continue
		}
		want, err := strconv.Atoi(cols[4])
		if err != nil {
			t.Fatalf("INDEX.tsv: events_in_sample %q: %v", cols[4], err)
		}
		path := filepath.Join(root, cols[0], cols[3])
		events, bad := readAll(t, Options{}, path)
		tests++
		if len(bad) > 0 {
			t.Errorf("%s: %d bad records, first: %v", path, len(bad), bad[0])
		}
		if len(events) != want {
			t.Errorf("%s: %d events, want %d", path, len(events), want)
		}
		for _, e := range events {
			for _, k := range []string{"EventID", "Channel", "Computer", "Provider_Name"} {
				if _, ok := e.Fields[k]; !ok {
					t.Errorf("%v: no %s after mapping", e.Source, k)
				}
			}
			if e.Time.IsZero() {
				t.Errorf("%v: no time", e.Source)
			}
		}
	}
	if tests != 136 {
		t.Errorf("read %d JSON samples from INDEX.tsv, want 136", tests)
	}
}

func TestCorpusSigmaRegressionFolder(t *testing.T) {
	t.Parallel()
	root := corpus(t, "sigma-regression")
	// The folder also holds info.yml files, which must be skipped, and one
	// Cisco .raw line, which must be read.
	events, bad := readAll(t, Options{}, filepath.Join(root, "regression_data"))
	if len(bad) > 0 {
		t.Errorf("%d bad records, first: %v", len(bad), bad[0])
	}
	var cisco []*event.Event
	for _, e := range events {
		if strings.HasSuffix(e.Source.File, ".raw") {
			cisco = append(cisco, e)
		}
	}
	if len(cisco) != 1 {
		t.Fatalf("%d events from the .raw file, want 1", len(cisco))
	}
	msg, _ := cisco[0].Fields["message"].(string)
	if !strings.Contains(msg, "%PARSER-5-CFGLOG_LOGGEDCMD") {
		t.Errorf("Cisco message = %q", msg)
	}
	// 154 events in the 136 JSON samples (INDEX.tsv events_in_sample), plus
	// the Cisco line; nothing from the info.yml files.
	if len(events) != 155 {
		t.Errorf("%d events from the folder, want 155", len(events))
	}
}

func TestCorpusAuthLog(t *testing.T) {
	t.Parallel()
	dir := corpus(t, "linux-logs")
	now := func() time.Time { return time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC) }
	path := filepath.Join(dir, "ssh-bruteforce-ec2", "auth.log")
	events, bad := readAll(t, Options{Now: now}, path)
	if len(bad) > 0 {
		t.Errorf("%d bad records, first: %v", len(bad), bad[0])
	}
	if len(events) != 7121 {
		t.Fatalf("%d events, want 7121", len(events))
	}
	failed, accepted, hosts := 0, 0, map[string]int{}
	for _, e := range events {
		msg, _ := e.Fields["message"].(string)
		if strings.Contains(msg, "Failed password") {
			failed++
		}
		if strings.HasPrefix(msg, "Accepted ") {
			accepted++
		}
		host, _ := e.Fields["host"].(string)
		hosts[host]++
		if _, ok := e.Fields["program"]; !ok {
			t.Errorf("%v: no program in %v", e.Source, e.Fields)
		}
		if e.Time.Year() != 2017 {
			t.Errorf("%v: time %v, want year 2017", e.Source, e.Time)
		}
	}
	if failed != 713 || accepted != 226 {
		t.Errorf("Failed password = %d, Accepted = %d; want 713, 226", failed, accepted)
	}
	if diff := cmp.Diff(map[string]int{"ip-10-77-20-248": 7121}, hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}

	// The documented success after 147 failures: line 3180.
	e := events[3179]
	want := map[string]any{
		"timestamp": "2017-03-30T16:01:36Z",
		"host":      "ip-10-77-20-248",
		"program":   "sshd",
		"pid":       e.Fields["pid"],
		"message":   "Accepted password for elastic_user_0 from 24.151.103.17 port 57668 ssh2",
	}
	if diff := cmp.Diff(want, e.Fields); diff != "" || e.Source.Line != 3180 {
		t.Errorf("line 3180 at %v (-want +got):\n%s", e.Source, diff)
	}
}

func TestCorpusApacheAccess(t *testing.T) {
	t.Parallel()
	dir := corpus(t, "linux-logs")
	events, bad := readAll(t, Options{}, filepath.Join(dir, "apache-access-semicomplete"))
	if len(bad) > 0 {
		t.Errorf("%d bad records, first: %v", len(bad), bad[0])
	}
	if len(events) != 10000 {
		t.Fatalf("%d events, want 10000", len(events))
	}
	status, methods, wpLogin := map[string]int{}, map[string]int{}, 0
	for _, e := range events {
		status[fmt.Sprint(e.Fields["sc-status"])]++
		methods[fmt.Sprint(e.Fields["cs-method"])]++
		if e.Fields["c-uri-stem"] == "/wp-login.php" {
			wpLogin++
		}
		if _, ok := e.Fields["message"]; ok {
			t.Errorf("%v: not parsed as an access log line", e.Source)
		}
	}
	wantStatus := map[string]int{
		"200": 9126, "304": 445, "404": 213, "301": 164, "206": 45, "500": 3, "416": 2, "403": 2,
	}
	if diff := cmp.Diff(wantStatus, status); diff != "" {
		t.Errorf("status counts (-want +got):\n%s", diff)
	}
	wantMethods := map[string]int{"GET": 9952, "HEAD": 42, "POST": 5, "OPTIONS": 1}
	if diff := cmp.Diff(wantMethods, methods); diff != "" {
		t.Errorf("method counts (-want +got):\n%s", diff)
	}
	if wpLogin != 12 {
		t.Errorf("%d requests for /wp-login.php, want 12", wpLogin)
	}
}

func TestCorpusLoghub(t *testing.T) {
	t.Parallel()
	root := corpus(t, "loghub-2k")
	logs, _ := filepath.Glob(filepath.Join(root, "*", "*.log"))
	if len(logs) != 12 {
		t.Fatalf("%d loghub logs, want 12", len(logs))
	}
	// Syslog systems: how many lines carry a program. Linux has 8 lines
	// without a tag ("syslogd 1.4.1: restart.", "-- root[2421]: ...").
	withProgram := map[string]int{"Linux": 1992, "OpenSSH": 2000}
	for _, path := range logs {
		system := filepath.Base(filepath.Dir(path))
		t.Run(system, func(t *testing.T) {
			t.Parallel()
			events, bad := readAll(t, Options{}, path)
			if len(bad) > 0 {
				t.Errorf("%d bad records, first: %v", len(bad), bad[0])
			}
			if len(events) != 2000 {
				t.Errorf("%d events, want 2000", len(events))
			}
			programs := 0
			for i, e := range events {
				if e.Source.Line != i+1 {
					t.Fatalf("event %d at line %d", i, e.Source.Line)
				}
				for k, v := range e.Fields {
					if s, ok := v.(string); ok && strings.ContainsRune(s, '\r') {
						t.Fatalf("%v: field %s keeps a CR: %q", e.Source, k, s)
					}
				}
				if _, ok := e.Fields["program"]; ok {
					programs++
				}
			}
			if programs != withProgram[system] {
				t.Errorf("%d events have a program, want %d", programs, withProgram[system])
			}
		})
	}
}
