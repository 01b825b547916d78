package obligation

import (
	"time"

	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// View is an obligation record as the API and the UI show it: the
// computation (regime, stage, recipient, status, deadline and why) and the
// handling (state, overdue flag, history), with the time left at a given
// moment.
type View struct {
	Key        string               `json:"key"`
	Regime     string               `json:"regime"`
	RegimeName string               `json:"regime_name"`
	Stage      string               `json:"stage"`
	StageName  string               `json:"stage_name"`
	Holder     string               `json:"holder"`
	Recipient  regulation.Recipient `json:"recipient"`
	Tenant     string               `json:"tenant"`
	TenantName string               `json:"tenant_name"`
	Status     regulation.Status    `json:"status"`
	State      regulation.State     `json:"state"`
	Withdrawn  bool                 `json:"withdrawn"`
	// WithdrawnReason says why a withdrawn obligation is no longer made.
	WithdrawnReason string `json:"withdrawn_reason,omitempty"`
	// Deadline is null while the clock has not started or it is not
	// required.
	Deadline    *time.Time `json:"deadline"`
	Statutory   bool       `json:"statutory"`
	Target      *time.Time `json:"target"`
	Zone        string     `json:"zone"`
	ClockStart  *time.Time `json:"clock_start"`
	Clock       string     `json:"clock"`
	Provisional bool       `json:"provisional"`
	Rule        string     `json:"rule"`
	Triggers    []string   `json:"triggers"`
	Unknown     []string   `json:"unknown"`
	Reason      string     `json:"reason"`
	// NotRequiredReason is the reason given by the person who marked it
	// not required.
	NotRequiredReason string `json:"not_required_reason,omitempty"`
	// Overdue is true when the deadline passed unsent, or it was sent
	// late, and the flag was not cleared.
	Overdue      bool       `json:"overdue"`
	OverdueSince *time.Time `json:"overdue_since"`
	// UndeliveredAlerts are the alerts that fell due but reached nobody
	// (no recipient had an e-mail address), by name; the watcher retries
	// them at each look. Omitted when none.
	UndeliveredAlerts []string `json:"undelivered_alerts,omitempty"`
	// SecondsLeft is the time to the deadline at the moment of the view,
	// negative once past; null without a deadline.
	SecondsLeft *int64              `json:"seconds_left"`
	Explain     string              `json:"explain"`
	Exercise    bool                `json:"exercise"`
	Content     []string            `json:"content"`
	Sources     []regulation.Source `json:"sources"`
	History     []regulation.Event  `json:"history"`
	Version     int64               `json:"version"`
	// TargetAt is Vigil's internal target when it falls before the
	// deadline (a statutory outer limit, as HIPAA's 60 days with a
	// 72-hour target); omitted when there is none or it is the deadline.
	TargetAt *time.Time `json:"target_at,omitempty"`
	// TargetMissed is true when TargetAt passed while the notice was
	// still pending, drafted or approved, or it was sent after TargetAt.
	// Omitted when false.
	TargetMissed bool `json:"target_missed,omitempty"`
}

// ViewOf returns the view of o at now; tenantName names its tenant (""
// when unknown or for one per incident).
func ViewOf(o *store.ObligationRecord, tenantName string, now time.Time) View {
	ob, rec := o.Obligation, o.Record
	v := View{Key: o.Key, Regime: ob.Key.Regime, RegimeName: ob.Regime, Stage: ob.Key.Stage,
		StageName: ob.Stage, Holder: ob.Holder, Recipient: ob.Recipient, Tenant: ob.Key.Tenant,
		TenantName: tenantName, Status: ob.Status, State: rec.State, Withdrawn: o.Withdrawn,
		WithdrawnReason: o.WithdrawnReason, Deadline: timePtr(rec.Deadline),
		Statutory: ob.Statutory, Target: timePtr(ob.Target), Zone: ob.Zone,
		ClockStart: timePtr(rec.Start), Clock: ob.Clock, Provisional: ob.Provisional,
		Rule: ob.Rule, Triggers: nonNil(ob.Triggers), Unknown: nonNil(ob.Unknown),
		Reason: ob.Reason, Overdue: rec.WasOverdue(), OverdueSince: timePtr(rec.OverdueSince),
		Explain: ob.Explain(), Exercise: o.Exercise, Content: nonNil(ob.Content),
		Sources: ob.Sources, History: rec.History, Version: o.Version,
		UndeliveredAlerts: rec.Undelivered}
	if rec.State == regulation.StateNotRequired {
		v.NotRequiredReason = rec.Reason
	}
	if !rec.WasOverdue() && !o.Withdrawn && rec.Overdue(now) {
		// past the deadline and the watcher has not looked yet (a
		// withdrawn obligation is not watched)
		v.Overdue, v.OverdueSince = true, timePtr(rec.Deadline)
	}
	if ob.Statutory && !ob.Target.IsZero() && !ob.Target.Equal(rec.Deadline) {
		v.TargetAt = timePtr(ob.Target)
		// a withdrawn obligation still unsent is no longer to be sent
		unsent := rec.State != regulation.StateSent && rec.State != regulation.StateAcknowledged
		v.TargetMissed = !(o.Withdrawn && unsent) && rec.TargetMissed(ob.Target, now)
	}
	if !rec.Deadline.IsZero() {
		left := int64(rec.Deadline.Sub(now).Truncate(time.Second) / time.Second)
		v.SecondsLeft = &left
	}
	if v.Sources == nil {
		v.Sources = []regulation.Source{}
	}
	if v.History == nil {
		v.History = []regulation.Event{}
	}
	return v
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
