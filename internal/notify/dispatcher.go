package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/team"
)

// Person is someone who can be notified. An empty Email means no e-mail.
type Person struct {
	Name  string
	Email string
}

// IncidentInfo is what a notification says about an incident.
type IncidentInfo struct {
	ID     int64
	Number string
	Title  string
	Phase  incident.Phase
	Level  incident.Level // severity 0 (critical) to 4 (low)
	Opened time.Time
	// Exercise is the ID of the exercise whose events opened the
	// incident; 0 for a real one. Nothing is sent about an exercise's
	// incident; internal/notice refuses to send a tenant notice about one.
	Exercise int64
}

// Directory resolves people and incidents; the store provides one
// (internal/store.NotifyDirectory).
type Directory interface {
	// Person returns the enabled user with this name.
	Person(ctx context.Context, name string) (Person, error)
	// Executives returns the enabled users with the executive role.
	Executives(ctx context.Context) ([]Person, error)
	// Incident returns one incident.
	Incident(ctx context.Context, id int64) (IncidentInfo, error)
	// ActiveIncidents returns the incidents that are not closed.
	ActiveIncidents(ctx context.Context) ([]IncidentInfo, error)
}

// Queue stores notifications and lists webhook endpoints; the store
// implements it.
type Queue interface {
	// EnqueueNotification stores n as pending, due now, setting n.ID,
	// Created and State; created is false (and n.ID the stored one's) when
	// a notification with n.Key exists already.
	EnqueueNotification(ctx context.Context, n *Notification) (created bool, err error)
	// ListWebhooks returns every webhook endpoint, with its secret.
	ListWebhooks(ctx context.Context) ([]Webhook, error)
}

// UpdateCadence is how often executives get an update on an active incident
// of each severity; a severity missing here gets none.
var UpdateCadence = map[incident.Level]time.Duration{
	incident.Level0: time.Hour,
	incident.Level1: 4 * time.Hour,
	incident.Level2: 24 * time.Hour,
}

// PhaseLevels: phase changes of incidents at this severity or more severe
// (a lower number) are notified.
const PhaseLevels = incident.Level1

// Dispatcher turns events of the response into notifications in the
// outbox: one per recipient and channel, plus one per webhook that wants
// the trigger. It is safe for concurrent use.
type Dispatcher struct {
	q   Queue
	dir Directory
}

// NewDispatcher returns a Dispatcher over a queue and a directory.
func NewDispatcher(q Queue, dir Directory) *Dispatcher {
	return &Dispatcher{q: q, dir: dir}
}

// message is one notification before it is addressed.
type message struct {
	trigger  Trigger
	key      string // the key without channel and recipient
	inc      IncidentInfo
	subject  string
	body     string
	reason   string
	audience []Person
}

// Engaged notifies a member engaged on an incident's response team; a
// member is notified once per incident. TeamNotifier adapts it to
// team.Notifier.
func (d *Dispatcher) Engaged(ctx context.Context, incidentID int64, member, reason string) error {
	return d.engaged(ctx, incidentID, member, reason, "")
}

// engaged is Engaged with a suffix to the key (an engagement's ID).
func (d *Dispatcher) engaged(ctx context.Context, incidentID int64, member, reason,
	suffix string) error {
	inc, p, err := d.incidentAndPerson(ctx, incidentID, member)
	if err != nil {
		return fmt.Errorf("notify engaged %s: %w", member, err)
	}
	return d.send(ctx, message{trigger: TriggerEngaged, inc: inc, reason: reason,
		key:      fmt.Sprintf("engaged:%d:%s%s", incidentID, member, suffix),
		subject:  fmt.Sprintf("[%s] You are engaged on %s", inc.Number, inc.Title),
		body:     "You were engaged on the response team of this incident.\nWhy: " + reason,
		audience: []Person{p}})
}

// Assigned notifies the assignee of an alert or task; what names it
// ("alert 42", "task 7: isolate host") and makes the key, so one
// assignment is notified once.
func (d *Dispatcher) Assigned(ctx context.Context, incidentID int64, assignee, what string) error {
	inc, p, err := d.incidentAndPerson(ctx, incidentID, assignee)
	if err != nil {
		return fmt.Errorf("notify assigned %s: %w", assignee, err)
	}
	return d.send(ctx, message{trigger: TriggerAssigned, inc: inc, reason: what,
		key:      fmt.Sprintf("assigned:%d:%s:%s", incidentID, what, assignee),
		subject:  fmt.Sprintf("[%s] Assigned to you: %s", inc.Number, what),
		body:     "This was assigned to you: " + what,
		audience: []Person{p}})
}

// ApprovalRequested asks every executive to approve a step of an incident.
func (d *Dispatcher) ApprovalRequested(ctx context.Context, incidentID int64, step,
	requestedBy string) error {
	inc, err := d.dir.Incident(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("notify approval of %s: %w", step, err)
	}
	execs, err := d.dir.Executives(ctx)
	if err != nil {
		return fmt.Errorf("notify approval of %s: %w", step, err)
	}
	return d.send(ctx, message{trigger: TriggerApproval, inc: inc,
		reason:   "approval of step " + step + " requested by " + requestedBy,
		key:      fmt.Sprintf("approval:%d:%s", incidentID, step),
		subject:  fmt.Sprintf("[%s] Approval needed: %s", inc.Number, step),
		body:     fmt.Sprintf("%s asks an executive to approve the step %q.", requestedBy, step),
		audience: execs})
}

// PhaseChanged notifies executives and the members given when an incident
// of severity 0–1 (PhaseLevels) moves from one phase to another; seq tells
// repeated changes apart (the number of phase changes so far). Incidents of
// lower severity notify no one.
func (d *Dispatcher) PhaseChanged(ctx context.Context, incidentID int64, from,
	to incident.Phase, seq int, members ...string) error {
	inc, err := d.dir.Incident(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("notify phase change: %w", err)
	}
	if inc.Level > PhaseLevels {
		return nil
	}
	people, err := d.dir.Executives(ctx)
	if err != nil {
		return fmt.Errorf("notify phase change: %w", err)
	}
	for _, m := range members {
		p, err := d.dir.Person(ctx, m)
		if err != nil {
			return fmt.Errorf("notify phase change to %s: %w", m, err)
		}
		people = append(people, p)
	}
	return d.send(ctx, message{trigger: TriggerPhase, inc: inc,
		reason:   fmt.Sprintf("%s → %s", from, to),
		key:      fmt.Sprintf("phase:%d:%d:%s", incidentID, seq, to),
		subject:  fmt.Sprintf("[%s] Severity %d incident moved to %s", inc.Number, inc.Level, to),
		body:     fmt.Sprintf("The incident moved from %s to %s.", from, to),
		audience: people})
}

// Updates enqueues the periodic executive updates due at now: for each
// active incident whose severity has a cadence, one update per slot of that
// cadence (slots count from the Unix epoch, so restarts and several workers
// enqueue each slot once). It reports how many incidents were updated.
func (d *Dispatcher) Updates(ctx context.Context, now time.Time) (int, error) {
	incs, err := d.dir.ActiveIncidents(ctx)
	if err != nil {
		return 0, fmt.Errorf("executive updates: %w", err)
	}
	var execs []Person
	n := 0
	for _, inc := range incs {
		every, ok := UpdateCadence[inc.Level]
		if !ok {
			continue
		}
		if execs == nil {
			if execs, err = d.dir.Executives(ctx); err != nil {
				return n, fmt.Errorf("executive updates: %w", err)
			}
		}
		slot := now.UTC().Truncate(every)
		err := d.send(ctx, message{trigger: TriggerUpdate, inc: inc,
			reason:   fmt.Sprintf("severity %d: an update every %s", inc.Level, every),
			key:      fmt.Sprintf("update:%d:%d", inc.ID, slot.Unix()),
			subject:  fmt.Sprintf("[%s] Update: %s is in %s", inc.Number, inc.Title, inc.Phase),
			body:     fmt.Sprintf("Status at %s.", slot.Format(time.RFC3339)),
			audience: execs})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Remind queues a reminder of the preparation program to one person: to
// email, or when it is empty to the e-mail of the Vigil user named person
// (a person without one gets nothing), and to the webhooks that want
// reminders. key makes it idempotent: a second reminder with the same key
// is dropped. It implements readiness.Notifier.
func (d *Dispatcher) Remind(ctx context.Context, key, person, email, subject,
	body string) error {
	p := Person{Name: person, Email: email}
	if email == "" {
		var err error
		if p, err = d.dir.Person(ctx, person); err != nil {
			return fmt.Errorf("remind %s: %w", person, err)
		}
	}
	return d.send(ctx, message{trigger: TriggerReminder, key: key, subject: subject,
		body: body, reason: "reminder to " + person, audience: []Person{p}})
}

// incidentAndPerson resolves an incident and a person.
func (d *Dispatcher) incidentAndPerson(ctx context.Context, incidentID int64,
	name string) (IncidentInfo, Person, error) {
	inc, err := d.dir.Incident(ctx, incidentID)
	if err != nil {
		return inc, Person{}, err
	}
	p, err := d.dir.Person(ctx, name)
	return inc, p, err
}

// send enqueues one e-mail per person with an address and one post per
// webhook that wants the trigger; it tries them all and joins the errors.
// A message about an exercise's incident is dropped: exercises never
// notify anyone (docs/readiness.md).
func (d *Dispatcher) send(ctx context.Context, m message) error {
	if m.inc.Exercise != 0 {
		return nil
	}
	hooks, err := d.q.ListWebhooks(ctx)
	if err != nil {
		return fmt.Errorf("notify %s: %w", m.trigger, err)
	}
	var errs []error
	add := func(ch Channel, to string) {
		n := &Notification{Key: m.key + ":" + string(ch) + ":" + to, Channel: ch,
			Recipient: to, Subject: m.subject, Body: m.fullBody(), IncidentID: m.inc.ID,
			Trigger: m.trigger, Reason: m.reason}
		if _, err := d.q.EnqueueNotification(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("enqueue %s: %w", n.Key, err))
		}
	}
	seen := map[string]bool{}
	for _, p := range m.audience {
		if p.Email != "" && !seen[p.Email] {
			seen[p.Email] = true
			add(ChannelEmail, p.Email)
		}
	}
	for _, h := range hooks {
		if h.Wants(m.trigger) {
			add(ChannelWebhook, strconv.FormatInt(h.ID, 10))
		}
	}
	return errors.Join(errs...)
}

// fullBody adds the incident's facts under the message, when it is about
// one.
func (m message) fullBody() string {
	var b strings.Builder
	b.WriteString(m.body)
	if m.inc.ID == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\n\nIncident: %s %s\nSeverity: %d\nPhase: %s\n", m.inc.Number,
		m.inc.Title, m.inc.Level, m.inc.Phase)
	return b.String()
}

// TeamNotifier adapts a Dispatcher to the response team's team.Notifier:
// each engagement (by its ID) is notified once.
type TeamNotifier struct{ D *Dispatcher }

var _ team.Notifier = TeamNotifier{}

// Engaged notifies the engaged member.
func (t TeamNotifier) Engaged(ctx context.Context, incidentID int64, m team.Engagement,
	reason string) error {
	why := fmt.Sprintf("%s (role %s)", reason, m.Role)
	return t.D.engaged(ctx, incidentID, m.User, why, fmt.Sprintf(":%d", m.ID))
}
