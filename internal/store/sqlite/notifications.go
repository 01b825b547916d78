package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// EnqueueNotification stores n as pending, or finds the one with its key.
func (s *Store) EnqueueNotification(ctx context.Context, n *notify.Notification) (bool, error) {
	return enqueueNotification(ctx, s.w, s.now, n)
}

// EnqueueNotification is Store.EnqueueNotification in the transaction.
func (tx *txn) EnqueueNotification(ctx context.Context, n *notify.Notification) (bool, error) {
	return enqueueNotification(ctx, tx.Tx, tx.now, n)
}

// rowQuerier runs a query of one row: the writer database or a transaction.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// enqueueNotification stores n through db.
func enqueueNotification(ctx context.Context, db rowQuerier, now func() time.Time,
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
	err := db.QueryRowContext(ctx, `INSERT INTO notifications (idem_key, channel, recipient,
		subject, body, incident_id, trigger_name, reason, created, state, attempts,
		next_attempt, last_error, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '', ?)
		ON CONFLICT (idem_key) DO NOTHING RETURNING id`,
		c.Key, string(c.Channel), c.Recipient, c.Subject, c.Body, incident, string(c.Trigger),
		c.Reason, timeText(c.Created), string(c.State), timeText(c.Created),
		timeText(c.Created)).Scan(&c.ID)
	if err == sql.ErrNoRows {
		err = db.QueryRowContext(ctx, `SELECT id FROM notifications WHERE idem_key = ?`,
			c.Key).Scan(&n.ID)
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
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("get notification %d: %w", id, err)
	}
	defer tx.Rollback()
	return getNotification(ctx, tx, id)
}

// getNotification reads one notification with its delivery log in tx.
func getNotification(ctx context.Context, tx *sql.Tx, id int64) (*notify.Notification, error) {
	items, err := queryNotifications(ctx, tx, `SELECT `+notificationColumns+
		` FROM notifications WHERE id = ?`, id)
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
		w.add("state = ?", string(f.State))
	}
	if f.Channel != "" {
		w.add("channel = ?", string(f.Channel))
	}
	if f.IncidentID != 0 {
		w.add("incident_id = ?", f.IncidentID)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, fmt.Errorf("list notifications: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM notifications`+w.String(),
		w.args...).Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("list notifications: %w", err)
	}
	if after != 0 {
		w.add("id < ?", after)
	}
	items, err := queryNotifications(ctx, tx, `SELECT `+notificationColumns+
		` FROM notifications`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, limit+1)...)
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

// ClaimNotifications leases the due notifications to the caller.
func (s *Store) ClaimNotifications(ctx context.Context, now, leaseUntil time.Time,
	limit int) ([]notify.Notification, error) {
	// The one writer connection serializes claims, so an UPDATE of the due
	// rows cannot hand a row to two callers.
	items, err := queryNotifications(ctx, s.w, `UPDATE notifications SET next_attempt = ?
		WHERE id IN (SELECT id FROM notifications WHERE state IN ('pending', 'failed')
			AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?)
		RETURNING `+notificationColumns, timeText(leaseUntil), timeText(now), max(limit, 1))
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
	res, err := tx.ExecContext(ctx, `UPDATE notifications SET state = ?, attempts = ?,
		next_attempt = ?, last_error = ?, updated = ? WHERE id = ?`,
		string(state), attempts, timeText(next), d.Error, timeText(d.At), id)
	if err != nil {
		return fmt.Errorf("record attempt of notification %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("record attempt of notification %d: %w", id, store.ErrNotFound)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO notification_deliveries
		(notification_id, at, ok, error, duration_ms) VALUES (?, ?, ?, ?, ?)`,
		id, timeText(d.At), d.OK, d.Error, d.DurationMS)
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
	res, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'pending',
		attempts = 0, next_attempt = ?, updated = ? WHERE id = ? AND state IN ('failed', 'dead')`,
		timeText(now), timeText(now), id)
	if err != nil {
		return nil, fmt.Errorf("retry notification %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, fmt.Errorf("retry notification %d: %w", id, err)
	}
	got, err := getNotification(ctx, tx.Tx, id)
	if err != nil {
		return nil, fmt.Errorf("retry notification: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("retry notification %d (%s): %w", id, got.State,
			store.ErrNotRetryable)
	}
	return got, nil
}

// rowsQuerier is a *sql.DB or a *sql.Tx.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryNotifications runs a query of notificationColumns.
func queryNotifications(ctx context.Context, db rowsQuerier, query string, args ...any) (
	[]notify.Notification, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []notify.Notification{}
	for rows.Next() {
		var (
			n                      notify.Notification
			channel, trigger, st   string
			created, next, updated sql.NullString
		)
		err := rows.Scan(&n.ID, &n.Key, &channel, &n.Recipient, &n.Subject, &n.Body,
			&n.IncidentID, &trigger, &n.Reason, &created, &st, &n.Attempts, &next,
			&n.LastError, &updated)
		if err != nil {
			return nil, err
		}
		n.Channel, n.Trigger, n.State = notify.Channel(channel), notify.Trigger(trigger),
			notify.State(st)
		for _, p := range []struct {
			dst *time.Time
			src sql.NullString
		}{{&n.Created, created}, {&n.NextAttempt, next}, {&n.Updated, updated}} {
			if *p.dst, err = parseTime(p.src); err != nil {
				return nil, fmt.Errorf("notification %d: %w", n.ID, err)
			}
		}
		items = append(items, n)
	}
	return items, rows.Err()
}

// deliveries fills the delivery logs of items.
func deliveries(ctx context.Context, tx *sql.Tx, items []notify.Notification) error {
	if len(items) == 0 {
		return nil
	}
	byID := map[int64]*notify.Notification{}
	ids := make([]int64, len(items))
	for i := range items {
		items[i].Deliveries = []notify.Delivery{}
		byID[items[i].ID], ids[i] = &items[i], items[i].ID
	}
	rows, err := tx.QueryContext(ctx, `SELECT notification_id, id, at, ok, error, duration_ms
		FROM notification_deliveries WHERE notification_id IN (`+placeholders(len(ids))+`)
		ORDER BY id`, int64Args(ids)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			nid int64
			d   notify.Delivery
			at  sql.NullString
		)
		if err := rows.Scan(&nid, &d.ID, &at, &d.OK, &d.Error, &d.DurationMS); err != nil {
			return err
		}
		if d.At, err = parseTime(at); err != nil {
			return err
		}
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
	triggers, err := json.Marshal(nonNilTriggers(h.Triggers))
	if err != nil {
		return fmt.Errorf("create webhook %q: %w", h.Name, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO webhooks (name, url, secret, triggers, created,
		created_by) VALUES (?, ?, ?, ?, ?, ?)`, h.Name, h.URL, h.Secret.Reveal(),
		string(triggers), timeText(h.Created), h.CreatedBy)
	if isUnique(err) {
		return fmt.Errorf("create webhook %q: %w", h.Name, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("create webhook %q: %w", h.Name, err)
	}
	h.Created = h.Created.UTC().Truncate(time.Microsecond)
	h.ID, err = res.LastInsertId()
	return err
}

// GetWebhook returns one webhook.
func (s *Store) GetWebhook(ctx context.Context, id int64) (*notify.Webhook, error) {
	hs, err := s.webhooks(ctx, ` WHERE id = ?`, id)
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
	res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("delete webhook %d: %w", id, store.ErrNotFound)
	}
	return nil
}

func (s *Store) webhooks(ctx context.Context, cond string, args ...any) ([]notify.Webhook,
	error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, url, secret, triggers, created,
		created_by FROM webhooks`+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hs := []notify.Webhook{}
	for rows.Next() {
		var (
			h                notify.Webhook
			secret, triggers string
			created          sql.NullString
		)
		err := rows.Scan(&h.ID, &h.Name, &h.URL, &secret, &triggers, &created, &h.CreatedBy)
		if err != nil {
			return nil, err
		}
		h.Secret = notify.Secret(secret)
		if err := json.Unmarshal([]byte(triggers), &h.Triggers); err != nil {
			return nil, fmt.Errorf("webhook %d: triggers: %w", h.ID, err)
		}
		if h.Created, err = parseTime(created); err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

// nonNilTriggers returns ts, or an empty list for nil.
func nonNilTriggers(ts []notify.Trigger) []notify.Trigger {
	if ts == nil {
		return []notify.Trigger{}
	}
	return ts
}
