package api_test

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// seedSize is the size of the data set BenchmarkIncidentLatency seeds.
type seedSize struct {
	Incidents, Alerts, Events, Cases int
}

// seedTable is one table of the seeded data set: its columns and a
// generator of its rows, whose times are time.Time values.
type seedTable struct {
	name string
	cols []string
	rows func(n seedSize) iter.Seq[[]any]
}

// seedEpoch is the time of the first seeded incident and alert; they
// spread over the two years after it.
var seedEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const seedSpan = 2 * 365 * 24 * time.Hour

var (
	seedRules = []struct{ id, title, level string }{
		{"5b3d1c1e-0001", "Suspicious PowerShell Download Cradle", "high"},
		{"5b3d1c1e-0002", "Mimikatz Command Line", "critical"},
		{"5b3d1c1e-0003", "Failed SSH Logins From One Source", "medium"},
		{"5b3d1c1e-0004", "New Service Installed", "low"},
		{"5b3d1c1e-0005", "LSASS Memory Access", "high"},
		{"5b3d1c1e-0006", "Scheduled Task Created From Temp", "medium"},
		{"5b3d1c1e-0007", "Windows Defender Disabled", "high"},
		{"5b3d1c1e-0008", "Whoami Execution", "low"},
		{"5b3d1c1e-0009", "Office Spawning Shell", "high"},
		{"5b3d1c1e-0010", "Sudo To Root By Unusual User", "medium"},
	}
	seedUsers  = []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	seedPhases = []incident.Phase{incident.PhaseDetected, incident.PhaseAnalysis,
		incident.PhaseContainment, incident.PhaseEradication, incident.PhaseRecovery,
		incident.PhasePostIncident}
	seedAlertStates = []string{"new", "new", "new", "acknowledged", "assigned", "false_positive"}
)

// seedIncident is everything seeded for one incident, drawn from a
// generator seeded by its ID so that every table agrees.
type seedIncident struct {
	id       int64
	severity string
	opened   time.Time
	updated  time.Time
	rec      store.IncidentRecord
}

// incidentAt returns the seeded incident id of n.
func incidentAt(n seedSize, id int64) seedIncident {
	r := rand.New(rand.NewPCG(uint64(id), 7))
	step := seedSpan / time.Duration(n.Incidents)
	opened := seedEpoch.Add(time.Duration(id)*step + time.Duration(r.Int64N(int64(step))))
	rule := seedRules[r.IntN(len(seedRules))]
	inc := seedIncident{id: id, opened: opened}
	switch x := r.IntN(100); {
	case x < 40:
		inc.severity = "low"
	case x < 75:
		inc.severity = "medium"
	case x < 95:
		inc.severity = "high"
	default:
		inc.severity = "critical"
	}
	rec := &inc.rec.Record
	rec.Title = rule.title + " on host-" + fmt.Sprint(r.IntN(5000))
	rec.Number = store.IncidentNumber(opened.Year(), id)
	rec.Status, rec.Phase = incident.StatusClosed, incident.PhaseClosed
	if id > int64(n.Incidents)*9/10 || r.IntN(100) < 3 {
		rec.Status, rec.Phase = incident.StatusOpen, seedPhases[r.IntN(len(seedPhases))]
	}
	cats := incident.Categories()
	rec.Category = cats[r.IntN(len(cats))]
	rec.Classification = incident.Confirmed
	rec.Summary = "Alerts of rule " + rule.title + " grouped on one host; see the actions."
	rec.Priority = incident.Priority(1 + r.IntN(4))
	rec.PriorityExplanation = incident.Explanation{Policy: "default-priority.yaml",
		Rule: "default", Text: "no rule matched: default priority"}
	rec.Factors = incident.Factors{Functional: incident.FunctionalLow}
	rec.Severity = []incident.SeverityDecision{{Suggested: incident.Level(r.IntN(5)),
		Decided: incident.Level(r.IntN(5)), By: seedUsers[r.IntN(len(seedUsers))],
		At: opened.Add(time.Hour), Reason: "reviewed the affected hosts"}}
	rec.Resources = incident.Resources{Hosts: []string{fmt.Sprintf("host-%d", r.IntN(5000))},
		Services: []string{"directory"}}
	rec.Contacts = []incident.Contact{{Name: "Service desk", Role: "system owner",
		Email: "desk@example.org"}}
	rec.NextSteps = []string{"collect memory image", "reset credentials"}
	for i := range 2 + r.IntN(3) {
		rec.Indicators = append(rec.Indicators, incident.Indicator{Kind: incident.KindIP,
			Value: fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), i), Source: rule.id})
	}
	at := seedNotes(rec, opened, r)
	rec.PhaseChanges = seedPhaseChanges(rec.Phase, at, r)
	inc.updated = at
	inc.rec.Version = int64(1 + len(rec.Actions) + len(rec.Comments) + len(rec.PhaseChanges))
	return inc
}

// seedNotes adds actions to six records in ten and comments to half of
// them, from at on, and returns the time of the last one.
func seedNotes(rec *incident.Record, at time.Time, r *rand.Rand) time.Time {
	if r.IntN(100) < 60 {
		for range 1 + r.IntN(5) {
			at = at.Add(time.Duration(1+r.IntN(120)) * time.Minute)
			rec.Actions = append(rec.Actions, incident.Action{By: seedUsers[r.IntN(6)], At: at,
				What: "isolated the host from the network", Result: "done"})
		}
	}
	if r.IntN(100) < 50 {
		for range r.IntN(4) {
			at = at.Add(time.Duration(1+r.IntN(120)) * time.Minute)
			rec.Comments = append(rec.Comments, incident.Comment{By: seedUsers[r.IntN(6)],
				At: at, Text: "Checked the proxy logs: no further connections from the host."})
		}
	}
	return at
}

// seedPhaseChanges returns the moves from detected to phase.
func seedPhaseChanges(phase incident.Phase, at time.Time, r *rand.Rand) []incident.PhaseChange {
	path := append(seedPhases[:0:0], seedPhases...)
	path = append(path, incident.PhaseClosed)
	var out []incident.PhaseChange
	for i := 1; i < len(path) && path[i-1] != phase; i++ {
		at = at.Add(time.Duration(1+r.IntN(600)) * time.Minute)
		out = append(out, incident.PhaseChange{From: path[i-1], To: path[i], At: at,
			Location: "Europe/Berlin", By: seedUsers[r.IntN(len(seedUsers))]})
	}
	return out
}

// alertIncident returns the incident alert id belongs to, or 0: seven
// alerts in ten are linked to an incident opened near their time.
func alertIncident(n seedSize, id int64, r *rand.Rand) int64 {
	if r.IntN(10) >= 7 {
		return 0
	}
	inc := id*int64(n.Incidents)/int64(n.Alerts) + r.Int64N(21) - 10
	return min(max(inc, 1), int64(n.Incidents))
}

// seedTables lists the tables in the order they are filled.
func seedTables() []seedTable {
	return []seedTable{
		{"events", []string{"id", "time", "received", "source_file", "source_line", "fields"},
			seedEvents},
		{"incidents", []string{"id", "number", "title", "severity", "status", "phase", "opened",
			"updated", "version", "category", "priority", "severity_level", "record"},
			seedIncidents},
		{"incident_actions", []string{"incident_id", "seq", "by", "at", "what", "result"},
			seedHistory(0)},
		{"incident_comments", []string{"incident_id", "seq", "by", "at", "text"},
			seedHistory(1)},
		{"incident_phase_changes", []string{"incident_id", "seq", "from_phase", "to_phase", "at",
			"location", "by", "reason"}, seedHistory(2)},
		{"incident_indicators", []string{"incident_id", "kind", "value"}, seedHistory(3)},
		{"alerts", []string{"id", "rule_id", "rule_title", "level", "tags", "event_time",
			"created", "incident_id", "group_key", "group_fields", "match_count", "first_seen",
			"last_seen", "state", "assignee", "state_reason"}, seedAlerts},
		{"incident_alerts", []string{"incident_id", "alert_id"}, seedIncidentAlerts},
		{"alert_events", []string{"alert_id", "pos", "event_id"}, seedAlertEvents},
		{"cases", []string{"id", "tenant", "title", "seen", "service", "seen_at", "level",
			"state", "assignee", "reporter", "created", "updated", "version"}, seedCases},
		{"incident_facts", []string{"incident_id", "severity", "category", "services",
			"first_event", "detected", "acknowledged", "confirmed", "contained", "eradicated",
			"recovered", "closed"}, seedFacts},
	}
}

// seedFacts returns the metrics' row of every incident, as the store
// writes it (store.FactOf): detected when opened, the first event up to two
// hours before, confirmed a few minutes after the move to analysis.
func seedFacts(n seedSize) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		for id := int64(1); id <= int64(n.Incidents); id++ {
			inc := incidentAt(n, id)
			r := rand.New(rand.NewPCG(uint64(id), 13))
			rec := &inc.rec
			rec.ID, rec.Severity, rec.Opened = id, inc.severity, inc.opened
			rec.Record.Detected = inc.opened
			if pcs := rec.Record.PhaseChanges; len(pcs) > 0 {
				rec.Record.Confirmed = pcs[0].At.Add(time.Duration(1+r.IntN(30)) * time.Minute)
			}
			f := store.FactOf(rec)
			services, _ := store.EncodeServices(f.Services)
			m := f.Milestones
			first := inc.opened.Add(-time.Duration(1+r.IntN(120)) * time.Minute)
			row := []any{id, f.Severity, f.Category, services, first}
			for _, t := range []time.Time{m.Detected, m.Acknowledged, m.Confirmed, m.Contained,
				m.Eradicated, m.Recovered, m.Closed} {
				var v any
				if !t.IsZero() {
					v = t
				}
				row = append(row, v)
			}
			if !yield(row) {
				return
			}
		}
	}
}

// seedEvents returns the events, one every few minutes of the two years.
func seedEvents(n seedSize) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		step := seedSpan / time.Duration(n.Events)
		for id := int64(1); id <= int64(n.Events); id++ {
			t := seedEpoch.Add(time.Duration(id) * step)
			fields := fmt.Sprintf(`{"EventID":4688,"Computer":"host-%d.corp.example.org",`+
				`"User":"CORP\\user%d","Image":"C:\\Windows\\System32\\cmd.exe",`+
				`"CommandLine":"cmd.exe /c whoami /all","ParentImage":`+
				`"C:\\Windows\\explorer.exe","ProcessId":%d}`, id%5000, id%700, id%65536)
			if !yield([]any{id, t, t.Add(time.Second), "sysmon.ndjson", id, fields}) {
				return
			}
		}
	}
}

// seedIncidents returns the incident rows with their record documents.
func seedIncidents(n seedSize) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		for id := int64(1); id <= int64(n.Incidents); id++ {
			inc := incidentAt(n, id)
			doc, err := store.EncodeRecordDoc(&inc.rec)
			if err != nil {
				panic(err)
			}
			c := inc.rec.Columns()
			r := &inc.rec.Record
			if !yield([]any{id, r.Number, r.Title, inc.severity, r.Status, c.Phase, inc.opened,
				inc.updated, inc.rec.Version, c.Category, c.Priority, c.SeverityLevel,
				string(doc)}) {
				return
			}
		}
	}
}

// seedHistory returns the rows of one append-only list of every incident:
// 0 actions, 1 comments, 2 phase changes, 3 indicators.
func seedHistory(list int) func(n seedSize) iter.Seq[[]any] {
	return func(n seedSize) iter.Seq[[]any] {
		return func(yield func([]any) bool) {
			for id := int64(1); id <= int64(n.Incidents); id++ {
				r := incidentAt(n, id).rec.Record
				var rows [][]any
				switch list {
				case 0:
					for i, a := range r.Actions {
						rows = append(rows, []any{id, i + 1, a.By, a.At, a.What, a.Result})
					}
				case 1:
					for i, c := range r.Comments {
						rows = append(rows, []any{id, i + 1, c.By, c.At, c.Text})
					}
				case 2:
					for i, p := range r.PhaseChanges {
						rows = append(rows, []any{id, i + 1, string(p.From), string(p.To), p.At,
							p.Location, p.By, p.Reason})
					}
				case 3:
					for _, ind := range r.Indicators {
						rows = append(rows, []any{id, string(ind.Kind), ind.Value})
					}
				}
				for _, row := range rows {
					if !yield(row) {
						return
					}
				}
			}
		}
	}
}

// seedAlerts returns the alerts with their grouping and triage columns.
func seedAlerts(n seedSize) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		step := seedSpan / time.Duration(n.Alerts)
		for id := int64(1); id <= int64(n.Alerts); id++ {
			r := rand.New(rand.NewPCG(uint64(id), 11))
			rule := seedRules[r.IntN(len(seedRules))]
			created := seedEpoch.Add(time.Duration(id) * step)
			inc := alertIncident(n, id, r)
			state, assignee, reason := "confirmed", "", ""
			var incID any
			if inc != 0 {
				incID = inc
			} else if state = seedAlertStates[r.IntN(len(seedAlertStates))]; state ==
				"assigned" {
				assignee = seedUsers[r.IntN(len(seedUsers))]
			} else if state == "false_positive" {
				reason = "known admin script"
			}
			host := fmt.Sprintf("host-%d", r.IntN(5000))
			count := 1 + r.IntN(20)
			if !yield([]any{id, rule.id, rule.title, rule.level,
				`["attack.execution","attack.t1059.001"]`, created.Add(-time.Second), created,
				incID, host, `{"Computer":"` + host + `"}`, count, created,
				created.Add(time.Duration(count) * time.Minute), state, assignee, reason}) {
				return
			}
		}
	}
}

// seedIncidentAlerts returns the links of the alerts alertIncident links.
func seedIncidentAlerts(n seedSize) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		for id := int64(1); id <= int64(n.Alerts); id++ {
			r := rand.New(rand.NewPCG(uint64(id), 11))
			r.IntN(len(seedRules))
			if inc := alertIncident(n, id, r); inc != 0 && !yield([]any{inc, id}) {
				return
			}
		}
	}
}

// seedAlertEvents links every alert to one event, every third to two.
func seedAlertEvents(n seedSize) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		for id := int64(1); id <= int64(n.Alerts); id++ {
			ev := 1 + id*int64(n.Events)/int64(n.Alerts)
			ev = min(ev, int64(n.Events))
			if !yield([]any{id, 0, ev}) {
				return
			}
			if id%3 == 0 && ev > 1 && !yield([]any{id, 1, ev - 1}) {
				return
			}
		}
	}
}

// seedCases returns open and escalated support cases of twenty tenants.
func seedCases(n seedSize) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		step := seedSpan / time.Duration(max(n.Cases, 1))
		for id := int64(1); id <= int64(n.Cases); id++ {
			t := seedEpoch.Add(time.Duration(id) * step)
			state := []string{"open", "escalated"}[id%2]
			if !yield([]any{id, fmt.Sprintf("tenant-%d", id%20), "Phishing mail reported",
				"a mail asking for my password", "mail", t, "medium", state, "", "reporter",
				t, t, 1}) {
				return
			}
		}
	}
}

// seedSQLite fills the migrated SQLite database at path in one transaction
// per table, with prepared single-row inserts, and returns the row count.
func seedSQLite(ctx context.Context, path string, n seedSize) (int, error) {
	db, err := sql.Open("sqlite", path+
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=foreign_keys(0)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	total := 0
	for _, t := range seedTables() {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return total, err
		}
		stmt, err := tx.PrepareContext(ctx, "INSERT INTO "+t.name+" ("+strings.Join(t.cols, ", ")+
			") VALUES ("+strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ")+")")
		if err != nil {
			tx.Rollback()
			return total, fmt.Errorf("%s: %w", t.name, err)
		}
		for row := range t.rows(n) {
			for i, v := range row {
				tv, ok := v.(time.Time)
				switch {
				case ok && t.name == "incident_facts":
					row[i] = tv.UnixMicro() // the SQLite facts keep Unix microseconds
				case ok:
					row[i] = tv.UTC().Format("2006-01-02T15:04:05.000000Z")
				}
			}
			if _, err := stmt.ExecContext(ctx, row...); err != nil {
				tx.Rollback()
				return total, fmt.Errorf("%s: %w", t.name, err)
			}
			total++
		}
		if err := tx.Commit(); err != nil {
			return total, fmt.Errorf("%s: %w", t.name, err)
		}
	}
	_, err = db.ExecContext(ctx, `INSERT INTO incident_numbers (year, last) VALUES (2025, ?),
		(2026, ?)`, n.Incidents, n.Incidents)
	return total, err
}

// seedPostgres fills the migrated PostgreSQL database at dsn with COPY, one
// table after the other, moves the identity sequences past the seeded IDs
// and vacuums and analyzes the tables, as autovacuum does on its own after
// large inserts (without it, count(*) cannot use index-only scans).
func seedPostgres(ctx context.Context, dsn string, n seedSize) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	total := 0
	for _, t := range seedTables() {
		next, stop := iter.Pull(t.rows(n))
		src := pgx.CopyFromFunc(func() ([]any, error) {
			row, ok := next()
			if !ok {
				return nil, nil
			}
			return row, nil
		})
		c, err := conn.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, src)
		stop()
		total += int(c)
		if err != nil {
			return total, fmt.Errorf("%s: %w", t.name, err)
		}
	}
	for _, tbl := range []string{"events", "incidents", "alerts", "cases"} {
		if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'),
			(SELECT max(id) FROM %s))`, tbl, tbl)); err != nil {
			return total, fmt.Errorf("%s: %w", tbl, err)
		}
	}
	_, err = conn.Exec(ctx, `INSERT INTO incident_numbers (year, last) VALUES (2025, $1),
		(2026, $1)`, n.Incidents)
	if err == nil {
		_, err = conn.Exec(ctx, `VACUUM ANALYZE`)
	}
	return total, err
}
