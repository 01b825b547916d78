package regulation

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestProfileValidate(t *testing.T) {
	good := Profile{Jurisdictions: []string{"DE", "US-CA"}, Roles: []string{RoleSECRegistrant},
		DataCategories: []string{DataPersonal, DataHealth}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v, want nil", good, err)
	}
	for _, tc := range []struct {
		p    Profile
		want string
	}{
		{Profile{Jurisdictions: []string{"EU"}}, `jurisdictions[0]: "EU" is not a country`},
		{Profile{Jurisdictions: []string{"DE", "germany"}}, "jurisdictions[1]"},
		{Profile{Jurisdictions: []string{"UK", "XX"}},
			`jurisdictions[0]: "UK" is not an ISO 3166-1 code; the United Kingdom is "GB"`},
		{Profile{Jurisdictions: []string{"GB", "XX"}}, `jurisdictions[1]: "XX" is not an` +
			` assigned ISO 3166-1 alpha-2 code or US-state code`},
		{Profile{Jurisdictions: []string{"EU-DE"}}, `"EU-DE": subdivisions are accepted for` +
			` US states only; use "DE"`},
		{Profile{Jurisdictions: []string{"US-XX"}}, `"XX" is not a US state`},
		{Profile{Jurisdictions: []string{"de"}}, `write ISO codes in capitals: "DE"`},
		{Profile{Roles: []string{"bank"}}, `roles[0]: unknown value "bank"`},
		{Profile{DataCategories: []string{DataPersonal, "pii"}}, "data_categories[1]"},
	} {
		err := tc.p.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %q", tc.p, err, tc.want)
		}
	}
}

func TestProfileValidateFieldError(t *testing.T) {
	err := Profile{Jurisdictions: []string{"DE", "UK"}}.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "jurisdictions" || fe.Index != 1 {
		t.Fatalf("Validate = %#v, want a *FieldError for jurisdictions[1]", err)
	}
}

func TestIsJurisdiction(t *testing.T) {
	if n := len(countries); n != 249 {
		t.Errorf("%d ISO 3166-1 alpha-2 codes, want the 249 assigned", n)
	}
	if n := len(usStates); n != 57 {
		t.Errorf("%d US subdivisions, want 50 states, DC and 6 territories", n)
	}
	for code, want := range map[string]bool{
		"GB": true, "DE": true, "US": true, "AX": true, "SS": true, "BQ": true,
		"US-CA": true, "US-DC": true, "US-PR": true, "US-WY": true, "US-UM": true,
		"UK": false, "EU": false, "EEA": false, "EL": false, "XK": false, "XX": false,
		"AN": false, "US-XX": false, "US-": false, "DE-BY": false, "EU-DE": false,
		"de": false, "": false, "GB ": false,
	} {
		if got := IsJurisdiction(code); got != want {
			t.Errorf("IsJurisdiction(%q) = %v, want %v", code, got, want)
		}
	}
	for _, code := range euMembers {
		if !IsJurisdiction(code) {
			t.Errorf("EU member %s is not a jurisdiction", code)
		}
	}
}

// TestCountriesMatchTZData compares the ISO 3166-1 list with the one the
// time zone database ships, when the system has it.
func TestCountriesMatchTZData(t *testing.T) {
	f, err := os.Open("/usr/share/zoneinfo/iso3166.tab")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no tzdata list to compare with (install Debian's tzdata): %v", err)
		}
		t.Skipf("no tzdata list to compare with: %v", err)
	}
	defer f.Close()
	tab := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			code, _, _ := strings.Cut(line, "\t")
			tab[code] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for code := range tab {
		if !countries[code] {
			t.Errorf("tzdata lists %s, the ISO list does not", code)
		}
	}
	for code := range countries {
		if !tab[code] {
			t.Errorf("the ISO list has %s, tzdata does not", code)
		}
	}
}

// FuzzCheckJurisdiction checks that CheckJurisdiction agrees with
// IsJurisdiction and that its error quotes the code it refuses.
func FuzzCheckJurisdiction(f *testing.F) {
	for _, s := range []string{"GB", "UK", "US-CA", "US-XX", "EU-DE", "de", "EEA", "", "-",
		"X-", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		err := CheckJurisdiction(code)
		if (err == nil) != IsJurisdiction(code) {
			t.Fatalf("CheckJurisdiction(%q) = %v, IsJurisdiction = %v", code, err,
				IsJurisdiction(code))
		}
		if err != nil && !strings.Contains(err.Error(), strconv.Quote(code)) {
			t.Fatalf("CheckJurisdiction(%q) = %v: does not name the code", code, err)
		}
		if err == nil && (Profile{Jurisdictions: []string{code}}).Validate() != nil {
			t.Fatalf("Profile.Validate refuses %q, CheckJurisdiction accepts it", code)
		}
	})
}

func TestInEU(t *testing.T) {
	if !InEU("DE") || !InEU("IE") || InEU("GB") || InEU("US") || InEU("CH") {
		t.Error("InEU disagrees with the member list: DE and IE in, GB, US and CH out")
	}
}
