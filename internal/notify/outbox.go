package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
)

// Outbox is the durable queue that the Worker drains; the store implements
// it (internal/store.Notifications).
type Outbox interface {
	// ClaimNotifications returns up to limit pending or failed
	// notifications whose NextAttempt is not after now, and moves their
	// NextAttempt to leaseUntil, so that no other worker takes them before
	// then. A worker that dies holding a claim leaves it to expire.
	ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) (
		[]Notification, error)
	// RecordAttempt appends d to the delivery log of notification id and
	// sets its state, NextAttempt and LastError, and Attempts to attempts.
	RecordAttempt(ctx context.Context, id int64, d Delivery, state State, attempts int,
		next time.Time) error
}

// Auditor records audit entries through an Appender: a store transaction.
// An *audit.Log is one.
type Auditor interface {
	RecordIn(ctx context.Context, app audit.Appender, e audit.Entry) error
}

// Tx is the part of a store transaction that the Worker writes through, so
// that a notification's last attempt and its notification.dead entry are
// stored together. store.Tx is one.
type Tx interface {
	// RecordAttempt is Outbox's, in the transaction.
	RecordAttempt(ctx context.Context, id int64, d Delivery, state State, attempts int,
		next time.Time) error
	audit.Appender
}

// Transactor runs fn in one store transaction, committing what fn wrote
// when it returns nil and nothing otherwise. store.View[notify.Tx] adapts a
// store.Store.
type Transactor interface {
	Atomically(ctx context.Context, fn func(tx Tx) error) error
}

// Observer hears the outcome of every attempt that a Worker records, in
// the transaction that records it, so that what it writes is kept together
// with the outcome. When it fails, the outcome is recorded without it (the
// message went out and must not be sent again) and the failure is logged
// at Error.
type Observer interface {
	Attempted(ctx context.Context, tx Tx, n *Notification, a Attempt) error
}

// Attempt is the recorded outcome of one delivery attempt.
type Attempt struct {
	Delivery Delivery
	State    State // sent, failed (to be retried) or dead
	Attempts int   // of the current round, this one included
	// MessageID is what the receiver saw as the message's ID (the SMTP
	// Message-ID, the webhook's X-Vigil-Delivery) when the channel's
	// sender is a DeliveryIDer; empty otherwise.
	MessageID string
}

// DeliveryIDer is a Sender that tells the ID its receiver sees for a
// notification. Email and WebhookSender are DeliveryIDers.
type DeliveryIDer interface {
	DeliveryID(n *Notification) string
}

// Retry is the retry policy: the n-th failed attempt (from 1) waits
// Base·2^(n−1), at most Max, spread by ±Jitter (a fraction), before the
// next; after MaxAttempts failures the notification is dead.
type Retry struct {
	MaxAttempts int           // default 8
	Base        time.Duration // default 30 s
	Max         time.Duration // default 1 h
	Jitter      float64       // default 0.2; 0 < Jitter < 1, or negative for none
}

// Defaults of the retry policy and the worker.
const (
	DefaultMaxAttempts = 8
	DefaultBackoffBase = 30 * time.Second
	DefaultBackoffMax  = time.Hour
	DefaultJitter      = 0.2
	DefaultPoll        = time.Second
	DefaultLease       = 2 * time.Minute
	DefaultBatch       = 20
	DefaultSendTimeout = 30 * time.Second
	DefaultUpdateCheck = time.Minute
)

// withDefaults fills the zero fields of r.
func (r Retry) withDefaults() Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.Base <= 0 {
		r.Base = DefaultBackoffBase
	}
	if r.Max <= 0 {
		r.Max = DefaultBackoffMax
	}
	if r.Jitter == 0 {
		r.Jitter = DefaultJitter
	}
	if r.Jitter < 0 || r.Jitter >= 1 {
		r.Jitter = 0
	}
	return r
}

// Backoff returns the wait after the failed attempt n (from 1); rnd is in
// [0, 1).
func (r Retry) Backoff(n int, rnd float64) time.Duration {
	r = r.withDefaults()
	d := r.Base
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
	d = time.Duration(float64(d) * (1 - r.Jitter + 2*r.Jitter*rnd))
	return min(d, r.Max)
}

// WorkerConfig configures a Worker. Outbox and Senders are required.
type WorkerConfig struct {
	Outbox Outbox
	// Senders deliver by channel; a notification of a channel without a
	// sender fails each attempt (and dies), visibly.
	Senders map[Channel]Sender
	// Retry is the retry policy; zero fields take the defaults.
	Retry Retry
	// Audit records notification.dead, in the transaction of the last
	// attempt's outcome; nil: not recorded.
	Audit Auditor
	// Tx runs that transaction. Required with Audit and Observer.
	Tx Transactor
	// Observer, when set, hears every recorded attempt in its transaction
	// (the proof of delivery of tenant notices). Default: none.
	Observer Observer
	// Updates, when set, is asked every UpdateCheck to enqueue the periodic
	// executive updates that are due.
	Updates *Dispatcher
	// UpdateCheck is how often Updates runs. Default DefaultUpdateCheck.
	UpdateCheck time.Duration
	// Logger gets lifecycle and failure lines (never bodies or secrets).
	// Default: discard.
	Logger *slog.Logger
	// Now is the clock for due times; default time.Now.
	Now func() time.Time
	// Rand returns numbers in [0, 1) for the jitter; default math/rand/v2.
	Rand func() float64
	// Poll is how often Run looks for due notifications (real time).
	// Default DefaultPoll.
	Poll time.Duration
	// Lease is how long a claim holds; a send must finish within it.
	// Default DefaultLease.
	Lease time.Duration
	// Batch caps the notifications claimed per poll. Default DefaultBatch.
	Batch int
	// SendTimeout bounds one attempt. Default DefaultSendTimeout, at most
	// Lease.
	SendTimeout time.Duration
}

// Worker drains the outbox. Run it once per process; several processes
// may share one store (claims keep them apart).
type Worker struct {
	cfg WorkerConfig
	log *slog.Logger

	mu          sync.Mutex // guards lastUpdates
	lastUpdates time.Time
}

// NewWorker checks cfg and applies its defaults.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.Outbox == nil {
		return nil, errors.New("notify: WorkerConfig.Outbox is required")
	}
	if (cfg.Audit != nil || cfg.Observer != nil) && cfg.Tx == nil {
		return nil, errors.New("notify: WorkerConfig.Audit and Observer need WorkerConfig.Tx")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	cfg.SendTimeout = min(cfg.SendTimeout, cfg.Lease)
	if cfg.UpdateCheck <= 0 {
		cfg.UpdateCheck = DefaultUpdateCheck
	}
	cfg.Retry = cfg.Retry.withDefaults()
	return &Worker{cfg: cfg, log: cfg.Logger}, nil
}

// Run delivers due notifications every Poll until ctx is done, then returns
// nil once the attempt in flight has ended. A notification whose attempt was
// cut off by ctx keeps its claim and is sent again when the claim expires.
func (w *Worker) Run(ctx context.Context) error {
	w.log.Info("notification worker started")
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("deliver notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			w.log.Info("notification worker stopped")
			return nil
		case <-t.C:
		}
	}
}

// RunOnce enqueues the executive updates when due, then claims the due
// notifications and attempts each once. It reports how many it attempted.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	now := w.cfg.Now()
	if err := w.updates(ctx, now); err != nil {
		w.log.Warn("enqueue executive updates", "err", err)
	}
	due, err := w.cfg.Outbox.ClaimNotifications(ctx, now, now.Add(w.cfg.Lease), w.cfg.Batch)
	if err != nil {
		return 0, fmt.Errorf("claim notifications: %w", err)
	}
	for i := range due {
		if ctx.Err() != nil {
			return i, nil
		}
		if err := w.attempt(ctx, &due[i]); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

// updates runs the executive update schedule at most every UpdateCheck.
func (w *Worker) updates(ctx context.Context, now time.Time) error {
	if w.cfg.Updates == nil {
		return nil
	}
	w.mu.Lock()
	if !w.lastUpdates.IsZero() && now.Sub(w.lastUpdates) < w.cfg.UpdateCheck {
		w.mu.Unlock()
		return nil
	}
	w.lastUpdates = now
	w.mu.Unlock()
	_, err := w.cfg.Updates.Updates(ctx, now)
	return err
}

// attempt sends n once and records the outcome. A send cut off because ctx
// ended records nothing: the claim expires and the next worker sends again.
func (w *Worker) attempt(ctx context.Context, n *Notification) error {
	start := w.cfg.Now()
	err := w.send(ctx, n)
	if ctx.Err() != nil {
		return nil
	}
	end := w.cfg.Now()
	d := Delivery{At: start, OK: err == nil, DurationMS: end.Sub(start).Milliseconds()}
	attempts := n.Attempts + 1
	state, next := StateSent, time.Time{}
	if err != nil {
		d.Error = err.Error()
		state, next = StateFailed, end.Add(w.cfg.Retry.Backoff(attempts, w.cfg.Rand()))
		if attempts >= w.cfg.Retry.MaxAttempts {
			state, next = StateDead, time.Time{}
		}
	}
	if rerr := w.recordAttempt(ctx, n, d, state, attempts, next); rerr != nil {
		return fmt.Errorf("record attempt of notification %d: %w", n.ID, rerr)
	}
	log := w.log.With("notification_id", n.ID, "channel", n.Channel, "attempt", attempts)
	switch state {
	case StateSent:
		log.Debug("notification sent")
	case StateFailed:
		log.Warn("notification attempt failed", "err", err, "next_attempt", next)
	case StateDead:
		log.Error("notification dead after its last attempt", "err", err)
	}
	return nil
}

// send runs the channel's sender with the attempt's timeout.
func (w *Worker) send(ctx context.Context, n *Notification) error {
	s, ok := w.cfg.Senders[n.Channel]
	if !ok {
		return fmt.Errorf("no sender configured for channel %q", n.Channel)
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.SendTimeout)
	defer cancel()
	return s.Send(ctx, n)
}

// recordAttempt stores the outcome of an attempt; a notification that died
// is recorded as notification.dead in the same transaction, and the
// Observer hears it there too. The delivery itself (an e-mail, a webhook
// call) happened before and cannot be undone: an attempt whose outcome
// fails to be stored is made again once the claim expires.
func (w *Worker) recordAttempt(ctx context.Context, n *Notification, d Delivery, state State,
	attempts int, next time.Time) error {
	if w.cfg.Observer != nil {
		a := Attempt{Delivery: d, State: state, Attempts: attempts}
		if id, ok := w.cfg.Senders[n.Channel].(DeliveryIDer); ok && state == StateSent {
			a.MessageID = id.DeliveryID(n)
		}
		err := w.record(ctx, n, d, state, attempts, next, func(tx Tx) error {
			return w.cfg.Observer.Attempted(ctx, tx, n, a)
		})
		if err == nil || ctx.Err() != nil {
			return err
		}
		w.log.Error("observer of a notification attempt failed; recording the outcome "+
			"without it", "notification_id", n.ID, "err", err)
	}
	return w.record(ctx, n, d, state, attempts, next, nil)
}

// record stores the outcome of an attempt, with observe (when not nil) and
// the notification.dead entry in the same transaction.
func (w *Worker) record(ctx context.Context, n *Notification, d Delivery, state State,
	attempts int, next time.Time, observe func(tx Tx) error) error {
	dead := state == StateDead && w.cfg.Audit != nil
	if !dead && observe == nil {
		return w.cfg.Outbox.RecordAttempt(ctx, n.ID, d, state, attempts, next)
	}
	if !dead {
		return w.cfg.Tx.Atomically(ctx, func(tx Tx) error {
			if err := tx.RecordAttempt(ctx, n.ID, d, state, attempts, next); err != nil {
				return err
			}
			return observe(tx)
		})
	}
	details, err := json.Marshal(map[string]any{"key": n.Key, "channel": n.Channel,
		"recipient": n.Recipient, "trigger": n.Trigger, "incident_id": n.IncidentID,
		"attempts": attempts, "last_error": d.Error})
	if err != nil {
		return err
	}
	return w.cfg.Tx.Atomically(ctx, func(tx Tx) error {
		if err := tx.RecordAttempt(ctx, n.ID, d, state, attempts, next); err != nil {
			return err
		}
		if observe != nil {
			if err := observe(tx); err != nil {
				return err
			}
		}
		return w.cfg.Audit.RecordIn(ctx, tx, audit.Entry{Actor: audit.SystemActor,
			Action: audit.NotificationDead, ObjectType: "notification",
			ObjectID: strconv.FormatInt(n.ID, 10), Details: details})
	})
}
