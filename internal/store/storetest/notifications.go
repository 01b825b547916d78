package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

func testNotifications(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"EnqueueIdempotent", testNotificationEnqueue},
		{"ClaimAndAttempts", testNotificationAttempts},
		{"ClaimConcurrent", testNotificationClaimConcurrent},
		{"ListFilters", testNotificationList},
		{"Webhooks", testWebhooks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// newNotification returns an e-mail notification with key k.
func newNotification(k string, incidentID int64) *notify.Notification {
	return &notify.Notification{Key: k, Channel: notify.ChannelEmail, Recipient: "ana@example.com",
		Subject: "Subject " + k, Body: "Body\n", IncidentID: incidentID,
		Trigger: notify.TriggerEngaged, Reason: "rule r1", Created: base}
}

// enqueue stores n and fails the test unless it was created.
func enqueue(t *testing.T, s store.Store, n *notify.Notification) *notify.Notification {
	t.Helper()
	created, err := s.EnqueueNotification(t.Context(), n)
	if err != nil || !created {
		t.Fatalf("EnqueueNotification(%s) = %v, %v; want created", n.Key, created, err)
	}
	return n
}

func testNotificationEnqueue(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	n := enqueue(t, s, newNotification("k1", inc.ID))
	at := base.Truncate(time.Microsecond)
	want := notify.Notification{ID: n.ID, Key: "k1", Channel: notify.ChannelEmail,
		Recipient: "ana@example.com", Subject: "Subject k1", Body: "Body\n",
		IncidentID: inc.ID, Trigger: notify.TriggerEngaged, Reason: "rule r1", Created: at,
		State: notify.StatePending, NextAttempt: at, Updated: at,
		Deliveries: []notify.Delivery{}}
	got, err := s.GetNotification(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("GetNotification (-want +got):\n%s", diff)
	}

	again := newNotification("k1", inc.ID)
	again.Subject = "another"
	created, err := s.EnqueueNotification(ctx, again)
	if err != nil || created || again.ID != n.ID {
		t.Errorf("second enqueue of k1 = %v, %v, ID %d; want false, nil, ID %d", created, err,
			again.ID, n.ID)
	}
	_, err = s.EnqueueNotification(ctx, newNotification("k2", 999999))
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("enqueue for an unknown incident: %v, want ErrNotFound", err)
	}
	if _, err := s.EnqueueNotification(ctx, &notify.Notification{Key: "bad"}); err == nil {
		t.Error("enqueue of an incomplete notification: no error")
	}
	if _, err := s.GetNotification(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetNotification(unknown): %v, want ErrNotFound", err)
	}
}

func testNotificationAttempts(t *testing.T, s store.Store) {
	ctx := t.Context()
	n := enqueue(t, s, newNotification("a", 0))
	lease := base.Add(time.Minute)
	claimed, err := s.ClaimNotifications(ctx, base, lease, 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != n.ID {
		t.Fatalf("claim = %v, %v; want notification %d", claimed, err, n.ID)
	}
	if again, _ := s.ClaimNotifications(ctx, base.Add(time.Second), lease, 10); len(again) != 0 {
		t.Errorf("claimed again within the lease: %v", again)
	}
	if late, _ := s.ClaimNotifications(ctx, lease, lease.Add(time.Minute), 10); len(late) != 1 {
		t.Errorf("claim after the lease: %d notifications, want 1", len(late))
	}

	fail := notify.Delivery{At: base.Add(2 * time.Minute), Error: "451 try later",
		DurationMS: 12}
	next := base.Add(3 * time.Minute)
	if err := s.RecordAttempt(ctx, n.ID, fail, notify.StateFailed, 1, next); err != nil {
		t.Fatal(err)
	}
	if early, _ := s.ClaimNotifications(ctx, next.Add(-time.Second), next, 10); len(early) != 0 {
		t.Errorf("claimed before its next attempt: %v", early)
	}
	if _, err := s.RetryNotification(ctx, n.ID, base); err != nil {
		t.Errorf("retry of a failed notification: %v", err)
	}
	dead := notify.Delivery{At: base.Add(4 * time.Minute), Error: "554 no", DurationMS: 3}
	if err := s.RecordAttempt(ctx, n.ID, dead, notify.StateDead, 1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if none, _ := s.ClaimNotifications(ctx, base.Add(time.Hour), base.Add(2*time.Hour),
		10); len(none) != 0 {
		t.Errorf("claimed a dead notification: %v", none)
	}
	got, err := s.GetNotification(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantLog := []notify.Delivery{
		{At: fail.At.Truncate(time.Microsecond), Error: fail.Error, DurationMS: 12},
		{At: dead.At.Truncate(time.Microsecond), Error: dead.Error, DurationMS: 3},
	}
	if diff := cmp.Diff(wantLog, got.Deliveries, cmpopts.IgnoreFields(notify.Delivery{},
		"ID")); diff != "" {
		t.Errorf("delivery log (-want +got):\n%s", diff)
	}
	if got.State != notify.StateDead || got.LastError != "554 no" || !got.NextAttempt.IsZero() {
		t.Errorf("after the last attempt: state %s, last error %q, next %v", got.State,
			got.LastError, got.NextAttempt)
	}

	now := base.Add(5 * time.Hour)
	r, err := s.RetryNotification(ctx, n.ID, now)
	if err != nil || r.State != notify.StatePending || r.Attempts != 0 ||
		!r.NextAttempt.Equal(now.Truncate(time.Microsecond)) {
		t.Fatalf("retry of a dead notification = %+v, %v", r, err)
	}
	ok := notify.Delivery{At: now, OK: true}
	if err := s.RecordAttempt(ctx, n.ID, ok, notify.StateSent, 1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RetryNotification(ctx, n.ID, now); !errors.Is(err, store.ErrNotRetryable) {
		t.Errorf("retry of a sent notification: %v, want ErrNotRetryable", err)
	}
	if _, err := s.RetryNotification(ctx, 999999, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("retry of an unknown notification: %v, want ErrNotFound", err)
	}
	err = s.RecordAttempt(ctx, 999999, ok, notify.StateSent, 1, time.Time{})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordAttempt(unknown): %v, want ErrNotFound", err)
	}
}

// testNotificationClaimConcurrent claims from several goroutines at once:
// each notification goes to exactly one.
func testNotificationClaimConcurrent(t *testing.T, s store.Store) {
	const total, workers = 40, 4
	for i := range total {
		enqueue(t, s, newNotification(fmt.Sprintf("c%d", i), 0))
	}
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				got, err := s.ClaimNotifications(t.Context(), base, base.Add(time.Hour), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, n := range got {
					seen[n.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != total {
		t.Errorf("claimed %d notifications, want %d", len(seen), total)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("notification %d claimed %d times", id, c)
		}
	}
}

func testNotificationList(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	var ids []int64
	for i := range 5 {
		n := newNotification(fmt.Sprintf("l%d", i), 0)
		if i%2 == 0 {
			n.IncidentID = inc.ID
		}
		if i == 4 {
			n.Channel, n.Recipient = notify.ChannelWebhook, "1"
		}
		ids = append(ids, enqueue(t, s, n).ID)
	}
	err := s.RecordAttempt(ctx, ids[1], notify.Delivery{At: base, OK: true}, notify.StateSent,
		1, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f    store.NotificationFilter
		want []int64
	}{
		{store.NotificationFilter{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{store.NotificationFilter{State: notify.StateSent}, []int64{ids[1]}},
		{store.NotificationFilter{Channel: notify.ChannelWebhook}, []int64{ids[4]}},
		{store.NotificationFilter{IncidentID: inc.ID}, []int64{ids[4], ids[2], ids[0]}},
		{store.NotificationFilter{IncidentID: inc.ID, State: notify.StatePending,
			Channel: notify.ChannelEmail}, []int64{ids[2], ids[0]}},
	}
	for _, tt := range tests {
		page, err := s.ListNotifications(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, n := range page.Items {
			got = append(got, n.ID)
		}
		if !cmp.Equal(got, tt.want) || page.Total != int64(len(tt.want)) {
			t.Errorf("ListNotifications(%+v) = %v (total %d), want %v", tt.f, got, page.Total,
				tt.want)
		}
	}
	var paged []int64
	f := store.NotificationFilter{Limit: 2}
	for {
		page, err := s.ListNotifications(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range page.Items {
			paged = append(paged, n.ID)
			if n.ID == ids[1] && len(n.Deliveries) != 1 {
				t.Errorf("listed notification %d with %d deliveries, want 1", n.ID,
					len(n.Deliveries))
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	if len(paged) != 5 {
		t.Errorf("paged through %v, want 5 notifications", paged)
	}
	_, err = s.ListNotifications(ctx, store.NotificationFilter{Cursor: "junk"})
	if !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("bad cursor: %v, want ErrBadCursor", err)
	}
}

func testWebhooks(t *testing.T, s store.Store) {
	ctx := t.Context()
	h := &notify.Webhook{Name: "chat", URL: "https://chat.example/hook",
		Secret: "s3cret-value", Triggers: []notify.Trigger{notify.TriggerPhase},
		Created: base, CreatedBy: "user:ana"}
	if err := s.CreateWebhook(ctx, h); err != nil {
		t.Fatal(err)
	}
	h2 := &notify.Webhook{Name: "pager", URL: "https://pager.example/", Secret: "other"}
	if err := s.CreateWebhook(ctx, h2); err != nil {
		t.Fatal(err)
	}
	dup := &notify.Webhook{Name: "chat", URL: "https://x.example/", Secret: "x"}
	if err := s.CreateWebhook(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate name: %v, want ErrDuplicate", err)
	}
	got, err := s.GetWebhook(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *h
	want.Created = base.Truncate(time.Microsecond)
	if diff := cmp.Diff(want, *got); diff != "" || got.Secret.Reveal() != "s3cret-value" {
		t.Errorf("GetWebhook (-want +got):\n%s", diff)
	}
	list, err := s.ListWebhooks(ctx)
	if err != nil || len(list) != 2 || list[1].Triggers == nil || len(list[1].Triggers) != 0 {
		t.Errorf("ListWebhooks = %+v, %v; want 2, the second with no triggers", list, err)
	}
	if err := s.DeleteWebhook(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, h.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := s.GetWebhook(ctx, h.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get after delete: %v, want ErrNotFound", err)
	}
}
