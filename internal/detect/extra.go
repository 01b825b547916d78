package detect

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// ExtraRules is a set of temporary rules that the pipeline consults after
// its main rules: an incident's watch rules. Each rule belongs to an
// incident and expires; an expired rule stops matching (and is dropped on
// the next Match). Alerts an extra rule raises are linked to its incident,
// tagged "vigil.incident.<id>", and never open an incident of their own.
// It is safe for concurrent use; the zero value is not: use NewExtraRules.
type ExtraRules struct {
	now   func() time.Time
	mu    sync.RWMutex
	rules map[int64]extraRule
}

type extraRule struct {
	set        *sigma.Ruleset
	incidentID int64
	expires    time.Time
}

// NewExtraRules returns an empty set whose expiry reads the clock now
// (nil: time.Now).
func NewExtraRules(now func() time.Time) *ExtraRules {
	if now == nil {
		now = time.Now
	}
	return &ExtraRules{now: now, rules: map[int64]extraRule{}}
}

// Add puts rule r under key (a watch rule's ID), replacing what was there,
// for incident incidentID until expires.
func (x *ExtraRules) Add(key int64, r *sigma.Rule, incidentID int64, expires time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.rules[key] = extraRule{set: sigma.NewRuleset([]*sigma.Rule{r}), incidentID: incidentID,
		expires: expires}
}

// Remove drops the rule under key, if any.
func (x *ExtraRules) Remove(key int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.rules, key)
}

// Len reports how many rules are held, expired ones not yet dropped
// included.
func (x *ExtraRules) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.rules)
}

// Match calls fn for each unexpired rule that fires on e, with its
// incident, and drops expired rules.
func (x *ExtraRules) Match(e *event.Event, fn func(r *sigma.Rule, incidentID int64)) {
	now := x.now()
	var expired []int64
	x.mu.RLock()
	for k, xr := range x.rules {
		if !now.Before(xr.expires) {
			expired = append(expired, k)
			continue
		}
		xr.set.Match(e, func(r *sigma.Rule) { fn(r, xr.incidentID) })
	}
	x.mu.RUnlock()
	if len(expired) == 0 {
		return
	}
	x.mu.Lock()
	for _, k := range expired {
		if xr, ok := x.rules[k]; ok && !now.Before(xr.expires) {
			delete(x.rules, k)
		}
	}
	x.mu.Unlock()
}

// IncidentTag returns the tag of alerts raised for an incident.
func IncidentTag(incidentID int64) string { return fmt.Sprintf("vigil.incident.%d", incidentID) }

// raiseExtra matches the events against the extra rules and stores an
// alert per match, linked to the rule's incident.
func (p *Pipeline) raiseExtra(ctx context.Context, events []*event.Event,
	ids []int64, tenants [][]string) []*Alert {
	if p.extra == nil {
		return nil
	}
	var alerts []*Alert
	for i, e := range events {
		p.extra.Match(e, func(r *sigma.Rule, incidentID int64) {
			a := &Alert{RuleID: r.ID, RuleTitle: r.Title, Level: r.Level,
				Tags:     append(append([]string(nil), r.Tags...), IncidentTag(incidentID)),
				EventIDs: []int64{ids[i]}, EventTime: e.Time, Created: p.now(),
				IncidentID: incidentID, Exercise: ExerciseOf(e), Tenants: tenants[i]}
			err := p.atomically(ctx, func(tx Tx) error {
				if err := tx.InsertAlert(ctx, a); err != nil {
					return err
				}
				return p.record(ctx, tx, a.Created, audit.AlertRaised, "alert", a.ID,
					map[string]any{"rule_id": a.RuleID, "rule_title": a.RuleTitle,
						"level": a.Level, "event_ids": a.EventIDs, "incident_id": incidentID,
						"watch_rule": true})
			})
			if err != nil {
				p.m.errors.Inc()
				p.log.Error("store alert", "rule_id", r.ID, "incident_id", incidentID, "err", err)
				return
			}
			p.m.alerts.WithLabelValues(levelLabel(r.Level)).Inc()
			p.mark(ctx, "alert", a.ID, a.Exercise)
			alerts = append(alerts, a)
		})
	}
	return alerts
}
