package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// firstEventSQL is the earliest event time of an incident's alerts, in Unix
// microseconds (stored times are text "2006-01-02T15:04:05.000000Z").
const firstEventSQL = `(SELECT CAST(strftime('%s', substr(t, 1, 19)) AS INTEGER) * 1000000 +
	CAST(substr(t, 21, 6) AS INTEGER) FROM (SELECT min(a.event_time) AS t
	FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = ?))`

// micros returns t as stored in incident_facts: Unix microseconds, NULL for
// the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// writeFacts writes the metrics' row of an incident (store.FactOf) in tx.
func writeFacts(ctx context.Context, tx *sql.Tx, f metrics.Fact) error {
	services, err := store.EncodeServices(f.Services)
	if err != nil {
		return err
	}
	m := f.Milestones
	_, err = tx.ExecContext(ctx, `INSERT INTO incident_facts (incident_id, severity, category,
		services, detected, acknowledged, confirmed, contained, eradicated, recovered, closed,
		first_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, `+firstEventSQL+`)
		ON CONFLICT (incident_id) DO UPDATE SET severity = excluded.severity,
		category = excluded.category, services = excluded.services,
		detected = excluded.detected, acknowledged = excluded.acknowledged,
		confirmed = excluded.confirmed, contained = excluded.contained,
		eradicated = excluded.eradicated, recovered = excluded.recovered,
		closed = excluded.closed, first_event = excluded.first_event`,
		f.IncidentID, f.Severity, f.Category, services, micros(m.Detected),
		micros(m.Acknowledged), micros(m.Confirmed), micros(m.Contained),
		micros(m.Eradicated), micros(m.Recovered), micros(m.Closed), f.IncidentID)
	if err != nil {
		return fmt.Errorf("write incident facts %d: %w", f.IncidentID, err)
	}
	return nil
}

// refreshFirstEvent recomputes an incident's first event after its alerts
// changed.
func refreshFirstEvent(ctx context.Context, tx *sql.Tx, incidentID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE incident_facts SET first_event = `+firstEventSQL+
		` WHERE incident_id = ?`, incidentID, incidentID)
	if err != nil {
		return fmt.Errorf("incident facts %d: first event: %w", incidentID, err)
	}
	return nil
}

// noTime stands for NULL in the time columns factColumns reads: scanning
// into int64 is cheaper than into sql.NullInt64.
const noTime = math.MinInt64

// factColumns are the columns scanFacts reads, NULL times as noTime.
const factColumns = `SELECT incident_id, severity, category, services,
	ifnull(first_event, -9223372036854775808), ifnull(detected, -9223372036854775808),
	ifnull(acknowledged, -9223372036854775808), ifnull(confirmed, -9223372036854775808),
	ifnull(contained, -9223372036854775808), ifnull(eradicated, -9223372036854775808),
	ifnull(recovered, -9223372036854775808), ifnull(closed, -9223372036854775808)
	FROM incident_facts`

// IncidentFacts returns the metrics' rows of the incidents detected in
// [f.From, f.To), by ID (EachIncidentFact, collected).
func (s *Store) IncidentFacts(ctx context.Context, f store.FactFilter) ([]metrics.Fact,
	error) {
	out := []metrics.Fact{}
	err := s.EachIncidentFact(ctx, f, func(fact *metrics.Fact) error {
		c := *fact
		c.Services = slices.Clone(fact.Services)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b metrics.Fact) int {
		return cmp.Compare(a.IncidentID, b.IncidentID)
	})
	return out, nil
}

// EachIncidentFact calls fn with the metrics' row of each incident
// detected in [f.From, f.To), in the order of the detected index, reusing
// one Fact. The exercises' incidents are few: they are read apart from
// their marks, and left out or marked in Go.
func (s *Store) EachIncidentFact(ctx context.Context, f store.FactFilter,
	fn func(*metrics.Fact) error) error {
	var w where
	if !f.From.IsZero() {
		w.add("detected >= ?", f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		w.add("detected < ?", f.To.UnixMicro())
	}
	if err := s.scanFacts(ctx, !f.Exercises, factColumns+w.String(), w.args, fn); err != nil {
		return fmt.Errorf("incident facts: %w", err)
	}
	return nil
}

// FactsOf returns the metrics' rows of the incidents ids.
func (s *Store) FactsOf(ctx context.Context, ids []int64) ([]metrics.Fact, error) {
	out := []metrics.Fact{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		err := s.scanFacts(ctx, false, factColumns+` WHERE incident_id IN (`+
			placeholders(len(chunk))+`)`, args, func(f *metrics.Fact) error {
			c := *f
			c.Services = slices.Clone(f.Services)
			out = append(out, c)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("incident facts: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b metrics.Fact) int {
		return cmp.Compare(a.IncidentID,
			b.IncidentID)
	})
	return out, nil
}

// exerciseIncidents returns the exercise of each incident that has one.
func (s *Store) exerciseIncidents(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT object_id, exercise_id FROM exercise_marks
		WHERE kind = 'incident'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, ex int64
		if err := rows.Scan(&id, &ex); err != nil {
			return nil, err
		}
		out[id] = ex
	}
	return out, rows.Err()
}

// scanFacts reads fact rows into one reused Fact, marks the exercises'
// incidents and, with skipExercises, leaves them out; it calls fn with
// each. A row's services are empty, never nil.
func (s *Store) scanFacts(ctx context.Context, skipExercises bool, q string, args []any,
	fn func(*metrics.Fact) error) error {
	marks, err := s.exerciseIncidents(ctx)
	if err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		f                  metrics.Fact
		sev, cat, services sql.RawBytes
		ts                 [8]int64
		dec                store.ServiceDecoder
		svc                = []string{}
		words              = map[string]string{}
	)
	// word returns b as a string shared between rows.
	word := func(b []byte) string {
		w, ok := words[string(b)]
		if !ok {
			w = string(b)
			words[w] = w
		}
		return w
	}
	m := &f.Milestones
	dsts := [8]*time.Time{&f.FirstEvent, &m.Detected, &m.Acknowledged, &m.Confirmed,
		&m.Contained, &m.Eradicated, &m.Recovered, &m.Closed}
	for rows.Next() {
		err := rows.Scan(&f.IncidentID, &sev, &cat, &services, &ts[0], &ts[1], &ts[2], &ts[3],
			&ts[4], &ts[5], &ts[6], &ts[7])
		if err != nil {
			return err
		}
		if f.Exercise = marks[f.IncidentID]; f.Exercise != 0 && skipExercises {
			continue
		}
		f.Severity, f.Category = word(sev), word(cat)
		if svc, err = dec.DecodeBytes(svc, services); err != nil {
			return err
		}
		f.Services = svc
		for i, dst := range dsts {
			*dst = time.Time{}
			if ts[i] != noTime {
				*dst = time.UnixMicro(ts[i]).UTC()
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
		w.add("n.incident_id = ?", incidentID)
	default:
		if !f.From.IsZero() {
			w.add("n.created >= ?", timeText(f.From))
		}
		if !f.To.IsZero() {
			w.add("n.created < ?", timeText(f.To))
		}
		if !f.Exercises {
			w.conds = append(w.conds, "m.exercise_id IS NULL")
		}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT n.id, n.incident_id, n.trigger_name,
		n.recipient, n.created, n.state, (SELECT min(d.at) FROM notification_deliveries d
		WHERE d.notification_id = n.id AND d.ok = 1), coalesce(m.exercise_id, 0),
		coalesce(f.severity, ''), coalesce(f.category, ''), coalesce(f.services, '[]')
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
			created, sent   sql.NullString
			state, services string
		)
		err := rows.Scan(&n.ID, &n.IncidentID, &n.Trigger, &n.Recipient, &created, &state,
			&sent, &n.Exercise, &n.Severity, &n.Category, &services)
		if err != nil {
			return nil, fmt.Errorf("notification times: %w", err)
		}
		n.State = notify.State(state)
		n.Created, err = parseTime(created)
		if err == nil {
			n.Sent, err = parseTime(sent)
		}
		if err == nil {
			n.Services, err = store.DecodeServices(services)
		}
		if err != nil {
			return nil, fmt.Errorf("notification times: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// RuleCounts counts alerts by rule and triage state: one range count per
// rule over the index (rule_id, created, state), the rules found by
// skipping through the index of rule IDs; a GROUP BY over a window of a
// million alerts costs seconds in a temporary B-tree. Exercise alerts are
// few: they are counted apart, through their marks, and taken off.
func (s *Store) RuleCounts(ctx context.Context, f store.FactFilter) ([]metrics.RuleCount,
	error) {
	from, to := timeText(f.From), timeText(f.To)
	if from == nil {
		from = ""
	}
	if to == nil {
		to = "~"
	}
	ids, err := s.ruleIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("rule counts: %w", err)
	}
	all := []metrics.RuleCount{}
	for _, id := range ids {
		c := metrics.RuleCount{RuleID: id}
		err := s.r.QueryRowContext(ctx, `SELECT count(*),
			count(*) FILTER (WHERE state = 'confirmed'),
			count(*) FILTER (WHERE state = 'false_positive')
			FROM alerts WHERE rule_id = ? AND created >= ? AND created < ?`, id, from, to).
			Scan(&c.Alerts, &c.Confirmed, &c.FalsePositive)
		if err != nil {
			return nil, fmt.Errorf("rule counts: %w", err)
		}
		if c.Alerts == 0 {
			continue
		}
		err = s.r.QueryRowContext(ctx, `SELECT rule_title FROM alerts WHERE rule_id = ?
			ORDER BY rule_id DESC, id DESC LIMIT 1`, id).Scan(&c.Title)
		if err != nil {
			return nil, fmt.Errorf("rule counts: %w", err)
		}
		c.Title = strings.TrimSpace(c.Title)
		all = append(all, c)
	}
	if f.Exercises {
		return all, nil
	}
	ex, err := s.ruleCounts(ctx, `SELECT a.rule_id, max(a.rule_title), count(*),
		count(*) FILTER (WHERE a.state = 'confirmed'),
		count(*) FILTER (WHERE a.state = 'false_positive')
		FROM exercise_marks m JOIN alerts a ON a.id = m.object_id
		WHERE m.kind = 'alert' AND a.created >= ? AND a.created < ? GROUP BY a.rule_id`,
		from, to)
	if err != nil {
		return nil, err
	}
	return store.SubtractRuleCounts(all, ex), nil
}

// ruleIDs returns the rule IDs of the alerts, in order, one index seek each.
func (s *Store) ruleIDs(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `WITH RECURSIVE r(id) AS (
		SELECT min(rule_id) FROM alerts
		UNION ALL
		SELECT (SELECT min(rule_id) FROM alerts WHERE rule_id > r.id) FROM r
		WHERE r.id IS NOT NULL)
		SELECT id FROM r WHERE id IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (s *Store) ruleCounts(ctx context.Context, q string, args ...any) ([]metrics.RuleCount,
	error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
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
