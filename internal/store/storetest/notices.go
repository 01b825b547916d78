package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// testNotices runs the tests of notices, their deliveries and
// acknowledgements.
func testNotices(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Lifecycle", testNoticeLifecycle},
		{"Refusals", testNoticeRefusals},
		{"RolledBack", testNoticeRolledBack},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// newNotice returns a draft notice of incident for key.
func newNotice(incidentID int64, key, tenant string) *store.Notice {
	return &store.Notice{IncidentID: incidentID, ObligationKey: key, Tenant: tenant,
		Lang: "en", Subject: "Security incident " + key, Body: "What happened.\n",
		Missing: []string{"recommended-actions"}, State: store.NoticeDraft,
		CreatedBy: "user:ana", Created: base, BasisDeadline: base.Add(72 * time.Hour),
		BasisStatus: "due"}
}

// testNoticeLifecycle creates notices, updates one at its version to sent
// with an outbox entry and deliveries in the same transaction, updates a
// delivery with its proof, acknowledges, and reads everything back by ID,
// by incident, by tenant and state, and by notification.
func testNoticeLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	other := createIncident(t, s, newIncident(base))
	n := newNotice(inc.ID, "gdpr-art33-2/notification@acme", "acme")
	authority := newNotice(inc.ID, "gdpr-art33/notification", "")
	elsewhere := newNotice(other.ID, "gdpr-art33-2/notification@acme", "acme")
	err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, x := range []*store.Notice{n, authority, elsewhere} {
			if err := tx.CreateNotice(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("CreateNotice: %v", err)
	}
	if n.ID == 0 || n.Version != 1 || !n.Created.Equal(base.Truncate(time.Microsecond)) {
		t.Fatalf("created notice: ID %d, version %d, created %v", n.ID, n.Version, n.Created)
	}

	// Send: the notice, an outbox entry and its delivery, a portal copy.
	sent := base.Add(time.Hour)
	n.State, n.SentBy, n.Sent = store.NoticeSent, "user:cy", sent
	n.ContentHash = store.ContentHash(n.Subject, n.Body)
	var mail, portal store.NoticeDelivery
	err = inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateNotice(ctx, n); err != nil {
			return err
		}
		o := &notify.Notification{Key: "notice:1:email:it@acme.example", Channel: "email",
			Recipient: "it@acme.example", Subject: n.Subject, Body: n.Body,
			IncidentID: inc.ID, Trigger: notify.TriggerNotice, Created: sent}
		if _, err := tx.EnqueueNotification(ctx, o); err != nil {
			return err
		}
		mail = store.NoticeDelivery{NoticeID: n.ID, ContactID: 7, Channel: "email",
			Recipient: "it@acme.example", NotificationID: o.ID, State: store.DeliveryQueued,
			ContentHash: n.ContentHash}
		portal = store.NoticeDelivery{NoticeID: n.ID, Channel: "portal",
			Recipient: "tenant acme", State: store.DeliverySent, MessageID: "notice:1:portal",
			Delivered: sent, ContentHash: n.ContentHash}
		if err := tx.AddNoticeDelivery(ctx, &mail); err != nil {
			return err
		}
		return tx.AddNoticeDelivery(ctx, &portal)
	})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if n.Version != 2 || mail.ID == 0 || portal.ID <= mail.ID || mail.NotificationID == 0 {
		t.Fatalf("after send: version %d, deliveries %d, %d, notification %d", n.Version,
			mail.ID, portal.ID, mail.NotificationID)
	}
	queued, err := s.GetNotification(ctx, mail.NotificationID)
	if err != nil || queued.Trigger != notify.TriggerNotice {
		t.Fatalf("the outbox entry queued in the transaction: %+v, %v", queued, err)
	}

	// The proof of the e-mail, then the acknowledgement.
	mail.State, mail.Attempts, mail.MessageID = store.DeliverySent, 2, "<vigil.1.ab@example>"
	mail.Delivered = sent.Add(time.Minute)
	err = inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateNoticeDelivery(ctx, &mail); err != nil {
			return err
		}
		return tx.AcknowledgeNotice(ctx, n.ID, "user:tina", sent.Add(2*time.Hour))
	})
	if err != nil {
		t.Fatalf("proof and acknowledgement: %v", err)
	}

	got, err := s.GetNotice(ctx, n.ID)
	if err != nil {
		t.Fatalf("GetNotice: %v", err)
	}
	want := *n
	want.Deliveries = []store.NoticeDelivery{mail, portal}
	want.AcknowledgedBy, want.Acknowledged = "user:tina", sent.Add(2*time.Hour).Truncate(
		time.Microsecond)
	want.Deliveries[0].Delivered = mail.Delivered.Truncate(time.Microsecond)
	want.Deliveries[1].Delivered = portal.Delivered.Truncate(time.Microsecond)
	want.Sent = sent.Truncate(time.Microsecond)
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("GetNotice (-want +got):\n%s", diff)
	}
	d, err := s.NoticeDeliveryOf(ctx, mail.NotificationID)
	if err != nil || d.ID != mail.ID || d.MessageID != mail.MessageID {
		t.Errorf("NoticeDeliveryOf = %+v, %v; want delivery %d", d, err, mail.ID)
	}
	if _, err := s.NoticeDeliveryOf(ctx, mail.NotificationID+1000); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("NoticeDeliveryOf(unknown) = %v, want ErrNotFound", err)
	}

	tests := []struct {
		name string
		f    store.NoticeFilter
		want []int64
	}{
		{"all", store.NoticeFilter{}, []int64{n.ID, authority.ID, elsewhere.ID}},
		{"incident", store.NoticeFilter{IncidentID: inc.ID}, []int64{n.ID, authority.ID}},
		{"tenant", store.NoticeFilter{Tenant: "acme"}, []int64{n.ID, elsewhere.ID}},
		{"tenant sent", store.NoticeFilter{Tenant: "acme", State: store.NoticeSent},
			[]int64{n.ID}},
		{"other tenant", store.NoticeFilter{Tenant: "globex"}, nil},
	}
	for _, tt := range tests {
		ns, err := s.ListNotices(ctx, tt.f)
		if err != nil {
			t.Fatalf("%s: ListNotices: %v", tt.name, err)
		}
		var ids []int64
		for _, x := range ns {
			ids = append(ids, x.ID)
			if x.Deliveries == nil {
				t.Errorf("%s: notice %d has nil deliveries, want []", tt.name, x.ID)
			}
		}
		if !cmp.Equal(ids, tt.want) {
			t.Errorf("%s: ListNotices = %v, want %v", tt.name, ids, tt.want)
		}
	}
}

// testNoticeRefusals refuses a second notice for one obligation, an
// unknown incident, a stale version, an unknown delivery and a second
// acknowledgement, with the sentinels callers branch on.
func testNoticeRefusals(t *testing.T, s store.Store) {
	inc := createIncident(t, s, newIncident(base))
	n := newNotice(inc.ID, "lgpd/anpd", "")
	if err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateNotice(ctx, n)
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"duplicate", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateNotice(ctx, newNotice(inc.ID, "lgpd/anpd", ""))
		}, store.ErrDuplicate},
		{"unknown incident", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateNotice(ctx, newNotice(inc.ID+100, "lgpd/anpd", ""))
		}, store.ErrNotFound},
		{"stale", func(ctx context.Context, tx store.Tx) error {
			c := *n
			c.Version = 7
			return tx.UpdateNotice(ctx, &c)
		}, store.ErrConflict},
		{"unknown notice", func(ctx context.Context, tx store.Tx) error {
			c := *n
			c.ID += 100
			return tx.UpdateNotice(ctx, &c)
		}, store.ErrNotFound},
		{"unknown delivery", func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateNoticeDelivery(ctx, &store.NoticeDelivery{ID: 999,
				NoticeID: n.ID, Channel: "portal", Recipient: "x", State: "sent",
				ContentHash: "h"})
		}, store.ErrNotFound},
		{"second acknowledgement", func(ctx context.Context, tx store.Tx) error {
			if err := tx.AcknowledgeNotice(ctx, n.ID, "user:a", base); err != nil {
				return err
			}
			return tx.AcknowledgeNotice(ctx, n.ID, "user:b", base)
		}, store.ErrDuplicate},
	}
	for _, tt := range tests {
		if err := inTx(t, s, tt.fn); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	got, err := s.GetNotice(t.Context(), n.ID)
	if err != nil || got.Version != 1 || got.AcknowledgedBy != "" || len(got.Deliveries) != 0 {
		t.Errorf("after the refusals: %+v, %v; want version 1, unacknowledged", got, err)
	}
}

// testNoticeRolledBack keeps nothing of a send whose transaction fails: not
// the notice's state, nor its outbox entry, nor its deliveries.
func testNoticeRolledBack(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	n := newNotice(inc.ID, "hipaa-ba/notification@care", "care")
	if err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateNotice(ctx, n)
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		c := *n
		c.State = store.NoticeSent
		if err := tx.UpdateNotice(ctx, &c); err != nil {
			return err
		}
		o := &notify.Notification{Key: "notice:rollback", Channel: "email",
			Recipient: "a@care.example", Subject: "s", IncidentID: inc.ID,
			Trigger: notify.TriggerNotice}
		if _, err := tx.EnqueueNotification(ctx, o); err != nil {
			return err
		}
		if err := tx.AddNoticeDelivery(ctx, &store.NoticeDelivery{NoticeID: n.ID,
			Channel: "email", Recipient: "a@care.example", NotificationID: o.ID,
			State: store.DeliveryQueued, ContentHash: "h"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomically = %v, want boom", err)
	}
	got, err := s.GetNotice(ctx, n.ID)
	if err != nil || got.State != store.NoticeDraft || len(got.Deliveries) != 0 {
		t.Errorf("after the rollback: %+v, %v; want a draft without deliveries", got, err)
	}
	page, err := s.ListNotifications(ctx, store.NotificationFilter{IncidentID: inc.ID})
	if err != nil || page.Total != 0 {
		t.Errorf("outbox after the rollback: %d entries, %v; want none", page.Total, err)
	}
}
