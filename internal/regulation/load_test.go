package regulation

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestParseRegimeBad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want string // a substring of the error: file:line: field: reason
	}{
		{"unknown-key.yaml", "unknown-key.yaml:13: stages[0].deadlin: unknown key"},
		{"missing-field.yaml", "missing-field.yaml:1: version: missing (required)"},
		{"bad-duration.yaml", `bad-duration.yaml:13: stages[0].deadline.within: duration "72 hours"`},
		{"zero-duration.yaml", `zero-duration.yaml:11: stages[0].deadline.within: duration "0h": must be more than zero`},
		{"bad-clock.yaml", `bad-clock.yaml:14: stages[0].deadline.from: unknown clock start "discovery"`},
		{"bad-stage-clock.yaml", `bad-stage-clock.yaml:11: stages[0].deadline.from: "stage:later": no earlier stage`},
		{"bad-role.yaml", `bad-role.yaml:9: tenant.roles[0]: unknown value "bank"`},
		{"bad-jurisdiction.yaml", `bad-jurisdiction.yaml:9: tenant.jurisdictions[1]: "Germany"`},
		{"bad-jurisdiction-uk.yaml", `bad-jurisdiction-uk.yaml:9: tenant.jurisdictions[0]: ` +
			`"UK" is not an ISO 3166-1 code; the United Kingdom is "GB"`},
		{"bad-jurisdiction-xx.yaml", `bad-jurisdiction-xx.yaml:9: tenant.jurisdictions[1]: ` +
			`"XX" is not an assigned ISO 3166-1 alpha-2 code`},
		{"bad-residents.yaml", `bad-residents.yaml:9: facts.affected_individuals.residents_of: ` +
			`"US-XX": "XX" is not a US state`},
		{"bad-fact.yaml", `bad-fact.yaml:9: facts.personal_data: "maybe": want yes or no`},
		{"unknown-fact.yaml", `unknown-fact.yaml:9: facts.ransomware: unknown fact`},
		{"bad-threshold.yaml", "bad-threshold.yaml:9: facts.affected_individuals: give exactly one of over and at_least"},
		{"no-target.yaml", "no-target.yaml:12: stages[0].deadline.target: missing (kind without-undue-delay"},
		{"bd-no-calendar.yaml", "bd-no-calendar.yaml:13: stages[0].deadline.calendar: missing (business days need"},
		{"bad-content.yaml", `bad-content.yaml:12: stages[0].content[1]: unknown value "gossip"`},
		{"no-authority.yaml", "no-authority.yaml:6: notify.authority: missing (required when party is authority)"},
		{"no-sources.yaml", "no-sources.yaml:7: sources: list at least one source"},
		{"bad-cutoff.yaml", `bad-cutoff.yaml:11: stages[0].deadline.cutoff: cutoff "5pm"`},
		{"syntax.yaml", "syntax.yaml:2: yaml syntax: did not find expected"},
		{"indent.yaml", "indent.yaml:4: yaml syntax: did not find expected key"},
		{"scanner.yaml", "scanner.yaml:4: yaml syntax: mapping values are not allowed"},
		{"bad-holder.yaml", `bad-holder.yaml:4: holder: unknown value "vendor"; want one of provider, tenant`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "bad", tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			re, _, err := ParseRegime(data, path)
			if err == nil {
				t.Fatalf("ParseRegime(%s) = %+v, nil; want an error with %q", tc.file, re, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseRegime(%s) error:\n%v\nwant it to contain\n%s", tc.file, err, tc.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != path {
				t.Errorf("error %v does not carry a ParseError naming %s", err, path)
			}
		})
	}
}

func TestLoadDirGood(t *testing.T) {
	t.Parallel()
	c, err := LoadDir(filepath.Join("testdata", "good"))
	if err != nil {
		t.Fatalf("LoadDir(testdata/good): %v", err)
	}
	re, ok := c.Regime("example-breach-law")
	if !ok {
		t.Fatal("example-breach-law not loaded")
	}
	st := re.Stages[0]
	if st.Deadline.Within != (Span{N: 2, Unit: UnitBusinessDays}) || st.Deadline.Calendar != "test-calendar" ||
		st.Deadline.Cutoff != "12:00" || st.Deadline.From != (Clock{Fact: FactAwareness}) {
		t.Errorf("stage notice deadline = %+v", st.Deadline)
	}
	if re.Stages[1].Deadline.From != (Clock{Stage: "notice"}) || re.Stages[1].Repeat.String() != "24h" ||
		re.Stages[1].Until != FactResolved {
		t.Errorf("stage follow-up = %+v", re.Stages[1])
	}
	if len(re.Facts) != 2 || re.Facts[1].AtLeast == nil || *re.Facts[1].AtLeast != 10 {
		t.Errorf("facts = %+v", re.Facts)
	}
	cal, ok := c.Calendar("test-calendar")
	if !ok || cal.Location().String() != "Europe/Berlin" || cal.Holidays["2026-12-25"] != "Christmas" {
		t.Errorf("calendar = %+v", cal)
	}
}

// catalogFS returns the good test catalog with files replaced or added.
func catalogFS(t *testing.T, files map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"regimes/example.yaml", "holidays/test.yaml",
		"notices/example-breach-law.en.tmpl"} {
		data, err := os.ReadFile(filepath.Join("testdata", "good", name))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	for name, text := range files {
		if text == "" {
			delete(fsys, name)
			continue
		}
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

func TestCatalogCrossChecks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"missing calendar", map[string]string{"holidays/test.yaml": ""},
			`c/regimes/example.yaml:22: stages[0].deadline.calendar: no holiday calendar "test-calendar"`},
		{"missing template", map[string]string{"notices/example-breach-law.en.tmpl": ""},
			"c/regimes/example.yaml:16: stages[0]: no English notice template"},
		{"template lacks an element",
			map[string]string{"notices/example-breach-law.en.tmpl": "{{define \"subject\"}}x{{end}}{{section \"description\"}}"},
			`c/notices/example-breach-law.en.tmpl: content: stage notice of regime ` +
				`example-breach-law requires content element "contact-point"`},
		{"template without subject",
			map[string]string{"notices/example-breach-law.de.tmpl": "{{section \"description\"}}"},
			`c/notices/example-breach-law.de.tmpl: subject: missing {{define "subject"}}`},
		{"template syntax",
			map[string]string{"notices/example-breach-law.de.tmpl": "{{define \"subject\"}}x{{end}}\n\n{{if}}"},
			"c/notices/example-breach-law.de.tmpl:3: missing value for if"},
		{"template unknown element",
			map[string]string{"notices/example-breach-law.de.tmpl": `{{define "subject"}}x{{end}}{{element "gossip"}}`},
			`c/notices/example-breach-law.de.tmpl: element: unknown content element "gossip"`},
		{"template with an unknown field",
			map[string]string{"notices/example-breach-law.de.tmpl": "{{define \"subject\"}}x{{end}}" +
				"{{section \"description\"}}{{section \"contact-point\"}}\n{{.Customer}}"},
			"c/notices/example-breach-law.de.tmpl:2: executing \"example-breach-law.de.tmpl\" at " +
				"<.Customer>: can't evaluate field Customer"},
		{"template of no regime",
			map[string]string{"notices/nothing.en.tmpl": `{{define "subject"}}x{{end}}`},
			`c/notices/nothing.en.tmpl: no regime "nothing"`},
		{"template of no stage",
			map[string]string{"notices/example-breach-law.final.en.tmpl": `{{define "subject"}}x{{end}}`},
			`c/notices/example-breach-law.final.en.tmpl: regime example-breach-law has no stage "final"`},
		{"bad template name", map[string]string{"notices/Example.tmpl": `x`},
			"c/notices/Example.tmpl: want a name REGIME.LANG.tmpl"},
		{"duplicate id",
			map[string]string{"regimes/copy.yaml": mustRead(t, "testdata/good/regimes/example.yaml")},
			`c/regimes/example.yaml:1: id: regime "example-breach-law" is also defined in c/regimes/copy.yaml`},
		{"holiday out of range", map[string]string{"holidays/test.yaml": strings.Replace(
			mustRead(t, "testdata/good/holidays/test.yaml"), "2026-12-25", "2027-12-25", 1)},
			"c/holidays/test.yaml:8: holidays[0].date: 2027-12-25 is outside covers (2026 to 2026)"},
		{"bad time zone", map[string]string{"holidays/test.yaml": strings.Replace(
			mustRead(t, "testdata/good/holidays/test.yaml"), "Europe/Berlin", "Mars/Olympus", 1)},
			`c/holidays/test.yaml:3: time_zone: "Mars/Olympus"`},
		{"not yaml", map[string]string{"regimes/notes.txt": "hello"},
			"c/regimes/notes.txt: not a .yaml file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := LoadFS(catalogFS(t, tc.files), "c/")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadFS error:\n%v\nwant it to contain\n%s", err, tc.want)
			}
			if c == nil {
				t.Fatal("LoadFS returned no catalog with its error; want the entries that loaded")
			}
		})
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestBadRegimeLeavesOthers checks that one bad file costs only its own
// regime.
func TestBadRegimeLeavesOthers(t *testing.T) {
	t.Parallel()
	c, err := LoadFS(catalogFS(t, map[string]string{"regimes/bad.yaml": "id: bad\nname: [x"}), "c/")
	if err == nil {
		t.Fatal("LoadFS accepted a broken regime file")
	}
	if _, ok := c.Regime("example-breach-law"); !ok {
		t.Error("the good regime was lost because of another file's fault")
	}
}

func TestBuiltinCatalog(t *testing.T) {
	t.Parallel()
	c, err := Builtin()
	if err != nil {
		t.Fatalf("the built-in catalog does not load:\n%v", err)
	}
	want := []string{"au-ndb", "cert-in", "dora-art19", "fedramp", "gdpr-art33", "gdpr-art33-2",
		"gdpr-art34", "hipaa-ba", "lgpd", "nis2-art23", "nydfs-500-17", "pipeda", "sec-8k-105",
		"sg-pdpa-26c", "sg-pdpa-26d", "uk-gdpr-art33", "uk-gdpr-art33-2", "us-ca-1798-82-owner",
		"us-ca-1798-82-service", "us-ny-899-aa-owner", "us-ny-899-aa-service"}
	for _, id := range want {
		if _, ok := c.Regime(id); !ok {
			t.Errorf("the built-in catalog lacks %s", id)
		}
	}
	for _, re := range c.Regimes() {
		if len(re.Sources) == 0 {
			t.Errorf("%s cites no source", re.ID)
		}
		for _, s := range re.Sources {
			if s.Citation == "" || !strings.HasPrefix(s.URL, "https://") {
				t.Errorf("%s: source %+v lacks a citation or an https address", re.ID, s)
			}
		}
		if !strings.HasSuffix(re.File, re.ID+".yaml") {
			t.Errorf("%s is in %s; name the file after the regime", re.ID, re.File)
		}
	}
	for _, id := range []string{"us-federal", "br-national"} {
		cal, ok := c.Calendar(id)
		if !ok || cal.From > 2025 || cal.To < 2028 {
			t.Errorf("holiday calendar %s missing or not covering 2025-2028: %+v", id, cal)
		}
	}
}

func TestExtendDir(t *testing.T) {
	t.Parallel()
	base, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Remove CERT-In, shorten HIPAA to 30 days, replace one template.
	write("regimes/cert-in.yaml", "id: cert-in\ndisabled: true\n")
	hipaa := mustRead(t, "catalog/regimes/hipaa-ba.yaml")
	write("regimes/hipaa-ba.yaml", strings.Replace(hipaa, "within: 60d", "within: 30d", 1))
	write("notices/sec-8k-105.filing.en.tmpl", `{{define "subject"}}Ours{{end}}`+
		`{{section "description"}}{{section "timeline"}}{{section "material-impact"}}`)
	c, err := base.ExtendDir(dir)
	if err != nil {
		t.Fatalf("ExtendDir: %v", err)
	}
	if _, ok := c.Regime("cert-in"); ok {
		t.Error("cert-in is still in the catalog after disabled: true")
	}
	if re, _ := c.Regime("hipaa-ba"); re.Stages[0].Deadline.Within.N != 30 {
		t.Errorf("hipaa-ba within = %v, want the override's 30d", re.Stages[0].Deadline.Within)
	}
	if _, ok := base.Regime("cert-in"); !ok {
		t.Error("ExtendDir changed the base catalog")
	}
	ob := Obligation{Key: Key{Regime: "sec-8k-105", Stage: "filing"}}
	d, err := c.Draft(ob, "en", Summary{})
	if err != nil || d.Subject != "Ours" {
		t.Errorf("Draft with the replaced template = %q, %v; want subject Ours", d.Subject, err)
	}

	// A template override that drops a required element is refused.
	write("notices/sec-8k-105.filing.en.tmpl", `{{define "subject"}}Ours{{end}}{{section "description"}}`)
	if _, err := base.ExtendDir(dir); err == nil || !strings.Contains(err.Error(), `"timeline"`) {
		t.Errorf("ExtendDir with an incomplete template: %v; want an error naming timeline", err)
	}
}

func FuzzParseRegime(f *testing.F) {
	for _, dir := range []string{"catalog/regimes", "testdata/bad", "testdata/good/regimes"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("id: x\ndisabled: true\n"))
	base, err := Builtin()
	if err != nil {
		f.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		re, disabled, err := ParseRegime(data, "f.yaml")
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error %T is not an Errors: %v", err, err)
			}
			return
		}
		if disabled {
			return
		}
		// A regime that parses must compute without panicking, with every
		// fact known, when its calendar and templates exist.
		_, _ = ParseCalendar(data, "f.yaml")
		c := base.withRegime(re)
		facts := Facts{}
		for _, n := range FactNames() {
			switch KindOf(n) {
			case KindCount:
				facts[n] = Fact{Truth: Yes, Count: 1000, Residents: map[string]int64{"US-CA": 600}}
			default:
				facts[n] = Fact{Truth: Yes, At: at}
			}
		}
		_, err = c.Compute(Input{Facts: facts, Tenants: []Tenant{{ID: "t", Profile: Profile{
			Jurisdictions: []string{"DE", "US-CA"}, DataCategories: DataCategories, Roles: Roles}}}})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// withRegime returns a catalog of c's calendars and re alone, without the
// template checks (for the fuzz target).
func (c *Catalog) withRegime(re *Regime) *Catalog {
	out := newCatalog()
	for id, cal := range c.calendars {
		out.calendars[id] = cal
	}
	if re.ID != "" {
		for _, st := range re.Stages {
			if st.Deadline.Calendar != "" && out.calendars[st.Deadline.Calendar] == nil {
				return out
			}
		}
		out.regimes[re.ID] = re
	}
	return out
}

func FuzzParseCalendar(f *testing.F) {
	files, _ := filepath.Glob("catalog/holidays/*.yaml")
	files = append(files, "testdata/good/holidays/test.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := ParseCalendar(data, "f.yaml")
		if err != nil {
			return
		}
		start := time.Date(cal.From, 1, 1, 0, 0, 0, 0, time.UTC)
		got := cal.AddBusinessDays(start, 3, 0)
		if !got.After(start) {
			t.Fatalf("3 business days after %v = %v", start, got)
		}
	})
}
