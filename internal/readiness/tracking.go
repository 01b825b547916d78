package readiness

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is where a tracked item is on its way to closure.
type State string

// The states of a tracked item. Open and in-progress items are overdue
// once their due date has passed; fixed waits for verification; verified
// is closed; risk-accepted is closed until its expiry, then overdue again.
const (
	StateOpen         State = "open"
	StateInProgress   State = "in_progress"
	StateFixed        State = "fixed"
	StateVerified     State = "verified"
	StateRiskAccepted State = "risk_accepted"
)

// States lists every state in lifecycle order.
func States() []State {
	return []State{StateOpen, StateInProgress, StateFixed, StateVerified, StateRiskAccepted}
}

// moves lists the states each state may move to. Fixed may fail
// verification (back to open or in progress); verified and risk-accepted
// items may be reopened.
var moves = map[State][]State{
	StateOpen:         {StateInProgress, StateFixed, StateRiskAccepted},
	StateInProgress:   {StateOpen, StateFixed, StateRiskAccepted},
	StateFixed:        {StateVerified, StateOpen, StateInProgress},
	StateVerified:     {StateOpen},
	StateRiskAccepted: {StateOpen},
}

// Errors of Tracking.Move, for callers that branch (the API answers 422).
var (
	// ErrBadMove is an illegal state change.
	ErrBadMove = errors.New("state change not allowed")
	// ErrRiskTerms is a risk acceptance without a reason or with an expiry
	// that is not in the future.
	ErrRiskTerms = errors.New("a risk acceptance needs a reason and a future expiry")
)

// Tracking is what any item tracked to closure carries: an owner, a due
// date, a state and the history of its state changes. Findings embed it;
// the post-mortem's follow-up items are meant to embed it too, so that the
// overdue flags and reminders work the same for both.
type Tracking struct {
	Owner string `json:"owner"`
	// Due is the date by which the item must be fixed (midnight UTC of
	// that day); overdue means today (UTC) is after it.
	Due   time.Time `json:"due"`
	State State     `json:"state"`
	// RiskReason and RiskExpires are set while the state is
	// risk_accepted.
	RiskReason  string    `json:"risk_reason,omitempty"`
	RiskExpires time.Time `json:"risk_expires,omitzero"`
	// History holds every state change, oldest first; it only grows.
	History []StateChange `json:"history"`
}

// StateChange is one move of a tracked item.
type StateChange struct {
	From   State     `json:"from"`
	To     State     `json:"to"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
}

// Move changes the state to to, appending the change to History. A risk
// acceptance needs a reason and an expiry after at (ErrRiskTerms); other
// moves clear the risk terms. An illegal move gives ErrBadMove.
func (t *Tracking) Move(to State, by, reason string, expires, at time.Time) error {
	if !slices.Contains(moves[t.State], to) {
		return fmt.Errorf("%w: %s to %q (from %s: %s)", ErrBadMove, t.State, to, t.State,
			joinStates(moves[t.State]))
	}
	if to == StateRiskAccepted && (strings.TrimSpace(reason) == "" || !expires.After(at)) {
		return ErrRiskTerms
	}
	t.History = append(t.History, StateChange{From: t.State, To: to, At: at, By: by,
		Reason: reason})
	t.State = to
	t.RiskReason, t.RiskExpires = "", time.Time{}
	if to == StateRiskAccepted {
		t.RiskReason, t.RiskExpires = reason, expires
	}
	return nil
}

// Overdue reports whether the item needs attention at now: open or in
// progress past its due date, or risk-accepted past the acceptance's
// expiry (an acceptance without expiry, as triage's reports have, never
// expires).
func (t *Tracking) Overdue(now time.Time) bool {
	switch t.State {
	case StateOpen, StateInProgress:
		return !t.Due.IsZero() && Day(now).After(Day(t.Due))
	case StateRiskAccepted:
		return !t.RiskExpires.IsZero() && !now.Before(t.RiskExpires)
	}
	return false
}

// Closed reports whether nothing more is expected of the item at now:
// verified, or risk-accepted and not expired.
func (t *Tracking) Closed(now time.Time) bool {
	return t.State == StateVerified || t.State == StateRiskAccepted && !t.Overdue(now)
}

// Day returns midnight UTC of t's day in UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func joinStates(ss []State) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}
