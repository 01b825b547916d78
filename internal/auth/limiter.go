package auth

import (
	"sync"
	"time"
)

// Default sign-in limits: five failures within fifteen minutes block a key
// until the oldest of them is fifteen minutes old.
const (
	DefaultLoginFailures = 5
	DefaultLoginWindow   = 15 * time.Minute
)

// maxLimiterKeys bounds the memory of a Limiter; past it, keys without a
// recent failure are dropped first, then the whole table (an attacker
// spraying addresses then gets a fresh allowance, not the server's memory).
const maxLimiterKeys = 100_000

// Limiter counts failures per key (a user name, a client address) in a
// sliding window, in memory: the counts are per process and lost on
// restart. It is safe for concurrent use.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewLimiter returns a Limiter that blocks a key after max failures within
// window; zero values take DefaultLoginFailures and DefaultLoginWindow, a
// nil now takes time.Now.
func NewLimiter(max int, window time.Duration, now func() time.Time) *Limiter {
	if max <= 0 {
		max = DefaultLoginFailures
	}
	if window <= 0 {
		window = DefaultLoginWindow
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: window, now: now, fails: map[string][]time.Time{}}
}

// Allow reports whether key may try again; when not, it also returns how
// long until it may.
func (l *Limiter) Allow(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	recent := l.recent(key, now)
	if len(recent) < l.max {
		return 0, true
	}
	return recent[len(recent)-l.max].Add(l.window).Sub(now), false
}

// Take reports, like Allow, whether key may try again and, when it may,
// counts the try as a failure at once, in the same step: concurrent tries
// cannot all pass the check before any of them is counted. A try that
// succeeds gives its count back with Forgive (or Reset).
func (l *Limiter) Take(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if recent := l.recent(key, now); len(recent) >= l.max {
		return recent[len(recent)-l.max].Add(l.window).Sub(now), false
	}
	l.fail(key, now)
	return 0, true
}

// Forgive takes back the latest failure counted for key, the one of a try
// that Take counted and that did not fail after all.
func (l *Limiter) Forgive(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.fails[key]
	switch len(ts) {
	case 0:
	case 1:
		delete(l.fails, key)
	default:
		l.fails[key] = ts[:len(ts)-1]
	}
}

// Fail counts a failure of key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail(key, l.now())
}

// fail counts a failure of key at now; l.mu is held.
func (l *Limiter) fail(key string, now time.Time) {
	if len(l.fails) >= maxLimiterKeys {
		for k := range l.fails {
			if len(l.recent(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
		if len(l.fails) >= maxLimiterKeys {
			clear(l.fails)
		}
	}
	l.fails[key] = append(l.recent(key, now), now)
}

// Reset forgets the failures of key (after a successful sign-in).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// recent returns the failures of key within the window, dropping older ones.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-l.window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}
