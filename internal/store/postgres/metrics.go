package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// firstEventSQL is the earliest event time of an incident's alerts, the
// incident being argument $1.
const firstEventSQL = `(SELECT min(a.event_time) FROM incident_alerts ia
	JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = $1)`

// writeFacts writes the metrics' row of an incident (store.FactOf) in tx.
func writeFacts(ctx context.Context, tx pgx.Tx, f metrics.Fact) error {
	services, err := store.EncodeServices(f.Services)
	if err != nil {
		return err
	}
	m := f.Milestones
	_, err = tx.Exec(ctx, `INSERT INTO incident_facts (incident_id, severity, category,
		services, detected, acknowledged, confirmed, contained, eradicated, recovered, closed,
		first_event) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, `+firstEventSQL+`)
		ON CONFLICT (incident_id) DO UPDATE SET severity = excluded.severity,
		category = excluded.category, services = excluded.services,
		detected = excluded.detected, acknowledged = excluded.acknowledged,
		confirmed = excluded.confirmed, contained = excluded.contained,
		eradicated = excluded.eradicated, recovered = excluded.recovered,
		closed = excluded.closed, first_event = excluded.first_event`,
		f.IncidentID, f.Severity, f.Category, services, timeArg(m.Detected),
		timeArg(m.Acknowledged), timeArg(m.Confirmed), timeArg(m.Contained),
		timeArg(m.Eradicated), timeArg(m.Recovered), timeArg(m.Closed))
	if err != nil {
		return fmt.Errorf("write incident facts %d: %w", f.IncidentID, err)
	}
	return nil
}

// refreshFirstEvent recomputes an incident's first event after its alerts
// changed.
func refreshFirstEvent(ctx context.Context, tx pgx.Tx, incidentID int64) error {
	_, err := tx.Exec(ctx, `UPDATE incident_facts SET first_event = `+firstEventSQL+
		` WHERE incident_id = $1`, incidentID)
	if err != nil {
		return fmt.Errorf("incident facts %d: first event: %w", incidentID, err)
	}
	return nil
}

// factColumns are the columns scanFacts reads, from incident_facts f and
// exercise_marks m.
const factColumns = `f.incident_id, f.severity, f.category, f.services::text, f.first_event,
	f.detected, f.acknowledged, f.confirmed, f.contained, f.eradicated, f.recovered, f.closed,
	coalesce(m.exercise_id, 0)`

// factsFrom joins the facts to the incidents' exercise marks.
const factsFrom = ` FROM incident_facts f LEFT JOIN exercise_marks m
	ON m.kind = 'incident' AND m.object_id = f.incident_id`

// IncidentFacts returns the metrics' rows of the incidents detected in
// [f.From, f.To), by ID.
func (s *Store) IncidentFacts(ctx context.Context, f store.FactFilter) ([]metrics.Fact,
	error) {
	q, args := factsQuery(f)
	out, err := s.queryFacts(ctx, q+` ORDER BY f.incident_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident facts: %w", err)
	}
	return out, nil
}

// factsQuery is the query of the facts f selects.
func factsQuery(f store.FactFilter) (string, []any) {
	var w where
	if !f.From.IsZero() {
		w.add("f.detected >= $%d", timeArg(f.From))
	}
	if !f.To.IsZero() {
		w.add("f.detected < $%d", timeArg(f.To))
	}
	if !f.Exercises {
		w.conds = append(w.conds, "m.exercise_id IS NULL")
	}
	return `SELECT ` + factColumns + factsFrom + w.String(), w.args
}

// EachIncidentFact calls fn with the metrics' row of each incident
// detected in [f.From, f.To), in no set order, reusing one Fact.
func (s *Store) EachIncidentFact(ctx context.Context, f store.FactFilter,
	fn func(*metrics.Fact) error) error {
	q, args := factsQuery(f)
	if err := s.scanFacts(ctx, fn, q, args...); err != nil {
		return fmt.Errorf("incident facts: %w", err)
	}
	return nil
}

// FactsOf returns the metrics' rows of the incidents ids.
func (s *Store) FactsOf(ctx context.Context, ids []int64) ([]metrics.Fact, error) {
	if len(ids) == 0 {
		return []metrics.Fact{}, nil
	}
	out, err := s.queryFacts(ctx, `SELECT `+factColumns+factsFrom+
		` WHERE f.incident_id = ANY($1) ORDER BY f.incident_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("incident facts: %w", err)
	}
	return out, nil
}

// queryFacts collects the rows of q.
func (s *Store) queryFacts(ctx context.Context, q string, args ...any) ([]metrics.Fact,
	error) {
	out := []metrics.Fact{}
	err := s.scanFacts(ctx, func(f *metrics.Fact) error {
		c := *f
		c.Services = slices.Clone(f.Services)
		out = append(out, c)
		return nil
	}, q, args...)
	return out, err
}

// scanFacts reads the rows of q into one reused Fact and calls fn with
// each. A row's services are empty, never nil.
func (s *Store) scanFacts(ctx context.Context, fn func(*metrics.Fact) error, q string,
	args ...any) error {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		f        metrics.Fact
		services string
		ts       [8]pgtype.Timestamptz
		dec      store.ServiceDecoder
		svc      = []string{}
	)
	m := &f.Milestones
	dsts := [8]*time.Time{&f.FirstEvent, &m.Detected, &m.Acknowledged, &m.Confirmed,
		&m.Contained, &m.Eradicated, &m.Recovered, &m.Closed}
	for rows.Next() {
		err := rows.Scan(&f.IncidentID, &f.Severity, &f.Category, &services, &ts[0], &ts[1],
			&ts[2], &ts[3], &ts[4], &ts[5], &ts[6], &ts[7], &f.Exercise)
		if err != nil {
			return err
		}
		if svc, err = dec.Decode(svc, services); err != nil {
			return err
		}
		f.Services = svc
		for i, dst := range dsts {
			*dst = time.Time{}
			if ts[i].Valid {
				*dst = ts[i].Time.UTC()
			}
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return rows.Err()
}

// NotificationTimes returns notifications about incidents with their
// first delivery (see store.PostMortems).
func (s *Store) NotificationTimes(ctx context.Context, f store.FactFilter,
	incidentID int64) ([]store.NotificationTime, error) {
	w := where{conds: []string{"n.incident_id IS NOT NULL"}}
	switch {
	case incidentID != 0:
		w.add("n.incident_id = $%d", incidentID)
	default:
		if !f.From.IsZero() {
			w.add("n.created >= $%d", timeArg(f.From))
		}
		if !f.To.IsZero() {
			w.add("n.created < $%d", timeArg(f.To))
		}
		if !f.Exercises {
			w.conds = append(w.conds, "m.exercise_id IS NULL")
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT n.id, n.incident_id, n.trigger_name,
		n.recipient, n.created, n.state, (SELECT min(d.at) FROM notification_deliveries d
		WHERE d.notification_id = n.id AND d.ok), coalesce(m.exercise_id, 0),
		coalesce(f.severity, ''), coalesce(f.category, ''), coalesce(f.services::text, '[]')
		FROM notifications n
		LEFT JOIN incident_facts f ON f.incident_id = n.incident_id
		LEFT JOIN exercise_marks m ON m.kind = 'incident' AND m.object_id = n.incident_id`+
		w.String()+` ORDER BY n.id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("notification times: %w", err)
	}
	defer rows.Close()
	out := []store.NotificationTime{}
	for rows.Next() {
		var (
			n               store.NotificationTime
			created         time.Time
			sent            *time.Time
			state, services string
		)
		err := rows.Scan(&n.ID, &n.IncidentID, &n.Trigger, &n.Recipient, &created, &state,
			&sent, &n.Exercise, &n.Severity, &n.Category, &services)
		if err != nil {
			return nil, fmt.Errorf("notification times: %w", err)
		}
		n.State, n.Created, n.Sent = notify.State(state), created.UTC(), timeOf(sent)
		if n.Services, err = store.DecodeServices(services); err != nil {
			return nil, fmt.Errorf("notification times: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// RuleCounts counts alerts by rule and triage state. The window's alerts
// are grouped by (rule, state, title) with plain counts, which the index
// (created, rule_id, state) INCLUDE (rule_title) answers without the heap
// and which aggregate faster than filtered counts and max(rule_title) per
// rule; the few groups are summed here. Exercise alerts are few: they are
// counted apart, through their marks, and taken off.
func (s *Store) RuleCounts(ctx context.Context, f store.FactFilter) ([]metrics.RuleCount,
	error) {
	var w where
	if !f.From.IsZero() {
		w.add("a.created >= $%d", timeArg(f.From))
	}
	if !f.To.IsZero() {
		w.add("a.created < $%d", timeArg(f.To))
	}
	all, err := s.groupedRuleCounts(ctx, `SELECT a.rule_id, a.state, a.rule_title, count(*)
		FROM alerts a`+w.String()+` GROUP BY a.rule_id, a.state, a.rule_title`, w.args...)
	if err != nil || f.Exercises {
		return all, err
	}
	w.conds = append(w.conds, "m.kind = 'alert'")
	ex, err := s.ruleCounts(ctx, `SELECT a.rule_id, max(a.rule_title), count(*),
		count(*) FILTER (WHERE a.state = 'confirmed'),
		count(*) FILTER (WHERE a.state = 'false_positive')
		FROM exercise_marks m JOIN alerts a ON a.id = m.object_id`+w.String()+
		` GROUP BY a.rule_id`, w.args...)
	if err != nil {
		return nil, err
	}
	return store.SubtractRuleCounts(all, ex), nil
}

// groupedRuleCounts sums the (rule, state, title, count) rows of q by rule,
// in rule order. A rule's title is the greatest of its titles as
// PostgreSQL orders them (max(rule_title)): when a rule has several, the
// server picks it.
func (s *Store) groupedRuleCounts(ctx context.Context, q string, args ...any) (
	[]metrics.RuleCount, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rule counts: %w", err)
	}
	defer rows.Close()
	byRule := map[string]*metrics.RuleCount{}
	titles := map[string][]string{}
	for rows.Next() {
		var (
			rule, state, title string
			n                  int
		)
		if err := rows.Scan(&rule, &state, &title, &n); err != nil {
			return nil, fmt.Errorf("rule counts: %w", err)
		}
		c := byRule[rule]
		if c == nil {
			c = &metrics.RuleCount{RuleID: rule}
			byRule[rule] = c
		}
		c.Alerts += n
		switch state {
		case "confirmed":
			c.Confirmed += n
		case "false_positive":
			c.FalsePositive += n
		}
		if !slices.Contains(titles[rule], title) {
			titles[rule] = append(titles[rule], title)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rule counts: %w", err)
	}
	rows.Close()
	out := make([]metrics.RuleCount, 0, len(byRule))
	for _, rule := range slices.Sorted(maps.Keys(byRule)) {
		c := byRule[rule]
		c.Title = titles[rule][0]
		if len(titles[rule]) > 1 {
			err := s.pool.QueryRow(ctx, `SELECT max(t) FROM unnest($1::text[]) t`,
				titles[rule]).Scan(&c.Title)
			if err != nil {
				return nil, fmt.Errorf("rule counts: %w", err)
			}
		}
		c.Title = strings.TrimSpace(c.Title)
		out = append(out, *c)
	}
	return out, nil
}

func (s *Store) ruleCounts(ctx context.Context, q string, args ...any) ([]metrics.RuleCount,
	error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rule counts: %w", err)
	}
	defer rows.Close()
	out := []metrics.RuleCount{}
	for rows.Next() {
		var c metrics.RuleCount
		if err := rows.Scan(&c.RuleID, &c.Title, &c.Alerts, &c.Confirmed,
			&c.FalsePositive); err != nil {
			return nil, fmt.Errorf("rule counts: %w", err)
		}
		c.Title = strings.TrimSpace(c.Title)
		out = append(out, c)
	}
	return out, rows.Err()
}
