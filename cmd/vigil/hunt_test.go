package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/corpustest"
)

type huntLine struct {
	RuleID    string   `json:"rule_id"`
	RuleTitle string   `json:"rule_title"`
	Level     string   `json:"level"`
	Tags      []string `json:"tags"`
	Time      *string  `json:"time"`
	Source    struct {
		File string
		Line int
	} `json:"source"`
	Event map[string]any `json:"event"`
}

func runVigil(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func parseHunt(t *testing.T, out string) []huntLine {
	t.Helper()
	var lines []huntLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l huntLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("hunt output line %d is not JSON: %v: %.200s", len(lines)+1, err, sc.Text())
		}
		lines = append(lines, l)
	}
	return lines
}

// datasetTechnique reads the ATT&CK technique named by a dataset's metadata
// YAML, e.g. "t1003.001" or "t1021".
func datasetTechnique(t *testing.T, dir string) string {
	t.Helper()
	id := filepath.Base(dir)
	data, err := os.ReadFile(filepath.Join(dir, id+".yaml"))
	if err != nil {
		t.Fatalf("read dataset metadata: %v", err)
	}
	var meta struct {
		Mappings []struct {
			Technique    string `yaml:"technique"`
			SubTechnique string `yaml:"sub-technique"`
		} `yaml:"attack_mappings"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil || len(meta.Mappings) == 0 {
		t.Fatalf("dataset %s: no attack_mappings (err %v)", id, err)
	}
	m := meta.Mappings[0]
	tech := strings.ToLower(m.Technique)
	if m.SubTechnique != "" {
		tech += "." + m.SubTechnique
	}
	return tech
}

// namesTechnique reports whether an ATT&CK tag names the technique: the
// technique itself, its parent when the technique is a sub-technique, or one
// of its sub-techniques when the dataset gives no sub-technique.
func namesTechnique(tag, tech string) bool {
	tag = strings.TrimPrefix(strings.ToLower(tag), "attack.")
	parent, _, isSub := strings.Cut(tech, ".")
	switch {
	case tag == tech:
		return true
	case isSub:
		return tag == parent
	default:
		return strings.HasPrefix(tag, tech+".")
	}
}

func TestHuntFindsEachAttackDataset(t *testing.T) {
	rules := corpustest.Path(t, "sigma", "rules")
	attack := corpustest.Path(t, "attack-json")
	code, out, errs := runVigil(t, "hunt", "--rules", rules, "--format", "ndjson", attack)
	if code != exitOK {
		t.Fatalf("vigil hunt exit %d, stderr:\n%s", code, errs)
	}
	lines := parseHunt(t, out)
	dirs, _ := filepath.Glob(filepath.Join(attack, "SDWIN-*"))
	if len(dirs) != 5 {
		t.Fatalf("found %d attack datasets, want 5", len(dirs))
	}
	for _, dir := range dirs {
		id := filepath.Base(dir)
		tech := datasetTechnique(t, dir)
		var found []string
		total := 0
		for _, l := range lines {
			if !strings.Contains(l.Source.File, id) {
				continue
			}
			total++
			for _, tag := range l.Tags {
				if namesTechnique(tag, tech) {
					found = append(found, l.RuleTitle)
					break
				}
			}
		}
		t.Logf("%s (%s): %d detections, %d naming the technique, e.g. %q",
			id, tech, total, len(found), first(found))
		if len(found) == 0 {
			t.Errorf("%s: no detection tagged with %s among %d detections", id, tech, total)
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// TestHuntSamples runs the repository's own rules over its sample logs, the
// README's first command, and checks what each rule finds.
func TestHuntSamples(t *testing.T) {
	root := corpustest.Root()
	code, out, errs := runVigil(t, "hunt", "--rules", filepath.Join(root, "rules"),
		"--format", "ndjson", filepath.Join(root, "samples", "logs"))
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	got := map[string]int{}
	for _, l := range parseHunt(t, out) {
		got[l.RuleTitle]++
		if l.Time == nil {
			t.Errorf("%s at %s:%d has no time", l.RuleTitle, l.Source.File, l.Source.Line)
		}
	}
	want := map[string]int{
		"SSH Password Guessing Against Root":              8,
		"SSH Login Attempt For A Non-Existent User":       12,
		"Successful SSH Password Login As Root":           1,
		"New Local Account With UID 0":                    1,
		"Interactive Root Shell Through Sudo":             1,
		"Path Traversal Attempt In Web Request":           1,
		"SQL Injection Attempt In Web Request":            1,
		"Web Shell Command Execution":                     2,
		"Probe For Admin Pages Of Software Not Installed": 4,
		"LSASS Memory Dump Through Comsvcs MiniDump":      1,
		"Mshta Runs Inline Script":                        1,
		"PowerShell With An Encoded Command":              1,
		"Scheduled Task Created To Run Hidden PowerShell": 1,
	}
	for title, n := range want {
		if got[title] != n {
			t.Errorf("rule %q: %d detections, want %d", title, got[title], n)
		}
	}
	for title := range got {
		if _, ok := want[title]; !ok {
			t.Errorf("unexpected detections by %q: %d", title, got[title])
		}
	}
	for _, s := range []string{"events:", "detections:", "by rule:", "time:"} {
		if !strings.Contains(errs, s) {
			t.Errorf("summary lacks %q:\n%s", s, errs)
		}
	}
}

func TestHuntTableFormat(t *testing.T) {
	root := corpustest.Root()
	code, out, errs := runVigil(t, "hunt", "--rules", filepath.Join(root, "rules", "windows"),
		filepath.Join(root, "samples", "logs", "windows-sysmon.ndjson"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "TIME") {
		t.Fatalf("want a header and 4 detections, got:\n%s", out)
	}
	if !regexp.MustCompile(`2026-11-28T11:33:50Z\s+critical\s+LSASS Memory Dump.*\s+` +
		`WKS-0142\.corp\.example\s+.*windows-sysmon\.ndjson:7`).MatchString(out) {
		t.Errorf("table lacks the LSASS detection with its time and level:\n%s", out)
	}
}

func TestHuntBadInput(t *testing.T) {
	root := corpustest.Root()
	rules := filepath.Join(root, "rules")
	dir := t.TempDir()
	mixed := filepath.Join(dir, "mixed.ndjson")
	content := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,` +
		`"Image":"C:\\Windows\\System32\\mshta.exe","CommandLine":"mshta vbscript:Execute(1)"}
{"broken": 
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,` +
		`"Image":"C:\\Windows\\System32\\mshta.exe","CommandLine":"mshta javascript:alert(1)"}
`
	if err := os.WriteFile(mixed, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runVigil(t, "hunt", "--rules", rules, "--format", "ndjson", mixed)
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (bad lines are skipped): %s", code, errs)
	}
	if n := len(parseHunt(t, out)); n != 2 {
		t.Errorf("%d detections, want 2 (both good lines)", n)
	}
	if !strings.Contains(errs, "mixed.ndjson:2") {
		t.Errorf("stderr does not name the bad line mixed.ndjson:2:\n%s", errs)
	}

	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no rules", []string{"hunt", mixed}, exitUsage},
		{"no input", []string{"hunt", "--rules", rules}, exitUsage},
		{"bad format", []string{"hunt", "--rules", rules, "--format", "xml", mixed}, exitUsage},
		{"unknown flag", []string{"hunt", "--bogus", "--rules", rules, mixed}, exitUsage},
		{"missing input", []string{"hunt", "--rules", rules, filepath.Join(dir, "nope.log")}, exitError},
		{"flags after inputs", []string{"hunt", mixed, "--rules", rules}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, errs := runVigil(t, tt.args...); code != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, errs)
			}
		})
	}
}

func TestHuntStdinAndMinLevel(t *testing.T) {
	root := corpustest.Root()
	auth, err := os.ReadFile(filepath.Join(root, "samples", "logs", "auth.log"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"hunt", "--rules", filepath.Join(root, "rules"),
		"--format", "ndjson", "--min-level", "high", "-"}, bytes.NewReader(auth), &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := parseHunt(t, out.String())
	var got []string
	for _, l := range lines {
		got = append(got, l.Level+" "+l.RuleTitle+" "+l.Source.File)
	}
	want := []string{
		"high Successful SSH Password Login As Root -",
		"critical New Local Account With UID 0 -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("detections from stdin at high and above:\n%s\nwant:\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(errb.String(), "read from 1 file,") {
		t.Errorf("summary: %s", errb.String())
	}
	if code, _, _ := runVigil(t, "hunt", "--rules", root, "--min-level", "urgent", "-"); code != exitUsage {
		t.Errorf("--min-level urgent: exit %d, want 2", code)
	}
}

// TestHuntProgress forces the progress bar on a hunt long enough to draw it.
func TestHuntProgress(t *testing.T) {
	rules := corpustest.Path(t, "sigma", "rules", "windows")
	attack := corpustest.Path(t, "attack-json")
	code, _, errs := runVigil(t, "hunt", "--rules", rules, "--progress", "on", "--workers", "1",
		"--format", "ndjson", attack)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !regexp.MustCompile(`\r\x1b\[K\[[= ]{24}\] +\d+%  [\d,]+ events`).MatchString(errs) {
		t.Errorf("no progress bar drawn on stderr:\n%q", errs[:min(len(errs), 400)])
	}
	if code, _, errs := runVigil(t, "hunt", "--rules", rules, "--progress", "off",
		filepath.Join(attack, "SDWIN-201018195009")); code != exitOK || strings.Contains(errs, "\r") {
		t.Errorf("--progress off drew something (exit %d): %q", code, errs)
	}
}
