package detect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/sigma"
)

// EventWriter stores events durably, committed before InsertEvents returns,
// and returns their IDs in order.
type EventWriter interface {
	InsertEvents(ctx context.Context, events []*event.Event) ([]int64, error)
}

// AlertWriter stores an alert and its event links, setting a.ID.
type AlertWriter interface {
	InsertAlert(ctx context.Context, a *Alert) error
}

// IncidentOpener stores a new incident, assigning its ID and Number, and
// links inc.AlertIDs to it.
type IncidentOpener interface {
	CreateIncident(ctx context.Context, inc *incident.Incident) error
}

// AuditRecorder records entries in the audit trail through an Appender: a
// store transaction. An *audit.Log is an AuditRecorder.
type AuditRecorder interface {
	RecordIn(ctx context.Context, app audit.Appender, e audit.Entry) error
}

// Tx is the part of a store transaction that the pipeline writes through,
// so that an alert or an incident, its tenants, its exercise mark and the
// audit entry that records it are stored together or not at all. store.Tx
// is one.
type Tx interface {
	AlertWriter
	AlertGrouper
	IncidentOpener
	ExerciseMarker
	audit.Appender
}

// Transactor runs fn in one store transaction, committing what fn wrote
// when it returns nil and nothing otherwise. store.View[detect.Tx] adapts a
// store.Store.
type Transactor interface {
	Atomically(ctx context.Context, fn func(tx Tx) error) error
}

// Enricher adds the inventory's fields to an event before it is stored
// and returns the tenants it found (docs/field-mapping.md); alerts inherit
// them. A *scope.Cache is an Enricher. Enrich must be safe for concurrent
// use.
type Enricher interface {
	Enrich(e *event.Event) []string
}

// Rules matches an event against a rule set, calling fn once for each rule
// that fires. A *sigma.Ruleset is Rules. Match must be safe for concurrent use.
type Rules interface {
	Match(e *event.Event, fn func(r *sigma.Rule))
}

// Config configures a Pipeline. Events, Alerts and Incidents are required,
// and Tx with Audit; the rest have defaults.
type Config struct {
	// Events stores the ingested events. Required.
	Events EventWriter
	// Alerts stores the raised alerts, when Tx is nil. Required: when it is
	// an AlertGrouper, alerts are deduplicated (see Ingest).
	Alerts AlertWriter
	// Incidents opens incidents for high and critical alerts, when Tx is
	// nil. Required.
	Incidents IncidentOpener
	// Tx, when set, stores each alert and each incident in a transaction
	// of its own, with its audit entry. Required with Audit.
	Tx Transactor
	// Rules are matched against every event. Nil means no rules: events are
	// stored and nothing fires.
	Rules Rules
	// Extra are temporary rules consulted after Rules (incident watch
	// rules; see ExtraRules). Nil: none.
	Extra *ExtraRules
	// Suppressor drops suppressed matches before they raise an alert. Nil:
	// nothing is suppressed.
	Suppressor Suppressor
	// Enricher adds inventory fields (server, farm, service, datacenter,
	// region, tenants) to each event before it is stored. Nil: events are
	// stored as given and alerts carry no tenant.
	Enricher Enricher
	// Models are anomaly models run on every stored event after the rules
	// (see Models); their alerts go the rules' way (grouping, suppression,
	// audit in the alert's transaction, tenants, exercise marks,
	// incidents). Nil: none.
	Models Models
	// Audit records alert.raised and incident.opened entries, with the actor
	// of the Ingest context (audit.ActorFrom), in the transaction that
	// stores the alert or incident. Nil: nothing is recorded.
	Audit AuditRecorder
	// Now is the clock for alert and incident times. Default time.Now.
	Now func() time.Time
	// Logger receives detection failures. Default: discard.
	Logger *slog.Logger
	// Registerer takes the pipeline's metrics (see NewPipeline). Nil means
	// the metrics are kept but not registered anywhere.
	Registerer prometheus.Registerer
}

// Pipeline stores events and runs them through the rules, raising alerts and
// opening incidents. It is safe for concurrent use.
type Pipeline struct {
	events    EventWriter
	alerts    AlertWriter
	incidents IncidentOpener
	tx        Transactor
	rules     Rules
	extra     *ExtraRules
	audit     AuditRecorder
	grouper   AlertGrouper
	marker    ExerciseMarker
	suppress  Suppressor
	enrich    Enricher
	models    Models
	now       func() time.Time
	log       *slog.Logger
	m         metrics
}

// Result is what one Ingest call did.
type Result struct {
	// EventIDs are the store IDs of the ingested events, in input order. They
	// are set once the events are durable, even when Ingest then fails.
	EventIDs []int64
	// Alerts are the alerts raised and stored, in event order.
	Alerts []*Alert
	// Incidents are the incidents opened, in the order of their first alert.
	Incidents []*incident.Incident
	// Repeats counts the matches folded into an alert of their group, and
	// Suppressed the matches a suppression swallowed; neither raised an
	// alert.
	Repeats, Suppressed int
}

// NewPipeline checks cfg, applies its defaults and registers these metrics
// on cfg.Registerer:
//
//   - vigil_events_ingested_total: events stored by Ingest.
//   - vigil_alerts_total{level}: alerts raised, by rule level.
//   - vigil_incidents_opened_total: incidents opened.
//   - vigil_detect_match_duration_seconds: time to match one event against
//     all rules.
//   - vigil_detect_errors_total: alerts or incidents that could not be stored.
//
// Registering fails when the names are taken on that registerer.
func NewPipeline(cfg Config) (*Pipeline, error) {
	if cfg.Events == nil || cfg.Alerts == nil || cfg.Incidents == nil {
		return nil, errors.New("detect: Config.Events, Alerts and Incidents are required")
	}
	if cfg.Audit != nil && cfg.Tx == nil {
		return nil, errors.New("detect: Config.Audit needs Config.Tx, so that an alert and " +
			"its audit entry are stored together")
	}
	p := &Pipeline{
		events:    cfg.Events,
		alerts:    cfg.Alerts,
		incidents: cfg.Incidents,
		tx:        cfg.Tx,
		rules:     cfg.Rules,
		extra:     cfg.Extra,
		audit:     cfg.Audit,
		suppress:  cfg.Suppressor,
		enrich:    cfg.Enricher,
		models:    cfg.Models,
		now:       cfg.Now,
		log:       cfg.Logger,
		m:         newMetrics(),
	}
	p.grouper, _ = cfg.Alerts.(AlertGrouper)
	p.marker, _ = cfg.Alerts.(ExerciseMarker)
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Registerer != nil {
		if err := p.m.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("detect: register metrics: %w", err)
		}
	}
	return p, nil
}

// Ingest stores events durably, then matches each against the rules. Each
// rule that fires on an event raises one Alert. Alerts of level high or
// critical open an incident, severity from incident.SeverityFromLevel.
//
// Within one Ingest call, the incident-opening alerts of one rule share one
// incident, so that a burst of repeated matches opens one incident and not
// hundreds. When Config.Alerts is an AlertGrouper, a match whose group (see
// Grouping) has an alert still in triage within the window is folded into
// that alert instead: no new alert, no audit entry, no incident. A match that
// Config.Suppressor suppresses is dropped.
//
// Ingest returns an error, with an empty Result, when the events could not
// be stored; nothing was then stored. Once the events are durable, detection
// runs to the end even if ctx is cancelled (the sender has its
// acknowledgement coming); an alert or incident that cannot be stored is
// logged at Error, counted in vigil_detect_errors_total and left out of the
// Result, and Ingest still succeeds.
//
// With Config.Audit, each alert and incident is stored in one transaction
// with its audit entry: an alert or incident is never kept without its
// entry, nor an entry without it. An entry that cannot be appended makes
// its alert or incident one that cannot be stored. The events stay: they
// were stored, and acknowledged, before.
func (p *Pipeline) Ingest(ctx context.Context, events []*event.Event) (Result, error) {
	if len(events) == 0 {
		return Result{}, nil
	}
	tenants := make([][]string, len(events))
	if p.enrich != nil {
		for i, e := range events {
			tenants[i] = p.enrich.Enrich(e)
		}
	}
	ids, err := p.events.InsertEvents(ctx, events)
	if err != nil {
		return Result{}, fmt.Errorf("detect: store events: %w", err)
	}
	if len(ids) != len(events) {
		return Result{}, fmt.Errorf("detect: store events: got %d ids for %d events",
			len(ids), len(events))
	}
	p.m.events.Add(float64(len(events)))

	res := Result{EventIDs: ids}
	ctx = context.WithoutCancel(ctx)
	res.Alerts = p.raise(ctx, events, ids, tenants, &res)
	res.Alerts = append(res.Alerts, p.raiseExtra(ctx, events, ids, tenants)...)
	if p.models != nil {
		raised := p.models.Observe(events, ids)
		res.Alerts = append(res.Alerts, p.raiseModels(ctx, raised, eventTenants(events, tenants),
			&res)...)
	}
	res.Incidents = p.open(ctx, res.Alerts)
	return res, nil
}

// raise matches the events and stores an alert per match, with the
// tenants of its event.
func (p *Pipeline) raise(ctx context.Context, events []*event.Event, ids []int64,
	tenants [][]string, res *Result) []*Alert {
	if p.rules == nil {
		return nil
	}
	var alerts []*Alert
	for i, e := range events {
		var fired []*sigma.Rule
		start := time.Now()
		p.rules.Match(e, func(r *sigma.Rule) { fired = append(fired, r) })
		p.m.matchDuration.Observe(time.Since(start).Seconds())

		for _, r := range fired {
			if p.suppress != nil && p.suppress.Suppressed(ctx, r, e) {
				res.Suppressed++
				continue
			}
			a := &Alert{
				RuleID:    r.ID,
				RuleTitle: r.Title,
				Level:     r.Level,
				Tags:      append([]string(nil), r.Tags...),
				EventIDs:  []int64{ids[i]},
				EventTime: e.Time,
				Created:   p.now(),
				Tenants:   tenants[i],
				Exercise:  ExerciseOf(e),
			}
			var repeat bool
			err := p.atomically(ctx, func(tx Tx) error {
				var err error
				if repeat, err = p.store(ctx, tx, a, r, e); err != nil || repeat {
					return err
				}
				details := map[string]any{"rule_id": a.RuleID, "rule_title": a.RuleTitle,
					"level": a.Level, "event_ids": a.EventIDs}
				if a.Exercise != 0 {
					details["exercise"] = a.Exercise
				}
				if err := p.mark(ctx, tx, MarkAlert, a.ID, a.Exercise); err != nil {
					return err
				}
				return p.record(ctx, tx, a.Created, audit.AlertRaised, "alert", a.ID, details)
			})
			if err != nil {
				p.m.errors.Inc()
				p.log.Error("store alert", "rule_id", r.ID, "err", err)
				continue
			}
			if repeat {
				res.Repeats++
				continue
			}
			p.m.alerts.WithLabelValues(levelLabel(r.Level)).Inc()
			alerts = append(alerts, a)
		}
	}
	return alerts
}

// store stores a through tx, grouped when the Config's Alerts is a grouper
// and the match groups (see Grouping).
func (p *Pipeline) store(ctx context.Context, tx Tx, a *Alert, r *sigma.Rule,
	e *event.Event) (repeat bool, err error) {
	if p.grouper == nil {
		return false, tx.InsertAlert(ctx, a)
	}
	var window time.Duration
	a.Group, a.GroupKey, window = Grouping(r, e)
	if a.GroupKey == "" {
		return false, tx.InsertAlert(ctx, a)
	}
	if a.Exercise != 0 { // an exercise's matches never fold into real alerts
		a.GroupKey += "\x00exercise " + strconv.FormatInt(a.Exercise, 10)
	}
	return tx.GroupAlert(ctx, a, window)
}

// atomically runs fn in one transaction of the Config's Tx, or, without
// one, on the Config's own writers (there is no Audit then).
func (p *Pipeline) atomically(ctx context.Context, fn func(tx Tx) error) error {
	if p.tx == nil {
		return fn(direct{p})
	}
	return p.tx.Atomically(ctx, fn)
}

// direct is the Tx of a pipeline without a Transactor: each write commits
// on its own, and there is no audit trail to append to.
type direct struct{ p *Pipeline }

func (d direct) InsertAlert(ctx context.Context, a *Alert) error {
	return d.p.alerts.InsertAlert(ctx, a)
}

func (d direct) GroupAlert(ctx context.Context, a *Alert, window time.Duration) (bool, error) {
	return d.p.grouper.GroupAlert(ctx, a, window)
}

func (d direct) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	return d.p.incidents.CreateIncident(ctx, inc)
}

// MarkExercise marks through the Config's Alerts when they can; a failure
// is logged and counted, and the object, committed already, stays.
func (d direct) MarkExercise(ctx context.Context, kind string, id, exercise int64) error {
	if d.p.marker == nil {
		return nil
	}
	if err := d.p.marker.MarkExercise(ctx, kind, id, exercise); err != nil {
		d.p.m.errors.Inc()
		d.p.log.Error("mark exercise", "kind", kind, "id", id, "exercise", exercise, "err", err)
	}
	return nil
}

func (direct) AppendAudit(context.Context, *audit.Entry) error {
	return errors.New("detect: no transaction to append an audit entry in")
}

// open opens one incident per rule for the alerts whose level calls for one,
// and sets IncidentID on those alerts.
func (p *Pipeline) open(ctx context.Context, alerts []*Alert) []*incident.Incident {
	type group struct {
		inc    *incident.Incident
		alerts []*Alert
	}
	var order []*group
	byRule := make(map[string]*group)
	for _, a := range alerts {
		severity, opens := incident.SeverityFromLevel(a.Level)
		if !opens || a.IncidentID != 0 { // a watch rule's alert has its incident
			continue
		}
		key := a.RuleID + "\x00" + a.RuleTitle + "\x00" + strconv.FormatInt(a.Exercise, 10)
		g, ok := byRule[key]
		if !ok {
			now := p.now()
			g = &group{inc: &incident.Incident{
				Title:    a.RuleTitle,
				Severity: severity,
				Status:   incident.StatusOpen,
				Phase:    incident.PhaseDetected,
				Opened:   now,
				Updated:  now,
				Exercise: a.Exercise,
			}}
			byRule[key] = g
			order = append(order, g)
		}
		g.inc.AlertIDs = append(g.inc.AlertIDs, a.ID)
		g.alerts = append(g.alerts, a)
	}

	var opened []*incident.Incident
	for _, g := range order {
		err := p.atomically(ctx, func(tx Tx) error { return p.openIn(ctx, tx, g.inc) })
		if err != nil {
			p.m.errors.Inc()
			p.log.Error("open incident", "rule_id", g.alerts[0].RuleID, "err", err)
			continue
		}
		p.m.incidents.Inc()
		for _, a := range g.alerts {
			a.IncidentID = g.inc.ID
		}
		opened = append(opened, g.inc)
	}
	return opened
}

// openIn stores inc through tx with its exercise mark and its
// incident.opened entry.
func (p *Pipeline) openIn(ctx context.Context, tx Tx, inc *incident.Incident) error {
	if err := tx.CreateIncident(ctx, inc); err != nil {
		return err
	}
	if err := p.mark(ctx, tx, MarkIncident, inc.ID, inc.Exercise); err != nil {
		return err
	}
	details := map[string]any{"number": inc.Number, "title": inc.Title,
		"severity": inc.Severity, "alert_ids": inc.AlertIDs}
	if inc.Exercise != 0 {
		details["exercise"] = inc.Exercise
	}
	return p.record(ctx, tx, inc.Opened, audit.IncidentOpened, "incident", inc.ID, details)
}

// record appends an audit entry for an object stored through tx, when an
// audit recorder is configured; an error rolls the object back too.
func (p *Pipeline) record(ctx context.Context, tx Tx, at time.Time, action audit.Action,
	objType string, id int64, details map[string]any) error {
	if p.audit == nil {
		return nil
	}
	raw, err := audit.CanonicalDetails(details)
	if err != nil {
		return fmt.Errorf("record %s: %w", action, err)
	}
	return p.audit.RecordIn(ctx, tx, audit.Entry{Time: at, Action: action, ObjectType: objType,
		ObjectID: strconv.FormatInt(id, 10), Details: raw})
}

// levelLabel bounds the level label to the Sigma levels, so that a rule with
// an odd level cannot grow the label set.
func levelLabel(level string) string {
	switch level {
	case "informational", "low", "medium", "high", "critical":
		return level
	case "":
		return "none"
	default:
		return "other"
	}
}
