package plan

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/incident"
)

func TestSetStatusApproval(t *testing.T) {
	t.Parallel()
	task := Task{ID: 7, Phase: incident.PhaseEradication, Kind: KindTask, Title: "Wipe hosts",
		Status: StatusOpen, HighImpact: true}
	var g incident.Gates
	Sync(&g, &task)
	want := []incident.EradicationStep{{ID: "task-7", Description: "Wipe hosts",
		HighImpact: true}}
	if diff := cmp.Diff(want, g.EradicationSteps); diff != "" {
		t.Fatalf("steps after Sync (-want +got):\n%s", diff)
	}
	if err := task.SetStatus(StatusBlocked, g); err != nil {
		t.Fatalf("open -> blocked: %v", err)
	}
	if err := task.SetStatus(StatusInProgress, g); !errors.Is(err, ErrApprovalRequired) {
		t.Fatalf("start before approval: %v, want ErrApprovalRequired", err)
	}
	g.Approvals = append(g.Approvals, incident.Approval{By: "user:eve", Role: "responder",
		At: time.Now(), Step: "task-7"})
	if err := task.SetStatus(StatusInProgress, g); !errors.Is(err, ErrApprovalRequired) {
		t.Fatalf("approval by a non-executive counted: %v", err)
	}
	g.Approvals = append(g.Approvals, incident.Approval{By: "user:ed", Role: "executive",
		At: time.Now(), Step: "task-7"})
	if err := task.SetStatus(StatusInProgress, g); err != nil {
		t.Fatalf("start after approval: %v", err)
	}
	if err := task.SetStatus(StatusDone, g); err != nil {
		t.Fatal(err)
	}
	if err := task.SetStatus(StatusOpen, g); !errors.Is(err, ErrFinal) {
		t.Errorf("reopen a done task: %v, want ErrFinal", err)
	}
}

func TestSync(t *testing.T) {
	t.Parallel()
	g := incident.Gates{RecoveryChecks: []incident.CheckItem{{Name: "by hand", Done: true}}}
	v := Task{ID: 3, Phase: incident.PhaseRecovery, Kind: KindValidation, Title: "logins ok",
		Status: StatusOpen}
	Sync(&g, &v)
	v.Status = StatusDone
	Sync(&g, &v)
	want := []incident.CheckItem{{Name: "by hand", Done: true},
		{Name: "task-3: logins ok", Done: true}}
	if diff := cmp.Diff(want, g.RecoveryChecks); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	v.Status = StatusCancelled
	Sync(&g, &v)
	if len(g.RecoveryChecks) != 1 {
		t.Errorf("cancelled validation task still a check: %v", g.RecoveryChecks)
	}
	e := Task{ID: 4, Phase: incident.PhaseEradication, Kind: KindTask, Title: "x",
		Status: StatusOpen, HighImpact: true}
	Sync(&g, &e)
	e.Status = StatusCancelled
	Sync(&g, &e)
	if len(g.EradicationSteps) != 0 {
		t.Errorf("cancelled high-impact task still holds the gate: %v", g.EradicationSteps)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := Task{Phase: incident.PhaseRecovery, Kind: KindRestore, Title: "restore db",
		Status: StatusOpen}
	tests := []struct {
		name string
		edit func(*Task)
		ok   bool
	}{
		{"valid", func(*Task) {}, true},
		{"no title", func(t *Task) { t.Title = " " }, false},
		{"closed phase", func(t *Task) { t.Phase = incident.PhaseClosed }, false},
		{"recovery kind elsewhere", func(t *Task) { t.Phase = incident.PhaseAnalysis }, false},
		{"high impact outside eradication", func(t *Task) { t.HighImpact = true }, false},
		{"bad status", func(t *Task) { t.Status = "doing" }, false},
	}
	for _, tt := range tests {
		task := ok
		tt.edit(&task)
		err := task.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s: Validate = %v, want ok=%t", tt.name, err, tt.ok)
		}
	}
}

const watchYAML = `title: Beacon to known C2
id: 5f1e7c2a-1111-4222-8333-944455556666
logsource:
  product: linux
detection:
  sel:
    dst_ip: 203.0.113.9
  condition: sel
level: high
`

func TestWatchRuleCompile(t *testing.T) {
	t.Parallel()
	w := WatchRule{YAML: watchYAML, Expires: time.Now().Add(time.Hour)}
	r, err := w.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if w.Title != "Beacon to known C2" || w.RuleID != r.ID {
		t.Errorf("Compile filled %q %q", w.Title, w.RuleID)
	}
	if !w.Active(time.Now()) || w.Active(w.Expires) {
		t.Error("Active: want true before expiry, false at it")
	}
	for _, bad := range []string{"", "title: x\n", watchYAML + "---\n" + watchYAML} {
		w := WatchRule{YAML: bad}
		if _, err := w.Compile(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Compile(%.20q): %v, want ErrInvalid", bad, err)
		}
	}
}
