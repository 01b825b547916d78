package regulation

import (
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
		{Profile{Jurisdictions: []string{"EU"}}, "jurisdictions[0]"},
		{Profile{Jurisdictions: []string{"DE", "germany"}}, "jurisdictions[1]"},
		{Profile{Roles: []string{"bank"}}, `roles[0]: unknown value "bank"`},
		{Profile{DataCategories: []string{DataPersonal, "pii"}}, "data_categories[1]"},
	} {
		err := tc.p.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %q", tc.p, err, tc.want)
		}
	}
}

func TestInEU(t *testing.T) {
	if !InEU("DE") || !InEU("IE") || InEU("GB") || InEU("US") || InEU("CH") {
		t.Error("InEU disagrees with the member list: DE and IE in, GB, US and CH out")
	}
}
