package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/corpustest"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodRule = `title: Good
id: 0b0e8f4e-7a43-4a57-9a4b-9d0a8b6c1f10
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|endswith: '\whoami.exe'
    condition: sel
level: low
`

const badRule = `title: Bad
id: 5d1c2f7e-1f0b-4d7c-8f5e-3c9a6b2d4e11
logsource: {product: windows, category: process_creation}
detection:
    sel:
        CommandLine|sometimes: 'x'
    condition: sel
level: low
`

const correlationRule = `title: Many failures
id: 2e5b8c1a-9f3d-4b6e-8a7c-1d0f2e3b4a5c
correlation:
    type: event_count
    rules: [0b0e8f4e-7a43-4a57-9a4b-9d0a8b6c1f10]
    group-by: [User]
    timespan: 5m
    condition: {gte: 10}
`

func TestRulesLint(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"good.yml": goodRule, "sub/bad.yml": badRule, "corr.yml": correlationRule,
		"notes.txt": "not a rule",
	})
	code, out, errs := runVigil(t, "rules", "lint", dir)
	if code != exitError {
		t.Fatalf("exit %d, want 1 (a rule failed); stdout:\n%s", code, out)
	}
	wantLine := filepath.Join(dir, "sub", "bad.yml") + ":6:"
	if !strings.Contains(out, "error: "+wantLine) || !strings.Contains(out, `"sometimes"`) {
		t.Errorf("lint output does not name %s and the modifier:\n%s", wantLine, out)
	}
	if !strings.Contains(out, "skipped: "+filepath.Join(dir, "corr.yml")) ||
		!strings.Contains(out, "correlation") {
		t.Errorf("lint output does not say the correlation rule is skipped:\n%s", out)
	}
	if !strings.Contains(errs, "1 rules loaded, 1 failed") {
		t.Errorf("lint summary: %s", errs)
	}

	code, _, errs = runVigil(t, "rules", "lint", filepath.Join(dir, "good.yml"))
	if code != exitOK {
		t.Errorf("lint of a good rule: exit %d: %s", code, errs)
	}
	for _, args := range [][]string{{"rules"}, {"rules", "lint"}, {"rules", "frob", dir}} {
		if code, _, _ := runVigil(t, args...); code != exitUsage {
			t.Errorf("vigil %v: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := runVigil(t, "rules", "lint", filepath.Join(dir, "missing")); code != exitError {
		t.Errorf("lint of a missing path: exit %d, want 1", code)
	}
}

// TestRulesLintSigmaHQ is the load-rate check: at least 99% of the
// SigmaHQ rules load, and with the placeholders the two expand rules need,
// all of them do.
func TestRulesLintSigmaHQ(t *testing.T) {
	base := corpustest.Path(t, "sigma")
	paths, _ := filepath.Glob(filepath.Join(base, "rules*"))
	code, out, errs := runVigil(t, append([]string{"rules", "lint", "--quiet"}, paths...)...)
	var loaded, failed int
	var pct float64
	if _, err := fmtSscanf(errs, &loaded, &failed, &pct); err != nil {
		t.Fatalf("cannot read the lint summary %q: %v", errs, err)
	}
	t.Logf("SigmaHQ: %d loaded, %d failed (%.2f%%), exit %d", loaded, failed, pct, code)
	if pct < 99 || loaded < 3700 {
		t.Errorf("%d rules loaded (%.2f%%), want at least 99%% of about 3,750:\n%s", loaded, pct, out)
	}

	ph := writeFiles(t, map[string]string{"ph.yml": "known_cdcs: [DC01$, DC02$]\n"})
	code, out, errs = runVigil(t, append([]string{"rules", "lint", "--quiet", "--placeholders",
		filepath.Join(ph, "ph.yml")}, paths...)...)
	if code != exitOK {
		t.Errorf("with placeholders: exit %d, %s\n%s", code, errs, out)
	}
}

func TestHuntPlaceholders(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"rule.yml": `title: Admin logon
id: 7c4e1d2a-3b5f-4a6e-9d8c-0f1e2d3c4b5a
logsource: {product: windows, service: security}
detection:
    sel:
        EventID: 4624
        TargetUserName|expand: '%admins%'
    condition: sel
level: medium
`,
		"ph.yml": "admins:\n  - alice.adm\n  - bob.adm\n",
		"events.ndjson": `{"Channel":"Security","EventID":4624,"TargetUserName":"ALICE.adm"}
{"Channel":"Security","EventID":4624,"TargetUserName":"carol"}
`,
	})
	code, out, errs := runVigil(t, "hunt", "--format", "ndjson", "--rules",
		filepath.Join(dir, "rule.yml"), "--placeholders", filepath.Join(dir, "ph.yml"),
		filepath.Join(dir, "events.ndjson"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if lines := parseHunt(t, out); len(lines) != 1 || lines[0].Source.Line != 1 {
		t.Errorf("want one detection on line 1, got %+v", lines)
	}
	code, _, errs = runVigil(t, "hunt", "--rules", filepath.Join(dir, "rule.yml"),
		filepath.Join(dir, "events.ndjson"))
	if code != exitError || !strings.Contains(errs, "%admins%") {
		t.Errorf("without placeholders: exit %d, want 1 (no rule loaded) naming %%admins%%: %s",
			code, errs)
	}
}

// fmtSscanf reads the lint summary line "N rules loaded, N failed (P% loaded)".
func fmtSscanf(s string, loaded, failed *int, pct *float64) (int, error) {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "rules loaded") {
			return fmt.Sscanf(strings.ReplaceAll(line, ",", ""),
				"%d rules loaded %d failed (%f%% loaded)", loaded, failed, pct)
		}
	}
	return 0, fmt.Errorf("no summary line")
}
