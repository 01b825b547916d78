package incident

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// missingFacts leaves every gate closed: not classified, a high-impact step
// without approval, an open recovery check, no sign-off, no reason.
var missingFacts = GateFacts{
	EradicationSteps: []EradicationStep{{ID: "wipe-db", HighImpact: true},
		{ID: "rotate-keys"}},
	Approvals:      []Approval{{By: "bob", Role: "responder", At: t0, Step: "wipe-db"}},
	RecoveryChecks: []CheckItem{{Name: "logins work", Done: true}, {Name: "no beacons"}},
}

// fullFacts opens every gate but the false-positive one.
var fullFacts = GateFacts{
	Classification:   Confirmed,
	EradicationSteps: missingFacts.EradicationSteps,
	Approvals:        []Approval{{By: "eve", Role: RoleExecutive, At: t0, Step: "wipe-db"}},
	RecoveryChecks: []CheckItem{{Name: "logins work", Done: true},
		{Name: "no beacons", Done: true}},
	PostMortemSignedOff: true,
	Reason:              "new facts",
}

// Rows: from; columns: to; in Phases() order. "ok" is allowed, "-" never
// allowed (GateNone), anything else the name of the gate that refuses.
var (
	gridMissing = [7]string{
		"-      ok     -     -        -      -       false-positive",
		"reason -      confirmation - -      -       false-positive",
		"-      reason -     approval -      -       -",
		"-      -      reason -       ok     -       -",
		"-      -      reason reason  -      recovery-checks -",
		"-      -      -     -        reason -       post-incident",
		"-      reason -     -        -      reason  -",
	}
	gridFull = [7]string{
		"- ok - - - - false-positive",
		"ok - ok - - - false-positive",
		"- ok - ok - - -",
		"- - ok - ok - -",
		"- - ok ok - ok -",
		"- - - - ok - ok",
		"- ok - - - ok -",
	}
)

func TestTransitionGrid(t *testing.T) {
	t.Parallel()
	for _, g := range []struct {
		name  string
		facts GateFacts
		grid  [7]string
	}{{"missing", missingFacts, gridMissing}, {"full", fullFacts, gridFull}} {
		for fi, from := range Phases() {
			cells := strings.Fields(g.grid[fi])
			for ti, to := range Phases() {
				checkTransition(t, g.name, from, to, g.facts, cells[ti])
			}
		}
	}
}

func checkTransition(t *testing.T, name string, from, to Phase, facts GateFacts, want string) {
	t.Helper()
	err := Transition(from, to, facts)
	if want == "ok" {
		if err != nil {
			t.Errorf("%s: %s -> %s: %v, want allowed", name, from, to, err)
		}
		return
	}
	var te *TransitionError
	if !errors.As(err, &te) {
		t.Errorf("%s: %s -> %s: err = %v, want *TransitionError", name, from, to, err)
		return
	}
	wantGate := want
	if want == "-" {
		wantGate = GateNone
	}
	if te.From != from || te.To != to || te.Gate != wantGate {
		t.Errorf("%s: %s -> %s: got %+v, want gate %q", name, from, to, te, wantGate)
	}
	if wantGate != GateNone && !strings.Contains(err.Error(), "gate "+wantGate) {
		t.Errorf("%s: %s -> %s: message %q does not name gate %s", name, from, to, err,
			wantGate)
	}
	if !strings.Contains(err.Error(), string(from)+" -> "+string(to)) {
		t.Errorf("%s: message %q does not name the move", name, err)
	}
}

func TestPhaseStatus(t *testing.T) {
	t.Parallel()
	for _, p := range Phases() {
		want := StatusOpen
		if p == PhaseClosed {
			want = StatusClosed
		}
		if got := p.Status(); got != want {
			t.Errorf("%s.Status() = %q, want %q", p, got, want)
		}
	}
}

func TestTransitionFalsePositive(t *testing.T) {
	t.Parallel()
	fp := GateFacts{Classification: FalsePositive}
	for _, from := range []Phase{PhaseDetected, PhaseAnalysis} {
		if err := Transition(from, PhaseClosed, fp); err != nil {
			t.Errorf("%s -> closed as false positive: %v", from, err)
		}
	}
	err := Transition(PhaseAnalysis, PhaseContainment, fp)
	if err == nil || !strings.Contains(err.Error(), "false-positive") {
		t.Errorf("containment of a false positive: %v, want refused naming the classification",
			err)
	}
}

func TestTransitionGateMessages(t *testing.T) {
	t.Parallel()
	wrongStep := fullFacts
	wrongStep.Approvals = []Approval{{By: "eve", Role: RoleExecutive, At: t0, Step: "other"}}
	noWhen := fullFacts
	noWhen.Approvals = []Approval{{By: "eve", Role: RoleExecutive, Step: "wipe-db"}}
	noChecks := fullFacts
	noChecks.RecoveryChecks = nil
	tests := []struct {
		name     string
		from, to Phase
		facts    GateFacts
		want     string
	}{
		{"non-executive approval", PhaseContainment, PhaseEradication, missingFacts,
			"role executive: wipe-db"},
		{"approval of another step", PhaseContainment, PhaseEradication, wrongStep, "wipe-db"},
		{"approval without time", PhaseContainment, PhaseEradication, noWhen, "wipe-db"},
		{"open check", PhaseRecovery, PhasePostIncident, missingFacts, "not done: no beacons"},
		{"empty checklist", PhaseRecovery, PhasePostIncident, noChecks, "checklist is empty"},
		{"no sign-off", PhasePostIncident, PhaseClosed, missingFacts, "post-mortem signed off"},
		{"skip", PhaseDetected, PhaseRecovery, fullFacts, "skips analysis"},
		{"same", PhaseRecovery, PhaseRecovery, fullFacts, "already in recovery"},
		{"back two", PhaseEradication, PhaseAnalysis, fullFacts, "one phase at a time"},
		{"unknown from", "triage", PhaseAnalysis, fullFacts, `unknown phase "triage"`},
		{"unknown to", PhaseAnalysis, "done", fullFacts, `unknown phase "done"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Transition(tt.from, tt.to, tt.facts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Transition(%s, %s) = %v, want an error containing %q", tt.from,
					tt.to, err, tt.want)
			}
		})
	}
}

func TestChange(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no tz database: %v", err)
	}
	at := time.Date(2026, 7, 14, 16, 5, 0, 0, paris)
	got, err := Change(PhaseContainment, PhaseAnalysis, fullFacts, "ana", at)
	if err != nil {
		t.Fatal(err)
	}
	want := PhaseChange{From: PhaseContainment, To: PhaseAnalysis, At: at,
		Location: "Europe/Paris", By: "ana", Reason: "new facts"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Change (-want +got):\n%s", diff)
	}

	// The zone name survives a JSON round trip, which keeps only the offset.
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back PhaseChange
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if tm := back.Time(); tm.Location().String() != "Europe/Paris" || !tm.Equal(at) {
		t.Errorf("round trip Time() = %v in %s, want %v in Europe/Paris", tm, tm.Location(), at)
	}

	if _, err := Change(PhaseDetected, PhaseAnalysis, GateFacts{}, " ", at); !errors.Is(err,
		ErrMissingField) {
		t.Errorf("Change without by = %v, want ErrMissingField", err)
	}
	var te *TransitionError
	if _, err := Change(PhaseAnalysis, PhaseContainment, GateFacts{}, "ana", at); !errors.As(err,
		&te) {
		t.Errorf("Change refused = %v, want *TransitionError", err)
	}
}
