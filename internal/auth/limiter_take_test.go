package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestLimiterTakeIsAtomic shows that concurrent tries cannot pass the limit:
// Take counts a try in the same step as it checks it.
func TestLimiterTakeIsAtomic(t *testing.T) {
	t.Parallel()
	l := NewLimiter(5, time.Minute, nil)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range 50 {
		wg.Go(func() {
			if _, ok := l.Take("user:x"); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 5 {
		t.Errorf("%d of 50 concurrent tries allowed, want 5", allowed)
	}
}

func TestLimiterForgive(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	l := NewLimiter(2, time.Minute, func() time.Time { return now })
	for range 10 {
		// A try that succeeds and is forgiven does not count.
		if _, ok := l.Take("addr:a"); !ok {
			t.Fatal("forgiven tries were counted")
		}
		l.Forgive("addr:a")
	}
	l.Take("addr:a")
	l.Take("addr:a")
	if wait, ok := l.Take("addr:a"); ok || wait != time.Minute {
		t.Errorf("third try: ok %v, wait %v; want refused for a minute", ok, wait)
	}
	l.Forgive("addr:unknown") // no-op
}

// TestLoginSlots shows that Login waits for a free slot and gives up when
// its context ends first.
func TestLoginSlots(t *testing.T) {
	t.Parallel()
	pw := NewPasswords(PasswordParams{Memory: 64, Time: 1, Threads: 1})
	for range MaxConcurrentLogins {
		pw.slots <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := pw.Login(ctx, nil, "ana", "password-123456")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Login with every slot busy: err %v, want DeadlineExceeded", err)
	}
}
