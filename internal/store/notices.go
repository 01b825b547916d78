package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Notices keeps the notices drafted for the obligations of incidents, their
// deliveries with the proof of each, and the tenants' acknowledgements
// (internal/notice; docs/notifications.md "Notices to tenants"). Notices
// are kept whole as JSON documents beside the columns that are looked up;
// nothing is ever deleted. Their writes are in Tx.
type Notices interface {
	// GetNotice returns one notice with its deliveries (by ID) and its
	// acknowledgement, or ErrNotFound.
	GetNotice(ctx context.Context, id int64) (*Notice, error)
	// ListNotices returns the notices f selects, by ID, with their
	// deliveries and acknowledgements.
	ListNotices(ctx context.Context, f NoticeFilter) ([]Notice, error)
	// NoticeDeliveryOf returns the delivery made through the outbox
	// notification notificationID, or ErrNotFound when there is none.
	NoticeDeliveryOf(ctx context.Context, notificationID int64) (*NoticeDelivery, error)
}

// NoticeFilter selects notices; zero fields select everything.
type NoticeFilter struct {
	IncidentID int64
	// Tenant keeps one tenant's notices ("" keeps all).
	Tenant string
	// State keeps the notices in one state.
	State NoticeState
}

// NoticeState is where a notice stands: draft, approved (by legal), sent.
type NoticeState string

// Notice states.
const (
	NoticeDraft    NoticeState = "draft"
	NoticeApproved NoticeState = "approved"
	NoticeSent     NoticeState = "sent"
)

// Notice is the text that answers one obligation of an incident: to a
// tenant, or to an authority or data subjects (the provider, or the tenant
// whose obligation it is, files it by hand). Tenant is the obligation's
// tenant, empty for one per incident. Times are UTC, kept to the microsecond.
// Version counts stored changes, from 1.
type Notice struct {
	ID            int64  `json:"id"`
	IncidentID    int64  `json:"incident_id"`
	ObligationKey string `json:"obligation_key"`
	Tenant        string `json:"tenant"`
	// Party is who the notice is addressed to (regulation.Recipient.Party):
	// "tenant" for a notice delivered to the tenant's contacts and portal;
	// "authority" or "data-subjects" for one filed by hand.
	Party   string `json:"party"`
	Lang    string `json:"lang"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Missing are the content elements the draft could not fill from the
	// incident record (regulation.Draft.Missing), as drafted.
	Missing  []string    `json:"missing"`
	State    NoticeState `json:"state"`
	Version  int64       `json:"version"`
	Exercise bool        `json:"exercise"`

	CreatedBy  string    `json:"created_by"`
	Created    time.Time `json:"created_at"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
	Updated    time.Time `json:"updated_at"`
	ApprovedBy string    `json:"approved_by,omitempty"`
	Approved   time.Time `json:"approved_at,omitzero"`
	SentBy     string    `json:"sent_by,omitempty"`
	Sent       time.Time `json:"sent_at,omitzero"`
	// ContentHash is ContentHash(Subject, Body) of the text sent; empty
	// before sending.
	ContentHash string `json:"content_hash,omitempty"`
	// Reference is what the sender typed for a manual filing (the
	// authority's case number, say).
	Reference string `json:"reference,omitempty"`
	// BasisDeadline and BasisStatus are the obligation's deadline and
	// status when the notice was last drafted or edited: a notice whose
	// obligation changed since is stale (its text may say so). Empty
	// BasisStatus: not known (notices drafted before it was kept).
	BasisDeadline time.Time `json:"basis_deadline,omitzero"`
	BasisStatus   string    `json:"basis_status,omitempty"`

	// Filled on reads: the deliveries, by ID, and the acknowledgement.
	Deliveries     []NoticeDelivery `json:"deliveries"`
	AcknowledgedBy string           `json:"acknowledged_by,omitempty"`
	Acknowledged   time.Time        `json:"acknowledged_at,omitzero"`
}

// ContentHash returns the hex SHA-256 of a notice's subject and body as
// sent: the subject, a blank line, the body.
func ContentHash(subject, body string) string {
	sum := sha256.Sum256([]byte(subject + "\n\n" + body))
	return hex.EncodeToString(sum[:])
}

// The channels of a notice delivery.
const (
	DeliveryEmail   = "email"
	DeliveryWebhook = "webhook"
	DeliveryPortal  = "portal"
	DeliveryManual  = "manual"
)

// The states of a notice delivery: queued in the outbox, sent (accepted by
// the receiver; the portal copy and a manual filing are sent at once),
// failed (retried by the outbox) or dead (given up; an operator retries).
const (
	DeliveryQueued = "queued"
	DeliverySent   = "sent"
	DeliveryFailed = "failed"
	DeliveryDead   = "dead"
)

// NoticeDelivery is one way a notice went out, with its proof once
// delivered: when, through which channel, the message ID (the SMTP
// Message-ID or the webhook's X-Vigil-Delivery), the hash of the content
// and the evidence that keeps the proof.
type NoticeDelivery struct {
	ID       int64 `json:"id"`
	NoticeID int64 `json:"notice_id"`
	// ContactID is the tenant contact it went to; 0 for the portal copy
	// and manual filings.
	ContactID int64  `json:"contact_id,omitempty"`
	Channel   string `json:"channel"`
	Recipient string `json:"recipient"`
	// NotificationID is the outbox entry of an e-mail or webhook; 0
	// otherwise.
	NotificationID int64     `json:"notification_id,omitempty"`
	State          string    `json:"state"`
	Attempts       int       `json:"attempts"`
	LastError      string    `json:"last_error,omitempty"`
	MessageID      string    `json:"message_id,omitempty"`
	Delivered      time.Time `json:"delivered_at,omitzero"`
	ContentHash    string    `json:"content_hash"`
	EvidenceID     int64     `json:"evidence_id,omitempty"`
}

// Truncate keeps n's times in UTC to the microsecond, as the stores keep
// them (zero times stay zero).
func (n *Notice) Truncate() {
	for _, t := range []*time.Time{&n.Created, &n.Updated, &n.Approved, &n.Sent,
		&n.Acknowledged, &n.BasisDeadline} {
		if !t.IsZero() {
			*t = t.UTC().Truncate(time.Microsecond)
		}
	}
}
