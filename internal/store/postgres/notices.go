package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/store"
)

// setNotice fills what the row holds outside the doc.
func setNotice(n *store.Notice, id int64) { n.ID = id }

// setDelivery fills what the row holds outside the doc.
func setDelivery(d *store.NoticeDelivery, id int64) { d.ID = id }

// GetNotice returns one notice with its deliveries and acknowledgement.
func (s *Store) GetNotice(ctx context.Context, id int64) (*store.Notice, error) {
	out, err := s.notices(ctx, `SELECT id, doc::text FROM notices WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get notice %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get notice %d: %w", id, store.ErrNotFound)
	}
	return &out[0], nil
}

// ListNotices returns the notices f selects, by ID.
func (s *Store) ListNotices(ctx context.Context, f store.NoticeFilter) ([]store.Notice, error) {
	var w where
	if f.IncidentID != 0 {
		w.add("incident_id = $%d", f.IncidentID)
	}
	if f.Tenant != "" {
		w.add("tenant = $%d", f.Tenant)
	}
	if f.State != "" {
		w.add("state = $%d", string(f.State))
	}
	out, err := s.notices(ctx, `SELECT id, doc::text FROM notices`+w.String()+` ORDER BY id`,
		w.args...)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	return out, nil
}

// notices runs a query of notice rows (id, doc) and adds their deliveries
// and acknowledgements, all read from one snapshot.
func (s *Store) notices(ctx context.Context, query string, args ...any) ([]store.Notice,
	error) {
	tx, err := s.readOnly(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	out, err := queryDocs(ctx, tx, query, setNotice, args...)
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]int64, len(out))
	at := map[int64]*store.Notice{}
	for i := range out {
		ids[i] = out[i].ID
		out[i].Deliveries = []store.NoticeDelivery{}
		at[out[i].ID] = &out[i]
	}
	ds, err := queryDocs(ctx, tx, `SELECT id, doc::text FROM notice_deliveries
		WHERE notice_id = ANY($1) ORDER BY id`, setDelivery, ids)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		n := at[d.NoticeID]
		n.Deliveries = append(n.Deliveries, d)
	}
	rows, err := tx.Query(ctx, `SELECT notice_id, by_user, at FROM notice_acks
		WHERE notice_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			by string
			ts time.Time
		)
		if err := rows.Scan(&id, &by, &ts); err != nil {
			return nil, err
		}
		at[id].AcknowledgedBy, at[id].Acknowledged = by, ts.UTC()
	}
	return out, rows.Err()
}

// NoticeDeliveryOf returns the delivery made through an outbox entry.
func (s *Store) NoticeDeliveryOf(ctx context.Context, notificationID int64) (
	*store.NoticeDelivery, error) {
	out, err := queryDocs(ctx, s.pool, `SELECT id, doc::text FROM notice_deliveries
		WHERE notification_id = $1`, setDelivery, notificationID)
	if err != nil {
		return nil, fmt.Errorf("get delivery of notification %d: %w", notificationID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get delivery of notification %d: %w", notificationID,
			store.ErrNotFound)
	}
	return &out[0], nil
}

// noticeDoc is the stored document of n: without what reads fill in.
func noticeDoc(n store.Notice) (string, error) {
	n.ID, n.Deliveries, n.AcknowledgedBy, n.Acknowledged = 0, nil, "", time.Time{}
	b, err := json.Marshal(n)
	return string(b), err
}

// CreateNotice stores a notice in the transaction.
func (tx *txn) CreateNotice(ctx context.Context, n *store.Notice) error {
	c := *n
	c.Version = 1
	if c.Created.IsZero() {
		c.Created = tx.now()
	}
	c.Truncate()
	c.Updated = c.Created
	doc, err := noticeDoc(c)
	if err != nil {
		return fmt.Errorf("create notice: %w", err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO notices (incident_id, obligation_key, tenant, state,
		version, sent, content_hash, doc) VALUES ($1, $2, $3, $4, 1, $5, $6, $7) RETURNING id`,
		c.IncidentID, c.ObligationKey, c.Tenant, string(c.State), timeArg(c.Sent),
		c.ContentHash, doc).Scan(&c.ID)
	if pgCode(err) == codeUnique {
		return fmt.Errorf("create notice for %s: %w", c.ObligationKey, store.ErrDuplicate)
	} else if err != nil {
		return fmt.Errorf("create notice: %w", foreignKey(err, "incident"))
	}
	if c.Deliveries == nil {
		c.Deliveries = []store.NoticeDelivery{}
	}
	*n = c
	return nil
}

// UpdateNotice saves a notice at its version in the transaction.
func (tx *txn) UpdateNotice(ctx context.Context, n *store.Notice) error {
	var cur int64
	err := tx.QueryRow(ctx, `SELECT version FROM notices WHERE id = $1 FOR UPDATE`, n.ID).
		Scan(&cur)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("update notice %d: %w", n.ID, store.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("update notice %d: %w", n.ID, err)
	}
	if cur != n.Version {
		return fmt.Errorf("update notice %d: %w", n.ID,
			&store.ConflictError{Version: n.Version, Current: cur})
	}
	c := *n
	c.Version, c.Updated = n.Version+1, tx.now()
	c.Truncate()
	doc, err := noticeDoc(c)
	if err != nil {
		return fmt.Errorf("update notice %d: %w", n.ID, err)
	}
	_, err = tx.Exec(ctx, `UPDATE notices SET state = $1, version = $2, sent = $3,
		content_hash = $4, doc = $5 WHERE id = $6 AND version = $7`, string(c.State),
		c.Version, timeArg(c.Sent), c.ContentHash, doc, c.ID, n.Version)
	if err != nil {
		return fmt.Errorf("update notice %d: %w", n.ID, err)
	}
	*n = c
	return nil
}

// deliveryArgs returns the looked-up columns of d and its document, then
// its ID.
func deliveryArgs(d store.NoticeDelivery) ([]any, error) {
	var contact, notification, evidence any
	if d.ContactID != 0 {
		contact = d.ContactID
	}
	if d.NotificationID != 0 {
		notification = d.NotificationID
	}
	if d.EvidenceID != 0 {
		evidence = d.EvidenceID
	}
	id := d.ID
	d.ID = 0
	doc, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return []any{d.NoticeID, contact, d.Channel, d.Recipient, notification, d.State,
		d.Attempts, d.MessageID, timeArg(d.Delivered), d.ContentHash, evidence, string(doc),
		id}, nil
}

// normalDelivery keeps d's delivery time in UTC to the microsecond.
func normalDelivery(d store.NoticeDelivery) store.NoticeDelivery {
	if !d.Delivered.IsZero() {
		d.Delivered = d.Delivered.UTC().Truncate(time.Microsecond)
	}
	return d
}

// AddNoticeDelivery stores a delivery in the transaction.
func (tx *txn) AddNoticeDelivery(ctx context.Context, d *store.NoticeDelivery) error {
	c := normalDelivery(*d)
	args, err := deliveryArgs(c)
	if err != nil {
		return fmt.Errorf("add notice delivery: %w", err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO notice_deliveries (notice_id, contact_id, channel,
		recipient, notification_id, state, attempts, message_id, delivered_at, content_hash,
		evidence_id, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`, args[:12]...).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("add notice delivery: %w", foreignKey(err, "notice, notification "+
			"or evidence"))
	}
	*d = c
	return nil
}

// UpdateNoticeDelivery saves a delivery in the transaction.
func (tx *txn) UpdateNoticeDelivery(ctx context.Context, d *store.NoticeDelivery) error {
	c := normalDelivery(*d)
	args, err := deliveryArgs(c)
	if err != nil {
		return fmt.Errorf("update notice delivery %d: %w", d.ID, err)
	}
	tag, err := tx.Exec(ctx, `UPDATE notice_deliveries SET notice_id = $1, contact_id = $2,
		channel = $3, recipient = $4, notification_id = $5, state = $6, attempts = $7,
		message_id = $8, delivered_at = $9, content_hash = $10, evidence_id = $11, doc = $12
		WHERE id = $13`, args...)
	if err != nil {
		return fmt.Errorf("update notice delivery %d: %w", d.ID, foreignKey(err, "evidence"))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update notice delivery %d: %w", d.ID, store.ErrNotFound)
	}
	*d = c
	return nil
}

// AcknowledgeNotice records a notice's acknowledgement in the transaction.
func (tx *txn) AcknowledgeNotice(ctx context.Context, id int64, by string,
	at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO notice_acks (notice_id, by_user, at)
		VALUES ($1, $2, $3)`, id, by, timeArg(at))
	if pgCode(err) == codeUnique {
		return fmt.Errorf("acknowledge notice %d: %w", id, store.ErrDuplicate)
	} else if err != nil {
		return fmt.Errorf("acknowledge notice %d: %w", id, foreignKey(err, "notice"))
	}
	return nil
}
