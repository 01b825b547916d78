package detect

import (
	"context"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// Explanation says why an anomaly model raised an alert, in terms a
// responder can check: what was expected, what was seen and how unusual
// that is. Rule alerts have none.
type Explanation struct {
	// Model is the model that fired: new_template, rare_template,
	// rate_spike, rate_silence or new_value.
	Model string `json:"model"`
	// Text says in a sentence or two what was expected and what was seen.
	Text string `json:"text"`
	// Baseline is what the model expected: for a rate, the median count
	// of comparable buckets; for a first sight, the times seen before.
	Baseline float64 `json:"baseline"`
	// Observed is what was seen: a bucket's count, or 1 for a first sight.
	Observed float64 `json:"observed"`
	// Score is how unusual Observed is: for a rate, the robust z-score
	// (observed − median) / max(1.4826 × MAD, √median); for a first sight,
	// −log10 of the Good–Turing estimate of the chance of something new.
	Score float64 `json:"score"`
	// Service, Host, Level, Template (with TemplateID), Kind and Value name
	// what the model watched, where they apply.
	Service    string `json:"service,omitempty"`
	Host       string `json:"host,omitempty"`
	Level      string `json:"level,omitempty"`
	Template   string `json:"template,omitempty"`
	TemplateID int64  `json:"template_id,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Value      string `json:"value,omitempty"`
	// From and To bound the bucket of a rate alert.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// ModelAlert is an alert an anomaly model raised, before it is stored.
type ModelAlert struct {
	// Alert is the alert; RuleID names the model ("anomaly.<model>") and
	// Explanation is set.
	Alert *Alert
	// Window is how long the alert's group (Alert.GroupKey) stays open to
	// repeats; 0 means DefaultGroupWindow.
	Window time.Duration
	// Event is the event that raised it, checked against the suppressions
	// of Alert.RuleID; nil for an alert about missing events (a silence).
	Event *event.Event
}

// Models runs anomaly models over events. *anomaly.Detector is one.
type Models interface {
	// Observe runs the models over stored events (ids are their store IDs,
	// in order) and returns the alerts they raise. It must be safe for
	// concurrent use.
	Observe(events []*event.Event, ids []int64) []ModelAlert
}

// RaiseModelAlerts stores alerts that models raised outside Ingest (the
// silences that a clock tick finds) like Ingest stores theirs, opens the
// incidents their levels call for, and returns the result. A failure to
// store one is logged and counted, as in Ingest.
func (p *Pipeline) RaiseModelAlerts(ctx context.Context, alerts []ModelAlert) Result {
	var res Result
	if len(alerts) == 0 {
		return res
	}
	ctx = context.WithoutCancel(ctx)
	res.Alerts = p.raiseModels(ctx, alerts, nil, &res)
	res.Incidents = p.open(ctx, res.Alerts)
	return res
}

// eventTenants maps each event of a batch to the tenants the Enricher
// found for it, so that a model alert inherits its event's tenants.
func eventTenants(events []*event.Event, tenants [][]string) map[*event.Event][]string {
	m := make(map[*event.Event][]string, len(events))
	for i, e := range events {
		if len(tenants[i]) > 0 {
			m[e] = tenants[i]
		}
	}
	return m
}

// raiseModels stores model alerts like raise stores rule alerts: a
// suppressed one (its event matching a suppression of its RuleID) is
// dropped, a repeat folds into its group, and each new alert is stored
// with its audit entry in one transaction. An alert takes the tenants
// (from tenants) and the exercise of its event; a silence has no event,
// hence neither.
// TODO: give a silence the tenants of its service's hosts from the inventory.
func (p *Pipeline) raiseModels(ctx context.Context, alerts []ModelAlert,
	tenants map[*event.Event][]string, res *Result) []*Alert {
	var out []*Alert
	for _, ma := range alerts {
		a := ma.Alert
		if ma.Event != nil {
			if p.suppress != nil && p.suppress.Suppressed(ctx,
				&sigma.Rule{ID: a.RuleID, Title: a.RuleTitle}, ma.Event) {
				res.Suppressed++
				continue
			}
			a.Tenants = tenants[ma.Event]
			a.Exercise = ExerciseOf(ma.Event)
		}
		a.Created = p.now()
		var repeat bool
		err := p.atomically(ctx, func(tx Tx) error {
			var err error
			if repeat, err = p.storeModel(ctx, tx, a, ma.Window); err != nil || repeat {
				return err
			}
			if err := p.mark(ctx, tx, MarkAlert, a.ID, a.Exercise); err != nil {
				return err
			}
			details := map[string]any{"rule_id": a.RuleID, "rule_title": a.RuleTitle,
				"level": a.Level, "event_ids": a.EventIDs}
			if a.Explanation != nil {
				details["model"] = a.Explanation.Model
				details["score"] = a.Explanation.Score
			}
			if a.Exercise != 0 {
				details["exercise"] = a.Exercise
			}
			return p.record(ctx, tx, a.Created, audit.AlertRaised, "alert", a.ID, details)
		})
		if err != nil {
			p.m.errors.Inc()
			p.log.Error("store model alert", "rule_id", a.RuleID, "err", err)
			continue
		}
		if repeat {
			res.Repeats++
			continue
		}
		p.m.alerts.WithLabelValues(levelLabel(a.Level)).Inc()
		out = append(out, a)
	}
	return out
}

// storeModel stores a model alert through tx, grouped under its GroupKey
// (kept apart per exercise) when the Config's Alerts is a grouper.
func (p *Pipeline) storeModel(ctx context.Context, tx Tx, a *Alert,
	window time.Duration) (repeat bool, err error) {
	if p.grouper == nil || a.GroupKey == "" {
		return false, tx.InsertAlert(ctx, a)
	}
	if window <= 0 {
		window = DefaultGroupWindow
	}
	if a.Exercise != 0 { // an exercise's alerts never fold into real alerts
		a.GroupKey += "\x00exercise " + strconv.FormatInt(a.Exercise, 10)
	}
	return tx.GroupAlert(ctx, a, window)
}
