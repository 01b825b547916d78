package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the signature of a webhook post:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>".
const SignatureHeader = "X-Vigil-Signature"

// DeliveryHeader carries the notification's idempotency key: the same on
// every attempt.
const DeliveryHeader = "X-Vigil-Delivery"

// DefaultReplayWindow is how far a signature's time may be from the
// receiver's clock before Verify refuses it.
const DefaultReplayWindow = 5 * time.Minute

// Errors of Verify.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook signature outside the replay window")
)

// Sign returns the SignatureHeader value for body sent at t.
func Sign(secret Secret, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret Secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a SignatureHeader value against body and the secret, and
// that its time is within window of now (DefaultReplayWindow when window is
// zero). It returns ErrBadSignature or ErrStale.
func Verify(secret Secret, header string, body []byte, now time.Time, window time.Duration) error {
	if window <= 0 {
		window = DefaultReplayWindow
	}
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return ErrStale
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// WebhookSource finds a webhook endpoint by ID; the store implements it.
type WebhookSource interface {
	GetWebhook(ctx context.Context, id int64) (*Webhook, error)
}

// WebhookPayload is the JSON body of a webhook post.
type WebhookPayload struct {
	ID         int64     `json:"id"`
	Key        string    `json:"key"`
	Trigger    Trigger   `json:"trigger"`
	IncidentID int64     `json:"incident_id,omitempty"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	Reason     string    `json:"reason"`
	Created    time.Time `json:"created"`
}

// ContactPrefix starts the recipient of a webhook notification that goes to
// a tenant contact's own URL ("contact:42") rather than to a webhook
// endpoint of the webhooks list.
const ContactPrefix = "contact:"

// ContactHookSource resolves a tenant contact's webhook (its URL, and the
// secret that signs the posts to it) by the contact's ID.
type ContactHookSource interface {
	ContactWebhook(ctx context.Context, contactID int64) (*Webhook, error)
}

// WebhookSender posts notifications to webhook endpoints, signed with each
// endpoint's secret. A 2xx answer is a delivery; anything else (a redirect
// included) is retried. It is safe for concurrent use.
type WebhookSender struct {
	hooks    WebhookSource
	contacts ContactHookSource
	client   *http.Client
	now      func() time.Time
}

// WithContacts returns a copy of s that also posts to tenant contacts'
// webhooks (recipients "contact:<id>"), found in src.
func (s *WebhookSender) WithContacts(src ContactHookSource) *WebhookSender {
	c := *s
	c.contacts = src
	return &c
}

// DeliveryID returns what the receiver sees in the X-Vigil-Delivery header:
// n's key.
func (s *WebhookSender) DeliveryID(n *Notification) string { return n.Key }

// NewWebhookSender returns a sender that finds endpoints in hooks. A nil
// client means WebhookClient(false): no redirects, a 30 s timeout, and no
// loopback, private or link-local targets; a nil now means time.Now (the
// signature's time).
func NewWebhookSender(hooks WebhookSource, client *http.Client,
	now func() time.Time) *WebhookSender {
	if client == nil {
		client = WebhookClient(false)
	}
	if now == nil {
		now = time.Now
	}
	return &WebhookSender{hooks: hooks, client: client, now: now}
}

// Send posts n to the webhook whose ID is n.Recipient, or to the contact's
// webhook of a recipient "contact:<id>".
func (s *WebhookSender) Send(ctx context.Context, n *Notification) error {
	if rest, ok := strings.CutPrefix(n.Recipient, ContactPrefix); ok {
		cid, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || s.contacts == nil {
			return fmt.Errorf("webhook: recipient %q: no such contact webhook", n.Recipient)
		}
		h, err := s.contacts.ContactWebhook(ctx, cid)
		if err != nil {
			return fmt.Errorf("webhook of contact %d: %w", cid, err)
		}
		if err := s.post(ctx, h, n); err != nil {
			return fmt.Errorf("webhook of contact %d: %w", cid, err)
		}
		return nil
	}
	id, err := strconv.ParseInt(n.Recipient, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: recipient %q is not a webhook ID", n.Recipient)
	}
	h, err := s.hooks.GetWebhook(ctx, id)
	if err != nil {
		return fmt.Errorf("webhook %d: %w", id, err)
	}
	if err := s.post(ctx, h, n); err != nil {
		return fmt.Errorf("webhook %d: %w", id, err)
	}
	return nil
}

// post signs n and posts it to h.
func (s *WebhookSender) post(ctx context.Context, h *Webhook, n *Notification) error {
	body, err := json.Marshal(WebhookPayload{ID: n.ID, Key: n.Key, Trigger: n.Trigger,
		IncidentID: n.IncidentID, Subject: n.Subject, Body: n.Body, Reason: n.Reason,
		Created: n.Created})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigil-Webhook/1")
	req.Header.Set(SignatureHeader, Sign(h.Secret, s.now(), body))
	req.Header.Set(DeliveryHeader, n.Key)
	req.Header.Set("X-Vigil-Trigger", string(n.Trigger))
	resp, err := s.client.Do(req)
	if err != nil {
		// The URL may carry a token: report the cause without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}
