package notice

import (
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// TestLanguage checks the language a notice is drafted in: the one asked
// for, else the tenant's own when the catalog has a template in it for the
// regime and stage, else the language of its jurisdiction, else English.
func TestLanguage(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := regulation.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	const regime, stage = "gdpr-art33-2", "notification"
	if have := cat.Languages(regime, stage); len(have) != 2 || have[0] != "de" ||
		have[1] != "en" {
		t.Fatalf("the catalog's languages for %s/%s are %v; the test needs de and en", regime,
			stage, have)
	}
	for _, tn := range []scope.Tenant{
		{ID: "de-en", Language: "en", Profile: regulation.Profile{Jurisdictions: []string{"DE"}}},
		{ID: "at", Profile: regulation.Profile{Jurisdictions: []string{"AT"}}},
		{ID: "de-fr", Language: "fr", Profile: regulation.Profile{Jurisdictions: []string{"DE"}}},
		{ID: "fr-fr", Language: "fr", Profile: regulation.Profile{Jurisdictions: []string{"FR"}}},
		{ID: "us-de", Language: "de", Profile: regulation.Profile{Jurisdictions: []string{"US"}}},
		{ID: "us", Profile: regulation.Profile{Jurisdictions: []string{"US"}}},
	} {
		tn.Name = "Tenant " + tn.ID
		tn.Normalize()
		if err := tn.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateTenant(t.Context(), &tn); err != nil {
			t.Fatal(err)
		}
	}
	s := &Service{cfg: Config{Store: st, Catalog: cat}}
	for _, tc := range []struct {
		name, tenant, asked, want string
	}{
		{"a DE tenant preferring English", "de-en", "", "en"},
		{"an AT tenant without a language", "at", "", "de"},
		{"no French template: the jurisdiction's guess", "de-fr", "", "de"},
		{"no French template, no guess: English", "fr-fr", "", "en"},
		{"a US tenant preferring German", "us-de", "", "de"},
		{"a US tenant without a language", "us", "", "en"},
		{"the request's language wins", "de-en", "de", "de"},
		{"the request's language wins over the guess", "at", "en", "en"},
		{"an unknown tenant", "nobody", "", "en"},
		{"an obligation without tenant", "", "", "en"},
	} {
		key := regulation.Key{Regime: regime, Stage: stage, Tenant: tc.tenant}
		if got := s.language(t.Context(), key, tc.asked); got != tc.want {
			t.Errorf("%s: language(%s, %q) = %q, want %q", tc.name, key, tc.asked, got, tc.want)
		}
	}
}
