package plan

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
)

// Status is where a task stands.
type Status string

// Task statuses. Done and cancelled are final.
const (
	StatusOpen       Status = "open"
	StatusInProgress Status = "in_progress"
	StatusDone       Status = "done"
	StatusBlocked    Status = "blocked"
	StatusCancelled  Status = "cancelled"
)

// Statuses lists every status.
func Statuses() []Status {
	return []Status{StatusOpen, StatusInProgress, StatusDone, StatusBlocked, StatusCancelled}
}

// Kind is what a task records.
type Kind string

// Task kinds. Only the recovery phase has the recovery kinds.
const (
	KindTask          Kind = "task"            // a step of the phase's plan
	KindLastKnownGood Kind = "last-known-good" // the state recovery restores to
	KindRestore       Kind = "restore"         // one restore step
	KindValidation    Kind = "validation"      // one item of the validation checklist
)

// Kinds lists every kind.
func Kinds() []Kind { return []Kind{KindTask, KindLastKnownGood, KindRestore, KindValidation} }

// Errors callers branch on.
var (
	// ErrInvalid reports a field outside its documented set.
	ErrInvalid = errors.New("invalid")
	// ErrApprovalRequired reports a high-impact eradication task started
	// before an executive approved it.
	ErrApprovalRequired = errors.New("executive approval required")
	// ErrFinal reports a change of a done or cancelled task's status.
	ErrFinal = errors.New("task is final")
)

// Task is one task of an incident's plan.
type Task struct {
	ID         int64          `json:"id"`
	IncidentID int64          `json:"incident_id"`
	Phase      incident.Phase `json:"phase"`
	Kind       Kind           `json:"kind"`
	Title      string         `json:"title"`
	Owner      string         `json:"owner,omitempty"` // a user name
	Due        time.Time      `json:"due,omitzero"`
	Status     Status         `json:"status"`
	Result     string         `json:"result,omitempty"`
	// HighImpact marks an eradication task that needs an executive's
	// approval before it starts (incident.GateApproval).
	HighImpact bool      `json:"high_impact"`
	Version    int64     `json:"version"`
	CreatedBy  string    `json:"created_by"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

// Validate reports what breaks the documented sets: an empty title, a
// phase that is not an incident phase (closed included), a kind or status
// outside its set, a recovery kind outside recovery, high impact outside
// eradication. Errors wrap ErrInvalid.
func (t *Task) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("task: %s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalid)
	}
	switch {
	case strings.TrimSpace(t.Title) == "":
		return bad("title", "empty")
	case !t.Phase.Valid() || t.Phase == incident.PhaseClosed:
		return bad("phase", "%q is not a phase with a plan", t.Phase)
	case !slices.Contains(Kinds(), t.Kind):
		return bad("kind", "%q is not one of %v", t.Kind, Kinds())
	case t.Kind != KindTask && t.Phase != incident.PhaseRecovery:
		return bad("kind", "%s tasks belong to the recovery phase", t.Kind)
	case !slices.Contains(Statuses(), t.Status):
		return bad("status", "%q is not one of %v", t.Status, Statuses())
	case t.HighImpact && t.Phase != incident.PhaseEradication:
		return bad("high_impact", "only eradication tasks are high-impact")
	}
	return nil
}

// NeedsApproval reports whether t must be approved before it starts.
func (t *Task) NeedsApproval() bool {
	return t.HighImpact && t.Phase == incident.PhaseEradication
}

// StepID is the ID of the incident.EradicationStep that stands for t in
// the incident's gates ("task-7"): executives approve it through the
// incident approvals.
func (t *Task) StepID() string { return "task-" + strconv.FormatInt(t.ID, 10) }

// CheckName is the name of the recovery checklist item that stands for a
// validation task ("task-7: restore verified").
func (t *Task) CheckName() string { return t.StepID() + ": " + t.Title }

// SetStatus moves t to status to. Done and cancelled are final
// (ErrFinal); a task that NeedsApproval cannot go in progress or done
// until gates hold an executive approval of its step
// (ErrApprovalRequired).
func (t *Task) SetStatus(to Status, gates incident.Gates) error {
	switch {
	case !slices.Contains(Statuses(), to):
		return fmt.Errorf("task %d: status %q: %w", t.ID, to, ErrInvalid)
	case to == t.Status:
		return nil
	case t.Status == StatusDone || t.Status == StatusCancelled:
		return fmt.Errorf("task %d: %s -> %s: %w", t.ID, t.Status, to, ErrFinal)
	}
	started := to == StatusInProgress || to == StatusDone
	if started && t.NeedsApproval() && !gates.Approved(t.StepID()) {
		return fmt.Errorf("task %d: %s needs an approval by a user with role %s: %w", t.ID,
			t.StepID(), incident.RoleExecutive, ErrApprovalRequired)
	}
	t.Status = to
	return nil
}

// Sync brings the incident's gates in line with t: a high-impact
// eradication task is a high-impact eradication step (removed when the task
// is cancelled, so that it does not hold the phase gate), and a validation
// task is a recovery check, done when the task is done.
func Sync(g *incident.Gates, t *Task) {
	if t.NeedsApproval() {
		i := slices.IndexFunc(g.EradicationSteps, func(s incident.EradicationStep) bool {
			return s.ID == t.StepID()
		})
		step := incident.EradicationStep{ID: t.StepID(), Description: t.Title, HighImpact: true}
		switch {
		case t.Status == StatusCancelled && i >= 0:
			g.EradicationSteps = slices.Delete(g.EradicationSteps, i, i+1)
		case t.Status != StatusCancelled && i >= 0:
			g.EradicationSteps[i] = step
		case t.Status != StatusCancelled:
			g.EradicationSteps = append(g.EradicationSteps, step)
		}
	}
	if t.Kind == KindValidation {
		prefix := t.StepID() + ": "
		i := slices.IndexFunc(g.RecoveryChecks, func(c incident.CheckItem) bool {
			return strings.HasPrefix(c.Name, prefix)
		})
		item := incident.CheckItem{Name: t.CheckName(), Done: t.Status == StatusDone}
		switch {
		case t.Status == StatusCancelled && i >= 0:
			g.RecoveryChecks = slices.Delete(g.RecoveryChecks, i, i+1)
		case t.Status != StatusCancelled && i >= 0:
			g.RecoveryChecks[i] = item
		case t.Status != StatusCancelled:
			g.RecoveryChecks = append(g.RecoveryChecks, item)
		}
	}
}
