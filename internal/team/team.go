package team

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Kind is what a team does in a response.
type Kind string

// Team kinds.
const (
	KindSecurityResponse Kind = "security-response" // the security response center
	KindThreatIntel      Kind = "threat-intelligence"
	KindLegal            Kind = "legal"
	KindCommunications   Kind = "communications"
	KindPartnerSecurity  Kind = "partner-security" // a partner's or vendor's security team
	KindService          Kind = "service"          // owns services (Team.Services)
	KindOther            Kind = "other"
)

// Kinds lists every kind.
func Kinds() []Kind {
	return []Kind{KindSecurityResponse, KindThreatIntel, KindLegal, KindCommunications,
		KindPartnerSecurity, KindService, KindOther}
}

// Errors that callers branch on; they are wrapped with the value at fault.
var (
	// ErrInvalid reports a team, shift or rule that breaks a documented
	// constraint.
	ErrInvalid = errors.New("invalid")
)

// Team is one team of the directory. The zero value is not valid: ID, Name,
// Kind and EscalationContact are required.
type Team struct {
	// ID is a stable slug: lowercase letters, digits and dashes ("legal").
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Members are user names.
	Members []string `json:"members"`
	// EscalationContact is the user engaged when no shift covers the time
	// (a gap in the roster). Required.
	EscalationContact string `json:"escalation_contact"`
	// Services are the services a service team owns; an incident affecting
	// one of them engages the team.
	Services []string `json:"services,omitempty"`
	// Roster is the on-call rota; see OnCall.
	Roster []Shift `json:"roster"`
	// Version counts the stored changes, from 1 (optimistic concurrency).
	Version int64     `json:"version"`
	Updated time.Time `json:"updated,omitzero"`
}

// Shift is one on-call period of one user: [Start, End). TimeZone is the
// IANA zone the shift was planned in; Start and End are instants, so a
// shift planned as 00:00–08:00 local on the day clocks go forward lasts
// seven hours.
type Shift struct {
	User     string    `json:"user"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	TimeZone string    `json:"time_zone"`
}

var slug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Validate reports every broken constraint of t, joined: a bad ID, an
// empty name, an unknown kind, no escalation contact, and each shift whose
// user is not a member, whose end is not after its start, or whose zone is
// unknown. Errors wrap ErrInvalid.
func (t *Team) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("team %s: %s: %s: %w", t.ID, field,
			fmt.Sprintf(format, args...), ErrInvalid))
	}
	if !slug.MatchString(t.ID) {
		add("id", "%q is not a slug (a-z, 0-9, -)", t.ID)
	}
	if strings.TrimSpace(t.Name) == "" {
		add("name", "empty")
	}
	if !slices.Contains(Kinds(), t.Kind) {
		add("kind", "%q is not one of %v", t.Kind, Kinds())
	}
	if strings.TrimSpace(t.EscalationContact) == "" {
		add("escalation_contact", "empty")
	}
	for i, s := range t.Roster {
		if err := s.validate(t.Members); err != nil {
			add(fmt.Sprintf("roster[%d]", i), "%v", err)
		}
	}
	return errors.Join(errs...)
}

func (s Shift) validate(members []string) error {
	switch {
	case !slices.Contains(members, s.User):
		return fmt.Errorf("user %q is not a member", s.User)
	case s.Start.IsZero() || s.End.IsZero():
		return errors.New("start and end are required")
	case !s.End.After(s.Start):
		return errors.New("end is not after start")
	}
	if _, err := loadZone(s.TimeZone); err != nil {
		return err
	}
	return nil
}

// loadZone loads an IANA zone; "" is UTC, "Local" is refused (it differs
// between machines).
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA zone", name)
	}
	return loc, nil
}
