package api

import (
	"net/http"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
)

// TestLoginLimitHoldsUnderConcurrency sends many wrong sign-ins at once:
// only the limit of them may be checked (401), the others get 429, so that
// parallel guessing gets no more tries than serial guessing. Then the right
// password is refused too until the window passes.
func TestLoginLimitHoldsUnderConcurrency(t *testing.T) {
	env := newMatrixEnv(t)
	h, err := New(Config{Store: env.st, Pipeline: nopIngester{},
		PasswordParams: cheapPasswords, InsecureCookies: true})
	if err != nil {
		t.Fatal(err)
	}
	env.srv.Config.Handler = h
	bad := `{"name":"victim","password":"wrong-password-123"}`
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[int]int{}
	)
	for range 40 {
		wg.Go(func() {
			status, _, _ := env.do(t, "POST", "/api/v1/session", bad, nil)
			mu.Lock()
			counts[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts[http.StatusUnauthorized] != auth.DefaultLoginFailures ||
		counts[http.StatusTooManyRequests] != 40-auth.DefaultLoginFailures {
		t.Errorf("40 concurrent wrong sign-ins answered %v, want %d × 401 and the rest 429",
			counts, auth.DefaultLoginFailures)
	}
	good := `{"name":"victim","password":"` + victimPassword + `"}`
	if status, _, _ := env.do(t, "POST", "/api/v1/session", good, nil); status != 429 {
		t.Errorf("right password after the limit: status %d, want 429", status)
	}
}

// TestLoginSuccessesDoNotCount signs in more times than the limit from one
// address: successful sign-ins are not failures.
func TestLoginSuccessesDoNotCount(t *testing.T) {
	env := newMatrixEnv(t)
	h, err := New(Config{Store: env.st, Pipeline: nopIngester{},
		PasswordParams: cheapPasswords, InsecureCookies: true})
	if err != nil {
		t.Fatal(err)
	}
	env.srv.Config.Handler = h
	good := `{"name":"victim","password":"` + victimPassword + `"}`
	for i := range 3 * auth.DefaultLoginFailures {
		if status, _, body := env.do(t, "POST", "/api/v1/session", good, nil); status != 200 {
			t.Fatalf("sign-in %d: status %d, body %s", i+1, status, body)
		}
	}
}
