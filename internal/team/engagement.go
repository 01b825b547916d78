package team

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is what a member does in an incident's virtual team.
type Role string

// Roles in a virtual team.
const (
	RoleCommander      Role = "commander"
	RoleScribe         Role = "scribe"
	RoleService        Role = "service"        // the team owning an affected service
	RoleCommunications Role = "communications" // internal and external communication
	RoleExpert         Role = "expert"         // a subject-matter expert chosen by a rule
)

// Engagement is one member of an incident's virtual team: who, in which
// role and team, engaged when, by whom and why (the rule that fired, or
// the person who named them). Engagements are never deleted: Disengage
// records the end with its reason.
type Engagement struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	User       string    `json:"user"`
	Team       string    `json:"team,omitempty"` // team ID; empty for a named person
	Role       Role      `json:"role"`
	Rule       string    `json:"rule,omitempty"` // the rule that fired, if any
	Reason     string    `json:"reason"`
	EngagedAt  time.Time `json:"engaged_at"`
	EngagedBy  string    `json:"engaged_by"`
	// Fallback is true when the team's roster had a gap and its escalation
	// contact was engaged instead.
	Fallback bool `json:"fallback,omitempty"`

	DisengagedAt     time.Time `json:"disengaged_at,omitzero"`
	DisengagedBy     string    `json:"disengaged_by,omitempty"`
	DisengagedReason string    `json:"disengaged_reason,omitempty"`
}

// Active reports whether e has not been disengaged.
func (e *Engagement) Active() bool { return e.DisengagedAt.IsZero() }

// ErrDisengaged reports a disengagement of a member disengaged already.
var ErrDisengaged = errors.New("already disengaged")

// Disengage ends e, by by at at for reason (required:
// ErrReasonRequired). A second call gives ErrDisengaged.
func (e *Engagement) Disengage(by, reason string, at time.Time) error {
	if !e.Active() {
		return fmt.Errorf("team: disengage %s: %w", e.User, ErrDisengaged)
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("team: disengage %s: %w", e.User, ErrReasonRequired)
	}
	e.DisengagedAt, e.DisengagedBy, e.DisengagedReason = at, by, strings.TrimSpace(reason)
	return nil
}

// ErrReasonRequired reports a disengagement without a reason.
var ErrReasonRequired = errors.New("reason required")

// Notifier tells a person that they were engaged. Implementations must be
// safe for concurrent use; an error is logged by the caller, never undoes
// the engagement.
type Notifier interface {
	Engaged(ctx context.Context, incidentID int64, member Engagement, reason string) error
}

// NopNotifier notifies nobody: the default.
type NopNotifier struct{}

// Engaged does nothing.
func (NopNotifier) Engaged(context.Context, int64, Engagement, string) error { return nil }

// Escalation is the input of Plan: the incident, the directory, the rules
// and who is engaged already.
type Escalation struct {
	IncidentID int64
	Facts      Facts
	Teams      []Team
	Rules      *Rules
	// Commander and Scribe are user names named in the request; empty:
	// the escalating user (By) commands, and the security response team's
	// on-call (else By) writes.
	Commander, Scribe string
	// Current are the incident's engagements so far, active or not.
	Current []Engagement
	By      string
	At      time.Time
}

// Plan returns the engagements an escalation (or a re-evaluation) adds:
// a commander and a scribe when the incident has no active one, the
// on-call of each service team owning an affected service, of each
// communications team, and of each team the rules select. A team active
// in a role is not engaged in it again, nor a team engaged in a role for
// the same rule before (since disengaged): so a re-evaluation adds only
// what newly matches, and a disengaged team stays out until another rule
// selects it.
// Teams named by rules but missing from the directory are skipped.
func Plan(e Escalation) []Engagement {
	var out []Engagement
	all := slices.Clone(e.Current)
	add := func(n Engagement) {
		n.IncidentID, n.EngagedAt, n.EngagedBy = e.IncidentID, e.At, e.By
		all = append(all, n)
		out = append(out, n)
	}
	hasActive := func(r Role) bool {
		return slices.ContainsFunc(all, func(x Engagement) bool {
			return x.Role == r && x.Active()
		})
	}
	if !hasActive(RoleCommander) {
		u, why := e.Commander, "named commander by "+e.By
		if u == "" {
			u, why = e.By, "escalated the incident"
		}
		add(Engagement{User: u, Role: RoleCommander, Reason: why})
	}
	if !hasActive(RoleScribe) {
		add(e.scribe())
	}
	for _, t := range e.Teams {
		switch {
		case t.Kind == KindService:
			i := slices.IndexFunc(e.Facts.Services, func(s string) bool {
				return slices.Contains(t.Services, s)
			})
			if i >= 0 {
				e.engageTeam(t, RoleService, "", "owns affected service "+e.Facts.Services[i],
					all, add)
			}
		case t.Kind == KindCommunications:
			e.engageTeam(t, RoleCommunications, "", "communications join every escalation",
				all, add)
		}
	}
	if e.Rules != nil {
		for _, s := range e.Rules.Select(e.Facts) {
			i := slices.IndexFunc(e.Teams, func(t Team) bool { return t.ID == s.Team })
			if i >= 0 {
				e.engageTeam(e.Teams[i], RoleExpert, s.Rule, s.Reason, all, add)
			}
		}
	}
	return out
}

// scribe returns the scribe's engagement: named, else the security
// response team's on-call, else the escalating user.
func (e Escalation) scribe() Engagement {
	if e.Scribe != "" {
		return Engagement{User: e.Scribe, Role: RoleScribe, Reason: "named scribe by " + e.By}
	}
	for _, t := range e.Teams {
		if t.Kind == KindSecurityResponse {
			oc := t.OnCall(e.At)
			return Engagement{User: oc.Users[0], Team: t.ID, Role: RoleScribe,
				Reason: "on call for " + t.ID, Fallback: oc.Fallback}
		}
	}
	return Engagement{User: e.By, Role: RoleScribe, Reason: "escalated the incident"}
}

// engageTeam engages t's on-call in role for rule, unless the team is
// active in that role already, or was engaged in it for that rule before.
func (e Escalation) engageTeam(t Team, role Role, rule, why string, all []Engagement,
	add func(Engagement)) {
	if slices.ContainsFunc(all, func(x Engagement) bool {
		return x.Team == t.ID && x.Role == role && (x.Active() || x.Rule == rule)
	}) {
		return
	}
	oc := t.OnCall(e.At)
	for _, u := range oc.Users {
		reason := why
		if oc.Fallback {
			reason += "; no shift covers the time, so the escalation contact"
		}
		add(Engagement{User: u, Team: t.ID, Role: role, Rule: rule, Reason: reason,
			Fallback: oc.Fallback})
	}
}
