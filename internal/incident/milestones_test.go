package incident

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMilestones reads the milestones of a record that went forward, back
// from recovery to containment (the threat came back), was closed,
// reopened and closed again: first moves count, except for closing, where
// the last close counts; a reopened incident has no close.
func TestMilestones(t *testing.T) {
	t0 := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour).In(paris) }
	moves := []struct {
		from, to Phase
		h        int
	}{
		{PhaseDetected, PhaseAnalysis, 1}, {PhaseAnalysis, PhaseContainment, 3},
		{PhaseContainment, PhaseEradication, 5}, {PhaseEradication, PhaseRecovery, 8},
		{PhaseRecovery, PhaseContainment, 9}, {PhaseContainment, PhaseEradication, 10},
		{PhaseEradication, PhaseRecovery, 11}, {PhaseRecovery, PhasePostIncident, 20},
		{PhasePostIncident, PhaseClosed, 30}, {PhaseClosed, PhaseAnalysis, 40},
	}
	r := Record{Detected: t0, Confirmed: at(2)}
	for _, m := range moves {
		r.PhaseChanges = append(r.PhaseChanges, PhaseChange{From: m.from, To: m.to, At: at(m.h)})
	}
	r.Phase = PhaseAnalysis
	want := Milestones{Detected: t0, Acknowledged: at(1).UTC(), Confirmed: at(2).UTC(),
		Contained: at(5).UTC(), Eradicated: at(8).UTC(), Recovered: at(20).UTC()}
	if diff := cmp.Diff(want, r.Milestones()); diff != "" {
		t.Errorf("reopened (-want +got):\n%s", diff)
	}

	r.PhaseChanges = append(r.PhaseChanges, PhaseChange{From: PhaseAnalysis,
		To: PhaseContainment, At: at(41)}, PhaseChange{From: PhasePostIncident,
		To: PhaseClosed, At: at(50)})
	r.Phase = PhaseClosed
	want.Closed = at(50).UTC()
	if diff := cmp.Diff(want, r.Milestones()); diff != "" {
		t.Errorf("closed again (-want +got):\n%s", diff)
	}
	if got := (&Record{}).Milestones(); got != (Milestones{}) {
		t.Errorf("empty record: %+v, want no milestone", got)
	}
}
