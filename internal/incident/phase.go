package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Phase is a phase of an incident's life, after NIST SP 800-61: detected →
// analysis → containment → eradication → recovery → post-incident → closed.
// The Phase constants are untyped so that they also fill Incident.Phase.
type Phase string

// Phases not declared in incident.go (detected, analysis and closed are).
const (
	PhaseContainment  = "containment"
	PhaseEradication  = "eradication"
	PhaseRecovery     = "recovery"
	PhasePostIncident = "post-incident"
)

// Phases lists every phase in order.
func Phases() []Phase {
	return []Phase{PhaseDetected, PhaseAnalysis, PhaseContainment, PhaseEradication,
		PhaseRecovery, PhasePostIncident, PhaseClosed}
}

// index returns the position of p in Phases, or -1.
func (p Phase) index() int { return slices.Index(Phases(), p) }

// Valid reports whether p is one of Phases.
func (p Phase) Valid() bool { return p.index() >= 0 }

// Status returns the record status that goes with p: StatusClosed for
// PhaseClosed, StatusOpen for every other phase.
func (p Phase) Status() string {
	if p == PhaseClosed {
		return StatusClosed
	}
	return StatusOpen
}

// Classification is the triage verdict on an incident.
type Classification string

// Classifications; the empty string means not classified yet.
const (
	Confirmed     Classification = "confirmed"
	FalsePositive Classification = "false-positive"
)

// RoleExecutive is the role whose approval high-impact eradication steps need.
const RoleExecutive = "executive"

// Gate names, as found in TransitionError.Gate.
const (
	GateNone           = ""                // the move itself is not allowed
	GateConfirmation   = "confirmation"    // confirmed before containment
	GateFalsePositive  = "false-positive"  // closing early needs a false positive
	GateApproval       = "approval"        // executive approval of high-impact steps
	GateRecoveryChecks = "recovery-checks" // recovery validation checklist complete
	GatePostIncident   = "post-incident"   // post-mortem signed off
	GateReason         = "reason"          // backward moves need a reason
)

// EradicationStep is a planned eradication step; a HighImpact one needs an
// executive's approval before the eradication phase can start.
type EradicationStep struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	HighImpact  bool   `json:"high_impact"`
}

// Approval is a person's approval of one eradication step.
type Approval struct {
	By   string    `json:"by"`
	Role string    `json:"role"`
	At   time.Time `json:"at"`
	Step string    `json:"step"` // EradicationStep.ID
	Note string    `json:"note,omitempty"`
}

// CheckItem is one item of recovery's validation checklist.
type CheckItem struct {
	Name string `json:"name"`
	Done bool   `json:"done"`
}

// GateFacts are the facts the gates of a phase change look at. The caller
// gathers them from the record; Transition does not keep them.
type GateFacts struct {
	Classification   Classification
	EradicationSteps []EradicationStep
	Approvals        []Approval
	// RecoveryChecks must be non-empty and all done to leave recovery.
	RecoveryChecks []CheckItem
	// PostMortemSignedOff completes the post-incident phase: the commander
	// and an executive signed the post-mortem off (internal/postmortem).
	PostMortemSignedOff bool
	// PostMortemPending names whose sign-off is missing, for the refusal's
	// message; it decides nothing.
	PostMortemPending []string
	// Reason explains the move; required for backward moves.
	Reason string
}

// TransitionError is a refused phase change. Gate names the missing gate
// (one of the Gate constants; GateNone when the move is never allowed).
type TransitionError struct {
	From, To Phase
	Gate     string
	Reason   string
}

// Error returns "incident: phase a -> b refused: reason".
func (e *TransitionError) Error() string {
	if e.Gate == GateNone {
		return fmt.Sprintf("incident: phase %s -> %s refused: %s", e.From, e.To, e.Reason)
	}
	return fmt.Sprintf("incident: phase %s -> %s refused: gate %s: %s", e.From, e.To, e.Gate,
		e.Reason)
}

// Transition checks the move from → to against the state machine and its
// gates (docs/incident.md has the table). It returns nil or a
// *TransitionError. Rules:
//   - forward one phase, when the gate of the move holds;
//   - detected or analysis → closed, only for a false positive;
//   - back one phase, with a reason; also recovery → containment (the threat
//     came back) and closed → analysis (reopen), with a reason;
//   - nothing else, and never to the same phase.
func Transition(from, to Phase, facts GateFacts) error {
	refuse := func(gate, format string, args ...any) error {
		return &TransitionError{From: from, To: to, Gate: gate, Reason: fmt.Sprintf(format,
			args...)}
	}
	fi, ti := from.index(), to.index()
	switch {
	case fi < 0:
		return refuse(GateNone, "unknown phase %q", from)
	case ti < 0:
		return refuse(GateNone, "unknown phase %q", to)
	case fi == ti:
		return refuse(GateNone, "already in %s", from)
	case ti < fi:
		return backward(from, to, facts, refuse)
	case ti == fi+1:
		return forwardGate(from, to, facts, refuse)
	case to == PhaseClosed && (from == PhaseDetected || from == PhaseAnalysis):
		if facts.Classification != FalsePositive {
			return refuse(GateFalsePositive, "only a false positive closes before containment;"+
				" classification is %s", classification(facts.Classification))
		}
		return nil
	}
	return refuse(GateNone, "skips %s; phases move one at a time", Phases()[fi+1])
}

type refuseFunc func(gate, format string, args ...any) error

func backward(from, to Phase, facts GateFacts, refuse refuseFunc) error {
	allowed := to.index() == from.index()-1 ||
		(from == PhaseRecovery && to == PhaseContainment) ||
		(from == PhaseClosed && to == PhaseAnalysis)
	if !allowed {
		return refuse(GateNone, "going back is allowed one phase at a time, or recovery ->"+
			" containment, or closed -> analysis")
	}
	if strings.TrimSpace(facts.Reason) == "" {
		return refuse(GateReason, "going back needs a reason")
	}
	return nil
}

func forwardGate(from, to Phase, facts GateFacts, refuse refuseFunc) error {
	switch to {
	case PhaseContainment:
		if facts.Classification != Confirmed {
			return refuse(GateConfirmation, "containment needs the incident confirmed;"+
				" classification is %s", classification(facts.Classification))
		}
	case PhaseEradication:
		if missing := unapproved(facts.EradicationSteps, facts.Approvals); len(missing) > 0 {
			return refuse(GateApproval, "high-impact eradication steps need an approval by a"+
				" user with role %s: %s", RoleExecutive, strings.Join(missing, ", "))
		}
	case PhasePostIncident:
		if len(facts.RecoveryChecks) == 0 {
			return refuse(GateRecoveryChecks, "the recovery validation checklist is empty")
		}
		var open []string
		for _, c := range facts.RecoveryChecks {
			if !c.Done {
				open = append(open, c.Name)
			}
		}
		if len(open) > 0 {
			return refuse(GateRecoveryChecks, "recovery validation checks not done: %s",
				strings.Join(open, ", "))
		}
	case PhaseClosed:
		if !facts.PostMortemSignedOff {
			why := "closing needs the post-mortem signed off by the commander and an executive"
			if len(facts.PostMortemPending) > 0 {
				why += "; waiting for " + strings.Join(facts.PostMortemPending, " and ")
			}
			return refuse(GatePostIncident, "%s", why)
		}
	}
	return nil
}

// unapproved returns the IDs of high-impact steps that no executive approved.
func unapproved(steps []EradicationStep, approvals []Approval) []string {
	var missing []string
	for _, s := range steps {
		if !s.HighImpact {
			continue
		}
		ok := slices.ContainsFunc(approvals, func(a Approval) bool {
			return a.Step == s.ID && a.Role == RoleExecutive && strings.TrimSpace(a.By) != "" &&
				!a.At.IsZero()
		})
		if !ok {
			missing = append(missing, s.ID)
		}
	}
	return missing
}

func classification(c Classification) string {
	if c == "" {
		return "not set"
	}
	return string(c)
}

// PhaseChange is one move between phases, for the record and the audit trail.
// At keeps the clock reading of the person who moved it; Location is the
// name of its time zone ("Europe/Paris", "UTC", or "Local"), which JSON's
// RFC 3339 offset alone would lose.
type PhaseChange struct {
	From     Phase     `json:"from"`
	To       Phase     `json:"to"`
	At       time.Time `json:"at"`
	Location string    `json:"location"`
	By       string    `json:"by"`
	Reason   string    `json:"reason,omitempty"`
}

// Change checks the move like Transition and returns the PhaseChange to store.
// by must not be empty (ErrMissingField).
func Change(from, to Phase, facts GateFacts, by string, at time.Time) (PhaseChange, error) {
	if strings.TrimSpace(by) == "" {
		return PhaseChange{}, fmt.Errorf("incident: phase change: by: %w", ErrMissingField)
	}
	if err := Transition(from, to, facts); err != nil {
		return PhaseChange{}, err
	}
	return PhaseChange{From: from, To: to, At: at, Location: at.Location().String(), By: by,
		Reason: facts.Reason}, nil
}

// Time returns At in its recorded time zone. When the zone cannot be loaded
// (no tz database), At keeps the fixed offset it was decoded with.
func (c PhaseChange) Time() time.Time {
	loc, err := time.LoadLocation(c.Location)
	if err != nil || c.Location == "" {
		return c.At
	}
	return c.At.In(loc)
}
