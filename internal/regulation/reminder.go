package regulation

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Schedule says when to remind an obligation's owners and when to escalate
// it, as fractions of the time between the clock start and the deadline
// that have elapsed: 0.5 is halfway, with half the time left.
type Schedule struct {
	// Reminders go to the obligation's owners; default 0.5, 0.75, 0.9.
	Reminders []float64
	// Escalation is when the obligation is at risk and goes to the
	// executive and legal roles; default 0.9.
	Escalation float64
}

// DefaultSchedule returns reminders at 50%, 75% and 90% of the time
// elapsed and the at-risk escalation at 90%.
func DefaultSchedule() Schedule {
	return Schedule{Reminders: []float64{0.5, 0.75, 0.9}, Escalation: 0.9}
}

// Validate checks that every fraction is above 0 and below 1, and the
// reminders are in increasing order.
func (s Schedule) Validate() error {
	for i, f := range s.Reminders {
		if !(f > 0 && f < 1) { // NaN too
			return fmt.Errorf("reminder %d: %v: want a fraction above 0 and below 1", i+1, f)
		}
		if i > 0 && f <= s.Reminders[i-1] {
			return fmt.Errorf("reminder %d: %v: list the fractions in increasing order", i+1, f)
		}
	}
	if !(s.Escalation > 0 && s.Escalation < 1) {
		return fmt.Errorf("escalation: %v: want a fraction above 0 and below 1", s.Escalation)
	}
	return nil
}

// AlertKind says who an alert goes to.
type AlertKind string

// Alert kinds.
const (
	// AlertReminder goes to the obligation's owners.
	AlertReminder AlertKind = "reminder"
	// AlertEscalation says the obligation is at risk; it goes to the
	// executive and legal roles.
	AlertEscalation AlertKind = "escalation"
	// AlertOverdue says the deadline passed unsent; it goes to the owners,
	// executives and legal.
	AlertOverdue AlertKind = "overdue"
)

// Alert is one reminder or escalation that is due.
type Alert struct {
	// Name identifies it in Record.Alerts: "reminder-50", "escalation-90",
	// "overdue".
	Name string
	Kind AlertKind
	// At is when it fell due.
	At time.Time
	// Superseded is true for a reminder that a later one, also due, makes
	// pointless (after downtime): record it as sent without sending.
	Superseded bool
}

// Due returns the alerts of r that are due at now and not yet recorded in
// r.Alerts, in time order. None while the notice is sent, acknowledged or
// not required, or the clock has not started.
func (s Schedule) Due(r Record, now time.Time) []Alert {
	if !r.State.open() || r.Deadline.IsZero() {
		return nil
	}
	var out []Alert
	add := func(name string, kind AlertKind, at time.Time) {
		if !at.After(now) && !slices.Contains(r.Alerts, name) {
			out = append(out, Alert{Name: name, Kind: kind, At: at})
		}
	}
	if !r.Start.IsZero() && r.Start.Before(r.Deadline) {
		window := r.Deadline.Sub(r.Start)
		point := func(f float64) time.Time {
			return r.Start.Add(time.Duration(f * float64(window)))
		}
		for _, f := range s.Reminders {
			add("reminder-"+percent(f), AlertReminder, point(f))
		}
		add("escalation-"+percent(s.Escalation), AlertEscalation, point(s.Escalation))
	}
	if now.After(r.Deadline) {
		add("overdue", AlertOverdue, r.Deadline)
	}
	slices.SortStableFunc(out, func(a, b Alert) int { return a.At.Compare(b.At) })
	// Only the latest reminder is worth sending; an overdue alert makes
	// the at-risk escalation pointless.
	lastReminder := -1
	overdue := slices.ContainsFunc(out, func(a Alert) bool { return a.Kind == AlertOverdue })
	for i, a := range out {
		if a.Kind == AlertReminder {
			if lastReminder >= 0 {
				out[lastReminder].Superseded = true
			}
			lastReminder = i
		}
		if a.Kind == AlertEscalation && overdue {
			out[i].Superseded = true
		}
	}
	return out
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) }

// MarkAlert records that an alert was sent (or skipped as superseded); it
// is no longer undelivered.
func (r Record) MarkAlert(a Alert, at time.Time) Record {
	if slices.Contains(r.Alerts, a.Name) {
		return r
	}
	out := r.clone()
	out.Alerts = append(out.Alerts, a.Name)
	out.Undelivered = slices.DeleteFunc(out.Undelivered, func(n string) bool {
		return n == a.Name
	})
	reason := string(a.Kind) + " sent"
	if a.Superseded {
		reason = string(a.Kind) + " skipped: a later one was due"
	}
	out.History = append(out.History, Event{At: at, By: Actor{ID: "system"}, Action: "alert",
		Reason: a.Name + ": " + reason})
	return out
}

// MarkUndelivered records that an alert fell due but reached nobody; it
// stays due (not in Alerts). added says whether it was not recorded as
// undelivered yet.
func (r Record) MarkUndelivered(a Alert) (out Record, added bool) {
	if slices.Contains(r.Undelivered, a.Name) || slices.Contains(r.Alerts, a.Name) {
		return r, false
	}
	out = r.clone()
	out.Undelivered = append(out.Undelivered, a.Name)
	return out, true
}
