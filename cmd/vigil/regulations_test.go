package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegulationsList(t *testing.T) {
	code, out, errs := runVigil(t, "regulations", "list")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"REGIME ", "sec-8k-105 ", "4bd from materiality [us-federal 17:30]",
		"4h from classification, at most 24h from awareness",
		"tenant: EEA personal; personal_data=yes, provider_controller=no",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("regulations list lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runVigil(t, "regulations", "list", "--format", "json")
	var regimes []struct {
		ID      string `json:"id"`
		Sources []struct {
			URL string `json:"url"`
		} `json:"sources"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &regimes) != nil || len(regimes) < 20 {
		t.Fatalf("regulations list --format json: exit %d, %d regimes", code, len(regimes))
	}
	for _, r := range regimes {
		if len(r.Sources) == 0 || r.Sources[0].URL == "" {
			t.Errorf("%s has no source in the JSON listing", r.ID)
		}
	}
	if code, _, _ := runVigil(t, "regulations", "list", "--format", "xml"); code != exitUsage {
		t.Errorf("--format xml: exit %d, want 2", code)
	}
}

func TestRegulationsCheck(t *testing.T) {
	code, _, errs := runVigil(t, "regulations", "check")
	if code != exitOK || !strings.Contains(errs, "0 errors") {
		t.Fatalf("check of the built-in catalog: exit %d: %s", code, errs)
	}

	good := `id: local-law
name: Local law
version: "1"
holder: provider
per: tenant
notify: {party: tenant}
sources: [{citation: Local Act s 3, url: "https://example.org/act"}]
stages:
  - id: notice
    name: Notice
    deadline: {kind: within, within: 48h, from: awareness}
    content: [description]
`
	dir := writeFiles(t, map[string]string{
		"regimes/local-law.yaml":         good,
		"notices/local-law.en.tmpl":      `{{define "subject"}}x{{end}}{{section "description"}}`,
		"regimes/broken.yaml":            strings.Replace(good, "48h", "two days", 1),
		"regimes/cert-in.yaml":           "id: cert-in\ndisabled: true\n",
		"regimes/dora-art19.yaml":        "id: dora-art19\nname: [x\n",
		"notices/local-law.de.tmpl":      `{{define "subject"}}x{{end}}`,
		"holidays/README.md":             "not read",
		"notices/broken.notice.en.tmpl":  `{{define "subject"}}x{{end}}{{section "description"}}`,
		"regimes/local-law-2.yaml":       strings.Replace(good, "id: local-law", "id: local-law-2", 1),
		"notices/local-law-2.en.tmpl":    `{{define "subject"}}x{{end}}{{section "description"}}`,
		"notices/local-law-2.xx.en.tmpl": `{{define "subject"}}x{{end}}{{section "description"}}`,
	})
	code, out, errs := runVigil(t, "regulations", "check", "--catalog", dir, "--extend")
	if code != exitError {
		t.Fatalf("check of a broken catalog: exit %d, want 1:\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"error: " + filepath.Join(dir, "regimes", "broken.yaml") + `:11: stages[0].deadline.within: duration "two days"`,
		"error: " + filepath.Join(dir, "regimes", "dora-art19.yaml") + ":2: yaml syntax: did not find",
		"error: " + filepath.Join(dir, "notices", "local-law.de.tmpl") +
			`: content: stage notice of regime local-law requires content element "description"`,
		"error: " + filepath.Join(dir, "notices", "local-law-2.xx.en.tmpl") +
			`: regime local-law-2 has no stage "xx"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks\n%s\nin:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "4 errors") {
		t.Errorf("check summary: %s", errs)
	}

	// Replacing rather than extending: only the folder's regimes.
	if err := os.RemoveAll(filepath.Join(dir, "regimes", "broken.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"regimes/cert-in.yaml", "regimes/dora-art19.yaml",
		"notices/local-law.de.tmpl", "notices/broken.notice.en.tmpl", "notices/local-law-2.xx.en.tmpl"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs = runVigil(t, "regulations", "check", "--catalog", dir)
	if code != exitOK || !strings.Contains(errs, "2 regimes, 0 holiday calendars, 2 notice templates") {
		t.Errorf("check of a small catalog: exit %d\n%s%s", code, out, errs)
	}
	// One fault: a calendar that a catalog without holidays/ lacks.
	bd := writeFiles(t, map[string]string{
		"regimes/local-law.yaml": strings.Replace(good, "within: 48h, from: awareness",
			"within: 2bd, from: awareness, calendar: de-national", 1),
		"notices/local-law.en.tmpl": `{{define "subject"}}x{{end}}{{section "description"}}`,
	})
	code, out, errs = runVigil(t, "regulations", "check", "--catalog", bd)
	if want := `no holiday calendar "de-national"; the catalog has none` +
		` (add holidays/de-national.yaml)`; code != exitError || !strings.Contains(out, want) {
		t.Errorf("a catalog without calendars: exit %d, want 1 and %q:\n%s", code, want, out)
	}
	if want := "0 regimes, 0 holiday calendars, 1 notice template loaded; 1 error\n"; errs != want {
		t.Errorf("check summary of one fault: %q, want %q", errs, want)
	}

	if code, _, _ := runVigil(t, "regulations", "check", "--extend"); code != exitError {
		t.Errorf("--extend without --catalog: exit %d, want 1", code)
	}
	if code, _, _ := runVigil(t, "regulations", "check", "--catalog", filepath.Join(dir, "nope")); code != exitError {
		t.Errorf("a missing folder: exit %d, want 1", code)
	}
	if code, _, _ := runVigil(t, "regulations", "frobnicate"); code != exitUsage {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}
}
