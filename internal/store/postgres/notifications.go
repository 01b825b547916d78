package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// EnqueueNotification stores n as pending, or finds the one with its key.
func (s *Store) EnqueueNotification(ctx context.Context, n *notify.Notification) (bool, error) {
	return enqueueNotification(ctx, s.pool, s.now, n)
}

// EnqueueNotification is Store.EnqueueNotification in the transaction.
func (tx *txn) EnqueueNotification(ctx context.Context, n *notify.Notification) (bool, error) {
	return enqueueNotification(ctx, tx.Tx, tx.now, n)
}

// oneRowQuerier runs a query of one row: the pool or a transaction.
type oneRowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// enqueueNotification stores n through db.
func enqueueNotification(ctx context.Context, db oneRowQuerier, now func() time.Time,
	n *notify.Notification) (bool, error) {
	if err := n.Check(); err != nil {
		return false, fmt.Errorf("enqueue notification: %w", err)
	}
	if n.Created.IsZero() {
		n.Created = now()
	}
	c := *n
	c.Created = c.Created.UTC().Truncate(time.Microsecond)
	c.State, c.Attempts, c.NextAttempt, c.Updated, c.LastError = notify.StatePending, 0,
		c.Created, c.Created, ""
	var incident any
	if c.IncidentID != 0 {
		incident = c.IncidentID
	}
	err := db.QueryRow(ctx, `INSERT INTO notifications (idem_key, channel, recipient,
		subject, body, incident_id, trigger_name, reason, created, state, attempts,
		next_attempt, last_error, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $9, '', $9)
		ON CONFLICT (idem_key) DO NOTHING RETURNING id`,
		c.Key, string(c.Channel), c.Recipient, c.Subject, c.Body, incident, string(c.Trigger),
		c.Reason, c.Created, string(c.State)).Scan(&c.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		err = db.QueryRow(ctx, `SELECT id FROM notifications WHERE idem_key = $1`, c.Key).
			Scan(&n.ID)
		if err != nil {
			return false, fmt.Errorf("enqueue notification %s: %w", c.Key, err)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("enqueue notification %s: %w", c.Key,
			foreignKey(err, "incident"))
	}
	*n = c
	return true, nil
}

const notificationColumns = `id, idem_key, channel, recipient, subject, body,
	coalesce(incident_id, 0), trigger_name, reason, created, state, attempts, next_attempt,
	last_error, updated`

// GetNotification returns one notification with its delivery log.
func (s *Store) GetNotification(ctx context.Context, id int64) (*notify.Notification, error) {
	tx, err := s.readOnly(ctx)
	if err != nil {
		return nil, fmt.Errorf("get notification %d: %w", id, err)
	}
	defer tx.Rollback(ctx)
	return getNotification(ctx, tx, id)
}

// getNotification reads one notification with its delivery log in tx.
func getNotification(ctx context.Context, tx pgx.Tx, id int64) (*notify.Notification, error) {
	items, err := queryNotifications(ctx, tx, `SELECT `+notificationColumns+
		` FROM notifications WHERE id = $1`, id)
	if err == nil && len(items) == 0 {
		err = store.ErrNotFound
	}
	if err == nil {
		err = deliveries(ctx, tx, items)
	}
	if err != nil {
		return nil, fmt.Errorf("get notification %d: %w", id, err)
	}
	return &items[0], nil
}

// ListNotifications returns the notifications that f selects, newest first.
func (s *Store) ListNotifications(ctx context.Context, f store.NotificationFilter) (
	store.Page[notify.Notification], error) {
	var page store.Page[notify.Notification]
	after, err := store.DecodeCursor(f.Cursor)
	if err != nil {
		return page, fmt.Errorf("list notifications: %w", err)
	}
	limit := store.PageLimit(f.Limit)
	var w where
	if f.State != "" {
		w.add("state = $%d", string(f.State))
	}
	if f.Channel != "" {
		w.add("channel = $%d", string(f.Channel))
	}
	if f.IncidentID != 0 {
		w.add("incident_id = $%d", f.IncidentID)
	}
	tx, err := s.readOnly(ctx)
	if err != nil {
		return page, fmt.Errorf("list notifications: %w", err)
	}
	defer tx.Rollback(ctx)
	err = tx.QueryRow(ctx, `SELECT count(*) FROM notifications`+w.String(), w.args...).
		Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("list notifications: %w", err)
	}
	if after != 0 {
		w.add("id < $%d", after)
	}
	items, err := queryNotifications(ctx, tx, `SELECT `+notificationColumns+
		` FROM notifications`+w.String()+` ORDER BY id DESC LIMIT `+w.next(),
		append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list notifications: %w", err)
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(items[limit-1].ID)
	}
	if err := deliveries(ctx, tx, items); err != nil {
		return page, fmt.Errorf("list notifications: %w", err)
	}
	page.Items = items
	return page, nil
}

// ClaimNotifications leases the due notifications to the caller; SKIP
// LOCKED keeps concurrent claims (from other nodes too) apart.
func (s *Store) ClaimNotifications(ctx context.Context, now, leaseUntil time.Time,
	limit int) ([]notify.Notification, error) {
	items, err := queryNotifications(ctx, s.pool, `UPDATE notifications SET next_attempt = $1
		WHERE id IN (SELECT id FROM notifications WHERE state IN ('pending', 'failed')
			AND next_attempt <= $2 ORDER BY next_attempt, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+notificationColumns, timeArg(leaseUntil), timeArg(now), max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	slices.SortFunc(items, func(a, b notify.Notification) int { return cmp.Compare(a.ID, b.ID) })
	return items, nil
}

// RecordAttempt appends d to the log and moves the notification's state.
func (s *Store) RecordAttempt(ctx context.Context, id int64, d notify.Delivery,
	state notify.State, attempts int, next time.Time) error {
	return s.atomically(ctx, func(tx *txn) error {
		return tx.RecordAttempt(ctx, id, d, state, attempts, next)
	})
}

// RecordAttempt is Store.RecordAttempt in the transaction.
func (tx *txn) RecordAttempt(ctx context.Context, id int64, d notify.Delivery,
	state notify.State, attempts int, next time.Time) error {
	tag, err := tx.Exec(ctx, `UPDATE notifications SET state = $1, attempts = $2,
		next_attempt = $3, last_error = $4, updated = $5 WHERE id = $6`,
		string(state), attempts, timeArg(next), d.Error, timeArg(d.At), id)
	if err != nil {
		return fmt.Errorf("record attempt of notification %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record attempt of notification %d: %w", id, store.ErrNotFound)
	}
	_, err = tx.Exec(ctx, `INSERT INTO notification_deliveries
		(notification_id, at, ok, error, duration_ms) VALUES ($1, $2, $3, $4, $5)`,
		id, timeArg(d.At), d.OK, d.Error, d.DurationMS)
	if err != nil {
		return fmt.Errorf("record attempt of notification %d: %w", id, err)
	}
	return nil
}

// RetryNotification makes a failed or dead notification due at now.
func (s *Store) RetryNotification(ctx context.Context, id int64, now time.Time) (
	*notify.Notification, error) {
	var v *notify.Notification
	err := s.atomically(ctx, func(tx *txn) error {
		var err error
		v, err = tx.RetryNotification(ctx, id, now)
		return err
	})
	return v, err
}

// RetryNotification is Store.RetryNotification in the transaction.
func (tx *txn) RetryNotification(ctx context.Context, id int64, now time.Time) (
	*notify.Notification, error) {
	tag, err := tx.Exec(ctx, `UPDATE notifications SET state = 'pending', attempts = 0,
		next_attempt = $1, updated = $1 WHERE id = $2 AND state IN ('failed', 'dead')`,
		timeArg(now), id)
	if err != nil {
		return nil, fmt.Errorf("retry notification %d: %w", id, err)
	}
	got, err := getNotification(ctx, tx, id)
	if err != nil {
		return nil, fmt.Errorf("retry notification: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("retry notification %d (%s): %w", id, got.State,
			store.ErrNotRetryable)
	}
	return got, nil
}

// rowsQuerier is a pool or a transaction.
type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryNotifications runs a query of notificationColumns.
func queryNotifications(ctx context.Context, db rowsQuerier, query string, args ...any) (
	[]notify.Notification, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (notify.Notification,
		error) {
		var (
			n                    notify.Notification
			channel, trigger, st string
			next                 *time.Time
		)
		err := row.Scan(&n.ID, &n.Key, &channel, &n.Recipient, &n.Subject, &n.Body,
			&n.IncidentID, &trigger, &n.Reason, &n.Created, &st, &n.Attempts, &next,
			&n.LastError, &n.Updated)
		n.Channel, n.Trigger, n.State = notify.Channel(channel), notify.Trigger(trigger),
			notify.State(st)
		n.Created, n.NextAttempt, n.Updated = n.Created.UTC(), timeOf(next), n.Updated.UTC()
		return n, err
	})
	if items == nil {
		items = []notify.Notification{}
	}
	return items, err
}

// deliveries fills the delivery logs of items.
func deliveries(ctx context.Context, tx pgx.Tx, items []notify.Notification) error {
	if len(items) == 0 {
		return nil
	}
	byID := map[int64]*notify.Notification{}
	ids := make([]int64, len(items))
	for i := range items {
		items[i].Deliveries = []notify.Delivery{}
		byID[items[i].ID], ids[i] = &items[i], items[i].ID
	}
	rows, err := tx.Query(ctx, `SELECT notification_id, id, at, ok, error, duration_ms
		FROM notification_deliveries WHERE notification_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			nid int64
			d   notify.Delivery
		)
		if err := rows.Scan(&nid, &d.ID, &d.At, &d.OK, &d.Error, &d.DurationMS); err != nil {
			return err
		}
		d.At = d.At.UTC()
		byID[nid].Deliveries = append(byID[nid].Deliveries, d)
	}
	return rows.Err()
}

// CreateWebhook stores h.
func (s *Store) CreateWebhook(ctx context.Context, h *notify.Webhook) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateWebhook(ctx, h) })
}

// CreateWebhook is Store.CreateWebhook in the transaction.
func (tx *txn) CreateWebhook(ctx context.Context, h *notify.Webhook) error {
	if h.Created.IsZero() {
		h.Created = tx.now()
	}
	ts := h.Triggers
	if ts == nil {
		ts = []notify.Trigger{}
	}
	triggers, err := json.Marshal(ts)
	if err != nil {
		return fmt.Errorf("create webhook %q: %w", h.Name, err)
	}
	created := h.Created.UTC().Truncate(time.Microsecond)
	err = tx.QueryRow(ctx, `INSERT INTO webhooks (name, url, secret, triggers, created,
		created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, h.Name, h.URL,
		h.Secret.Reveal(), string(triggers), created, h.CreatedBy).Scan(&h.ID)
	if pgCode(err) == codeUnique {
		return fmt.Errorf("create webhook %q: %w", h.Name, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("create webhook %q: %w", h.Name, err)
	}
	h.Created = created
	return nil
}

// GetWebhook returns one webhook.
func (s *Store) GetWebhook(ctx context.Context, id int64) (*notify.Webhook, error) {
	hs, err := s.webhooks(ctx, ` WHERE id = $1`, id)
	if err == nil && len(hs) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook %d: %w", id, err)
	}
	return &hs[0], nil
}

// ListWebhooks returns every webhook, by ascending ID.
func (s *Store) ListWebhooks(ctx context.Context) ([]notify.Webhook, error) {
	hs, err := s.webhooks(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return hs, nil
}

// DeleteWebhook removes a webhook.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.DeleteWebhook(ctx, id) })
}

// DeleteWebhook is Store.DeleteWebhook in the transaction.
func (tx *txn) DeleteWebhook(ctx context.Context, id int64) error {
	tag, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete webhook %d: %w", id, store.ErrNotFound)
	}
	return nil
}

func (s *Store) webhooks(ctx context.Context, cond string, args ...any) ([]notify.Webhook,
	error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, url, secret, triggers, created,
		created_by FROM webhooks`+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	hs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (notify.Webhook, error) {
		var (
			h                notify.Webhook
			secret, triggers string
		)
		err := row.Scan(&h.ID, &h.Name, &h.URL, &secret, &triggers, &h.Created, &h.CreatedBy)
		if err != nil {
			return h, err
		}
		h.Secret, h.Created = notify.Secret(secret), h.Created.UTC()
		if err := json.Unmarshal([]byte(triggers), &h.Triggers); err != nil {
			return h, fmt.Errorf("webhook %d: triggers: %w", h.ID, err)
		}
		return h, nil
	})
	if hs == nil {
		hs = []notify.Webhook{}
	}
	return hs, err
}
