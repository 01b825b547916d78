package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/store"
)

// maxTimelineAlerts caps the alerts whose audit entries a timeline reads;
// an incident with more still lists every alert's raising.
// TODO: read the audit entries of every alert of very large incidents in
// one query (by object IDs) instead of one per alert.
const maxTimelineAlerts = 50

// maxTimelineObligations caps the obligations whose audit entries a
// timeline reads.
const maxTimelineObligations = 200

// postMortemSources reads what the timeline of rec is assembled from: its
// alerts, the audit entries about it and its first alerts, its evidence and
// its notifications.
func (s *server) postMortemSources(ctx context.Context, rec *store.IncidentRecord) (
	postmortem.Sources, error) {
	st := s.cfg.Store
	src := postmortem.Sources{IncidentID: rec.ID, Record: rec.Record, Gates: rec.Gates}
	af := store.AlertFilter{IncidentID: rec.ID, Limit: store.MaxLimit}
	for {
		page, err := st.ListAlerts(ctx, af)
		if err != nil {
			return src, fmt.Errorf("timeline alerts: %w", err)
		}
		for _, a := range page.Items {
			src.Alerts = append(src.Alerts, postmortem.Alert{ID: a.ID, RuleID: a.RuleID,
				RuleTitle: a.RuleTitle, Level: a.Level, EventTime: a.EventTime,
				Created: a.Created})
		}
		if af.Cursor = page.Next; af.Cursor == "" {
			break
		}
	}
	objects := []store.AuditFilter{{ObjectType: "incident",
		ObjectID: strconv.FormatInt(rec.ID, 10)}}
	for i, a := range src.Alerts {
		if i == maxTimelineAlerts {
			break
		}
		objects = append(objects, store.AuditFilter{ObjectType: "alert",
			ObjectID: strconv.FormatInt(a.ID, 10)})
	}
	// the regulatory obligations' entries (overdue, alerts, state changes)
	obls, err := st.ListObligations(ctx, store.ObligationFilter{IncidentID: rec.ID})
	if err != nil {
		return src, fmt.Errorf("timeline obligations: %w", err)
	}
	for i, o := range obls {
		if i == maxTimelineObligations {
			break
		}
		objects = append(objects, store.AuditFilter{ObjectType: "obligation",
			ObjectID: strconv.FormatInt(rec.ID, 10) + "/" + o.Key})
	}
	for _, f := range objects {
		entries, err := s.auditOf(ctx, f)
		if err != nil {
			return src, err
		}
		src.Audit = append(src.Audit, entries...)
	}
	ev, err := st.ListEvidence(ctx, rec.ID)
	if err != nil {
		return src, fmt.Errorf("timeline evidence: %w", err)
	}
	src.Evidence = ev
	nf := store.NotificationFilter{IncidentID: rec.ID, Limit: store.MaxLimit}
	for {
		page, err := st.ListNotifications(ctx, nf)
		if err != nil {
			return src, fmt.Errorf("timeline notifications: %w", err)
		}
		src.Notifications = append(src.Notifications, page.Items...)
		if nf.Cursor = page.Next; nf.Cursor == "" {
			break
		}
	}
	return src, nil
}

// auditOf reads every audit entry f selects, oldest first.
func (s *server) auditOf(ctx context.Context, f store.AuditFilter) ([]audit.Entry, error) {
	f.Limit = store.MaxLimit
	var out []audit.Entry
	for {
		page, err := s.cfg.Store.ListAudit(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("timeline audit entries: %w", err)
		}
		out = append(out, page.Items...)
		if f.Cursor = page.Next; f.Cursor == "" {
			break
		}
	}
	slices.Reverse(out)
	return out, nil
}

// peopleDeadlines is the deadline source of notifications to people: each
// notification about an incident is due Target after it was made, and done
// when its channel first accepted it.
type peopleDeadlines struct {
	st     store.Store
	target time.Duration
}

// DefaultNotifyTarget is how soon after it was made a notification to a
// person must be delivered to count as on time (Config.NotifyTarget).
const DefaultNotifyTarget = 15 * time.Minute

func (p peopleDeadlines) rows(ns []store.NotificationTime) []metrics.Deadline {
	out := make([]metrics.Deadline, 0, len(ns))
	for _, n := range ns {
		out = append(out, metrics.Deadline{Kind: "people", IncidentID: n.IncidentID,
			Ref:   "notification/" + strconv.FormatInt(n.ID, 10),
			Label: n.Trigger + " to " + n.Recipient, Dims: n.Dims, Exercise: n.Exercise,
			Due: n.Created.Add(p.target), Done: n.Sent, Failed: n.State == notify.StateDead})
	}
	return out
}

// Deadlines returns the people notifications due in [from, to).
func (p peopleDeadlines) Deadlines(ctx context.Context, from, to time.Time,
	exercises bool) ([]metrics.Deadline, error) {
	f := store.FactFilter{Exercises: exercises}
	if !from.IsZero() {
		f.From = from.Add(-p.target)
	}
	if !to.IsZero() {
		f.To = to.Add(-p.target)
	}
	ns, err := p.st.NotificationTimes(ctx, f, 0)
	if err != nil {
		return nil, err
	}
	return p.rows(ns), nil
}

// IncidentDeadlines returns the people notifications of an incident.
func (p peopleDeadlines) IncidentDeadlines(ctx context.Context, incidentID int64) (
	[]metrics.Deadline, error) {
	ns, err := p.st.NotificationTimes(ctx, store.FactFilter{}, incidentID)
	if err != nil {
		return nil, err
	}
	return p.rows(ns), nil
}

// deadlineSources are the people notifications, the regulatory
// obligations (notices to tenants and authorities against their deadlines;
// docs/regulations.md) and Config.Deadlines.
func (s *server) deadlineSources() []metrics.DeadlineSource {
	return append([]metrics.DeadlineSource{peopleDeadlines{st: s.cfg.Store,
		target: s.cfg.NotifyTarget}, obligation.Deadlines{Store: s.cfg.Store}},
		s.cfg.Deadlines...)
}

// incidentResponse measures the response to rec at now.
func (s *server) incidentResponse(ctx context.Context, rec *store.IncidentRecord,
	now time.Time) (postmortem.Response, error) {
	facts, err := s.cfg.Store.FactsOf(ctx, []int64{rec.ID})
	if err != nil {
		return postmortem.Response{}, err
	}
	var first time.Time
	if len(facts) == 1 {
		first = facts[0].FirstEvent
	}
	var dl []metrics.Deadline
	for _, src := range s.deadlineSources() {
		got, err := src.IncidentDeadlines(ctx, rec.ID)
		if err != nil {
			return postmortem.Response{}, fmt.Errorf("incident deadlines: %w", err)
		}
		dl = append(dl, got...)
	}
	return postmortem.ResponseOf(&rec.Record, first, dl, now), nil
}

// exportFormats are the formats of the exports, with their media types.
var exportFormats = map[string]string{"markdown": "text/markdown; charset=utf-8",
	"html": "text/html; charset=utf-8", "pdf": "application/pdf"}

// writeExport answers with doc in the format the query asks for (default
// markdown), as a download named name.<ext>. HTML comes with a policy that
// allows no script or outside resource.
func (s *server) writeExport(w http.ResponseWriter, r *http.Request, doc postmortem.Document,
	name string) {
	q := newQuery(r, "format")
	format := q.str("format", "markdown", "html", "pdf")
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	if format == "" {
		format = "markdown"
	}
	var buf bytes.Buffer
	var err error
	ext := map[string]string{"markdown": "md", "html": "html", "pdf": "pdf"}[format]
	switch format {
	case "markdown":
		err = postmortem.WriteMarkdown(&buf, doc)
	case "html":
		err = postmortem.WriteHTML(&buf, doc)
	case "pdf":
		err = postmortem.WritePDF(&buf, doc)
	}
	if err != nil {
		s.log.Error("export", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	h := w.Header()
	h.Set("Content-Type", exportFormats[format])
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "+
		"img-src data:; frame-ancestors 'none'")
	disp := "attachment"
	if format == "html" {
		disp = "inline"
	}
	h.Set("Content-Disposition", fmt.Sprintf("%s; filename=%q", disp, name+"."+ext))
	w.Write(buf.Bytes())
}
