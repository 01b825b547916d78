package scope

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseYAMLSample(t *testing.T) {
	doc := sampleDoc(t)
	inv := &doc.Inventory
	if got := []int{len(inv.Regions), len(inv.Datacenters), len(inv.Services), len(inv.Farms),
		len(inv.Servers), len(doc.Tenants)}; !cmp.Equal(got, []int{3, 4, 3, 7, 7, 6}) {
		t.Errorf("regions, datacenters, services, farms, servers, tenants = %v, "+
			"want [3 4 3 7 7 6]", got)
	}
	if line := doc.Lines[Ref{KindFarm, "st-3"}]; line == 0 {
		t.Error("no line recorded for farm st-3")
	}
	var globex *TenantSpec
	for i := range doc.Tenants {
		if doc.Tenants[i].Tenant.ID == "globex-bank" {
			globex = &doc.Tenants[i]
		}
	}
	if globex == nil || len(globex.Contacts) != 1 ||
		globex.Contacts[0].Channel != ChannelWebhook ||
		globex.Contacts[0].Verified.Format("2006-01-02") != "2026-10-15" ||
		!cmp.Equal(globex.Tenant.Profile.Jurisdictions, []string{"DE", "FR"}) {
		t.Errorf("tenant globex-bank read as %+v", globex)
	}
}

func TestParseYAMLErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"not yaml", "regions: [", "inv.yaml: yaml: "},
		{"unknown top key", "region: []\n", "inv.yaml:1: region: unknown key"},
		{"regions not a list", "regions: {id: x}\n", "inv.yaml:1: regions: want a list"},
		{"unknown farm key", "regions:\n  - id: r\n    datacenters:\n      - id: d\n" +
			"        farms:\n          - id: f\n            servce: s\n",
			"inv.yaml:7: regions[0].datacenters[0].farms[0].servce: unknown key"},
		{"tenants not strings", "regions:\n  - id: r\n    datacenters:\n      - id: d\n" +
			"        farms:\n          - id: f\n            tenants: [{a: b}]\n",
			"inv.yaml:7: regions[0].datacenters[0].farms[0].tenants[0]: want a string"},
		{"bad tenant profile", "tenants:\n  - id: acme\n    name: ACME\n    profile:\n" +
			"      roles: [bank]\n",
			`inv.yaml:5: tenants[0].profile.roles[0]: unknown value "bank"`},
		{"mistyped jurisdiction", "tenants:\n  - id: acme\n    name: ACME\n    profile:\n" +
			"      jurisdictions:\n        - DE\n        - UK\n",
			`inv.yaml:7: tenants[0].profile.jurisdictions[1]: "UK" is not an ISO 3166-1 code;` +
				` the United Kingdom is "GB"`},
		{"pseudo-subdivision", "tenants:\n  - id: acme\n    name: ACME\n    profile:\n" +
			"      jurisdictions: [EU-DE]\n",
			`inv.yaml:5: tenants[0].profile.jurisdictions[0]: "EU-DE": subdivisions are` +
				` accepted for US states only; use "DE"`},
		{"unassigned jurisdiction", "tenants:\n  - id: acme\n    name: ACME\n    profile:\n" +
			"      jurisdictions: [XX]\n",
			`inv.yaml:5: tenants[0].profile.jurisdictions[0]: "XX" is not an assigned`},
		{"bad contact", "tenants:\n  - id: acme\n    name: ACME\n    contacts:\n" +
			"      - name: Ana\n        email: not-an-address\n",
			`inv.yaml:5: tenants[0].contacts[0]: email: "not-an-address" is not a bare e-mail`},
		{"bad verified date", "tenants:\n  - id: acme\n    name: ACME\n    contacts:\n" +
			"      - name: Ana\n        email: a@b.example\n        last_verified: last week\n",
			"inv.yaml:7: tenants[0].contacts[0].last_verified: \"last week\" is not a date"},
		{"bad tenant language", "tenants:\n  - id: acme\n    name: ACME\n    language: German\n",
			`inv.yaml:4: tenants[0].language: "German" is not a language subtag`},
		{"tenant language not a string", "tenants:\n  - id: acme\n    name: ACME\n" +
			"    language: [de]\n", "inv.yaml:4: tenants[0].language: want a string"},
		{"repeated tenant", "tenants:\n  - {id: a, name: A}\n  - {id: a, name: A}\n",
			`inv.yaml:3: tenants[1].id: tenant "a" listed twice`},
		{"service tenants not a map", "services:\n  - id: s\n    tenants: [a]\n",
			"inv.yaml:3: services[0].tenants: want a map of region to tenants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseYAML([]byte(tt.yaml), "inv.yaml")
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseYAML = %v, want a *ParseError containing %q", err, tt.want)
			}
		})
	}
}

// TestYAMLValidateLocates checks that inventory problems found after
// parsing name the file and the entry's line.
func TestYAMLValidateLocates(t *testing.T) {
	src := "regions:\n  - id: eu-west\n    datacenters:\n      - id: fra1\n        farms:\n" +
		"          - id: st-3\n            service: storage\n            tenants: [acme]\n"
	doc, err := ParseYAML([]byte(src), "inv.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = doc.Validate(func(string) bool { return false })
	for _, want := range []string{
		`inv.yaml:6: farm st-3: service: "storage" is not in the inventory`,
		`inv.yaml:6: farm st-3: tenants[0]: unknown tenant "acme"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to contain %q", err, want)
		}
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	doc := sampleDoc(t)
	var buf bytes.Buffer
	if err := WriteYAML(&buf, &doc.Inventory, doc.Tenants); err != nil {
		t.Fatal(err)
	}
	again, err := ParseYAML(buf.Bytes(), "again.yaml")
	if err != nil {
		t.Fatalf("ParseYAML(WriteYAML) = %v\n%s", err, buf.String())
	}
	if err := again.Validate(nil); err != nil {
		t.Fatal(err)
	}
	again.Inventory.Sort()
	if diff := cmp.Diff(doc.Inventory, again.Inventory); diff != "" {
		t.Errorf("inventory after a YAML round trip (-before +after):\n%s", diff)
	}
	if len(again.Tenants) != len(doc.Tenants) {
		t.Fatalf("%d tenants after the round trip, want %d", len(again.Tenants),
			len(doc.Tenants))
	}
	for i := range doc.Tenants {
		a, b := doc.Tenants[i], again.Tenants[i]
		if diff := cmp.Diff(a.Tenant, b.Tenant, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("tenant %d (-before +after):\n%s", i, diff)
		}
		if diff := cmp.Diff(a.Contacts, b.Contacts); diff != "" {
			t.Errorf("contacts of tenant %s (-before +after):\n%s", a.Tenant.ID, diff)
		}
	}
}

// TestYAMLTenantLanguage reads a tenant's notice language, writes it back
// and reads the same tenants again; a tenant without one writes no key.
func TestYAMLTenantLanguage(t *testing.T) {
	src := "tenants:\n" +
		"  - id: globex-bank\n    name: Globex Bank AG\n    language: ' en '\n" +
		"    profile: {jurisdictions: [DE]}\n" +
		"  - id: alpen\n    name: Alpen AG\n    profile: {jurisdictions: [AT]}\n"
	doc, err := ParseYAML([]byte(src), "inv.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{doc.Tenants[0].Tenant.Language, doc.Tenants[1].Tenant.Language}; !cmp.Equal(got, []string{"en", ""}) {
		t.Errorf("languages read = %q, want [en \"\"]", got)
	}
	var buf bytes.Buffer
	if err := WriteYAML(&buf, &doc.Inventory, doc.Tenants); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "language:"); n != 1 ||
		!strings.Contains(buf.String(), "language: en\n") {
		t.Errorf("written YAML has %d language keys, want one \"language: en\":\n%s", n,
			buf.String())
	}
	again, err := ParseYAML(buf.Bytes(), "again.yaml")
	if err != nil {
		t.Fatalf("ParseYAML(WriteYAML) = %v\n%s", err, buf.String())
	}
	want := []Tenant{doc.Tenants[0].Tenant, doc.Tenants[1].Tenant}
	got := []Tenant{again.Tenants[0].Tenant, again.Tenants[1].Tenant}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tenants after a YAML round trip (-before +after):\n%s", diff)
	}
}
