package regulation

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fullSummary fills every content element with a recognisable value.
func fullSummary() Summary {
	s := Summary{IncidentID: "INC-2026-0042", Title: "Database exposure", Provider: "Example Cloud",
		Tenant: "Klinikum Nord", Description: "VALUE(description)",
		TenantEffect: "VALUE(tenant-effect)", ActionsTaken: []string{"VALUE(measures-taken)"},
		SuggestedActions: []string{"VALUE(recommended-actions)"}, Contact: "VALUE(contact-point)",
		Elements: map[string]string{}}
	for _, el := range ContentElements() {
		if s.value(el) == "" {
			s.Elements[el] = "VALUE(" + el + ")"
		}
	}
	return s
}

// TestEveryShippedTemplateShowsItsContent drafts every stage of every
// shipped regime in every language it has, and checks that each required
// content element appears in the text.
func TestEveryShippedTemplateShowsItsContent(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	full := fullSummary()
	drafts := 0
	for _, re := range c.Regimes() {
		for _, st := range re.Stages {
			langs := c.Languages(re.ID, st.ID)
			if !slices.Contains(langs, "en") {
				t.Errorf("%s/%s has no English template", re.ID, st.ID)
			}
			for _, lang := range langs {
				ob := Obligation{Key: Key{Regime: re.ID, Stage: st.ID, Tenant: "t"}, Stage: st.Name}
				d, err := c.Draft(ob, lang, full)
				if err != nil {
					t.Errorf("%s/%s %s: %v", re.ID, st.ID, lang, err)
					continue
				}
				drafts++
				if d.Lang != lang || len(d.Missing) != 0 || d.Subject == "" {
					t.Errorf("%s/%s %s: lang %s, missing %v, subject %q", re.ID, st.ID, lang,
						d.Lang, d.Missing, d.Subject)
				}
				for _, el := range st.Content {
					if !strings.Contains(d.Body, "VALUE("+el+")") {
						t.Errorf("%s/%s %s: the draft does not show %s:\n%s", re.ID, st.ID, lang,
							el, d.Body)
					}
				}
				if strings.Contains(d.Body, "<no value>") {
					t.Errorf("%s/%s %s: the draft shows <no value>:\n%s", re.ID, st.ID, lang, d.Body)
				}

				// An empty summary lists exactly the required elements.
				empty, err := c.Draft(ob, lang, Summary{})
				if err != nil {
					t.Fatal(err)
				}
				want := slices.Sorted(slices.Values(st.Content))
				if !slices.Equal(empty.Missing, want) {
					t.Errorf("%s/%s %s: missing %v, want %v", re.ID, st.ID, lang, empty.Missing, want)
				}
			}
		}
	}
	if drafts < 50 {
		t.Errorf("drafted only %d notices", drafts)
	}
}

func TestDraftsInTwoLanguages(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	obs, err := c.Compute(Input{Facts: scenarioFacts(t), Tenants: scenarioTenants()[:1]})
	if err != nil {
		t.Fatal(err)
	}
	var ob Obligation
	for _, o := range obs {
		if o.Key.Regime == "gdpr-art33-2" {
			ob = o
		}
	}
	s := Summary{IncidentID: "INC-7", Provider: "Example Cloud", Tenant: "Klinikum Nord",
		Description:      "An attacker read a backup of the patient portal database.",
		TenantEffect:     "Your portal's user table (names, e-mail addresses) was in the backup.",
		ActionsTaken:     []string{"Revoked the leaked storage key", "Rotated database credentials"},
		SuggestedActions: []string{"Reset portal passwords"},
		Contact:          "security@example.cloud, +49 30 1234567",
		Elements:         map[string]string{ElemTimeline: "Accessed 2026-06-30; discovered 2026-07-01 09:00 UTC."}}

	en, err := c.Draft(ob, "en", s)
	if err != nil {
		t.Fatal(err)
	}
	de, err := c.Draft(ob, "de", s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d     Draft
		lang  string
		words []string
	}{
		{en, "en", []string{"Personal data breach affecting Klinikum Nord", "as your processor",
			"Effect on your data:\nYour portal's user table", "- Revoked the leaked storage key\n" +
				"- Rotated database credentials", "within 72 hours", "due 2026-07-02 09:00 UTC",
			"[to be completed: Categories of data and individuals concerned]"}},
		{de, "de", []string{"Verletzung des Schutzes personenbezogener Daten bei Klinikum Nord",
			"Als Auftragsverarbeiter", "Auswirkung auf Ihre Daten:\nYour portal's user table",
			"binnen 72 Stunden", "[noch zu ergänzen: Kategorien betroffener Daten und Personen]"}},
	} {
		if tc.d.Lang != tc.lang {
			t.Errorf("draft language %s, want %s", tc.d.Lang, tc.lang)
		}
		text := tc.d.Subject + "\n" + tc.d.Body
		for _, w := range tc.words {
			if !strings.Contains(text, w) {
				t.Errorf("%s draft lacks %q:\n%s", tc.lang, w, text)
			}
		}
		if !slices.Equal(tc.d.Missing, []string{ElemDataCategories, ElemIndividualsCount,
			ElemLikelyConsequences}) {
			t.Errorf("%s draft missing = %v", tc.lang, tc.d.Missing)
		}
	}
	if en.Body == de.Body {
		t.Error("the German draft is the English one")
	}

	// No French template: English is used and says so.
	fr, err := c.Draft(ob, "fr", s)
	if err != nil || fr.Lang != "en" {
		t.Errorf("Draft in French = %s, %v; want the English fallback", fr.Lang, err)
	}
	if _, err := c.Draft(Obligation{Key: Key{Regime: "nope", Stage: "x"}}, "en", s); err == nil {
		t.Error("Draft for an unknown regime succeeded")
	}
}

func FuzzParseNotice(f *testing.F) {
	files, _ := filepath.Glob("catalog/notices/*.tmpl")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Only parsing: executing an arbitrary template may loop for long
		// ({{range 1000000000}}); the catalog's own templates are trusted.
		n, err := parseNotice("x.s.en.tmpl", "f.tmpl", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "f.tmpl" {
				t.Fatalf("error %v is not a ParseError naming the file", err)
			}
			return
		}
		for _, el := range n.elements {
			if !slices.Contains(ContentElements(), el) {
				t.Fatalf("parsed template uses unknown element %q", el)
			}
		}
	})
}

// TestUnfilled checks that an edit which completes an element takes it off
// a draft's missing list, in the draft's language, and keeps the rest.
func TestUnfilled(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	obs, err := c.Compute(Input{Facts: scenarioFacts(t), Tenants: scenarioTenants()[:1]})
	if err != nil {
		t.Fatal(err)
	}
	var ob Obligation
	for _, o := range obs {
		if o.Key.Regime == "gdpr-art33-2" {
			ob = o
		}
	}
	for _, lang := range []string{"en", "de"} {
		d, err := c.Draft(ob, lang, Summary{IncidentID: "INC-8", Tenant: "Klinikum Nord"})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Missing) < 2 {
			t.Fatalf("%s draft misses %v; want at least two elements", lang, d.Missing)
		}
		if got := Unfilled(lang, d.Missing, d.Body); !slices.Equal(got, d.Missing) {
			t.Errorf("%s: unedited draft: unfilled %v, want %v", lang, got, d.Missing)
		}
		first := fmt.Sprintf(placeholders[lang], ElementLabel(d.Missing[0], lang))
		edited := strings.Replace(d.Body, first, "Filled in by legal.", 1)
		if got := Unfilled(lang, d.Missing, edited); !slices.Equal(got, d.Missing[1:]) {
			t.Errorf("%s: after completing %s: unfilled %v, want %v", lang, d.Missing[0],
				got, d.Missing[1:])
		}
	}
	if got := Unfilled("en", nil, "anything"); got == nil || len(got) != 0 {
		t.Errorf("nothing missing: %#v, want an empty list", got)
	}
}
