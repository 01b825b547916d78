package team

import (
	"slices"
	"strings"
	"time"
)

// OnCall is who a team engages at one moment.
type OnCall struct {
	// Users are the users on call, the most recently started shift first,
	// each once. On a gap it holds the escalation contact alone.
	Users []string `json:"users"`
	// Shifts are the shifts covering the moment, in the order of Users;
	// empty on a gap.
	Shifts []Shift `json:"shifts"`
	// Fallback is true on a gap: no shift covers the moment.
	Fallback bool `json:"fallback"`
}

// OnCall decides who of t is engaged at at. A shift covers [Start, End).
// Overlapping shifts (a handover) engage every user they cover, the shift
// that started last first: the incoming person leads. A gap engages the
// team's escalation contact, with Fallback set. Shifts compare as instants,
// so time zones and daylight-saving changes need no special care here;
// they matter when a shift is written as a wall-clock time (see Import).
func (t *Team) OnCall(at time.Time) OnCall {
	var covering []Shift
	for _, s := range t.Roster {
		if !at.Before(s.Start) && at.Before(s.End) {
			covering = append(covering, s)
		}
	}
	if len(covering) == 0 {
		return OnCall{Users: []string{t.EscalationContact}, Shifts: []Shift{}, Fallback: true}
	}
	slices.SortStableFunc(covering, func(a, b Shift) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
	oc := OnCall{Shifts: covering}
	for _, s := range covering {
		if !slices.Contains(oc.Users, s.User) {
			oc.Users = append(oc.Users, s.User)
		}
	}
	return oc
}
