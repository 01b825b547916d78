package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/corpustest"
)

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, s)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "line,template_id,template" {
		t.Fatalf("header %q, want line,template_id,template", rows)
	}
	return rows[1:]
}

func TestLogparse(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.log": "" +
		"Invalid user alice from 10.0.0.1\r\n" +
		"Accepted password for root from 10.0.0.9 port 22 ssh2\r\n" +
		"\r\n" +
		"Invalid user bob from 10.0.0.2\r\n" +
		"Invalid user carol from 10.0.0.3\r\n" +
		"Accepted password for root from 10.0.0.7 port 2222 ssh2"})
	code, out, errOut := runVigil(t, "logparse", filepath.Join(dir, "app.log"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := readCSV(t, out)
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 5 (blank line skipped):\n%s", len(rows), out)
	}
	byLine := map[string][]string{}
	for _, r := range rows {
		byLine[r[0]] = r
	}
	// Lines 1, 4 and 5 share one template, which merged after the third user.
	for _, l := range []string{"4", "5"} {
		if byLine[l][1] != byLine["1"][1] {
			t.Errorf("line %s template %s, line 1 %s", l, byLine[l][1], byLine["1"][1])
		}
	}
	if got, want := byLine["1"][2], "Invalid user <*> from <*>"; got != want {
		t.Errorf("template %q, want %q", got, want)
	}
	if byLine["2"][1] != byLine["6"][1] || byLine["2"][1] == byLine["1"][1] {
		t.Errorf("lines 2 and 6: %v %v", byLine["2"], byLine["6"])
	}
	if !strings.Contains(errOut, "5 mined from 1 files, 1 blank skipped") {
		t.Errorf("summary: %s", errOut)
	}
}

func TestLogparseBadInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.log": "one two 3\n"})
	code, out, errOut := runVigil(t, "logparse", filepath.Join(dir, "missing.log"),
		filepath.Join(dir, "a.log"))
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(errOut, "missing.log") {
		t.Errorf("error does not name the file: %s", errOut)
	}
	rows := readCSV(t, out)
	if len(rows) != 1 || rows[0][0] != filepath.Join(dir, "a.log")+":1" {
		t.Errorf("the readable file was not mined: %q", rows)
	}

	for _, args := range [][]string{{"logparse"}, {"logparse", "--format", "json", "x"}} {
		if code, _, _ := runVigil(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestLogparseStdin(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"logparse", "-"},
		strings.NewReader("x y 1\nx y 2\n"), &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	rows := readCSV(t, out.String())
	if len(rows) != 2 || rows[0][1] != rows[1][1] || rows[0][2] != "x y <*>" {
		t.Errorf("rows %q", rows)
	}
}

// TestLogparseLoghub runs the command on the Content column of one Loghub
// system and checks its grouping against the ground truth: the contract
// end to end, with the accuracy the package test measures.
func TestLogparseLoghub(t *testing.T) {
	dir := corpustest.Path(t, "loghub-2k", "OpenSSH")
	f, err := os.Open(filepath.Join(dir, "OpenSSH_2k.log_structured.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var content strings.Builder
	truth := map[string]string{} // line → event
	for i, r := range rows[1:] {
		content.WriteString(r[6] + "\n") // Content
		truth[strconv.Itoa(i+1)] = r[7]  // EventId
	}
	in := writeFiles(t, map[string]string{"content.txt": content.String()})
	code, out, errOut := runVigil(t, "logparse", "--format", "csv", filepath.Join(in, "content.txt"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	groups := map[string][]string{} // template ID → events of its lines
	eventSize := map[string]int{}
	for _, r := range readCSV(t, out) {
		groups[r[1]] = append(groups[r[1]], truth[r[0]])
		eventSize[truth[r[0]]]++
	}
	correct := 0
	for _, evs := range groups {
		same := eventSize[evs[0]] == len(evs)
		for _, e := range evs {
			same = same && e == evs[0]
		}
		if same {
			correct += len(evs)
		}
	}
	// Drain's published 0.788 less 0.05, the floor for this system.
	if acc := float64(correct) / float64(len(rows)-1); acc < 0.738 {
		t.Errorf("grouping accuracy %.3f through vigil logparse, want at least 0.738", acc)
	}
}
