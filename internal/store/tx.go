package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/team"
)

// Transactor runs several writes in one transaction. Store embeds it.
type Transactor interface {
	// Atomically runs fn in one write transaction and commits what fn wrote
	// through tx when fn returns nil; when fn returns an error, or any
	// method of tx failed (even one whose error fn ignored), nothing fn
	// wrote is kept and Atomically returns the error (fn's own when it has
	// one, unwrapped, or wrapped with the first failed write's when that
	// is another error: errors.Is holds for both). A panic in fn rolls the
	// transaction back and goes on. The audit entries appended through tx
	// are sealed (Seq, PrevHash, Hash) and stored when the transaction
	// commits, after every other write of fn, so that a change and the
	// entries that record it are kept together or not at all, and the chain
	// has no gap.
	//
	// tx is valid only during fn and on fn's goroutine. fn must not call
	// the Store's own write methods, nor Atomically again: on SQLite they
	// wait for the one writer connection that the transaction holds. Reads
	// through the Store see what was committed before the transaction, not
	// what fn wrote. The IDs and times that tx's methods set on their
	// arguments are those of the transaction: meaningless if it rolls back.
	Atomically(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is one write transaction of a store: every write that a change
// recorded in the audit trail makes, and AppendAudit. Each method behaves
// as the Store method of the same name, except that it commits nothing on
// its own (see Transactor.Atomically). Writes that the trail does not
// record stay outside Tx: events, session touches and expiry, suppression
// hit counts, notification enqueues and claims.
type Tx interface {
	// AppendAudit checks e (audit.Entry.Check: an invalid entry is an
	// error, and spoils the transaction) and queues it; the transaction
	// seals and stores the queued entries, in order, when it commits, and
	// only then sets e's Seq, PrevHash and Hash.
	AppendAudit(ctx context.Context, e *audit.Entry) error

	// Alerts, incidents and their records (store.go, records.go).
	InsertAlert(ctx context.Context, a *detect.Alert) error
	CreateIncident(ctx context.Context, inc *incident.Incident) error
	UpdateIncidentRecord(ctx context.Context, rec *IncidentRecord) error

	// Tokens, users and sessions (store.go, users.go). TokenByHash is a
	// read: it sees fn's writes (the ID of a token created).
	CreateToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	RevokeToken(ctx context.Context, id int64) error
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	CreateSession(ctx context.Context, s Session) error
	DeleteSession(ctx context.Context, id []byte) error
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)

	// Evidence and custody (evidence.go).
	AddEvidence(ctx context.Context, e *evidence.Evidence, first *evidence.Custody) error
	AppendCustody(ctx context.Context, c *evidence.Custody) error

	// Triage (triage.go). AlertIncidents is a read: it sees fn's writes.
	GroupAlert(ctx context.Context, a *detect.Alert, window time.Duration) (repeat bool,
		err error)
	SetAlertTriage(ctx context.Context, id int64, from string, c AlertTriage) error
	LinkAlerts(ctx context.Context, incidentID int64, alertIDs []int64) error
	UnlinkAlert(ctx context.Context, incidentID, alertID int64) error
	AlertIncidents(ctx context.Context, alertID int64) ([]int64, error)
	CreateSuppression(ctx context.Context, s *Suppression) error
	DeleteSuppression(ctx context.Context, id int64) error
	CreateCase(ctx context.Context, c *Case) error
	UpdateCase(ctx context.Context, c *Case) error
	CreateVulnerability(ctx context.Context, v *Vulnerability) error
	UpdateVulnerability(ctx context.Context, v *Vulnerability) error

	// Response teams and plans (response.go).
	CreateTeam(ctx context.Context, t *team.Team) error
	UpdateTeam(ctx context.Context, t *team.Team) error
	AddEngagements(ctx context.Context, es []team.Engagement) error
	EndEngagement(ctx context.Context, e *team.Engagement) error
	CreateTask(ctx context.Context, t *plan.Task) error
	UpdateTask(ctx context.Context, t *plan.Task) error
	AddWatchRule(ctx context.Context, w *plan.WatchRule) error
	RemoveWatchRule(ctx context.Context, w *plan.WatchRule) error

	// Notifications and webhooks (notifications.go).
	RecordAttempt(ctx context.Context, id int64, d notify.Delivery, state notify.State,
		attempts int, next time.Time) error
	RetryNotification(ctx context.Context, id int64, now time.Time) (*notify.Notification,
		error)
	CreateWebhook(ctx context.Context, h *notify.Webhook) error
	DeleteWebhook(ctx context.Context, id int64) error

	// Inventory, tenants, contacts and incident scopes (scope.go).
	ChangeInventory(ctx context.Context, c InventoryChange) (int64, error)
	CreateTenant(ctx context.Context, t *scope.Tenant) error
	UpdateTenant(ctx context.Context, t *scope.Tenant) error
	DeleteTenant(ctx context.Context, id string) error
	// TenantExists is a read: whether tenant id is stored, seeing fn's
	// writes. A tenant found stays until the transaction ends: PostgreSQL
	// locks its row against deletion (SQLite's write lock already does).
	TenantExists(ctx context.Context, id string) (bool, error)
	AddContact(ctx context.Context, c *scope.Contact) error
	UpdateContact(ctx context.Context, c *scope.Contact) error
	DeleteContact(ctx context.Context, tenant string, id int64) error
	SaveIncidentScope(ctx context.Context, s *IncidentScope, affected []scope.Affected) error

	// The preparation program and exercise marks (readiness.go).
	PutReadinessPolicy(ctx context.Context, p *readiness.Policy) error
	PutPerson(ctx context.Context, p *readiness.Person) error
	AddCompletion(ctx context.Context, c *readiness.Completion) error
	CreateFindings(ctx context.Context, fs []readiness.Finding) error
	UpdateFinding(ctx context.Context, f *readiness.Finding) error
	CreateExercise(ctx context.Context, e *readiness.Exercise) error
	UpdateExercise(ctx context.Context, e *readiness.Exercise) error
	MarkExercise(ctx context.Context, kind string, id, exercise int64) error
	// Post-mortems and follow-ups (postmortem.go). CreatePostMortem stores
	// pm, setting ID, Version (1) and Updated; an unknown incident gives
	// ErrNotFound, one that has a post-mortem ErrDuplicate.
	// UpdatePostMortem saves pm at pm.Version (a stale one gives a
	// *ConflictError) after postmortem.CheckUpdate, then sets Version and
	// Updated. CreateFollowUp and UpdateFollowUp do the same for items
	// (postmortem.CheckFollowUpUpdate).
	CreatePostMortem(ctx context.Context, pm *postmortem.PostMortem) error
	UpdatePostMortem(ctx context.Context, pm *postmortem.PostMortem) error
	CreateFollowUp(ctx context.Context, f *postmortem.FollowUp) error
	UpdateFollowUp(ctx context.Context, f *postmortem.FollowUp) error

	// Incident facts and obligation records (obligations.go).
	ObligationTx

	// Notices to tenants and authorities (notices.go). CreateNotice stores
	// n, setting ID, Version (1), Created and Updated (the store's clock
	// when zero); an unknown incident gives ErrNotFound, a second notice
	// for the same obligation ErrDuplicate. UpdateNotice saves n at
	// n.Version (a stale one gives a *ConflictError), then sets Version and
	// Updated. AddNoticeDelivery stores d, setting ID; UpdateNoticeDelivery
	// saves it (ErrNotFound when unknown). AcknowledgeNotice records that
	// by acknowledged notice id at at; a second gives ErrDuplicate.
	// EnqueueNotification is Notifications', in the transaction, so that a
	// notice is marked sent together with its outbox entries.
	CreateNotice(ctx context.Context, n *Notice) error
	UpdateNotice(ctx context.Context, n *Notice) error
	AddNoticeDelivery(ctx context.Context, d *NoticeDelivery) error
	UpdateNoticeDelivery(ctx context.Context, d *NoticeDelivery) error
	AcknowledgeNotice(ctx context.Context, id int64, by string, at time.Time) error
	EnqueueNotification(ctx context.Context, n *notify.Notification) (bool, error)
}

// View adapts a Store to a domain package that cannot import this one and
// so declares its own view T of a transaction (detect.Tx, evidence.Tx,
// notify.Tx, readiness.Tx): its Atomically hands fn the store's Tx as a T. T must be an
// interface that Tx implements; the assertions below check the known ones
// at compile time, and any other T that Tx lacks gives an error.
type View[T any] struct{ Store }

// The domain views of a transaction that Tx must implement.
var (
	_ detect.Tx   = Tx(nil)
	_ evidence.Tx = Tx(nil)
	_ notify.Tx   = Tx(nil)

	_ readiness.Tx = Tx(nil)
)

// Atomically runs fn in one transaction of the Store (see
// Transactor.Atomically).
func (v View[T]) Atomically(ctx context.Context, fn func(tx T) error) error {
	return v.Store.Atomically(ctx, func(tx Tx) error {
		t, ok := any(tx).(T)
		if !ok {
			var zero *T
			return fmt.Errorf("store: a transaction is not a %T", zero)
		}
		return fn(t)
	})
}

// RunTx is the body of a back end's Atomically between begin and commit: it
// calls fn with tx and returns the error that must roll the transaction
// back, nil to commit. A method of tx that fails spoils the transaction,
// so that an error that fn ignores rolls back too.
func RunTx(tx Tx, fn func(Tx) error) error {
	g := &guard{tx: tx}
	err := fn(g)
	switch {
	case err != nil && g.err != nil && !errors.Is(err, g.err):
		// On PostgreSQL the writes after a failed one fail too ("current
		// transaction is aborted"): name the first failure as well.
		return fmt.Errorf("%w (after an earlier write of the transaction failed: %w)", err,
			g.err)
	case err != nil:
		return err
	case g.err != nil:
		return fmt.Errorf("a write of the transaction failed: %w", g.err)
	}
	return nil
}

// AuditQueue holds the audit entries of a transaction until it commits.
// Back ends use it for Tx.AppendAudit and Atomically: Add queues, Seal
// chains the queue after the head inside the transaction, Publish tells
// the callers once the transaction has committed. The zero value is empty.
type AuditQueue struct {
	entries []queued
}

// queued is an entry as appended (a copy) and where to publish it.
type queued struct {
	e   audit.Entry
	dst *audit.Entry
}

// Add checks e and queues a copy of it; Publish writes it back to e.
func (q *AuditQueue) Add(e *audit.Entry) error {
	if e == nil {
		return errors.New("append audit: nil entry")
	}
	if err := e.Check(); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	q.entries = append(q.entries, queued{e: *e, dst: e})
	return nil
}

// Len reports how many entries are queued.
func (q *AuditQueue) Len() int { return len(q.entries) }

// Seal chains the queued entries after head (audit.Seal), in the order
// added, and returns them sealed with the new head. The caller stores them
// and the head in the transaction that read head.
func (q *AuditQueue) Seal(head audit.Head) ([]audit.Entry, audit.Head, error) {
	out := make([]audit.Entry, len(q.entries))
	for i := range q.entries {
		out[i] = q.entries[i].e
		if err := audit.Seal(&out[i], head); err != nil {
			return nil, head, fmt.Errorf("append audit: %w", err)
		}
		head = audit.Head{Seq: out[i].Seq, Hash: out[i].Hash}
	}
	return out, head, nil
}

// Publish writes the sealed entries back to the callers' entries; call it
// only after the transaction has committed.
func (q *AuditQueue) Publish(sealed []audit.Entry) {
	for i := range sealed {
		*q.entries[i].dst = sealed[i]
	}
}
