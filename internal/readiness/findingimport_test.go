package readiness

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// importSummary renders findings and errors for comparison.
func importSummary(fs []Finding, errs []ImportError) ([]string, []string) {
	var got, bad []string
	for _, f := range fs {
		score := "-"
		if f.CVSSScore != nil {
			score = fmt.Sprintf("%.1f", *f.CVSSScore)
		}
		found := "-"
		if !f.Found.IsZero() {
			found = f.Found.Format("2006-01-02")
		}
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s", f.Source, f.Ref, f.Title,
			f.Severity, score, strings.Join(f.Services, ","), f.Owner, found))
	}
	for _, e := range errs {
		bad = append(bad, e.Error())
	}
	return got, bad
}

func TestParseFindingsCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		csv  string
		want []string
		errs []string
	}{
		{"good rows, any column order, BOM",
			"\ufeffTitle,ref,cvss_vector,services,owner,found,source\n" +
				"SQL injection in /search,PT-1,CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H," +
				"api; web ,bob,2026-03-14,pentest\n" +
				"\"Verbose errors, with stack\",PT-2,,,,,\n",
			nil, []string{"line 3: severity: \"\", want one of [critical high medium low none] " +
				"(or give cvss_vector or cvss_score)"}},
		{"score and severity",
			"title,severity,cvss_score\nA,low,\nB,,7.0\nC,HIGH,\n",
			[]string{"manual||A|low|-|||-", "manual||B|high|7.0|||-", "manual||C|high|-|||-"}, nil},
		{"every problem named with its line and field",
			"title,cvss_vector,cvss_score,found,exercise_id\n" +
				",,,,\n" +
				"x,CVSS:3.1/AV:N,,,\n" +
				"y,,ten,,\n" +
				"z,,5,yesterday,\n" +
				"w,,5,,-2\n" +
				"v,,5,2026-01-02\n",
			nil,
			[]string{"line 2: title: required",
				"line 3: cvss_vector: at offset 13: base metric AC is missing",
				"line 4: cvss_score: \"ten\" is not a number",
				"line 5: found: \"yesterday\" is not a date (2006-01-02) or an RFC 3339 time",
				"line 6: exercise_id: \"-2\" is not a positive integer",
				"line 7: column 1: wrong number of fields"}},
		{"unknown and repeated columns", "title,colour,title\n", nil,
			[]string{"line 1: colour: unknown column 2; want some of source, ref, title, " +
				"description, severity, cvss_vector, cvss_score, services, owner, found, exercise_id",
				"line 1: title: column given twice"}},
		{"no title column", "ref,severity\nPT-1,low\n", nil,
			[]string{"line 1: title: column is required"}},
		{"empty", "", nil, []string{"line 1: empty file: want a header row"}},
		{"quote error stops", "title,severity\n\"open,low\n", nil,
			[]string{`line 2: column 11: extraneous or missing " in quoted-field`}},
	}
	for _, tt := range tests {
		fs, errs := ParseFindingsCSV(strings.NewReader(tt.csv))
		got, bad := importSummary(fs, errs)
		if tt.name == "good rows, any column order, BOM" {
			tt.want = []string{"pentest|PT-1|SQL injection in /search|critical|9.8|api,web|bob|" +
				"2026-03-14"}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: findings (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.errs, bad); diff != "" {
			t.Errorf("%s: errors (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParseFindingsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want []string
		errs []string
	}{
		{"good", `[
  {"ref": "PT-1", "title": "IDOR on /orders", "cvss_vector":
     "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "services": ["orders"], "source": "pentest"},
  {"title": "Old TLS", "cvss_score": 5.3, "found": "2026-03-14T10:00:00Z"}
]`, []string{"pentest|PT-1|IDOR on /orders|medium|6.5|orders||-",
			"manual||Old TLS|medium|5.3|||2026-03-14"}, nil},
		{"errors on their lines", `[
  {"title": "a", "severity": "low"},
  {"title": "b", "severity": "urgent"},

  {"title": "c", "sevrity": "low"},
  {"title": 7},
  "d"
]`, []string{"manual||a|low|-|||-"}, []string{
			"line 3: severity: \"urgent\", want one of [critical high medium low none] (or give " +
				"cvss_vector or cvss_score)",
			"line 5: sevrity: unknown field; want some of source, ref, title, description, " +
				"severity, cvss_vector, cvss_score, services, owner, found, exercise_id",
			"line 6: title: want a JSON string",
			"line 7: want a JSON object"}},
		{"not an array", `{"title": "x"}`, nil,
			[]string{"line 1: want a JSON array of finding objects"}},
		{"truncated", "[\n{\"title\": \"x\", \"severity\": \"low\"},\n{\"title\"", []string{
			"manual||x|low|-|||-"}, []string{"line 3: unexpected end of the file"}},
		{"trailing data", "[]\n[]", nil, []string{"line 2: trailing data after the array"}},
	}
	for _, tt := range tests {
		fs, errs := ParseFindingsJSON(strings.NewReader(tt.json))
		got, bad := importSummary(fs, errs)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: findings (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.errs, bad); diff != "" {
			t.Errorf("%s: errors (-want +got):\n%s", tt.name, diff)
		}
	}
}

// checkImported checks what any import returns: normalized findings,
// errors with a line.
func checkImported(t *testing.T, fs []Finding, errs []ImportError) {
	t.Helper()
	for _, f := range fs {
		g := f
		if err := g.Normalize(); err != nil || f.Title == "" || !f.Severity.Valid() {
			t.Fatalf("finding %+v: not normalized (%v)", f, err)
		}
	}
	for _, e := range errs {
		if e.Line < 1 || e.Msg == "" {
			t.Fatalf("error without a line or message: %+v", e)
		}
	}
	if len(fs)+len(errs) > MaxImportFindings+1 {
		t.Fatalf("%d findings and %d errors, over the cap", len(fs), len(errs))
	}
}

func FuzzParseFindingsCSV(f *testing.F) {
	f.Add("title,severity\nA,low\n")
	f.Add("title,cvss_vector,services\nB,CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H,a;b\n")
	f.Add("title,found\n\"x\ny\",2026-01-01\n")
	f.Fuzz(func(t *testing.T, s string) {
		fs, errs := ParseFindingsCSV(strings.NewReader(s))
		checkImported(t, fs, errs)
	})
}

func FuzzParseFindingsJSON(f *testing.F) {
	f.Add(`[{"title":"a","severity":"low"}]`)
	f.Add(`[{"title":"b","cvss_score":9.1,"services":["x"]},{"title":1}]`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, s string) {
		fs, errs := ParseFindingsJSON(strings.NewReader(s))
		checkImported(t, fs, errs)
	})
}
