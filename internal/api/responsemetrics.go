package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/store"
)

// defaultMetricsWindow is the window of the response metrics when the
// query gives no from.
const defaultMetricsWindow = 90 * 24 * time.Hour

// metricsQuery is a parsed query of GET /api/v1/response-metrics.
type metricsQuery struct {
	opts      metrics.Options
	exercises bool
	format    string
	table     metrics.Table
}

// parseMetricsQuery reads from and to (a day 2006-01-02 or an RFC 3339
// time; default the 90 days before now), group, period, exercises, format
// and table.
func parseMetricsQuery(r *http.Request, now time.Time) (metricsQuery, error) {
	q := newQuery(r, "from", "to", "group", "period", "exercises", "format", "table")
	var mq metricsQuery
	groups := []string{}
	for _, g := range metrics.GroupBys()[1:] {
		groups = append(groups, string(g))
	}
	tables := []string{}
	for _, t := range metrics.Tables() {
		tables = append(tables, string(t))
	}
	mq.opts = metrics.Options{Now: now.UTC(), GroupBy: metrics.GroupBy(q.str("group", groups...)),
		Period: metrics.Period(q.str("period", "week", "month"))}
	mq.exercises = q.str("exercises", "true", "false") == "true"
	mq.format = q.str("format", "json", "csv")
	mq.table = metrics.Table(q.str("table", tables...))
	from, to := q.str("from"), q.str("to")
	if q.err != nil {
		return mq, q.err
	}
	var err error
	if mq.opts.To, err = dayOrTime("to", to, now.UTC()); err != nil {
		return mq, err
	}
	def := mq.opts.To.Add(-defaultMetricsWindow)
	if mq.opts.From, err = dayOrTime("from", from, def); err != nil {
		return mq, err
	}
	if !mq.opts.From.Before(mq.opts.To) {
		return mq, fmt.Errorf("query parameter \"from\": %s is not before to (%s)",
			mq.opts.From.Format(time.RFC3339), mq.opts.To.Format(time.RFC3339))
	}
	if mq.table == "" {
		mq.table = metrics.TableTimes
	}
	return mq, nil
}

// dayOrTime parses a day (midnight UTC) or an RFC 3339 time; empty gives def.
func dayOrTime(name, s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("query parameter %q: %q is neither a day (2006-01-02) nor an "+
			"RFC 3339 time", name, s)
	}
	return t.UTC(), nil
}

// getResponseMetrics answers GET /api/v1/response-metrics: the response
// metrics of the incidents detected in [from, to) as JSON (the
// metrics.Report) or, with format=csv, one table of it as CSV.
func (s *server) getResponseMetrics(w http.ResponseWriter, r *http.Request) {
	mq, err := parseMetricsQuery(r, time.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := s.responseMetrics(r.Context(), mq)
	if err != nil {
		s.storeError(w, "response metrics", err)
		return
	}
	if mq.format != "csv" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(
		"response-metrics-"+string(mq.table)+".csv"))
	if err := metrics.WriteCSV(w, &rep, mq.table); err != nil {
		s.log.Warn("write response metrics", "err", err)
	}
}

// responseMetrics reads the rows of the window and computes the report in
// one pass over the facts, which stream into a metrics.Builder while the
// rule counts, the deadlines and the open follow-ups are read beside them.
// A CSV table reads only what it prints: the rules table only the rule
// counts, the others everything but them (rules make no groups).
func (s *server) responseMetrics(ctx context.Context, mq metricsQuery) (metrics.Report,
	error) {
	st := s.cfg.Store
	f := store.FactFilter{From: mq.opts.From, To: mq.opts.To, Exercises: mq.exercises}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg        sync.WaitGroup
		rules     []metrics.RuleCount
		deadlines []metrics.Deadline
		followUps []metrics.FollowUpRow
		rulesErr  error
		otherErr  error
		b         = metrics.NewBuilder(mq.opts)
	)
	csv := mq.format == "csv"
	onlyRules := csv && mq.table == metrics.TableRules
	wg.Add(2)
	go func() {
		defer wg.Done()
		if csv && !onlyRules {
			return
		}
		if rules, rulesErr = st.RuleCounts(ctx, f); rulesErr != nil {
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		if onlyRules {
			return
		}
		for _, src := range s.deadlineSources() {
			dl, err := src.Deadlines(ctx, f.From, f.To, f.Exercises)
			if err != nil {
				otherErr = err
				cancel()
				return
			}
			deadlines = append(deadlines, dl...)
		}
		followUps, otherErr = s.openFollowUpRows(ctx, mq.opts.Now, mq.exercises)
		if otherErr != nil {
			cancel()
		}
	}()
	var err error
	if !onlyRules {
		err = st.EachIncidentFact(ctx, f, func(fact *metrics.Fact) error {
			b.AddFact(fact)
			return nil
		})
	}
	wg.Wait()
	if err := errors.Join(rulesErr, otherErr, err); err != nil {
		// The first error, not the cancellations it caused.
		for _, e := range []error{rulesErr, otherErr, err} {
			if e != nil && !errors.Is(e, context.Canceled) {
				return metrics.Report{}, e
			}
		}
		return metrics.Report{}, err
	}
	for i := range deadlines {
		b.AddDeadline(&deadlines[i])
	}
	for i := range followUps {
		b.AddFollowUp(&followUps[i])
	}
	return b.Report(rules), nil
}

// openFollowUpRows returns the open follow-ups with their incidents'
// dimensions.
func (s *server) openFollowUpRows(ctx context.Context, now time.Time, exercises bool) (
	[]metrics.FollowUpRow, error) {
	fus, err := s.cfg.Store.ListFollowUps(ctx, store.FollowUpFilter{Open: true})
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, f := range fus {
		ids = append(ids, f.IncidentID)
	}
	facts, err := s.cfg.Store.FactsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]metrics.Fact{}
	for _, f := range facts {
		byID[f.IncidentID] = f
	}
	out := []metrics.FollowUpRow{}
	for _, f := range fus {
		fact := byID[f.IncidentID]
		if f.Closed(now) || fact.Exercise != 0 && !exercises {
			continue
		}
		out = append(out, metrics.FollowUpRow{ID: f.ID, IncidentID: f.IncidentID,
			Kind: string(f.Kind), Dims: fact.Dims, Created: f.Created,
			Overdue: f.Tracking.Overdue(now)})
	}
	return out, nil
}
