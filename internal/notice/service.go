package notice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// Errors that callers branch on (the API maps them to HTTP statuses).
var (
	// ErrExercise refuses to send a notice about an exercise's incident:
	// drills never notify tenants or authorities.
	ErrExercise = errors.New("the incident is an exercise: notices about it are never sent")
	// ErrState refuses a step that the notice's state does not allow
	// (editing or sending a sent notice, approving one twice).
	ErrState = errors.New("not allowed in the notice's state")
	// ErrInvalid is bad input: an empty subject or body, no reference for
	// a manual filing.
	ErrInvalid = errors.New("invalid notice input")
)

// IncompleteError refuses to approve a notice that still holds
// "[to be completed: …]" placeholders (its Missing list).
type IncompleteError struct {
	NoticeID int64
	// Labels are the missing elements' labels in the notice's language.
	Labels []string
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("notice %d still has elements to complete: %s; complete them "+
		"(GDPR Art. 33(4) allows \"to follow in a later notice\")", e.NoticeID,
		strings.Join(e.Labels, ", "))
}

// Obligations is the part of internal/obligation the service uses; an
// *obligation.Service is one.
type Obligations interface {
	// Get returns an incident's obligation record by key (its
	// regulation.Key string), or store.ErrNotFound.
	Get(ctx context.Context, incidentID int64, key string) (*store.ObligationRecord, error)
	// Transition changes the obligation's record with fn inside tx, stores
	// it there and audits a change of state.
	Transition(ctx context.Context, tx store.Tx, incidentID int64, key string,
		fn func(*regulation.Record) error) (*store.ObligationRecord, error)
}

// Config configures a Service. Store, Catalog, Obligations, Blobs and
// Audit are required.
type Config struct {
	Store       store.Store
	Catalog     *regulation.Catalog
	Obligations Obligations
	// Blobs keeps the proof files of deliveries (evidence content).
	Blobs evidence.Blobs
	Audit *audit.Log
	// Provider is the provider's name as notices are signed; Contact the
	// contact point they give (name, e-mail, telephone). Empty: the draft
	// shows a placeholder to complete.
	Provider string
	Contact  string
	// SuggestedActions are the actions every notice recommends to the
	// customer; empty: a placeholder to complete.
	SuggestedActions []string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default discard.
	Logger *slog.Logger
}

// Service drafts, approves, sends and acknowledges notices. It is safe for
// concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Obligations == nil || cfg.Blobs == nil ||
		cfg.Audit == nil {
		return nil, errors.New("notice: Config.Store, Catalog, Obligations, Blobs and Audit " +
			"are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// Actor is who asks for a step: the audit actor ("user:ana") and the
// roles that decide what the obligation's record accepts.
type Actor struct {
	ID    string
	Roles []string
}

// regActor returns the actor as the record knows it, with role legal when
// it holds it.
func (a Actor) regActor() regulation.Actor {
	r := regulation.Actor{ID: a.ID}
	if slices.Contains(a.Roles, regulation.RoleLegal) {
		r.Role = regulation.RoleLegal
	} else if len(a.Roles) > 0 {
		r.Role = a.Roles[0]
	}
	return r
}

// now returns the clock's time in UTC to the microsecond.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// record appends an audit entry about notice n in tx.
func (s *Service) record(ctx context.Context, tx store.Tx, by string, action audit.Action,
	n *store.Notice, details map[string]any) error {
	details["incident_id"] = n.IncidentID
	details["obligation_key"] = n.ObligationKey
	details["version"] = n.Version
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	return s.cfg.Audit.RecordIn(ctx, tx, audit.Entry{Actor: by, Action: action,
		ObjectType: "notice", ObjectID: strconv.FormatInt(n.ID, 10), Tenant: n.Tenant,
		Time: s.cfg.Now(), Details: raw})
}

// Draft drafts the notice of an incident's obligation in lang (empty: the
// tenant's own language when the catalog has a template in it, else that
// of its jurisdiction, else English; see language) and moves the
// record to drafted. An obligation that has a notice already gives
// store.ErrDuplicate; a record that is not pending a
// *regulation.TransitionError.
func (s *Service) Draft(ctx context.Context, by Actor, incidentID int64, key,
	lang string) (*store.Notice, error) {
	ob, err := s.cfg.Obligations.Get(ctx, incidentID, key)
	if err != nil {
		return nil, fmt.Errorf("draft notice for %s: %w", key, err)
	}
	if ob.Withdrawn {
		return nil, fmt.Errorf("draft notice for %s: the obligation was withdrawn: %w", key,
			ErrState)
	}
	d, err := s.compose(ctx, ob, incidentID, lang)
	if err != nil {
		return nil, fmt.Errorf("draft notice for %s: %w", key, err)
	}
	now := s.now()
	n := &store.Notice{IncidentID: incidentID, ObligationKey: key, Tenant: ob.Obligation.Key.Tenant,
		Party: ob.Obligation.Recipient.Party,
		Lang:  d.Lang, Subject: d.Subject, Body: d.Body, Missing: d.Missing,
		State: store.NoticeDraft, Exercise: ob.Exercise, CreatedBy: by.ID, Created: now,
		BasisDeadline: ob.Record.Deadline, BasisStatus: string(ob.Obligation.Status)}
	if n.Missing == nil {
		n.Missing = []string{}
	}
	err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.CreateNotice(ctx, n); err != nil {
			return err
		}
		_, err := s.cfg.Obligations.Transition(ctx, tx, incidentID, key,
			func(r *regulation.Record) error {
				out, err := r.Transition(regulation.StateDrafted, by.regActor(), now,
					fmt.Sprintf("notice %d drafted", n.ID))
				*r = out
				return err
			})
		if err != nil {
			return err
		}
		return s.record(ctx, tx, by.ID, audit.NoticeDrafted, n, map[string]any{
			"lang": n.Lang, "template": d.Template, "missing": n.Missing})
	})
	if err != nil {
		return nil, fmt.Errorf("draft notice for %s: %w", key, err)
	}
	return n, nil
}

// compose drafts the text of obligation ob's notice from incident
// incidentID's record as it is now, in lang.
func (s *Service) compose(ctx context.Context, ob *store.ObligationRecord, incidentID int64,
	lang string) (regulation.Draft, error) {
	rec, err := s.cfg.Store.GetIncidentRecord(ctx, incidentID)
	if err != nil {
		return regulation.Draft{}, err
	}
	k := ob.Obligation.Key
	sum, err := s.summary(ctx, rec, k.Tenant)
	if err != nil {
		return regulation.Draft{}, err
	}
	return s.cfg.Catalog.Draft(ob.Obligation, s.language(ctx, k, lang), sum)
}

// Redraft replaces the text of an obligation's unsent notice (a draft or
// an approved one) with a new draft from the incident record and the
// obligation as they are now, in lang (empty: the notice's language). The
// notice goes back to draft at a new version, and its record from
// approved to drafted. An obligation without a notice is drafted as by
// Draft; a sent notice gives ErrState.
func (s *Service) Redraft(ctx context.Context, by Actor, incidentID int64, key,
	lang string) (*store.Notice, error) {
	ns, err := s.cfg.Store.ListNotices(ctx, store.NoticeFilter{IncidentID: incidentID})
	if err != nil {
		return nil, fmt.Errorf("redraft notice for %s: %w", key, err)
	}
	var n *store.Notice
	for i := range ns {
		if ns[i].ObligationKey == key {
			n = &ns[i]
		}
	}
	if n == nil {
		return s.Draft(ctx, by, incidentID, key, lang)
	}
	if n.State == store.NoticeSent {
		return nil, fmt.Errorf("redraft notice for %s: notice %d was sent already at %s; "+
			"a sent notice is never replaced: %w", key, n.ID,
			n.Sent.UTC().Format("2006-01-02 15:04:05 UTC"), ErrState)
	}
	ob, err := s.cfg.Obligations.Get(ctx, incidentID, key)
	if err != nil {
		return nil, fmt.Errorf("redraft notice for %s: %w", key, err)
	}
	if ob.Withdrawn {
		return nil, fmt.Errorf("redraft notice for %s: the obligation was withdrawn: %w", key,
			ErrState)
	}
	if lang == "" {
		lang = n.Lang
	}
	d, err := s.compose(ctx, ob, incidentID, lang)
	if err != nil {
		return nil, fmt.Errorf("redraft notice for %s: %w", key, err)
	}
	now, reopened := s.now(), n.State == store.NoticeApproved
	n.Lang, n.Subject, n.Body, n.Missing, n.UpdatedBy = d.Lang, d.Subject, d.Body, d.Missing,
		by.ID
	if n.Missing == nil {
		n.Missing = []string{}
	}
	n.BasisDeadline, n.BasisStatus = ob.Record.Deadline, string(ob.Obligation.Status)
	n.State, n.ApprovedBy, n.Approved = store.NoticeDraft, "", time.Time{}
	err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.UpdateNotice(ctx, n); err != nil {
			return err
		}
		if reopened {
			_, err := s.cfg.Obligations.Transition(ctx, tx, incidentID, key,
				func(r *regulation.Record) error {
					out, err := r.Transition(regulation.StateDrafted, by.regActor(), now,
						fmt.Sprintf("notice %d redrafted after approval", n.ID))
					*r = out
					return err
				})
			if err != nil {
				return err
			}
		}
		return s.record(ctx, tx, by.ID, audit.NoticeDrafted, n, map[string]any{
			"lang": n.Lang, "template": d.Template, "missing": n.Missing, "replaced": true,
			"reopened": reopened})
	})
	if err != nil {
		return nil, fmt.Errorf("redraft notice for %s: %w", key, err)
	}
	s.log.Info("notice redrafted", "incident_id", incidentID, "notice_id", n.ID)
	return s.Get(ctx, incidentID, n.ID)
}

// Stale reports whether notice n was drafted or last edited before its
// obligation ob's deadline or status changed: its text may be out of date.
// A sent notice, or one whose basis is not known, is never stale.
func Stale(n *store.Notice, ob *store.ObligationRecord) bool {
	if n.State == store.NoticeSent || n.BasisStatus == "" || ob == nil {
		return false
	}
	return !n.BasisDeadline.Equal(ob.Record.Deadline) ||
		n.BasisStatus != string(ob.Obligation.Status)
}

// Get returns one notice of an incident (another incident's gives
// store.ErrNotFound).
func (s *Service) Get(ctx context.Context, incidentID, id int64) (*store.Notice, error) {
	n, err := s.cfg.Store.GetNotice(ctx, id)
	if err != nil {
		return nil, err
	}
	if n.IncidentID != incidentID {
		return nil, fmt.Errorf("get notice %d: %w", id, store.ErrNotFound)
	}
	return n, nil
}

// List returns an incident's notices, by ID.
func (s *Service) List(ctx context.Context, incidentID int64) ([]store.Notice, error) {
	return s.cfg.Store.ListNotices(ctx, store.NoticeFilter{IncidentID: incidentID})
}

// Edit replaces a notice's subject and body at version (a stale one gives
// a *store.ConflictError). Editing an approved notice sends it, and its
// record, back to draft: it must be approved again. A sent notice gives
// ErrState.
func (s *Service) Edit(ctx context.Context, by Actor, incidentID, id, version int64,
	subject, body string) (*store.Notice, error) {
	subject, body = strings.TrimSpace(subject), strings.TrimSpace(body)+"\n"
	switch {
	case subject == "":
		return nil, fmt.Errorf("edit notice %d: subject: empty: %w", id, ErrInvalid)
	case strings.ContainsAny(subject, "\r\n"):
		return nil, fmt.Errorf("edit notice %d: subject: holds a line break: %w", id,
			ErrInvalid)
	case strings.TrimSpace(body) == "":
		return nil, fmt.Errorf("edit notice %d: body: empty: %w", id, ErrInvalid)
	}
	n, err := s.Get(ctx, incidentID, id)
	if err != nil {
		return nil, fmt.Errorf("edit notice %d: %w", id, err)
	}
	if n.State == store.NoticeSent {
		return nil, fmt.Errorf("edit notice %d: it was sent: %w", id, ErrState)
	}
	if ob, err := s.cfg.Obligations.Get(ctx, incidentID, n.ObligationKey); err == nil {
		// The editor saw the obligation as it is now.
		n.BasisDeadline, n.BasisStatus = ob.Record.Deadline, string(ob.Obligation.Status)
	}
	now, reopened := s.now(), n.State == store.NoticeApproved
	n.Version, n.Subject, n.Body, n.UpdatedBy = version, subject, body, by.ID
	n.Missing = regulation.Unfilled(n.Lang, n.Missing, subject+"\n"+body)
	if reopened {
		n.State, n.ApprovedBy, n.Approved = store.NoticeDraft, "", time.Time{}
	}
	err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.UpdateNotice(ctx, n); err != nil {
			return err
		}
		if reopened {
			_, err := s.cfg.Obligations.Transition(ctx, tx, incidentID, n.ObligationKey,
				func(r *regulation.Record) error {
					out, err := r.Transition(regulation.StateDrafted, by.regActor(), now,
						fmt.Sprintf("notice %d edited after approval", n.ID))
					*r = out
					return err
				})
			if err != nil {
				return err
			}
		}
		return s.record(ctx, tx, by.ID, audit.NoticeEdited, n, map[string]any{
			"reopened": reopened, "content_hash": store.ContentHash(n.Subject, n.Body)})
	})
	if err != nil {
		return nil, fmt.Errorf("edit notice %d: %w", id, err)
	}
	return s.Get(ctx, incidentID, id)
}

// Approve approves a draft notice; by must hold the legal role (the record
// refuses others with a *regulation.TransitionError). A notice that is not
// a draft gives ErrState.
func (s *Service) Approve(ctx context.Context, by Actor, incidentID, id int64) (
	*store.Notice, error) {
	n, err := s.Get(ctx, incidentID, id)
	if err != nil {
		return nil, fmt.Errorf("approve notice %d: %w", id, err)
	}
	if n.State != store.NoticeDraft {
		return nil, fmt.Errorf("approve notice %d: it is %s, not a draft: %w", id, n.State,
			ErrState)
	}
	if len(n.Missing) > 0 {
		labels := make([]string, 0, len(n.Missing))
		for _, name := range n.Missing {
			labels = append(labels, regulation.ElementLabel(name, n.Lang))
		}
		return nil, &IncompleteError{NoticeID: id, Labels: labels}
	}
	now := s.now()
	n.State, n.ApprovedBy, n.Approved = store.NoticeApproved, by.ID, now
	err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.UpdateNotice(ctx, n); err != nil {
			return err
		}
		_, err := s.cfg.Obligations.Transition(ctx, tx, incidentID, n.ObligationKey,
			func(r *regulation.Record) error {
				out, err := r.Transition(regulation.StateApproved, by.regActor(), now,
					fmt.Sprintf("notice %d approved", n.ID))
				*r = out
				return err
			})
		if err != nil {
			return err
		}
		return s.record(ctx, tx, by.ID, audit.NoticeApproved, n, map[string]any{
			"content_hash": store.ContentHash(n.Subject, n.Body)})
	})
	if err != nil {
		return nil, fmt.Errorf("approve notice %d: %w", id, err)
	}
	return s.Get(ctx, incidentID, id)
}

// Send sends an approved notice. A notice to a tenant is queued in the outbox
// to each designated contact through the contact's preferred channel
// (e-mail, or the contact's signed webhook; a contact who prefers the
// telephone or the portal gets e-mail when it has an address) and copied
// to the tenant portal; a notice to an authority or to data subjects is
// filed by hand, and reference (required then) says where. The record
// moves to sent at the send time, all in one transaction. A notice about
// an exercise's incident gives ErrExercise and queues nothing; one that is
// not approved gives ErrState.
func (s *Service) Send(ctx context.Context, by Actor, incidentID, id int64,
	reference string) (*store.Notice, error) {
	n, err := s.Get(ctx, incidentID, id)
	if err != nil {
		return nil, fmt.Errorf("send notice %d: %w", id, err)
	}
	exercise, err := s.exercise(ctx, incidentID)
	if err != nil {
		return nil, fmt.Errorf("send notice %d: %w", id, err)
	}
	if exercise || n.Exercise {
		return nil, fmt.Errorf("send notice %d: %w", id, ErrExercise)
	}
	switch n.State {
	case store.NoticeApproved:
	case store.NoticeSent:
		return nil, fmt.Errorf("send notice %d: notice %d was sent already at %s: %w", id, id,
			n.Sent.UTC().Format("2006-01-02 15:04:05 UTC"), ErrState)
	default:
		return nil, fmt.Errorf("send notice %d: it is %s; legal approves it first: %w", id,
			n.State, ErrState)
	}
	reference = strings.TrimSpace(reference)
	toTenant := n.Party == regulation.PartyTenant && n.Tenant != ""
	if !toTenant && reference == "" {
		return nil, fmt.Errorf("send notice %d: reference: a notice to an authority or to "+
			"data subjects is filed by hand; say where (a case number, a receipt): %w", id,
			ErrInvalid)
	}
	var contacts []scope.Contact
	if toTenant {
		if contacts, err = s.cfg.Store.ListContacts(ctx,
			store.ContactFilter{Tenant: n.Tenant}); err != nil {
			return nil, fmt.Errorf("send notice %d: %w", id, err)
		}
	}
	now := s.now()
	hash := store.ContentHash(n.Subject, n.Body)
	n.State, n.SentBy, n.Sent, n.ContentHash, n.Reference = store.NoticeSent, by.ID, now, hash,
		reference
	err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.UpdateNotice(ctx, n); err != nil {
			return err
		}
		ds, err := s.deliver(ctx, tx, n, toTenant, contacts, now)
		if err != nil {
			return err
		}
		_, err = s.cfg.Obligations.Transition(ctx, tx, incidentID, n.ObligationKey,
			func(r *regulation.Record) error {
				out, err := r.Transition(regulation.StateSent, by.regActor(), now,
					fmt.Sprintf("notice %d sent (%d deliveries)", n.ID, len(ds)))
				*r = out
				return err
			})
		if err != nil {
			return err
		}
		var channels []string
		for _, d := range ds {
			channels = append(channels, d.Channel+":"+d.Recipient)
		}
		return s.record(ctx, tx, by.ID, audit.NoticeSent, n, map[string]any{
			"content_hash": hash, "deliveries": channels, "reference": reference})
	})
	if err != nil {
		return nil, fmt.Errorf("send notice %d: %w", id, err)
	}
	s.log.Info("notice sent", "incident_id", incidentID, "notice_id", id, "tenant_id",
		n.Tenant)
	return s.Get(ctx, incidentID, id)
}

// exercise reports whether the incident is an exercise's.
func (s *Service) exercise(ctx context.Context, incidentID int64) (bool, error) {
	marks, err := s.cfg.Store.ExerciseMarks(ctx, store.MarkIncident, []int64{incidentID})
	if err != nil {
		return false, err
	}
	return marks[incidentID] != 0, nil
}

// deliver stores the deliveries of a notice being sent at now in tx: an
// outbox entry per contact, the portal copy, or the manual filing; the
// portal copy and the filing are delivered at once, with their proof.
func (s *Service) deliver(ctx context.Context, tx store.Tx, n *store.Notice, toTenant bool,
	contacts []scope.Contact, now time.Time) ([]store.NoticeDelivery, error) {
	var out []store.NoticeDelivery
	for _, c := range contacts {
		ch, to := notify.ChannelEmail, c.Email
		if c.Channel == scope.ChannelWebhook && c.WebhookURL != "" {
			ch, to = notify.ChannelWebhook, notify.ContactPrefix+strconv.FormatInt(c.ID, 10)
		}
		if to == "" {
			continue // a telephone-only or portal-only contact reads the portal copy
		}
		o := &notify.Notification{Key: fmt.Sprintf("notice:%d:%s:%s", n.ID, ch, to),
			Channel: ch, Recipient: to, Subject: n.Subject, Body: n.Body,
			IncidentID: n.IncidentID, Trigger: notify.TriggerNotice, Created: now,
			Reason: fmt.Sprintf("notice for %s to contact %s of tenant %s", n.ObligationKey,
				c.Name, n.Tenant)}
		if _, err := tx.EnqueueNotification(ctx, o); err != nil {
			return nil, err
		}
		d := store.NoticeDelivery{NoticeID: n.ID, ContactID: c.ID, Channel: string(ch),
			Recipient: to, NotificationID: o.ID, State: store.DeliveryQueued,
			ContentHash: n.ContentHash}
		if ch == notify.ChannelWebhook {
			d.Recipient = c.WebhookURL
		}
		if err := tx.AddNoticeDelivery(ctx, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	d := store.NoticeDelivery{NoticeID: n.ID, Channel: store.DeliveryPortal,
		Recipient: "tenant " + n.Tenant, State: store.DeliverySent,
		MessageID: fmt.Sprintf("notice:%d:portal", n.ID), Delivered: now,
		ContentHash: n.ContentHash}
	if !toTenant {
		d.Channel, d.Recipient, d.MessageID = store.DeliveryManual, n.Party, n.Reference
	}
	if err := tx.AddNoticeDelivery(ctx, &d); err != nil {
		return nil, err
	}
	if err := s.prove(ctx, tx, n, &d, n.SentBy); err != nil {
		return nil, err
	}
	return append(out, d), nil
}
