package scope

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseYAML checks that ParseYAML never panics and that an inventory
// it accepts, and Validate passes, survives WriteYAML and ParseYAML
// unchanged.
func FuzzParseYAML(f *testing.F) {
	if data, err := os.ReadFile(samplePath); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"regions:\n- id: r\n  datacenters:\n  - id: d\n    farms:\n    - id: f\n" +
			"      service: s\n      servers:\n      - name: h\n        addresses: [10.0.0.1]\n" +
			"services:\n- id: s\n",
		"services:\n- id: s\n  tenants: {r: [t]}\n",
		"tenants:\n- {id: t, name: T, contacts: [{name: a, email: a@b.c}]}\n",
		"tenants:\n- {id: t, name: T, language: de}\n",
		"regions: [{id: r}]\n", "{}", "", "regions:\n- id: [",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseYAML(data, "fuzz.yaml")
		if err != nil || doc.Validate(nil) != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteYAML(&buf, &doc.Inventory, doc.Tenants); err != nil {
			t.Fatalf("WriteYAML: %v", err)
		}
		again, err := ParseYAML(buf.Bytes(), "again.yaml")
		if err != nil {
			t.Fatalf("ParseYAML(WriteYAML(x)) = %v\n%s", err, buf.String())
		}
		if err := again.Validate(nil); err != nil {
			t.Fatalf("Validate after a round trip = %v\n%s", err, buf.String())
		}
		again.Inventory.Sort()
		if diff := cmp.Diff(doc.Inventory, again.Inventory, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("YAML round trip (-before +after):\n%s", diff)
		}
	})
}

// FuzzParseCSV checks that ParseCSV never panics and that an inventory it
// accepts, and Validate passes, survives WriteCSV and ParseCSV unchanged.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(sampleCSV))
	for _, s := range []string{
		"kind,id\nregion,r\n",
		"kind,id,region\nregion,r,\ndatacenter,d,r\n",
		"kind,id,region,tenants\nservice,s,,\nservice,s,r,a;b\nregion,r,,\n",
		"kind,id,farm,addresses\nserver,h,f,10.0.0.1 ::1\n",
		"kind,id\n\"a\n", "", "# comment\nkind,id\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseCSV(data, "fuzz.csv")
		if err != nil || doc.Validate(nil) != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, &doc.Inventory); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		again, err := ParseCSV(buf.Bytes(), "again.csv")
		if err != nil {
			t.Fatalf("ParseCSV(WriteCSV(x)) = %v\n%s", err, buf.String())
		}
		if err := again.Validate(nil); err != nil {
			t.Fatalf("Validate after a round trip = %v\n%s", err, buf.String())
		}
		again.Inventory.Sort()
		if diff := cmp.Diff(doc.Inventory, again.Inventory, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("CSV round trip (-before +after):\n%s", diff)
		}
	})
}
