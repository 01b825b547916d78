package readiness

import (
	"strings"
	"testing"
)

// FuzzParseScenario checks that any file parses or fails with a line, and
// that a parsed scenario keeps its rules: events sorted by time, none
// without fields or with the reserved key, every expectation with one of
// rule and tag.
func FuzzParseScenario(f *testing.F) {
	f.Add("name: a\nevents:\n  - {at: 1s, step: s, fields: {x: 1}}\nexpect:\n  - {tag: attack.t1}\n")
	f.Add("name: b\nevents:\n  - {at: 2s, step: s, fields: {x: {y: [1, 2]}}}\n" +
		"  - {at: 0s, step: t, fields: {z: 2026-01-01}}\nexpect:\n  - {rule: r, severity: high}\n")
	f.Add("name: c\nevents: []\n")
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScenario(strings.NewReader(s), "f.yaml")
		if err != nil {
			if se, ok := err.(*ScenarioError); ok && se.Line < 0 {
				t.Fatalf("negative line: %v", err)
			}
			return
		}
		for i, e := range sc.Events {
			if len(e.Fields) == 0 || e.Step == "" || e.At < 0 || i > 0 && e.At < sc.Events[i-1].At {
				t.Fatalf("event %d: %+v", i, e)
			}
			if _, ok := e.Fields[ExerciseField]; ok {
				t.Fatalf("event %d sets the reserved key", i)
			}
		}
		for _, x := range sc.Expect {
			if (x.Rule == "") == (x.Tag == "") || !x.Severity.Valid() {
				t.Fatalf("expectation %+v", x)
			}
		}
	})
}

func TestParseScenarioErrors(t *testing.T) {
	t.Parallel()
	head := "name: s\nexpect:\n  - {tag: attack.t1}\nevents:\n"
	tests := []struct{ yaml, want string }{
		{"", "f.yaml:1: empty file"},
		{"- a\n", "f.yaml:1: want a mapping"},
		{"name: S p\nevents: [{at: 0s, step: x, fields: {a: 1}}]\nexpect: [{tag: attack.t1}]\n",
			`name "S p"`},
		{"name: s\ncolour: red\n", `f.yaml:2: scenario: unknown key "colour"`},
		{head + "  - {at: 5m, step: x}\n", "f.yaml:5: events[0]: fields are required"},
		{head + "  - {at: soon, step: x, fields: {a: 1}}\n", `f.yaml:5: events[0].at "soon"`},
		{head + "  - {at: -1s, step: x, fields: {a: 1}}\n", `events[0].at "-1s"`},
		{head + "  - {at: 1s, fields: {a: 1}}\n", "events[0]: step is required"},
		{head + "  - at: 1s\n    step: x\n    fields: {vigil: {exercise: 9}}\n",
			`f.yaml:7: events[0].fields: key "vigil" is reserved`},
		{"name: s\nevents: [{at: 0s, step: x, fields: {a: 1}}]\nexpect:\n  - {rule: r, tag: attack.t1}\n",
			"f.yaml:4: expect[0]: want either rule"},
		{"name: s\nevents: [{at: 0s, step: x, fields: {a: 1}}]\nexpect:\n  - {tag: t1003}\n",
			`expect[0].tag "t1003"`},
		{"name: s\nevents: [{at: 0s, step: x, fields: {a: 1}}]\nexpect:\n  - {tag: attack.t1, severity: dire}\n",
			`expect[0].severity "dire"`},
		{"name: s\nevents: [{at: 0s, step: x, fields: {a: 1}}]\n", "expect: want at least one"},
		{"name: s\nevents: [\n", "f.yaml:"},
	}
	for _, tt := range tests {
		_, err := ParseScenario(strings.NewReader(tt.yaml), "f.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseScenario(%q) = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
