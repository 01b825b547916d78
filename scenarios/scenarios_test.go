package scenarios_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/scenarios"
)

// TestShippedScenarios parses every shipped scenario and runs its events,
// as the API would receive them (JSON, numbers as json.Number, the field
// mapping applied), through the repository's rules: each expected
// detection must be raised by some event. The end-to-end replay through a
// server is cmd/vigil's TestExerciseRunScenarios.
func TestShippedScenarios(t *testing.T) {
	t.Parallel()
	rs, diags, err := sigma.Load([]string{"../rules"}, sigma.Options{})
	if err != nil || len(diags) > 0 {
		t.Fatalf("load rules: %v %v", err, diags)
	}
	files, err := fs.Glob(scenarios.FS, "*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("shipped scenarios: %v (%v), want at least 4", files, err)
	}
	for _, name := range files {
		data, _ := fs.ReadFile(scenarios.FS, name)
		sc, err := readiness.ParseScenario(bytes.NewReader(data), name)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if sc.Name+".yaml" != name {
			t.Errorf("%s: name %q, want the file's name", name, sc.Name)
		}
		type fired struct {
			id   string
			tags []string
		}
		var got []fired
		for _, ev := range sc.Events {
			b, _ := json.Marshal(ev.Fields)
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			e := &event.Event{}
			if err := dec.Decode(&e.Fields); err != nil {
				t.Fatal(err)
			}
			event.DefaultMapping().Apply(e)
			rs.Match(e, func(r *sigma.Rule) { got = append(got, fired{r.ID, r.Tags}) })
		}
		for _, x := range sc.Expect {
			if !slices.ContainsFunc(got, func(f fired) bool { return x.Matches(f.id, f.tags) }) {
				t.Errorf("%s: %s is not raised by the repository's rules", name, x.Label())
			}
		}
	}
}
