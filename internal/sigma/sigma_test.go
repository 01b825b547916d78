package sigma

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
)

// jsonEvent decodes an event the way the readers do (numbers kept as text).
func jsonEvent(t testing.TB, s string) *event.Event {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	// Test rules have the logsource product "test", which no mapping covers,
	// so events declare it.
	if _, ok := m["logsource"]; !ok && m != nil {
		m["logsource"] = map[string]any{"product": "test"}
	}
	return &event.Event{Fields: m}
}

// testRule builds a rule document around a detection section.
func testRule(detection string) string {
	var b strings.Builder
	b.WriteString("title: test\nid: t-1\nlogsource:\n  product: test\ndetection:\n")
	for _, line := range strings.Split(strings.Trim(detection, "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	return b.String()
}

// compileTest parses one rule and fails the test on any diagnostic.
func compileTest(t testing.TB, detection string) *Ruleset {
	t.Helper()
	rules, diags := Parse([]byte(testRule(detection)), "test.yml", Options{})
	if len(diags) > 0 || len(rules) != 1 {
		t.Fatalf("parse:\n%s\ndiagnostics: %v", testRule(detection), diags)
	}
	return NewRuleset(rules)
}

func matches(rs *Ruleset, ev *event.Event) bool {
	n := 0
	rs.Match(ev, func(*Rule) { n++ })
	return n > 0
}

type matchCase struct {
	name      string
	detection string
	event     string
	want      bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := compileTest(t, c.detection)
			if got := matches(rs, jsonEvent(t, c.event)); got != c.want {
				t.Errorf("match(%s) = %v, want %v\nrule:\n%s", c.event, got, c.want, c.detection)
			}
		})
	}
}

func TestWildcardsAndEscaping(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"exact", "sel: {f: abc}\ncondition: sel", `{"f":"abc"}`, true},
		{"exact folds case", "sel: {f: ABC}\ncondition: sel", `{"f":"aBc"}`, true},
		{"exact is whole", "sel: {f: abc}\ncondition: sel", `{"f":"abcd"}`, false},
		{"star prefix", "sel: {f: 'ab*'}\ncondition: sel", `{"f":"ABxyz"}`, true},
		{"star suffix", "sel: {f: '*yz'}\ncondition: sel", `{"f":"abXYa"}`, false},
		{"star suffix hit", "sel: {f: '*yz'}\ncondition: sel", `{"f":"abXYz"}`, true},
		{"inner star", "sel: {f: 'a*c'}\ncondition: sel", `{"f":"abbbc"}`, true},
		{"inner star miss", "sel: {f: 'a*c'}\ncondition: sel", `{"f":"abbbd"}`, false},
		{"question", "sel: {f: 'a?c'}\ncondition: sel", `{"f":"abc"}`, true},
		{"question needs one", "sel: {f: 'a?c'}\ncondition: sel", `{"f":"ac"}`, false},
		{"question unicode", "sel: {f: 'a?c'}\ncondition: sel", `{"f":"aéc"}`, true},
		{"escaped star", `sel: {f: 'a\*c'}` + "\ncondition: sel", `{"f":"a*c"}`, true},
		{"escaped star literal", `sel: {f: 'a\*c'}` + "\ncondition: sel", `{"f":"abc"}`, false},
		{"escaped question", `sel: {f: 'a\?'}` + "\ncondition: sel", `{"f":"a?"}`, true},
		{"escaped question literal", `sel: {f: 'a\?'}` + "\ncondition: sel", `{"f":"ab"}`, false},
		{"plain backslash", `sel: {f: 'C:\Windows'}` + "\ncondition: sel",
			`{"f":"c:\\windows"}`, true},
		{"double backslash is one", `sel: {f: 'C:\\Windows'}` + "\ncondition: sel",
			`{"f":"c:\\windows"}`, true},
		{"backslash then wildcard", `sel: {f: 'a\\*'}` + "\ncondition: sel",
			`{"f":"a\\xyz"}`, true},
		{"three backslashes", `sel: {f: 'a\\\*'}` + "\ncondition: sel", `{"f":"a\\*"}`, true},
		{"three backslashes literal", `sel: {f: 'a\\\*'}` + "\ncondition: sel",
			`{"f":"a\\x"}`, false},
		{"four backslashes", `sel: {f: 'a\\\\b'}` + "\ncondition: sel", `{"f":"a\\\\b"}`, true},
		{"glob many stars", "sel: {f: '*a*b*c*'}\ncondition: sel", `{"f":"xxAyyBzzC"}`, true},
		{"glob order", "sel: {f: '*a*b*c*'}\ncondition: sel", `{"f":"cba"}`, false},
		{"glob anchored both", "sel: {f: 'a?*z'}\ncondition: sel", `{"f":"abz"}`, true},
		{"glob anchored end", "sel: {f: 'a?*z'}\ncondition: sel", `{"f":"abzx"}`, false},
		{"only star", "sel: {f: '*'}\ncondition: sel", `{"f":""}`, true},
		{"empty value", "sel: {f: ''}\ncondition: sel", `{"f":""}`, true},
		{"empty not absent", "sel: {f: ''}\ncondition: sel", `{"g":""}`, false},
		{"unicode fold", "sel: {f: 'ÄBC'}\ncondition: sel", `{"f":"äbc"}`, true},
		{"unicode fold contains", "sel: {f|contains: 'éa'}\ncondition: sel", `{"f":"xÉA"}`, true},
		{"ascii folds ascii only", "sel: {f|contains: 'k'}\ncondition: sel", `{"f":"\u212a"}`,
			false},
		{"list is or", "sel: {f: [a, b]}\ncondition: sel", `{"f":"b"}`, true},
		{"map is and", "sel: {f: a, g: b}\ncondition: sel", `{"f":"a","g":"c"}`, false},
		{"list of maps is or", "sel:\n  - f: a\n  - g: b\ncondition: sel", `{"g":"b"}`, true},
		{"event list any element", "sel: {f: b}\ncondition: sel", `{"f":["a","b"]}`, true},
		{"nested field", "sel: {a.b: c}\ncondition: sel", `{"a":{"b":"c"}}`, true},
		{"bool value", "sel: {f: true}\ncondition: sel", `{"f":true}`, true},
		{"bool as string", "sel: {f: true}\ncondition: sel", `{"f":"True"}`, true},
	})
}

func TestModifiers(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"contains", "sel: {f|contains: mimi}\ncondition: sel", `{"f":"x MIMIKATZ"}`, true},
		{"contains miss", "sel: {f|contains: mimi}\ncondition: sel", `{"f":"mim"}`, false},
		{"contains anchor punct", `sel: {f|contains: '\cmd.exe'}` + "\ncondition: sel",
			`{"f":"C:\\Windows\\CMD.EXE /c"}`, true},
		{"startswith", "sel: {f|startswith: ab}\ncondition: sel", `{"f":"ABC"}`, true},
		{"startswith miss", "sel: {f|startswith: bc}\ncondition: sel", `{"f":"ABC"}`, false},
		{"endswith", `sel: {f|endswith: '\x.exe'}` + "\ncondition: sel", `{"f":"c:\\X.EXE"}`, true},
		{"endswith miss", "sel: {f|endswith: ab}\ncondition: sel", `{"f":"ABC"}`, false},
		{"contains with wildcard", "sel: {f|contains: 'a*c'}\ncondition: sel",
			`{"f":"xxabbcxx"}`, true},
		{"contains all", "sel: {f|contains|all: [a, b]}\ncondition: sel", `{"f":"xbxa"}`, true},
		{"contains all miss", "sel: {f|contains|all: [a, b]}\ncondition: sel", `{"f":"xa"}`,
			false},
		{"all over event list", "sel: {f|all: [a, b]}\ncondition: sel", `{"f":["a","b"]}`, true},
		{"cased", "sel: {f|cased: Abc}\ncondition: sel", `{"f":"abc"}`, false},
		{"cased hit", "sel: {f|cased: Abc}\ncondition: sel", `{"f":"Abc"}`, true},
		{"cased contains", "sel: {f|contains|cased: Bc}\ncondition: sel", `{"f":"aBcd"}`, true},
		{"re", "sel: {f|re: 'a[0-9]+z'}\ncondition: sel", `{"f":"xa12z"}`, true},
		{"re case sensitive", "sel: {f|re: 'abc'}\ncondition: sel", `{"f":"ABC"}`, false},
		{"re i", "sel: {f|re|i: 'abc'}\ncondition: sel", `{"f":"ABC"}`, true},
		{"re m", "sel: {f|re|m: '^b$'}\ncondition: sel", `{"f":"a\nb\nc"}`, true},
		{"re s", "sel: {f|re|s: 'a.b'}\ncondition: sel", `{"f":"a\nb"}`, true},
		{"re without s", "sel: {f|re: 'a.b'}\ncondition: sel", `{"f":"a\nb"}`, false},
		{"cidr v4", "sel: {ip|cidr: 10.0.0.0/8}\ncondition: sel", `{"ip":"10.1.2.3"}`, true},
		{"cidr v4 miss", "sel: {ip|cidr: 10.0.0.0/8}\ncondition: sel", `{"ip":"11.1.2.3"}`, false},
		{"cidr v6", "sel: {ip|cidr: 'fe80::/10'}\ncondition: sel", `{"ip":"FE80::1"}`, true},
		{"cidr mapped v4", "sel: {ip|cidr: 10.0.0.0/8}\ncondition: sel",
			`{"ip":"::ffff:10.0.0.1"}`, true},
		{"cidr not ip", "sel: {ip|cidr: 10.0.0.0/8}\ncondition: sel", `{"ip":"host"}`, false},
		// "whoami" is d2hvYW1p in Base64.
		{"base64", "sel: {f|base64: whoami}\ncondition: sel", `{"f":"d2hvYW1p"}`, true},
		{"base64 contains", "sel: {f|base64|contains: whoami}\ncondition: sel",
			`{"f":"xxd2hvYW1pyy"}`, true},
		{"base64offset 0", "sel: {f|base64offset|contains: whoami}\ncondition: sel",
			`{"f":"d2hvYW1pIC9hbGw="}`, true},
		// "x whoami" and "xy whoami" put the value at offsets 2 and 0 mod 3.
		{"base64offset 1", "sel: {f|base64offset|contains: whoami}\ncondition: sel",
			`{"f":"eCB3aG9hbWk="}`, true},
		{"base64offset 2", "sel: {f|base64offset|contains: whoami}\ncondition: sel",
			`{"f":"eHkgd2hvYW1p"}`, true},
		{"base64offset miss", "sel: {f|base64offset|contains: whoami}\ncondition: sel",
			`{"f":"bm90aGluZw=="}`, false},
		// "ping" in UTF-16LE, Base64-encoded at some offset.
		{"wide base64offset", "sel: {f|wide|base64offset|contains: ping}\ncondition: sel",
			`{"f":"cABpAG4AZwAgADEALgAxAA=="}`, true},
		{"utf16le", "sel: {f|utf16le|contains: ab}\ncondition: sel", `{"f":"xa\u0000b\u0000"}`,
			true},
		{"utf16be", "sel: {f|utf16be: ab}\ncondition: sel", `{"f":"\u0000a\u0000b"}`, true},
		{"utf16 bom", "sel: {f|utf16|base64: a}\ncondition: sel", `{"f":"//5hAA=="}`, true},
		{"windash dash", "sel: {f|windash|contains: ' -enc '}\ncondition: sel",
			`{"f":"powershell /enc abc"}`, true},
		{"windash en dash", "sel: {f|contains|windash: ' -enc '}\ncondition: sel",
			`{"f":"powershell \u2013enc abc"}`, true},
		{"windash horizontal bar", "sel: {f|windash: '-a'}\ncondition: sel",
			`{"f":"\u2015a"}`, true},
		{"windash keeps inner dash", "sel: {f|windash: 'a-b'}\ncondition: sel",
			`{"f":"a/b"}`, false},
		{"exists", "sel: {f|exists: true}\ncondition: sel", `{"f":null}`, true},
		{"exists false", "sel: {f|exists: false}\ncondition: sel", `{"g":1}`, true},
		{"exists false miss", "sel: {f|exists: false}\ncondition: sel", `{"f":""}`, false},
		{"gt", "sel: {n|gt: 10}\ncondition: sel", `{"n":11}`, true},
		{"gt equal", "sel: {n|gt: 10}\ncondition: sel", `{"n":10}`, false},
		{"gte", "sel: {n|gte: 10}\ncondition: sel", `{"n":10}`, true},
		{"lt string number", "sel: {n|lt: 10}\ncondition: sel", `{"n":"9.5"}`, true},
		{"lte hex", "sel: {n|lte: 16}\ncondition: sel", `{"n":"0x10"}`, true},
		{"lt not number", "sel: {n|lt: 10}\ncondition: sel", `{"n":"abc"}`, false},
		{"neq", "sel: {f|neq: a}\ncondition: sel", `{"f":"b"}`, true},
		{"neq same", "sel: {f|neq: a}\ncondition: sel", `{"f":"A"}`, false},
		{"neq absent", "sel: {f|neq: a}\ncondition: sel", `{"g":"b"}`, false},
		{"hour", "sel: {t|hour|gte: 22}\ncondition: sel", `{"t":"2024-01-02T23:10:00Z"}`, true},
		{"month", "sel: {t|month: 1}\ncondition: sel", `{"t":"2024-01-02 10:00:00"}`, true},
		{"fieldref", "sel: {a|fieldref: b}\ncondition: sel", `{"a":"X","b":"x"}`, true},
		{"fieldref differs", "sel: {a|fieldref: b}\ncondition: sel", `{"a":"x","b":"y"}`, false},
		{"fieldref absent", "sel: {a|fieldref: b}\ncondition: sel", `{"a":"x"}`, false},
		{"fieldref number", "sel: {a|fieldref: b}\ncondition: sel", `{"a":4,"b":"4"}`, true},
		{"fieldref contains", "sel: {a|fieldref|contains: b}\ncondition: sel",
			`{"a":"xyz","b":"Y"}`, true},
		{"fieldref endswith cased", "sel: {a|fieldref|endswith|cased: b}\ncondition: sel",
			`{"a":"xyz","b":"Z"}`, false},
		{"fieldref neq", "sel: {a|fieldref|neq: b}\ncondition: sel", `{"a":"x","b":"y"}`, true},
	})
}

func TestNullNumbersKeywords(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"null absent", "sel: {f: null}\ncondition: sel", `{"g":"x"}`, true},
		{"null json null", "sel: {f: null}\ncondition: sel", `{"f":null}`, true},
		{"null present", "sel: {f: null}\ncondition: sel", `{"f":"x"}`, false},
		{"null empty string", "sel: {f: null}\ncondition: sel", `{"f":""}`, false},
		{"not null", "sel: {a: 1}\nf: {f: null}\ncondition: sel and not f",
			`{"a":1,"f":"x"}`, true},
		{"int vs number", "sel: {EventID: 4688}\ncondition: sel", `{"EventID":4688}`, true},
		{"int vs string", "sel: {EventID: 4688}\ncondition: sel", `{"EventID":"4688"}`, true},
		{"int vs float number", "sel: {EventID: 4688}\ncondition: sel", `{"EventID":4688.0}`,
			true},
		{"int miss", "sel: {EventID: 4688}\ncondition: sel", `{"EventID":46880}`, false},
		{"string vs number", "sel: {EventID: '4688'}\ncondition: sel", `{"EventID":4688}`, true},
		{"hex int", "sel: {f: 0x17}\ncondition: sel", `{"f":"0x17"}`, true},
		{"float", "sel: {f: 1.5}\ncondition: sel", `{"f":1.50}`, true},
		{"keyword string", "kw: mimikatz\ncondition: kw", `{"a":{"b":"run MimiKatz now"}}`,
			true},
		{"keyword list or", "kw: [foo, bar]\ncondition: kw", `{"a":["x","a bar b"]}`, true},
		{"keyword miss", "kw: [foo, bar]\ncondition: kw", `{"a":"baz"}`, false},
		{"keyword number", "kw: ['4688']\ncondition: kw", `{"a":4688}`, true},
		{"keyword all", "kw:\n  '|all': [foo, bar]\ncondition: kw", `{"a":"foo","b":"bar"}`,
			true},
		{"keyword all miss", "kw:\n  '|all': [foo, bar]\ncondition: kw", `{"a":"foo"}`, false},
		{"keyword wildcard", "kw: ['a*c']\ncondition: kw", `{"m":"xx abc yy"}`, true},
		{"keyword all windash", "kw:\n  '|all|windash': ['-a', '-b']\ncondition: kw",
			`{"m":"x /a /b"}`, true},
		{"keyword all windash miss", "kw:\n  '|all|windash': ['-a', '-b']\ncondition: kw",
			`{"m":"x /a"}`, false},
		{"keyword cased", "kw:\n  '|cased': [Foo]\ncondition: kw", `{"m":"foo"}`, false},
	})
}

func TestConditions(t *testing.T) {
	const sels = "a: {a: 1}\nb: {b: 1}\nc: {c: 1}\n_u: {u: 1}\nsel_x: {x: 1}\nsel_y: {y: 1}\n"
	cases := []struct {
		cond  string
		event string
		want  bool
	}{
		{"a and b", `{"a":1,"b":1}`, true},
		{"a and b", `{"a":1}`, false},
		{"a or b", `{"b":1}`, true},
		{"not a", `{"b":1}`, true},
		{"not a", `{"a":1}`, false},
		// and binds tighter than or.
		{"a or b and c", `{"a":1}`, true},
		{"a or b and c", `{"b":1}`, false},
		{"(a or b) and c", `{"a":1}`, false},
		{"(a or b) and c", `{"a":1,"c":1}`, true},
		// not binds tighter than and.
		{"not a and b", `{"b":1}`, true},
		{"not a and b", `{"a":1,"b":1}`, false},
		{"not (a and b)", `{"a":1}`, true},
		{"not not a", `{"a":1}`, true},
		{"1 of sel_*", `{"y":1}`, true},
		{"all of sel_*", `{"y":1}`, false},
		{"all of sel_*", `{"x":1,"y":1}`, true},
		{"1 of them", `{"c":1}`, true},
		{"1 of them", `{"u":1}`, false},
		{"all of them", `{"a":1,"b":1,"c":1,"x":1,"y":1}`, true},
		{"2 of sel_*", `{"x":1}`, false},
		{"2 of sel_*", `{"x":1,"y":1}`, true},
		{"a and not 1 of sel_*", `{"a":1,"x":1}`, false},
		{"a AND NOT b", `{"a":1}`, true},
		{"1 of _*", `{"u":1}`, true},
	}
	for _, c := range cases {
		t.Run(c.cond+" "+c.event, func(t *testing.T) {
			rs := compileTest(t, sels+"condition: '"+c.cond+"'")
			if got := matches(rs, jsonEvent(t, c.event)); got != c.want {
				t.Errorf("%q on %s = %v, want %v", c.cond, c.event, got, c.want)
			}
		})
	}
	t.Run("condition list is or", func(t *testing.T) {
		rs := compileTest(t, sels+"condition:\n  - a\n  - b")
		if !matches(rs, jsonEvent(t, `{"b":1}`)) {
			t.Error("condition list: b did not match")
		}
	})
}

func TestDiagnostics(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want Diagnostic
	}{
		{"unknown selection", testRule("sel1: {a: 1}\ncondition: sel1 and sel2"), Diagnostic{
			File: "r.yml", Line: 7, Column: 14, RuleID: "t-1", Title: "test",
			Reason: `detection: selection "sel2" is not defined (condition: "sel1 and sel2")`}},
		{"unknown modifier", testRule("sel: {CommandLine|foo: x}\ncondition: sel"), Diagnostic{
			File: "r.yml", Line: 6, Column: 9, RuleID: "t-1", Title: "test",
			Reason: `unknown modifier "foo" in field "CommandLine|foo"`}},
		{"lookahead", testRule("sel: {f|re: 'a(?=b)'}\ncondition: sel"), Diagnostic{
			File: "r.yml", Line: 6, Column: 15, RuleID: "t-1", Title: "test",
			Reason: "unsupported: regular expression uses lookahead \"(?=\" which Go's RE2 " +
				"engine does not support: \"a(?=b)\""}},
		{"backreference", testRule("sel: {f|re: '(a)\\1'}\ncondition: sel"), Diagnostic{
			File: "r.yml", Line: 6, Column: 15, RuleID: "t-1", Title: "test",
			Reason: "unsupported: regular expression uses a backreference \"\\\\1\" which " +
				"Go's RE2 engine does not support: \"(a)\\\\1\""}},
		{"no condition", testRule("sel: {f: 1}"), Diagnostic{
			File: "r.yml", Line: 6, Column: 3, RuleID: "t-1", Title: "test",
			Reason: "detection: no condition"}},
		{"aggregation", testRule("sel: {f: 1}\ncondition: sel | count() > 5"), Diagnostic{
			File: "r.yml", Line: 7, Column: 14, RuleID: "t-1", Title: "test",
			Reason: `unsupported: aggregation in condition "sel | count() > 5" ` +
				`(use a correlation rule)`}},
		{"placeholder", testRule("sel: {f|expand: '%admins%'}\ncondition: sel"), Diagnostic{
			File: "r.yml", Line: 6, Column: 19, RuleID: "t-1", Title: "test",
			Reason: "unsupported: placeholder %admins% has no configured values (expand " +
				"modifier)"}},
		{"correlation", "title: c\nid: c-1\ncorrelation:\n  type: event_count\n", Diagnostic{
			File: "r.yml", Line: 1, RuleID: "c-1", Title: "c",
			Reason: "correlation rule: not supported yet, skipped", Skipped: true}},
		{"all of unknown", testRule("sel: {f: 1}\ncondition: all of x*"), Diagnostic{
			File: "r.yml", Line: 7, Column: 14, RuleID: "t-1", Title: "test",
			Reason: `detection: no selection matches "x*" (condition: "all of x*")`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules, diags := Parse([]byte(c.doc), "r.yml", Options{})
			if len(rules) != 0 {
				t.Errorf("loaded %d rules, want 0", len(rules))
			}
			if diff := cmp.Diff([]Diagnostic{c.want}, diags); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestYAMLError(t *testing.T) {
	rules, diags := Parse([]byte("title: x\ndetection:\n  sel: [a\n  condition: sel\n"), "y.yml",
		Options{})
	if len(rules) != 0 || len(diags) != 1 || diags[0].Line == 0 ||
		!strings.HasPrefix(diags[0].Reason, "yaml: ") || strings.Contains(diags[0].Reason, "line") {
		t.Errorf("Parse(broken yaml) = %d rules, %v; want one yaml diagnostic with a line",
			len(rules), diags)
	}
}

func TestDiagnosticError(t *testing.T) {
	cases := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "a.yml", Line: 3, Column: 7, Reason: "bad"}, "a.yml:3:7: bad"},
		{Diagnostic{File: "a.yml", Line: 3, Reason: "bad"}, "a.yml:3: bad"},
	}
	for _, c := range cases {
		if got := c.d.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}

func TestParseMetadataAndCollections(t *testing.T) {
	doc := `title: Global
logsource:
  product: test
detection:
  condition: sel
---
action: global
level: HIGH
tags: [attack.t1059]
logsource:
  product: test
detection:
  condition: sel
---
title: first
id: r-1
author: [a, b]
detection:
  sel: {f: 1}
---
title: second
id: r-2
detection:
  sel: {f: 2}
---
action: repeat
title: third
id: r-3
---
action: reset
---
title: no global
id: r-4
status: test
logsource: {product: test}
detection:
  sel: {f: 3}
  condition: sel
`
	rules, diags := Parse([]byte(doc), "c.yml", Options{})
	if len(diags) != 1 || !strings.Contains(diags[0].Reason, `selection "sel" is not defined`) {
		t.Errorf("diagnostics = %v, want one for the first document", diags)
	}
	type meta struct {
		ID, Title, Level, Author, Status string
		Line                             int
		Tags                             []string
	}
	var got []meta
	for _, r := range rules {
		got = append(got, meta{r.ID, r.Title, r.Level, r.Author, r.Status, r.Line, r.Tags})
	}
	want := []meta{
		{"r-1", "first", "high", "a, b", "", 15, []string{"attack.t1059"}},
		{"r-2", "second", "high", "", "", 21, []string{"attack.t1059"}},
		{"r-3", "third", "high", "", "", 26, []string{"attack.t1059"}},
		{"r-4", "no global", "", "", "test", 32, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if len(rules) == 4 {
		rs := NewRuleset(rules[2:3])
		if !matches(rs, jsonEvent(t, `{"f":2}`)) {
			t.Error("repeated rule does not keep the detection of the rule before")
		}
	}
}

func TestPlaceholders(t *testing.T) {
	doc := testRule("sel: {f|expand|endswith: '%admins%'}\ncondition: sel")
	rules, diags := Parse([]byte(doc), "p.yml", Options{Placeholders: map[string][]string{
		"admins": {"root", "adm*"}}})
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	rs := NewRuleset(rules)
	for ev, want := range map[string]bool{`{"f":"xroot"}`: true, `{"f":"admin"}`: true,
		`{"f":"xadmXY"}`: true, `{"f":"ad"}`: false} {
		if got := matches(rs, jsonEvent(t, ev)); got != want {
			t.Errorf("match %s = %v, want %v", ev, got, want)
		}
	}
}

func TestMatchAllocsSmall(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool, and so regexp, allocate")
	}
	rs := compileTest(t, `sel:
  Image|endswith: ['\cmd.exe', '\powershell.exe']
  CommandLine|contains|all: [' -e', 'a*b?c']
  CommandLine|windash|contains: ' -nop '
ip: {DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10']}
num: {EventID|gte: 4000, Port: 443}
re: {CommandLine|re|i: 'iex\s*\('}
kw: [mimikatz, 'sekurlsa::']
ref: {User|fieldref: TargetUser}
f: {ParentImage: null}
condition: (sel or ip or num or re or ref) and not f or kw`)
	ev := jsonEvent(t, `{"EventID":4688,"Image":"C:\\Windows\\CMD.EXE","CommandLine":
		"cmd /c powershell –nop -enc aXbYc IEX (x)","DestinationIp":"fe80::1","Port":"443",
		"User":"bob","TargetUser":"BOB","ParentImage":"C:\\explorer.exe","list":["x",{"y":"z"}]}`)
	fn := func(*Rule) {}
	rs.Match(ev, fn)
	if n := testing.AllocsPerRun(100, func() { rs.Match(ev, fn) }); n != 0 {
		t.Errorf("Match allocates %.1f times per event, want 0", n)
	}
}
