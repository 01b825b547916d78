package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/notify/smtptest"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// clock is a settable clock for the worker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	smtpUser     = "vigil"
	smtpPassword = "smtp-pa55word-never-logged"
)

// env is a store, an SMTP server, an e-mail sender and a clock.
type env struct {
	st   *sqlite.Store
	smtp *smtptest.Server
	mail *notify.Email
	clk  *clock
	logs *syncBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := smtptest.Start(t, smtptest.Config{User: smtpUser, Password: smtpPassword})
	mail, err := notify.NewEmail(notify.SMTPConfig{Host: srv.Host(), Port: srv.Port(),
		From: "Vigil <vigil@example.org>", User: smtpUser, Password: smtpPassword,
		Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, smtp: srv, mail: mail, clk: newClock(), logs: &syncBuffer{}}
}

// worker returns a worker over the env with a fixed jitter (none: rand 0.5).
func (e *env) worker(t *testing.T, retry notify.Retry, senders map[notify.Channel]notify.Sender,
) *notify.Worker {
	t.Helper()
	if senders == nil {
		senders = map[notify.Channel]notify.Sender{notify.ChannelEmail: e.mail}
	}
	w, err := notify.NewWorker(notify.WorkerConfig{Outbox: e.st, Senders: senders,
		Retry: retry, Audit: audit.New(e.st, nil), Tx: store.View[notify.Tx]{Store: e.st},
		Now:    e.clk.Now,
		Rand:   func() float64 { return 0.5 },
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Poll:   5 * time.Millisecond, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// enqueue stores an e-mail notification to ana.
func (e *env) enqueue(t *testing.T, key string) *notify.Notification {
	t.Helper()
	n := &notify.Notification{Key: key, Channel: notify.ChannelEmail,
		Recipient: "ana@example.com", Subject: "Größe: incident " + key,
		Body: "First line\n.leading dot\nlast", Trigger: notify.TriggerTest, Reason: "test",
		Created: e.clk.Now()}
	if created, err := e.st.EnqueueNotification(t.Context(), n); err != nil || !created {
		t.Fatalf("enqueue %s: %v, %v", key, created, err)
	}
	return n
}

// runOnce runs one pass and checks how many notifications it attempted.
func runOnce(t *testing.T, w *notify.Worker, want int) {
	t.Helper()
	n, err := w.RunOnce(t.Context())
	if err != nil || n != want {
		t.Fatalf("RunOnce = %d, %v; want %d attempted", n, err, want)
	}
}

// get reads a notification back.
func (e *env) get(t *testing.T, id int64) *notify.Notification {
	t.Helper()
	n, err := e.st.GetNotification(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEmailDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.enqueue(t, "k1")
	runOnce(t, e.worker(t, notify.Retry{}, nil), 1)

	got := e.get(t, n.ID)
	if got.State != notify.StateSent || len(got.Deliveries) != 1 || !got.Deliveries[0].OK {
		t.Fatalf("after delivery: state %s, log %+v", got.State, got.Deliveries)
	}
	msgs := e.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("SMTP server got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	h := m.Header()
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	checks := []struct{ name, got, want string }{
		{"from", m.From, "vigil@example.org"},
		{"to", strings.Join(m.To, ","), "ana@example.com"},
		{"auth user", m.User, smtpUser},
		{"subject", subject, "Größe: incident k1"},
		{"message-id", h.Get("Message-Id"), notify.MessageID(n, "example.org")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !bytes.Contains(m.Data, []byte("\r\n.leading dot\r\n")) {
		t.Errorf("body lost its dot-stuffed line:\n%s", m.Data)
	}
}

func TestRetryBackoffDeadAndManualRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	retry := notify.Retry{MaxAttempts: 3, Base: time.Minute, Max: time.Hour}
	w := e.worker(t, retry, nil)
	n := e.enqueue(t, "k1")

	e.smtp.FailNext(2, 451)
	runOnce(t, w, 1)
	got := e.get(t, n.ID)
	if want := e.clk.Now().Add(time.Minute); got.State != notify.StateFailed ||
		!got.NextAttempt.Equal(want) || !strings.Contains(got.LastError, "451") {
		t.Fatalf("after one failure: %s next %v (want %v), error %q", got.State,
			got.NextAttempt, want, got.LastError)
	}
	e.clk.Advance(59 * time.Second)
	runOnce(t, w, 0) // not due yet
	e.clk.Advance(time.Second)
	runOnce(t, w, 1) // fails again, now waits 2 minutes
	if got := e.get(t, n.ID); !got.NextAttempt.Equal(e.clk.Now().Add(2 * time.Minute)) {
		t.Fatalf("second backoff: next %v, want +2m", got.NextAttempt)
	}
	e.clk.Advance(2 * time.Minute)
	runOnce(t, w, 1)
	if got := e.get(t, n.ID); got.State != notify.StateSent || len(got.Deliveries) != 3 {
		t.Fatalf("third attempt: %s with %d deliveries, want sent with 3", got.State,
			len(got.Deliveries))
	}

	// A permanent refusal dies after MaxAttempts and is audited.
	d := e.enqueue(t, "k2")
	e.smtp.FailNext(100, 554)
	for range 3 {
		runOnce(t, w, 1)
		e.clk.Advance(time.Hour)
	}
	if got := e.get(t, d.ID); got.State != notify.StateDead || got.Attempts != 3 {
		t.Fatalf("after 3 refusals: %s, %d attempts; want dead, 3", got.State, got.Attempts)
	}
	runOnce(t, w, 0)
	page, err := e.st.ListAudit(t.Context(), store.AuditFilter{Action: audit.NotificationDead})
	if err != nil || len(page.Items) != 1 || page.Items[0].ObjectID != fmt.Sprint(d.ID) {
		t.Fatalf("audit notification.dead = %+v, %v", page.Items, err)
	}

	e.smtp.FailNext(0, 0)
	if _, err := e.st.RetryNotification(t.Context(), d.ID, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	runOnce(t, w, 1)
	if got := e.get(t, d.ID); got.State != notify.StateSent || len(got.Deliveries) != 4 {
		t.Errorf("after a manual retry: %s with %d deliveries", got.State, len(got.Deliveries))
	}
	if len(e.smtp.Messages()) != 2 {
		t.Errorf("SMTP server got %d messages, want 2", len(e.smtp.Messages()))
	}
}

// TestRestartRecovery stops the worker while the SMTP server holds an
// accepted message unanswered: nothing is recorded, the claim expires, and a
// new worker sends again. Delivery is at least once; both copies carry the
// same Message-ID, so the receiver can drop the second.
func TestRestartRecovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.enqueue(t, "k1")
	release := e.smtp.Hold()
	defer release()

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.worker(t, notify.Retry{}, nil).Run(ctx) }()
	waitFor(t, func() bool { return len(e.smtp.Messages()) == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	release()
	if got := e.get(t, n.ID); got.State != notify.StatePending || len(got.Deliveries) != 0 {
		t.Fatalf("after the stop: %s with %d deliveries, want pending with none", got.State,
			len(got.Deliveries))
	}

	w := e.worker(t, notify.Retry{}, nil)
	runOnce(t, w, 0) // the claim still holds
	e.clk.Advance(time.Minute)
	runOnce(t, w, 1)
	got := e.get(t, n.ID)
	if got.State != notify.StateSent || len(got.Deliveries) != 1 {
		t.Fatalf("after the restart: %s with %d deliveries", got.State, len(got.Deliveries))
	}
	msgs := e.smtp.Messages()
	if len(msgs) != 2 {
		t.Fatalf("SMTP server got %d messages, want 2 (at least once)", len(msgs))
	}
	id0, id1 := msgs[0].Header().Get("Message-Id"), msgs[1].Header().Get("Message-Id")
	if id0 == "" || id0 != id1 {
		t.Errorf("Message-IDs %q and %q, want the same", id0, id1)
	}
}

// TestSecretsNotLogged fails a delivery on authentication and checks that
// neither the log nor the stored error holds the password.
func TestSecretsNotLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wrong, err := notify.NewEmail(notify.SMTPConfig{Host: e.smtp.Host(), Port: e.smtp.Port(),
		From: "vigil@example.org", User: smtpUser, Password: "wrong-secret-password"})
	if err != nil {
		t.Fatal(err)
	}
	w := e.worker(t, notify.Retry{MaxAttempts: 1},
		map[notify.Channel]notify.Sender{notify.ChannelEmail: wrong})
	n := e.enqueue(t, "k1")
	runOnce(t, w, 1)
	got := e.get(t, n.ID)
	if got.State != notify.StateDead || e.smtp.AuthFailures() != 1 {
		t.Fatalf("state %s, %d auth failures; want dead, 1", got.State, e.smtp.AuthFailures())
	}
	slog.New(slog.NewTextHandler(e.logs, nil)).Info("config", "password",
		notify.Secret("wrong-secret-password"))
	b, _ := json.Marshal(got)
	for _, text := range []string{e.logs.String(), string(b), fmt.Sprintf("%v %#v",
		notify.Secret("wrong-secret-password"), notify.Secret("wrong-secret-password"))} {
		if strings.Contains(text, "wrong-secret-password") || strings.Contains(text, smtpPassword) {
			t.Errorf("a password leaked:\n%s", text)
		}
	}
	if !strings.Contains(e.logs.String(), "notification dead") {
		t.Errorf("log lacks the dead notification:\n%s", e.logs.String())
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	r := notify.Retry{Base: time.Second, Max: time.Minute, Jitter: 0.5}
	tests := []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{1, 0.5, time.Second},
		{2, 0.5, 2 * time.Second},
		{3, 0, 2 * time.Second},
		{3, 0.75, 5 * time.Second},
		{7, 0.5, time.Minute},
		{40, 0.99, time.Minute},
	}
	for _, tt := range tests {
		if got := r.Backoff(tt.n, tt.rnd); got != tt.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tt.n, tt.rnd, got, tt.want)
		}
	}
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
