package postmortem

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/pdftest"
)

// reviewed returns the fixture's post-mortem with a manual entry that
// carries markup, a hidden entry, a finding, a follow-up linked to a rule,
// and both sign-offs; its response and follow-ups.
func reviewed(t *testing.T) (*PostMortem, Response, []FollowUp) {
	t.Helper()
	src := sources()
	now := at(30 * time.Hour)
	pm := New(src, "user:rita", at(27*time.Hour))
	_, err := pm.AddEntry(at(3*time.Minute), "Europe/Berlin",
		"<script>alert(1)</script> | **bold** [link](http://x)", "user:sam", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pm.SetHidden(2, true, "duplicate", "user:rita", now); err != nil {
		t.Fatal(err)
	}
	_, err = pm.AddFinding(Finding{Category: UnknownAttackVector, Title: "HTA from a mail link",
		Description: "No rule looked at mshta.", Evidence: []Ref{{Type: "timeline", ID: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := errJoin(pm.SignOff(RoleCommander, "user:rita", "", now),
		pm.SignOff(RoleExecutive, "user:eve", "ok", now)); err != nil {
		t.Fatal(err)
	}
	f, _ := NewFollowUp(7, KindDetectionRule, "Alert on HTA spawning PowerShell", "", "dana",
		now.AddDate(0, 0, 14), 1, "user:rita", now)
	f.ID = 1
	_ = f.LinkRule(RuleVersion{ID: "r-hta", Title: "HTA spawns PowerShell",
		File: "rules/hta.yml", SHA256: strings.Repeat("c", 64)}, "user:dana", now)
	dl := []metrics.Deadline{{Kind: "people", IncidentID: 7, Ref: "notification/9",
		Label: "approval_requested to eve@example.com", Due: at(95 * time.Minute),
		Done: at(81 * time.Minute)}}
	resp := ResponseOf(&src.Record, src.FirstEvent(), dl, now)
	return pm, resp, []FollowUp{*f}
}

func errJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TestResponseOf checks the per-incident times against the fixture.
func TestResponseOf(t *testing.T) {
	_, resp, _ := reviewed(t)
	got := map[metrics.Measure]string{}
	for _, tm := range resp.Times {
		got[tm.Measure] = "?"
		if tm.Known {
			got[tm.Measure] = Duration(tm.Seconds)
		}
	}
	want := map[metrics.Measure]string{metrics.Detect: "2m 0s", metrics.Acknowledge: "8m 0s",
		metrics.Confirm: "18m 0s", metrics.Contain: "1h 58m", metrics.Eradicate: "4h 58m",
		metrics.Recover: "1d 1h", metrics.Close: "?"}
	for m, w := range want {
		if got[m] != w {
			t.Errorf("time to %s: %s, want %s", m, got[m], w)
		}
	}
	if len(resp.Notices) != 1 || resp.Notices[0].Outcome != metrics.Met ||
		resp.Notices[0].Seconds != -14*60 {
		t.Errorf("notices: %+v", resp.Notices)
	}
}

// TestExportsEscape renders the post-mortem in Markdown and HTML and checks
// the content, the chart, the hidden entry left out and people's text
// escaped.
func TestExportsEscape(t *testing.T) {
	pm, resp, fus := reviewed(t)
	doc := PostMortemDocument(pm, resp, fus, at(31*time.Hour))
	var mdOut, htmlOut bytes.Buffer
	if err := WriteMarkdown(&mdOut, doc); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&htmlOut, doc); err != nil {
		t.Fatal(err)
	}
	m, h := mdOut.String(), htmlOut.String()
	for _, want := range []string{"# Post-mortem INC-2026-0007", "## Timeline",
		"![Timeline chart](data:image/svg+xml;base64,", "HTA from a mail link",
		"Previously unknown attack vector", "1 entry is hidden",
		"&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*\\*bold\\*\\* \\[link\\](http://x)",
		"answered by rule r-hta", "signed off by user:rita (commander) and user:eve",
		"2026-03-29 01:43:00 CET (Europe/Berlin)",
		"2026-03-29 03:05:00 CEST (Europe/Paris)"} {
		if !strings.Contains(m, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if !strings.Contains(m, "First event of alert \\#4") ||
		strings.Contains(m, "| 2 |") {
		t.Errorf("markdown: want entry 1 shown and entry 2 (hidden) left out")
	}
	for _, want := range []string{"<svg xmlns=\"http://www.w3.org/2000/svg\"",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "<h2>Findings</h2>", "data-entry=\"1\"",
		">recovery</text>"} {
		if !strings.Contains(h, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if strings.Contains(h, "<script>") || strings.Contains(h, " style=") {
		t.Error("html carries a script or a style attribute")
	}
}

// TestPDF renders the whole incident report as PDF, reads its text back
// with pdftotext and its pages with pdftoppm: the text holds the report's
// parts, and the first pages show the chart's coloured dots.
func TestPDF(t *testing.T) {
	pm, resp, fus := reviewed(t)
	src := sources()
	doc := IncidentDocument(src, "critical", pm, resp, fus, at(31*time.Hour))
	var buf bytes.Buffer
	if err := WritePDF(&buf, doc); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:min(20, buf.Len())])
	}
	var again bytes.Buffer
	if err := WritePDF(&again, doc); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("the same document gave different bytes (%v)", err)
	}
	text := pdftest.Text(t, buf.Bytes())
	norm := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"Incident report INC-2026-0007: LSASS dump on WKS-0142",
		"The incident", "Phase changes", "Timeline", "First event of alert #4",
		"HTA from a mail link", "Alert on HTA spawning PowerShell",
		"signed off by user:rita (commander) and user:eve (executive)", "page 1 of",
		"Europe/Paris", "detected -> analysis"} {
		if !strings.Contains(norm, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	pages := pdftest.Pages(t, buf.Bytes(), 60)
	if len(pages) < 2 {
		t.Fatalf("%d pages, want the report over at least two", len(pages))
	}
	red := 0 // the alert lane's dots
	for _, p := range pages {
		red += pdftest.CountColor(p, 192, 57, 43, 12)
	}
	if red < 10 {
		t.Errorf("%d pixels of the alert colour on the pages: the chart is not drawn", red)
	}
}

// FuzzExportText checks that no text given by people carries markup into
// the Markdown or HTML exports, and that the PDF renders whatever it is.
func FuzzExportText(f *testing.F) {
	for _, s := range []string{"<script>x</script>", "a|b\n\n# h", "[l](javascript:x)",
		"\x00\xff\u202e", "<img src=x onerror=alert(1)>", strings.Repeat("w", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pm := New(sources(), "user:rita", at(27*time.Hour))
		if _, err := pm.AddEntry(at(time.Minute), "", s, "user:x", at(28*time.Hour)); err != nil {
			return
		}
		doc := PostMortemDocument(pm, Response{}, nil, at(29*time.Hour))
		var mdOut, htmlOut, pdfOut bytes.Buffer
		if err := WriteMarkdown(&mdOut, doc); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&htmlOut, doc); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script", "<img"} {
			if strings.Contains(strings.ToLower(mdOut.String()), bad) ||
				strings.Contains(strings.ToLower(htmlOut.String()), bad) {
				t.Fatalf("%q reached an export", bad)
			}
		}
		if err := WritePDF(&pdfOut, doc); err != nil {
			t.Fatal(err)
		}
	})
}
