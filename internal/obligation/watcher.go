package obligation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// DefaultWatchInterval is how often the deadline watcher looks.
const DefaultWatchInterval = time.Minute

// Roles of the people the watcher alerts (internal/auth's role names).
const (
	roleLegal          = "legal"
	roleCommunications = "communications"
	roleExecutive      = "executive"
)

// Notifier queues a message to one person in the people outbox, once per
// key; notify.Dispatcher.Remind implements it (the message travels with
// the trigger "reminder"). email empty means the e-mail of the user named
// person.
type Notifier interface {
	Remind(ctx context.Context, key, person, email, subject, body string) error
}

// People is what the watcher reads to address its alerts; store.Store
// implements it.
type People interface {
	// ListEngagements returns an incident's response team engagements.
	ListEngagements(ctx context.Context, incidentID int64) ([]team.Engagement, error)
	// ListUsers returns the users.
	ListUsers(ctx context.Context, f store.UserFilter) ([]store.User, error)
}

// WatcherConfig is what a Watcher needs. Service, People and Notifier are
// required.
type WatcherConfig struct {
	Service  *Service
	People   People
	Notifier Notifier
	// Schedule sets the reminders and the at-risk escalation, as fractions
	// of the time from the clock start to the deadline; default
	// regulation.DefaultSchedule (50%, 75%, 90%; escalation at 90%).
	Schedule *regulation.Schedule
	// Interval is how often Run looks; default DefaultWatchInterval.
	Interval time.Duration
	// Logger receives diagnostics; the service's when nil.
	Logger *slog.Logger
}

// Watcher watches the deadlines of the open obligations: it marks an
// obligation overdue once its deadline passes unsent (obligation.overdue;
// the flag stays until cleared with a reason), and queues the reminders to
// its owners, the at-risk escalation to executives and legal, and the
// overdue alert to all of them, each once (obligation.alerted). Exercise
// incidents are watched too: their alerts go to staff, marked as an
// exercise; no tenant is ever told anything here. It is safe for
// concurrent use; several watchers (nodes) queue each alert once, through
// the idempotency keys of the outbox.
type Watcher struct {
	svc      *Service
	people   People
	notifier Notifier
	sched    regulation.Schedule
	every    time.Duration
	log      *slog.Logger
}

// NewWatcher checks cfg and returns a Watcher.
func NewWatcher(cfg WatcherConfig) (*Watcher, error) {
	switch {
	case cfg.Service == nil:
		return nil, errors.New("obligation watcher: no service")
	case cfg.People == nil:
		return nil, errors.New("obligation watcher: no people directory")
	case cfg.Notifier == nil:
		return nil, errors.New("obligation watcher: no notifier")
	case cfg.Interval < 0:
		return nil, errors.New("obligation watcher: negative interval")
	}
	sched := regulation.DefaultSchedule()
	if cfg.Schedule != nil {
		sched = *cfg.Schedule
	}
	if err := sched.Validate(); err != nil {
		return nil, fmt.Errorf("obligation watcher: %w", err)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultWatchInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = cfg.Service.log
	}
	return &Watcher{svc: cfg.Service, people: cfg.People, notifier: cfg.Notifier, sched: sched,
		every: cfg.Interval, log: cfg.Logger}, nil
}

// Run looks every interval until ctx is done; a failed look is logged and
// the next one tries again.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		res, err := w.Tick(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Warn("obligation deadlines", "err", err)
		case res.Overdue+res.Alerts > 0:
			w.log.Info("obligation deadlines", "overdue", res.Overdue, "alerts", res.Alerts)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// TickResult counts what one look did: obligations found overdue, and
// alerts queued (each to one or more people with an e-mail address). An
// alert that reached nobody is not counted, nor recorded as sent.
type TickResult struct {
	Overdue int
	Alerts  int
}

// Tick looks once, at the service's clock: every open obligation is
// checked for overdue and for the alerts due. Errors of one obligation do
// not stop the others; they are joined.
func (w *Watcher) Tick(ctx context.Context) (TickResult, error) {
	var res TickResult
	recs, err := w.svc.st.ListObligations(ctx, store.ObligationFilter{Open: true})
	if err != nil {
		return res, fmt.Errorf("watch deadlines: %w", err)
	}
	var errs []error
	aud := audiences{w: w, byIncident: map[int64]*audience{}}
	for i := range recs {
		o := &recs[i]
		if o.Record.Deadline.IsZero() {
			continue
		}
		overdue, alerts, err := w.check(ctx, o, &aud)
		res.Overdue += overdue
		res.Alerts += alerts
		if err != nil {
			errs = append(errs, fmt.Errorf("obligation %s of incident %d: %w", o.Key,
				o.IncidentID, err))
		}
	}
	return res, errors.Join(errs...)
}

// check handles one record: the alerts due are queued first (idempotent),
// then the overdue flag and the alerts are recorded, with their audit
// entries, in one transaction that re-reads the record.
func (w *Watcher) check(ctx context.Context, o *store.ObligationRecord, aud *audiences) (
	overdue, alerts int, err error) {
	now := w.svc.Now()
	_, wouldBeOverdue := o.Record.Observe(now)
	due := w.sched.Due(o.Record, now)
	if !wouldBeOverdue && len(due) == 0 {
		return 0, 0, nil
	}
	sent := map[string][]string{}
	for _, a := range due {
		if a.Superseded {
			continue
		}
		to, err := w.alert(ctx, o, a, aud)
		if err != nil {
			return 0, 0, err
		}
		sent[a.Name] = to
	}
	var lost []regulation.Alert
	err = w.svc.st.Atomically(ctx, func(tx store.Tx) error {
		lost = nil
		cur, err := tx.GetObligation(ctx, o.IncidentID, o.Key)
		if err != nil {
			return err
		}
		rec, changed := cur.Record.Observe(now)
		if changed {
			overdue = 1
			if err := w.svc.audit.RecordIn(ctx, tx, overdueEntry(cur, rec)); err != nil {
				return err
			}
		}
		for _, a := range due {
			if slices.Contains(rec.Alerts, a.Name) {
				continue // another watcher recorded it
			}
			if !a.Superseded && len(sent[a.Name]) == 0 {
				// it reached nobody: not sent, tried again at the next look
				var added bool
				if rec, added = rec.MarkUndelivered(a); added {
					lost = append(lost, a)
				}
				continue
			}
			rec = rec.MarkAlert(a, now)
			if a.Superseded {
				continue
			}
			alerts++
			if err := w.svc.audit.RecordIn(ctx, tx, alertEntry(cur, a, sent[a.Name])); err != nil {
				return err
			}
		}
		if !changed && len(rec.History) == len(cur.Record.History) &&
			slices.Equal(rec.Undelivered, cur.Record.Undelivered) {
			return nil
		}
		cur.Record = rec
		return tx.PutObligation(ctx, cur)
	})
	if err != nil {
		return 0, 0, err
	}
	if overdue > 0 {
		w.log.Warn("obligation overdue", "incident_id", o.IncidentID, "tenant_id", o.Tenant(),
			"obligation", o.Key)
	}
	for _, a := range lost {
		w.log.Warn("obligation alert undeliverable", "incident_id", o.IncidentID,
			"tenant_id", o.Tenant(), "key", o.Key, "kind", string(a.Kind), "alert", a.Name)
	}
	return overdue, alerts, nil
}

// overdueEntry is the obligation.overdue entry of o, found overdue.
func overdueEntry(o *store.ObligationRecord, rec regulation.Record) audit.Entry {
	return audit.Entry{Actor: audit.SystemActor, Action: audit.ObligationOverdue,
		ObjectType: "obligation", ObjectID: objectID(o), Tenant: o.Tenant(),
		Details: mustJSON(map[string]any{"incident_id": o.IncidentID, "key": o.Key,
			"deadline": rec.Deadline, "state": string(rec.State),
			"exercise": o.Exercise})}
}

// alertEntry is the obligation.alerted entry of an alert queued to the
// people named in to (those with an e-mail address).
func alertEntry(o *store.ObligationRecord, a regulation.Alert, to []string) audit.Entry {
	return audit.Entry{Actor: audit.SystemActor, Action: audit.ObligationAlerted,
		ObjectType: "obligation", ObjectID: objectID(o), Tenant: o.Tenant(),
		Details: mustJSON(map[string]any{"incident_id": o.IncidentID, "key": o.Key,
			"alert": a.Name, "kind": string(a.Kind), "recipients": len(to), "to": to,
			"exercise": o.Exercise})}
}

// AlertKey is the idempotency key of an alert of an obligation in the
// outbox: obligation:<incident>:<key>:<kind>:<n>, n the percentage of the
// time elapsed for reminders and escalations, 100 for overdue.
func AlertKey(incidentID int64, key string, a regulation.Alert) string {
	n := "100"
	if _, pct, ok := strings.Cut(a.Name, "-"); ok {
		n = pct
	}
	return fmt.Sprintf("obligation:%d:%s:%s:%s", incidentID, key, a.Kind, n)
}

// alert queues one alert to its audience and returns the names of the
// people it was queued to: those with an e-mail address (Remind skips a
// person without one). Remind is still called for everyone, so that the
// webhooks that want reminders get the alert.
func (w *Watcher) alert(ctx context.Context, o *store.ObligationRecord, a regulation.Alert,
	aud *audiences) ([]string, error) {
	people, err := aud.of(ctx, o.IncidentID, a.Kind)
	if err != nil {
		return nil, err
	}
	subject, body := w.message(ctx, o, a)
	key := AlertKey(o.IncidentID, o.Key, a)
	var errs []error
	to := []string{}
	for _, p := range people {
		if err := w.notifier.Remind(ctx, key, p.Name, p.Email, subject, body); err != nil {
			errs = append(errs, err)
			continue
		}
		if p.Email != "" {
			to = append(to, p.Name)
		}
	}
	if len(people) == 0 {
		w.log.Warn("obligation alert has no recipient", "incident_id", o.IncidentID,
			"obligation", o.Key, "alert", a.Name)
	}
	return to, errors.Join(errs...)
}

// message returns the subject and body of an alert.
func (w *Watcher) message(ctx context.Context, o *store.ObligationRecord,
	a regulation.Alert) (string, string) {
	ref := "incident " + strconv.FormatInt(o.IncidentID, 10)
	if inc, err := w.svc.st.GetIncident(ctx, o.IncidentID); err == nil && inc.Number != "" {
		ref = inc.Number
	}
	what := map[regulation.AlertKind]string{regulation.AlertReminder: "Deadline reminder",
		regulation.AlertEscalation: "Deadline at risk", regulation.AlertOverdue: "OVERDUE"}[a.Kind]
	to := o.Obligation.Recipient.Party
	if o.Tenant() != "" {
		to = "tenant " + o.Tenant()
	} else if o.Obligation.Recipient.Authority != "" {
		to = o.Obligation.Recipient.Authority
	}
	prefix := "[" + ref + "]"
	if o.Exercise {
		prefix = "[EXERCISE " + ref + "]"
	}
	deadline := o.Record.Deadline.UTC().Format("2006-01-02 15:04 UTC")
	subject := fmt.Sprintf("%s %s: %s, %s to %s, due %s", prefix, what, o.Obligation.Regime,
		o.Obligation.Stage, to, deadline)
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): the notice %s to %s is due %s and is %s.\n", what, a.Name,
		o.Key, to, deadline, o.Record.State)
	if o.Exercise {
		b.WriteString("This is an exercise: no tenant is notified.\n")
	}
	b.WriteString("\n")
	b.WriteString(o.Obligation.Explain())
	return subject, b.String()
}

// person is one recipient of an alert.
type person struct{ Name, Email string }

// audience is who gets an incident's alerts.
type audience struct {
	owners, escalation []person
}

// audiences caches the audiences of one look, by incident.
type audiences struct {
	w          *Watcher
	users      []store.User
	byIncident map[int64]*audience
}

// of returns the people an alert of kind about the incident goes to:
// reminders to the owners, escalations to executives and legal, overdue
// alerts to both.
func (as *audiences) of(ctx context.Context, incidentID int64, kind regulation.AlertKind) (
	[]person, error) {
	a, ok := as.byIncident[incidentID]
	if !ok {
		var err error
		if a, err = as.load(ctx, incidentID); err != nil {
			return nil, err
		}
		as.byIncident[incidentID] = a
	}
	switch kind {
	case regulation.AlertReminder:
		return a.owners, nil
	case regulation.AlertEscalation:
		return a.escalation, nil
	}
	return mergePeople(a.owners, a.escalation), nil
}

// load works out an incident's audience. The owners are the engaged
// commander and communications members and the engaged users with the
// legal or communications role; without any, every user with the legal or
// communications role. The escalation goes to every executive and legal
// user. Disabled users and tenant users are left out.
func (as *audiences) load(ctx context.Context, incidentID int64) (*audience, error) {
	if as.users == nil {
		users, err := as.w.people.ListUsers(ctx, store.UserFilter{})
		if err != nil {
			return nil, err
		}
		as.users = []store.User{}
		for _, u := range users {
			if !u.Disabled && u.Tenant == "" {
				as.users = append(as.users, u)
			}
		}
	}
	byName := map[string]store.User{}
	for _, u := range as.users {
		byName[u.Name] = u
	}
	es, err := as.w.people.ListEngagements(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	a := &audience{}
	for _, e := range es {
		u, ok := byName[e.User]
		if !e.Active() || !ok {
			continue
		}
		if e.Role == team.RoleCommander || e.Role == team.RoleCommunications ||
			slices.Contains(u.Roles, roleLegal) || slices.Contains(u.Roles, roleCommunications) {
			a.owners = mergePeople(a.owners, []person{{u.Name, u.Email}})
		}
	}
	fallback := len(a.owners) == 0
	for _, u := range as.users {
		if fallback && (slices.Contains(u.Roles, roleLegal) ||
			slices.Contains(u.Roles, roleCommunications)) {
			a.owners = append(a.owners, person{u.Name, u.Email})
		}
		if slices.Contains(u.Roles, roleExecutive) || slices.Contains(u.Roles, roleLegal) {
			a.escalation = append(a.escalation, person{u.Name, u.Email})
		}
	}
	return a, nil
}

// mergePeople returns a followed by the people of b not in a.
func mergePeople(a, b []person) []person {
	out := slices.Clone(a)
	for _, p := range b {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
