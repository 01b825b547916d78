package notice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// Proof is the JSON file kept as evidence for each delivered notice: what
// was delivered (the content hash of subject and body), to whom, through
// which channel, when, and the message ID the receiver saw.
type Proof struct {
	Kind           string    `json:"kind"` // "vigil.notice-delivery"
	NoticeID       int64     `json:"notice_id"`
	DeliveryID     int64     `json:"delivery_id"`
	IncidentID     int64     `json:"incident_id"`
	ObligationKey  string    `json:"obligation_key"`
	Tenant         string    `json:"tenant,omitempty"`
	Channel        string    `json:"channel"`
	Recipient      string    `json:"recipient"`
	MessageID      string    `json:"message_id"`
	NotificationID int64     `json:"notification_id,omitempty"`
	Attempts       int       `json:"attempts,omitempty"`
	DeliveredAt    time.Time `json:"delivered_at"`
	Subject        string    `json:"subject"`
	ContentHash    string    `json:"content_hash"`
}

// ProofKind is Proof.Kind.
const ProofKind = "vigil.notice-delivery"

// prove keeps the proof of delivery d of notice n as evidence of the
// incident, acquired by actor, and records notice.delivered, in tx; it
// sets d.EvidenceID and saves d.
func (s *Service) prove(ctx context.Context, tx store.Tx, n *store.Notice,
	d *store.NoticeDelivery, actor string) error {
	p := Proof{Kind: ProofKind, NoticeID: n.ID, DeliveryID: d.ID, IncidentID: n.IncidentID,
		ObligationKey: n.ObligationKey, Tenant: n.Tenant, Channel: d.Channel,
		Recipient: d.Recipient, MessageID: d.MessageID, NotificationID: d.NotificationID,
		Attempts: d.Attempts, DeliveredAt: d.Delivered, Subject: n.Subject,
		ContentHash: d.ContentHash}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	sha, size, err := s.cfg.Blobs.Put(ctx, bytes.NewReader(b), 0)
	if err != nil {
		return fmt.Errorf("keep proof of delivery %d: %w", d.ID, err)
	}
	now := s.now()
	e := &evidence.Evidence{IncidentID: n.IncidentID, SHA256: sha, Size: size,
		MediaType: "application/json",
		FileName:  fmt.Sprintf("notice-%d-delivery-%d.json", n.ID, d.ID),
		Description: fmt.Sprintf("Proof of delivery of notice %d (%s) by %s to %s",
			n.ID, n.ObligationKey, d.Channel, d.Recipient),
		AcquiredBy: actor, AcquiredAt: now, AcquiredFrom: "vigil:notices"}
	details, err := json.Marshal(map[string]any{"notice_id": n.ID, "delivery_id": d.ID})
	if err != nil {
		return err
	}
	first := &evidence.Custody{Action: evidence.Acquired, By: actor, At: now,
		Reason: "proof of delivery of a notice", Details: details}
	if err := tx.AddEvidence(ctx, e, first); err != nil {
		return err
	}
	d.EvidenceID = e.ID
	if err := tx.UpdateNoticeDelivery(ctx, d); err != nil {
		return err
	}
	ev, err := json.Marshal(map[string]any{"incident_id": n.IncidentID, "sha256": sha,
		"size": size, "file_name": e.FileName, "media_type": e.MediaType,
		"source": e.AcquiredFrom})
	if err != nil {
		return err
	}
	err = s.cfg.Audit.RecordIn(ctx, tx, audit.Entry{Actor: actor, Action: audit.EvidenceAdded,
		ObjectType: "evidence", ObjectID: strconv.FormatInt(e.ID, 10), Time: s.cfg.Now(),
		Details: ev})
	if err != nil {
		return err
	}
	return s.record(ctx, tx, actor, audit.NoticeDelivered, n, map[string]any{
		"delivery_id": d.ID, "channel": d.Channel, "recipient": d.Recipient,
		"message_id": d.MessageID, "delivered_at": d.Delivered, "content_hash": d.ContentHash,
		"evidence_id": e.ID})
}

// Observer returns the notify.Observer that keeps the outcome of each
// attempt on a notice's delivery: its state, attempts and last error, and
// once sent the proof of delivery as evidence. Set it as the outbox
// Worker's Observer; it ignores notifications that are not notices.
func (s *Service) Observer() notify.Observer { return observer{s} }

type observer struct{ s *Service }

// Attempted updates the delivery of notification n in tx (a store.Tx).
func (o observer) Attempted(ctx context.Context, ntx notify.Tx, n *notify.Notification,
	a notify.Attempt) error {
	if n.Trigger != notify.TriggerNotice {
		return nil
	}
	tx, ok := ntx.(store.Tx)
	if !ok {
		return fmt.Errorf("notice delivery of notification %d: the transaction is not a "+
			"store.Tx", n.ID)
	}
	d, err := o.s.cfg.Store.NoticeDeliveryOf(ctx, n.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // queued by hand, not by Send
	} else if err != nil {
		return err
	}
	d.Attempts, d.LastError = a.Attempts, a.Delivery.Error
	switch a.State {
	case notify.StateSent:
		d.State, d.MessageID, d.Delivered = store.DeliverySent, a.MessageID, a.Delivery.At
		if d.MessageID == "" {
			d.MessageID = n.Key
		}
	case notify.StateDead:
		d.State = store.DeliveryDead
	default:
		d.State = store.DeliveryFailed
	}
	if err := tx.UpdateNoticeDelivery(ctx, d); err != nil {
		return err
	}
	if a.State == notify.StateDead {
		return o.s.warnUndelivered(ctx, tx, n, d)
	}
	if a.State != notify.StateSent {
		return nil
	}
	nt, err := o.s.cfg.Store.GetNotice(ctx, d.NoticeID)
	if err != nil {
		return err
	}
	return o.s.prove(ctx, tx, nt, d, audit.SystemActor)
}

// warnUndelivered queues, in tx, an e-mail to each communications user
// (staff with an address) saying that delivery d of a notice ended dead;
// its key, notice-undelivered:<notice>:<delivery>, makes it once per
// delivery and person however often the delivery dies again.
func (s *Service) warnUndelivered(ctx context.Context, tx store.Tx, o *notify.Notification,
	d *store.NoticeDelivery) error {
	nt, err := s.cfg.Store.GetNotice(ctx, d.NoticeID)
	if err != nil {
		return err
	}
	users, err := s.cfg.Store.ListUsers(ctx, store.UserFilter{})
	if err != nil {
		return err
	}
	key := fmt.Sprintf("notice-undelivered:%d:%d", nt.ID, d.ID)
	subject := fmt.Sprintf("Notice %d to tenant %s was not delivered", nt.ID, nt.Tenant)
	body := fmt.Sprintf("The %s delivery of notice %d (%s) to %s failed for good after %d "+
		"attempts: %s\n\nThe tenant may not have it: reach the tenant another way, fix the "+
		"contact, and retry the delivery (POST /api/v1/notifications/%d/retry).\n",
		d.Channel, nt.ID, nt.ObligationKey, d.Recipient, d.Attempts, d.LastError, o.ID)
	queued := 0
	for _, u := range users {
		if u.Disabled || u.Tenant != "" || u.Email == "" ||
			!slices.Contains(u.Roles, auth.RoleCommunications) {
			continue
		}
		w := &notify.Notification{Key: key + ":email:" + u.Email, Channel: notify.ChannelEmail,
			Recipient: u.Email, Subject: subject, Body: body, IncidentID: nt.IncidentID,
			Trigger: notify.TriggerReminder, Created: s.now(),
			Reason: "undelivered notice to communications user " + u.Name}
		if _, err := tx.EnqueueNotification(ctx, w); err != nil {
			return err
		}
		queued++
	}
	s.log.Warn("notice delivery dead", "incident_id", nt.IncidentID, "notice_id", nt.ID,
		"delivery_id", d.ID, "warned", queued)
	return nil
}

// Acknowledge records that a tenant's administrator acknowledged a sent
// notice of tenant and moves the record to acknowledged. A notice of
// another tenant gives store.ErrNotFound, one not sent yet ErrState; a
// second acknowledgement returns the notice as it is (acknowledged says
// whether this call recorded it).
func (s *Service) Acknowledge(ctx context.Context, by Actor, tenant string, id int64) (
	n *store.Notice, acknowledged bool, err error) {
	n, err = s.cfg.Store.GetNotice(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("acknowledge notice %d: %w", id, err)
	}
	if tenant == "" || n.Tenant != tenant || !InPortal(n) {
		return nil, false, fmt.Errorf("acknowledge notice %d: %w", id, store.ErrNotFound)
	}
	if n.AcknowledgedBy != "" {
		return n, false, nil
	}
	now := s.now()
	err = s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
		if err := tx.AcknowledgeNotice(ctx, id, by.ID, now); err != nil {
			return err
		}
		_, err := s.cfg.Obligations.Transition(ctx, tx, n.IncidentID, n.ObligationKey,
			func(r *regulation.Record) error {
				out, err := r.Transition(regulation.StateAcknowledged, by.regActor(), now,
					fmt.Sprintf("notice %d acknowledged", id))
				*r = out
				return err
			})
		if err != nil {
			return err
		}
		return s.record(ctx, tx, by.ID, audit.NoticeAcknowledged, n, map[string]any{
			"acknowledged_at": now})
	})
	if errors.Is(err, store.ErrDuplicate) {
		n, err = s.cfg.Store.GetNotice(ctx, id)
		return n, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("acknowledge notice %d: %w", id, err)
	}
	n, err = s.cfg.Store.GetNotice(ctx, id)
	return n, err == nil, err
}

// Portal returns the notices in the portal of tenant, by ID ("": every
// tenant's, for staff).
func (s *Service) Portal(ctx context.Context, tenant string) ([]store.Notice, error) {
	ns, err := s.cfg.Store.ListNotices(ctx, store.NoticeFilter{Tenant: tenant,
		State: store.NoticeSent})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ns, func(n store.Notice) bool { return !InPortal(&n) }), nil
}

// InPortal reports whether n shows in its tenant's portal: it was sent to
// the tenant.
func InPortal(n *store.Notice) bool {
	return n.State == store.NoticeSent && n.Tenant != "" && n.Party == regulation.PartyTenant
}
