package incident

import (
	"errors"
	"strings"
	"testing"
)

// wantPriority is the documented default (docs/incident.md), written
// independently of default-priority.yaml: for each functional impact, rows are
// information impact (none, privacy, proprietary, integrity) and columns
// recoverability (regular, supplemented, extended, not-recoverable).
var wantPriority = map[FunctionalImpact][4]string{
	FunctionalNone: {
		"P4 P3 P2 P2",
		"P2 P2 P1 P1",
		"P2 P2 P2 P1",
		"P2 P2 P1 P1",
	},
	FunctionalLow: {
		"P3 P3 P2 P2",
		"P2 P2 P1 P1",
		"P2 P2 P2 P1",
		"P2 P2 P1 P1",
	},
	FunctionalMedium: {
		"P2 P2 P2 P2",
		"P2 P2 P1 P1",
		"P2 P2 P2 P1",
		"P2 P2 P1 P1",
	},
	FunctionalHigh: {
		"P1 P1 P1 P1",
		"P1 P1 P1 P1",
		"P1 P1 P1 P1",
		"P1 P1 P1 P1",
	},
}

func TestDefaultPriorityPolicyGrid(t *testing.T) {
	t.Parallel()
	p := DefaultPriorityPolicy()
	n := 0
	for _, fn := range functionalValues {
		for ii, in := range informationValues {
			cols := strings.Fields(wantPriority[fn][ii])
			for ri, rc := range recoverValues {
				f := Factors{Functional: fn, Information: in, Recoverability: rc}
				got, ex := p.Derive(f)
				if got.String() != cols[ri] {
					t.Errorf("Derive(%s) = %s by %s, want %s", f, got, ex, cols[ri])
				}
				if ex.Policy != "default-priority.yaml" || ex.Rule == "" || ex.Text == "" {
					t.Errorf("Derive(%s) explanation = %+v, want policy, rule and text", f, ex)
				}
				n++
			}
		}
	}
	if n != 64 {
		t.Fatalf("checked %d combinations, want 64", n)
	}
}

func TestDerivePriorityExplanation(t *testing.T) {
	t.Parallel()
	p := DefaultPriorityPolicy()
	_, ex := p.Derive(Factors{FunctionalHigh, InformationNone, RecoveryRegular})
	if ex.Rule != "critical-service-lost" || ex.Index != 1 {
		t.Errorf("rule = %q #%d, want critical-service-lost #1", ex.Rule, ex.Index)
	}
	if !strings.Contains(ex.Text, `"critical-service-lost"`) || !strings.Contains(ex.Text, "P1") {
		t.Errorf("text = %q, want the rule name and P1", ex.Text)
	}
	_, ex = p.Derive(Factors{FunctionalNone, InformationNone, RecoveryRegular})
	if ex.Rule != "default" || ex.Index != 0 || !strings.Contains(ex.Text, "default P4") {
		t.Errorf("explanation = %+v, want the default P4", ex)
	}
}

func TestCustomPriorityPolicy(t *testing.T) {
	t.Parallel()
	src := `
default: P3
rules:
  - name: breach
    when: {information: privacy}
    priority: p1
  - name: slow
    when:
      functional: [low, medium]
      recoverability: [extended]
    priority: P2
`
	p, err := ParsePriorityPolicy("custom.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f        Factors
		want     Priority
		wantRule string
	}{
		{Factors{FunctionalHigh, InformationPrivacy, RecoveryRegular}, P1, "breach"},
		{Factors{FunctionalLow, InformationNone, RecoveryExtended}, P2, "slow"},
		{Factors{FunctionalHigh, InformationNone, RecoveryExtended}, P3, "default"},
		{Factors{FunctionalLow, InformationNone, RecoveryRegular}, P3, "default"},
	}
	for _, tt := range tests {
		got, ex := p.Derive(tt.f)
		if got != tt.want || ex.Rule != tt.wantRule || ex.Policy != "custom.yaml" {
			t.Errorf("Derive(%s) = %s by %s/%s, want %s by %s", tt.f, got, ex.Policy, ex.Rule,
				tt.want, tt.wantRule)
		}
	}
}

func TestParsePriorityPolicyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		key       string
		line      int
	}{
		{"empty", "", "", 0},
		{"syntax", "default: P4\nrules: [\n", "", 2},
		{"not a mapping", "- a\n", "", 1},
		{"missing default", "rules: []\n", "default", 1},
		{"missing rules", "default: P4\n", "rules", 1},
		{"bad default", "default: P5\nrules: []\n", "default", 1},
		{"unknown top key", "default: P4\nrules: []\nextra: 1\n", "extra", 3},
		{"rules not a list", "default: P4\nrules: {}\n", "rules", 2},
		{"rule missing name", "default: P4\nrules:\n  - priority: P1\n", "rules[0].name", 3},
		{"bad priority", "default: P4\nrules:\n  - name: a\n    priority: high\n",
			"rules[0].priority", 4},
		{"unknown factor value",
			"default: P4\nrules:\n  - name: a\n    priority: P1\n    when:\n" +
				"      functional: [low, huge]\n", "rules[0].when.functional[1]", 6},
		{"unknown when key",
			"default: P4\nrules:\n  - name: a\n    priority: P1\n    when: {impact: low}\n",
			"rules[0].when.impact", 5},
		{"empty list",
			"default: P4\nrules:\n  - name: a\n    priority: P1\n    when: {functional: []}\n",
			"rules[0].when.functional", 5},
		{"repeated key", "default: P4\ndefault: P3\nrules: []\n", "default", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePriorityPolicy("bad.yaml", []byte(tt.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.File != "bad.yaml" || pe.Key != tt.key || pe.Line != tt.line {
				t.Errorf("got file %q key %q line %d, want bad.yaml %q %d (%v)", pe.File,
					pe.Key, pe.Line, tt.key, tt.line, err)
			}
			if !strings.Contains(err.Error(), "bad.yaml") {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}

func TestFactorsValidate(t *testing.T) {
	t.Parallel()
	ok := Factors{FunctionalLow, InformationIntegrity, RecoveryNone}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%s) = %v", ok, err)
	}
	for _, f := range []Factors{
		{"", InformationNone, RecoveryRegular},
		{FunctionalLow, "secret", RecoveryRegular},
		{FunctionalLow, InformationNone, "never"},
	} {
		if err := f.Validate(); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("Validate(%s) = %v, want ErrInvalidValue", f, err)
		}
	}
}

func TestParsePriority(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"P1", "p2", "P3", "P4"} {
		if p, err := ParsePriority(s); err != nil || !strings.EqualFold(p.String(), s) {
			t.Errorf("ParsePriority(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"", "P0", "P5", "1", "high"} {
		if _, err := ParsePriority(s); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("ParsePriority(%q) err = %v, want ErrInvalidValue", s, err)
		}
	}
}
