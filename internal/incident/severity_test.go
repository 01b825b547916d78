package incident

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultSeverityPolicy(t *testing.T) {
	t.Parallel()
	health := []Industry{IndustryHealth}
	tests := []struct {
		name     string
		c        SeverityCriteria
		want     Level
		wantRule string
	}{
		{"nothing known", SeverityCriteria{}, Level3, "privacy-not-yet-known"},
		{"one host, no privacy", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeHost},
			Level4, "default"},
		{"global", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeGlobal}, Level0,
			"global-outage-or-breach"},
		{"personal data, health customer", SeverityCriteria{Privacy: PrivacyYes,
			Scope: ScopeHost, Tenants: 1, Regulated: health}, Level0,
			"personal-data-of-regulated-customers"},
		{"personal data, 100 tenants", SeverityCriteria{Privacy: PrivacyYes,
			Scope: ScopeService, Tenants: 100}, Level0, "personal-data-of-many-tenants"},
		{"personal data, 99 tenants", SeverityCriteria{Privacy: PrivacyYes,
			Scope: ScopeService, Tenants: 99}, Level1, "personal-data"},
		{"multi-region", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeMultiRegion},
			Level1, "several-regions"},
		{"many tenants", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeService,
			Tenants: 250}, Level1, "many-tenants"},
		{"unknown privacy, finance", SeverityCriteria{Scope: ScopeHost,
			Regulated: []Industry{IndustryFinance}}, Level1,
			"possible-personal-data-of-regulated-customers"},
		{"one region", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeRegion}, Level2,
			"one-region"},
		{"regulated, no privacy", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeHost,
			Regulated: []Industry{IndustryGovernment}}, Level2, "regulated-customers"},
		{"ten tenants", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeService,
			Tenants: 10}, Level2, "several-tenants"},
		{"three services", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeHost,
			Services: []string{"a", "b", "c"}}, Level2, "several-services"},
		{"one service", SeverityCriteria{Privacy: PrivacyNo, Scope: ScopeService,
			Tenants: 9, Services: []string{"a", "b"}}, Level3, "one-service"},
		{"unknown privacy, host", SeverityCriteria{Privacy: PrivacyUnknown,
			Scope: ScopeHost}, Level3, "privacy-not-yet-known"},
	}
	p := DefaultSeverityPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ex := p.Suggest(tt.c)
			if got != tt.want || ex.Rule != tt.wantRule {
				t.Errorf("Suggest = %s by %q, want %s by %q", got, ex.Rule, tt.want, tt.wantRule)
			}
			if ex.Policy != "default-severity.yaml" || !strings.Contains(ex.Text, got.String()) {
				t.Errorf("explanation = %+v", ex)
			}
		})
	}
}

func TestCustomSeverityPolicy(t *testing.T) {
	t.Parallel()
	src := `
default: 3
rules:
  - name: health-wide
    when: {industries: [health, pharmaceutical], min_regions: 2}
    level: 0
  - name: not-regulated-everywhere
    when: {regulated: false, scope: [multi-region, global]}
    level: 2
  - name: anything
    level: 1
`
	p, err := ParseSeverityPolicy("sev.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		c        SeverityCriteria
		want     Level
		wantRule string
	}{
		{SeverityCriteria{Regulated: []Industry{IndustryFinance, IndustryPharmaceutical},
			Regions: []string{"eu", "us"}}, Level0, "health-wide"},
		{SeverityCriteria{Regulated: []Industry{IndustryHealth}, Regions: []string{"eu"}},
			Level1, "anything"},
		{SeverityCriteria{Scope: ScopeGlobal}, Level2, "not-regulated-everywhere"},
		{SeverityCriteria{Scope: ScopeGlobal, Regulated: []Industry{"x"}}, Level1, "anything"},
	}
	for _, tt := range tests {
		got, ex := p.Suggest(tt.c)
		if got != tt.want || ex.Rule != tt.wantRule {
			t.Errorf("Suggest(%+v) = %s by %q, want %s by %q", tt.c, got, ex.Rule, tt.want,
				tt.wantRule)
		}
	}
}

func TestParseSeverityPolicyErrors(t *testing.T) {
	t.Parallel()
	rule := "default: 4\nrules:\n  - name: a\n    level: 1\n    when:\n"
	tests := []struct {
		name, src, key string
		line           int
	}{
		{"bad default", "default: 5\nrules: []\n", "default", 1},
		{"default not a number", "default: low\nrules: []\n", "default", 1},
		{"missing level", "default: 4\nrules:\n  - name: a\n", "rules[0].level", 3},
		{"bad privacy", rule + "      privacy: [maybe]\n", "rules[0].when.privacy[0]", 6},
		{"bad scope", rule + "      scope: planet\n", "rules[0].when.scope", 6},
		{"bad regulated", rule + "      regulated: sometimes\n", "rules[0].when.regulated", 6},
		{"negative count", rule + "      min_tenants: -1\n", "rules[0].when.min_tenants", 6},
		{"unknown key", rule + "      tenants: 3\n", "rules[0].when.tenants", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSeverityPolicy("sev.yaml", []byte(tt.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.File != "sev.yaml" || pe.Key != tt.key || pe.Line != tt.line {
				t.Errorf("got %q %q line %d, want sev.yaml %q line %d (%v)", pe.File, pe.Key,
					pe.Line, tt.key, tt.line, err)
			}
		})
	}
}

func TestSeverityCriteriaValidate(t *testing.T) {
	t.Parallel()
	if err := (SeverityCriteria{}).Validate(); err != nil {
		t.Errorf("zero criteria: %v", err)
	}
	for _, c := range []SeverityCriteria{{Privacy: "perhaps"}, {Scope: "planet"}, {Tenants: -1}} {
		if err := c.Validate(); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidValue", c, err)
		}
	}
}

func TestSeverityDecisionValidate(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ok := SeverityDecision{Suggested: Level2, Decided: Level2, By: "ana", At: at}
	tests := []struct {
		name string
		edit func(*SeverityDecision)
		want error
	}{
		{"agrees, no reason", func(*SeverityDecision) {}, nil},
		{"differs with reason", func(d *SeverityDecision) {
			d.Decided, d.Reason = Level1, "regulator asked"
		}, nil},
		{"differs without reason", func(d *SeverityDecision) { d.Decided = Level1 },
			ErrReasonRequired},
		{"differs, blank reason", func(d *SeverityDecision) { d.Decided, d.Reason = Level3, " " },
			ErrReasonRequired},
		{"no by", func(d *SeverityDecision) { d.By = "" }, ErrMissingField},
		{"no at", func(d *SeverityDecision) { d.At = time.Time{} }, ErrMissingField},
		{"decided out of range", func(d *SeverityDecision) { d.Decided = 5 }, ErrInvalidValue},
		{"suggested out of range", func(d *SeverityDecision) { d.Suggested = -1 },
			ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ok
			tt.edit(&d)
			err := d.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLevelString(t *testing.T) {
	t.Parallel()
	want := []string{"0 (critical)", "1 (high)", "2 (medium)", "3 (minor)", "4 (low)"}
	for l := Level0; l <= Level4; l++ {
		if l.String() != want[l] {
			t.Errorf("Level(%d).String() = %q, want %q", int(l), l.String(), want[l])
		}
	}
	if got := Level(7).String(); got != "7 (invalid)" {
		t.Errorf("Level(7).String() = %q", got)
	}
}
