package scope

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sampleCSV = `kind,id,name,region,datacenter,service,farm,addresses,tenants
# regions and datacenters
region,eu-west,EU West,,,,,,
datacenter,fra1,Frankfurt 1,eu-west,,,,,
service,storage,Object storage,,,,,,
service,storage,,eu-west,,,,,globex;acme
farm,st-3,,eu-west,fra1,storage,,10.1.3.0/24,initech
server,ST-3-01.fra1.example.net,,eu-west,fra1,storage,st-3,10.1.3.11 2001:db8::11,hooli
`

func TestParseCSV(t *testing.T) {
	doc, err := ParseCSV([]byte(sampleCSV), "inv.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(nil); err != nil {
		t.Fatal(err)
	}
	doc.Inventory.Sort()
	want := Inventory{
		Regions:     []Region{{ID: "eu-west", Name: "EU West"}},
		Datacenters: []Datacenter{{ID: "fra1", Name: "Frankfurt 1", Region: "eu-west"}},
		Services: []Service{{ID: "storage", Name: "Object storage",
			Tenants: map[string][]string{"eu-west": {"acme", "globex"}}}},
		Farms: []Farm{{ID: "st-3", Datacenter: "fra1", Service: "storage",
			Addresses: []string{"10.1.3.0/24"}, Tenants: []string{"initech"}}},
		Servers: []Server{{Name: "st-3-01.fra1.example.net", Farm: "st-3",
			Addresses: []string{"10.1.3.11", "2001:db8::11"}, Tenants: []string{"hooli"}}},
	}
	if diff := cmp.Diff(want, doc.Inventory); diff != "" {
		t.Errorf("ParseCSV (-want +got):\n%s", diff)
	}
	if got := doc.Lines[Ref{KindServer, "st-3-01.fra1.example.net"}]; got != 8 {
		t.Errorf("server read on line %d, want 8", got)
	}
}

func TestParseCSVErrors(t *testing.T) {
	const head = "kind,id,name,region,datacenter,service,farm,addresses,tenants\n"
	tests := []struct {
		name, csv, want string
	}{
		{"unknown column", "kind,id,colour\n", "inv.csv:1: colour: unknown column"},
		{"no id column", "kind,name\n", "inv.csv:1: the header needs the columns kind and id"},
		{"repeated column", "kind,id,id\n", "inv.csv:1: id: column given twice"},
		{"unknown kind", head + "rack,r1,,,,,,,\n", `inv.csv:2: kind: "rack" is not one of`},
		{"missing id", head + "region,,,,,,,,\n", "inv.csv:2: id: missing"},
		{"column not used", head + "region,eu,,,,,,10.0.0.0/8,\n",
			"inv.csv:2: addresses: not used on a region row"},
		{"column needed", head + "farm,f1,,,fra1,,,,\n", "inv.csv:2: service: a farm row needs it"},
		{"too many cells", head + "region,eu,,,,,,,,extra\n", "inv.csv:2: 10 cells"},
		{"quote", head + "region,\"eu,\n", "inv.csv:2: "},
		{"service tenants without region", head + "service,s,,,,,,,acme\n",
			"inv.csv:2: tenants: tenants of a whole service are per region"},
		{"assignment without definition", head + "service,s,,eu,,,,,acme\n",
			`inv.csv:2: id: service "s" has no row of its own`},
		{"ancestor disagrees", head + "region,eu,,,,,,,\nregion,us,,,,,,,\n" +
			"datacenter,fra1,,eu,,,,,\nservice,s,,,,,,,\nfarm,f1,,us,fra1,s,,,\n",
			`inv.csv:6: region: "us", but the tree says "eu"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV([]byte(tt.csv), "inv.csv")
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseCSV = %v, want a *ParseError containing %q", err, tt.want)
			}
		})
	}
}

func TestCSVValidateLocates(t *testing.T) {
	doc, err := ParseCSV([]byte(sampleCSV+"server,st-3-02,,,,,st-9,,\n"), "inv.csv")
	if err != nil {
		t.Fatal(err)
	}
	err = doc.Validate(nil)
	want := `inv.csv:9: server st-3-02: farm: "st-9" is not in the inventory`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate = %v, want %q", err, want)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	doc := sampleDoc(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, &doc.Inventory); err != nil {
		t.Fatal(err)
	}
	again, err := ParseCSV(buf.Bytes(), "again.csv")
	if err != nil {
		t.Fatalf("ParseCSV(WriteCSV) = %v\n%s", err, buf.String())
	}
	if err := again.Validate(nil); err != nil {
		t.Fatal(err)
	}
	again.Inventory.Sort()
	if diff := cmp.Diff(doc.Inventory, again.Inventory); diff != "" {
		t.Errorf("inventory after a CSV round trip (-before +after):\n%s", diff)
	}
}
