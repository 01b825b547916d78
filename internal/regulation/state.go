package regulation

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is where an obligation stands in its handling.
type State string

// Obligation states. pending → drafted → approved → sent → acknowledged;
// not-required from pending or drafted (with a reason).
const (
	StatePending      State = "pending"
	StateDrafted      State = "drafted"
	StateApproved     State = "approved" // by legal
	StateSent         State = "sent"
	StateAcknowledged State = "acknowledged"
	StateNotRequired  State = "not-required"
)

// RoleLegal is the role that approves a notice (internal/auth's legal role).
const RoleLegal = "legal"

// transitions lists the legal moves. approved → drafted reopens a draft
// for editing (it must be approved again); not-required → pending
// reinstates an obligation that new facts require again.
var transitions = map[State][]State{
	StatePending:     {StateDrafted, StateNotRequired},
	StateDrafted:     {StateApproved, StateNotRequired, StatePending},
	StateApproved:    {StateSent, StateDrafted},
	StateSent:        {StateAcknowledged},
	StateNotRequired: {StatePending},
}

// ErrTransition is the sentinel of every refused state change.
var ErrTransition = errors.New("illegal obligation state change")

// TransitionError says which change was refused and why; it matches
// ErrTransition with errors.Is.
type TransitionError struct {
	Key      Key
	From, To State
	Reason   string
}

// Error returns "obligation KEY: FROM -> TO: reason".
func (e *TransitionError) Error() string {
	return fmt.Sprintf("obligation %s: %s -> %s: %s", e.Key, e.From, e.To, e.Reason)
}

// Is matches ErrTransition.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }

// Actor is who makes a change: a user ID and role, or a component
// ("system") for automatic changes.
type Actor struct {
	ID   string `json:"id"`
	Role string `json:"role,omitempty"`
}

// Event is one entry of a record's history.
type Event struct {
	At   time.Time `json:"at"`
	By   Actor     `json:"by"`
	From State     `json:"from,omitempty"`
	To   State     `json:"to,omitempty"`
	// Action is "transition", "overdue", "overdue-cleared", "rescheduled"
	// or "alert".
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
}

// Record is the handling of one obligation: its state, its deadline, the
// overdue flag and everything that happened to it. Methods return a new
// Record and leave the receiver as it was; History only grows.
type Record struct {
	Key      Key       `json:"key"`
	State    State     `json:"state"`
	Start    time.Time `json:"start"`    // when the clock started
	Deadline time.Time `json:"deadline"` // zero while the clock has not started
	// Reason is why it is not required, in state not-required.
	Reason string `json:"reason,omitempty"`
	// OverdueSince is when it was first found overdue; it stays set after
	// sending. Only ClearOverdue, with a reason, clears it.
	OverdueSince time.Time `json:"overdue_since,omitzero"`
	// Alerts are the reminders and escalations already sent, by name.
	Alerts []string `json:"alerts,omitempty"`
	// Undelivered are the alerts that fell due but reached nobody (no
	// recipient had an e-mail address), by name; they are not in Alerts,
	// so the watcher tries them again.
	Undelivered []string `json:"undelivered,omitempty"`
	History     []Event  `json:"history"`
}

// NewRecord starts the handling of an obligation in state pending.
func NewRecord(ob Obligation, at time.Time) Record {
	return Record{Key: ob.Key, State: StatePending, Start: ob.ClockStart, Deadline: ob.Deadline,
		History: []Event{{At: at, By: Actor{ID: "system"}, To: StatePending,
			Action: "transition", Reason: "obligation computed: " + string(ob.Status)}}}
}

// open reports whether the notice is still to be sent.
func (s State) open() bool {
	return s == StatePending || s == StateDrafted || s == StateApproved
}

// Transition moves r to state to. Approval needs an actor with role
// legal; not-required needs a reason; every change needs an actor. A
// notice sent after its deadline marks the record overdue since the
// deadline.
func (r Record) Transition(to State, by Actor, at time.Time, reason string) (Record, error) {
	refuse := func(why string) (Record, error) {
		return r, &TransitionError{Key: r.Key, From: r.State, To: to, Reason: why}
	}
	switch {
	case !slices.Contains(transitions[r.State], to):
		var allowed []string
		for _, s := range transitions[r.State] {
			allowed = append(allowed, string(s))
		}
		if len(allowed) == 0 {
			return refuse("no change is allowed from " + string(r.State))
		}
		return refuse("allowed from " + string(r.State) + ": " + strings.Join(allowed, ", "))
	case by.ID == "":
		return refuse("who makes the change is required")
	case to == StateApproved && by.Role != RoleLegal:
		return refuse("approval needs the legal role, not " + roleName(by.Role))
	case (to == StateNotRequired || r.State == StateNotRequired) && strings.TrimSpace(reason) == "":
		return refuse("a reason is required")
	case at.Before(r.last()):
		return refuse("time " + formatUTC(at) + " is before the last change")
	}
	out := r.clone()
	if to == StateSent && !r.Deadline.IsZero() && at.After(r.Deadline) && r.OverdueSince.IsZero() {
		out.OverdueSince = r.Deadline
		out.History = append(out.History, Event{At: at, By: by, Action: "overdue",
			Reason: "sent after the deadline " + formatUTC(r.Deadline)})
	}
	out.State = to
	switch to {
	case StateNotRequired:
		out.Reason = reason
	case StatePending:
		out.Reason = ""
	}
	out.History = append(out.History, Event{At: at, By: by, From: r.State, To: to,
		Action: "transition", Reason: reason})
	return out, nil
}

func roleName(role string) string {
	if role == "" {
		return "no role"
	}
	return role
}

// last returns the time of the latest event.
func (r Record) last() time.Time {
	if len(r.History) == 0 {
		return time.Time{}
	}
	return r.History[len(r.History)-1].At
}

func (r Record) clone() Record {
	r.History = slices.Clone(r.History)
	r.Alerts = slices.Clone(r.Alerts)
	r.Undelivered = slices.Clone(r.Undelivered)
	return r
}

// Overdue reports whether the notice is late at now: its deadline has
// passed and it has not been sent (nor found not required).
func (r Record) Overdue(now time.Time) bool {
	return r.State.open() && !r.Deadline.IsZero() && now.After(r.Deadline)
}

// WasOverdue reports whether the record was ever found overdue (and not
// cleared with a reason).
func (r Record) WasOverdue() bool { return !r.OverdueSince.IsZero() }

// TargetMissed reports whether an internal target passed with the notice
// unsent: it is still pending, drafted or approved at now, past target,
// or it was sent after target. A zero target is never missed.
func (r Record) TargetMissed(target, now time.Time) bool {
	if target.IsZero() {
		return false
	}
	if r.State.open() {
		return now.After(target)
	}
	sent, ok := r.sentAt()
	return ok && sent.After(target)
}

// Observe records that the record is overdue at now, if it is and was
// not yet: OverdueSince becomes the deadline. changed says whether it did.
func (r Record) Observe(now time.Time) (out Record, changed bool) {
	if !r.Overdue(now) || !r.OverdueSince.IsZero() {
		return r, false
	}
	out = r.clone()
	out.OverdueSince = r.Deadline
	out.History = append(out.History, Event{At: now, By: Actor{ID: "system"}, Action: "overdue",
		Reason: "not sent by the deadline " + formatUTC(r.Deadline)})
	return out, true
}

// ClearOverdue clears the overdue flag, with a reason (a deadline that
// was computed from a fact later corrected). The history keeps that it
// was overdue.
func (r Record) ClearOverdue(by Actor, at time.Time, reason string) (Record, error) {
	switch {
	case r.OverdueSince.IsZero():
		return r, fmt.Errorf("clear overdue %s: it is not overdue", r.Key)
	case by.ID == "":
		return r, fmt.Errorf("clear overdue %s: who clears it is required", r.Key)
	case strings.TrimSpace(reason) == "":
		return r, fmt.Errorf("clear overdue %s: a reason is required", r.Key)
	case r.Overdue(at):
		return r, fmt.Errorf("clear overdue %s: still past its deadline %s and not sent", r.Key,
			formatUTC(r.Deadline))
	}
	out := r.clone()
	out.History = append(out.History, Event{At: at, By: by, Action: "overdue-cleared",
		Reason: reason + " (overdue since " + formatUTC(r.OverdueSince) + ")"})
	out.OverdueSince = time.Time{}
	return out, nil
}

// Reschedule takes a recomputed clock start and deadline. The overdue
// flag stays as it was: a later deadline does not clear it silently. A
// notice already sent after the new deadline (an earlier one, after a
// backdated fact) becomes overdue since that deadline, as if it had been
// sent late.
func (r Record) Reschedule(ob Obligation, at time.Time) Record {
	if r.Start.Equal(ob.ClockStart) && r.Deadline.Equal(ob.Deadline) {
		return r
	}
	out := r.clone()
	out.Start, out.Deadline = ob.ClockStart, ob.Deadline
	out.History = append(out.History, Event{At: at, By: Actor{ID: "system"}, Action: "rescheduled",
		Reason: "deadline " + orNone(r.Deadline) + " -> " + orNone(ob.Deadline)})
	if sent, ok := r.sentAt(); ok && out.OverdueSince.IsZero() && !ob.Deadline.IsZero() &&
		sent.After(ob.Deadline) {
		out.OverdueSince = ob.Deadline
		out.History = append(out.History, Event{At: at, By: Actor{ID: "system"},
			Action: "overdue", Reason: "sent " + formatUTC(sent) + ", after the new deadline " +
				formatUTC(ob.Deadline)})
	}
	return out
}

// sentAt returns when the notice was sent: the latest move to sent, while
// the record is sent or acknowledged.
func (r Record) sentAt() (time.Time, bool) {
	if r.State != StateSent && r.State != StateAcknowledged {
		return time.Time{}, false
	}
	for i := len(r.History) - 1; i >= 0; i-- {
		if e := r.History[i]; e.Action == "transition" && e.To == StateSent {
			return e.At, true
		}
	}
	return time.Time{}, false
}

func orNone(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return formatUTC(t)
}
