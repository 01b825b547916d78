package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// State is where a notification is in its delivery.
type State string

// The states of a notification. Pending and Failed ones are due at their
// NextAttempt; Sent and Dead ones are final until a manual retry.
const (
	// StatePending: stored, not yet attempted (or retried by hand).
	StatePending State = "pending"
	// StateSent: a channel accepted it (SMTP 250 after DATA, webhook 2xx).
	StateSent State = "sent"
	// StateFailed: the last attempt failed; another follows at NextAttempt.
	StateFailed State = "failed"
	// StateDead: MaxAttempts failed; only a manual retry sends it again.
	StateDead State = "dead"
)

// States lists every state.
func States() []State { return []State{StatePending, StateSent, StateFailed, StateDead} }

// Channel is how a notification travels.
type Channel string

// The channels.
const (
	// ChannelEmail: Recipient is an e-mail address.
	ChannelEmail Channel = "email"
	// ChannelWebhook: Recipient is the decimal ID of a Webhook.
	ChannelWebhook Channel = "webhook"
)

// Channels lists every channel.
func Channels() []Channel { return []Channel{ChannelEmail, ChannelWebhook} }

// Trigger names why a notification was made.
type Trigger string

// The triggers of the Dispatcher.
const (
	// TriggerEngaged: a member was engaged on an incident's response team.
	TriggerEngaged Trigger = "engaged"
	// TriggerAssigned: an alert or a task was assigned to someone.
	TriggerAssigned Trigger = "assigned"
	// TriggerApproval: executives are asked to approve a step.
	TriggerApproval Trigger = "approval_requested"
	// TriggerPhase: an incident of severity 0–1 changed phase.
	TriggerPhase Trigger = "phase_changed"
	// TriggerUpdate: the periodic update to executives.
	TriggerUpdate Trigger = "executive_update"
	// TriggerTest: a test message sent by hand.
	TriggerTest Trigger = "test"
	// TriggerReminder: a reminder of the preparation program (training
	// due, findings overdue; internal/readiness).
	TriggerReminder Trigger = "reminder"
	// TriggerNotice: a regulatory notice to a tenant's designated contact
	// (internal/notice). It is not in Triggers: the webhooks of staff do
	// not receive tenant notices.
	TriggerNotice Trigger = "tenant_notice"
)

// Triggers lists every trigger.
func Triggers() []Trigger {
	return []Trigger{TriggerEngaged, TriggerAssigned, TriggerApproval, TriggerPhase,
		TriggerUpdate, TriggerTest, TriggerReminder}
}

// Notification is one message to one recipient over one channel, as the
// outbox keeps it. Times are UTC, kept to the microsecond.
type Notification struct {
	ID int64 `json:"id"`
	// Key is the idempotency key: enqueueing a second notification with the
	// same key stores nothing. It is sent with every attempt (Message-ID,
	// X-Vigil-Delivery) so that receivers can drop duplicates.
	Key        string    `json:"key"`
	Channel    Channel   `json:"channel"`
	Recipient  string    `json:"recipient"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	IncidentID int64     `json:"incident_id,omitempty"` // 0: none
	Trigger    Trigger   `json:"trigger"`
	Reason     string    `json:"reason"`
	Created    time.Time `json:"created"`
	State      State     `json:"state"`
	// Attempts counts the attempts of the current round; a manual retry
	// starts a new round from zero (the delivery log keeps every attempt).
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"` // zero once sent or dead
	LastError   string    `json:"last_error,omitempty"`
	Updated     time.Time `json:"updated"`
	// Deliveries is the log of every attempt, oldest first.
	Deliveries []Delivery `json:"deliveries"`
}

// Delivery is one attempt to deliver a notification.
type Delivery struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	OK         bool      `json:"ok"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

// Check reports what makes n unstorable: an unknown channel or trigger, or an
// empty key, recipient or subject.
func (n *Notification) Check() error {
	switch {
	case n.Key == "":
		return errors.New("notification: empty key")
	case n.Channel != ChannelEmail && n.Channel != ChannelWebhook:
		return fmt.Errorf("notification %s: unknown channel %q", n.Key, n.Channel)
	case n.Recipient == "":
		return fmt.Errorf("notification %s: empty recipient", n.Key)
	case n.Subject == "":
		return fmt.Errorf("notification %s: empty subject", n.Key)
	case n.Trigger == "":
		return fmt.Errorf("notification %s: empty trigger", n.Key)
	}
	return nil
}

// Secret is a password or signing key. It prints, logs and marshals as
// "[redacted]"; Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (s Secret) GoString() string { return redacted }

// LogValue returns "[redacted]", for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// Webhook is an endpoint that receives signed notifications. Triggers
// selects what it receives; empty means every trigger.
type Webhook struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	Secret    Secret    `json:"-"`
	Triggers  []Trigger `json:"triggers"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
}

// Wants reports whether the webhook receives notifications of trigger t.
func (w *Webhook) Wants(t Trigger) bool {
	if len(w.Triggers) == 0 {
		return true
	}
	for _, x := range w.Triggers {
		if x == t {
			return true
		}
	}
	return false
}
