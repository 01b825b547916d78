package scope

import (
	"os"
	"testing"
)

// samplePath is the sample inventory of the README tour.
const samplePath = "../../samples/inventory.yaml"

// sampleDoc parses the sample inventory and validates it.
func sampleDoc(t testing.TB) *Document {
	t.Helper()
	data, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseYAML(data, samplePath)
	if err != nil {
		t.Fatalf("ParseYAML: %v", err)
	}
	if err := doc.Validate(nil); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return doc
}

// sampleIndex builds the sample inventory at revision 7.
func sampleIndex(t testing.TB) *Index {
	t.Helper()
	x, err := Build(&sampleDoc(t).Inventory, 7)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return x
}
