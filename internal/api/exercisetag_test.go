package api_test

import (
	"strings"
	"testing"
)

// TestExerciseTagChecked posts events tagged with an exercise that does
// not exist, nested ({"vigil": {"exercise": N}}) and as a flat
// "vigil.exercise" key: both are rejected, since an exercise's alerts
// notify no one, and an untagged event in the same batch is accepted.
func TestExerciseTagChecked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, res := f.post(t, `{"kind":"high","vigil":{"exercise":99}}`+"\n"+
		`{"kind":"high","vigil.exercise":"99"}`+"\n"+`{"kind":"medium"}`+"\n")
	if res.Accepted != 1 || len(res.Rejected) != 2 {
		t.Fatalf("accepted %d, rejected %+v; want 1 and lines 1 and 2", res.Accepted,
			res.Rejected)
	}
	for i, r := range res.Rejected {
		if r.Line != i+1 || !strings.Contains(r.Reason, "no exercise 99") {
			t.Errorf("rejection %d: line %d %q, want line %d, no exercise 99", i, r.Line,
				r.Reason, i+1)
		}
	}
}
