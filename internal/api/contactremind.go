package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// postContactReminders answers POST /api/v1/contacts/reminders: this
// week's reminders of stale tenant contacts, at once.
func (s *server) postContactReminders(w http.ResponseWriter, r *http.Request) {
	res, err := ContactReminders(r.Context(), s.cfg.Store, s.staleAfter(), s.scopeNow())
	if err != nil {
		s.storeError(w, "contact reminders", err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// ContactReminders queues this week's reminders of the tenant contacts of
// st that are stale at now (never verified, or verified longer than
// staleAfter ago; 0 means scope.DefaultStaleAfter) through its
// notification outbox: to each enabled user with the communications role,
// one listing all of them; to each enabled tenant-admin, one listing its
// own tenant's (scope.RemindStale). Users without an e-mail address are
// skipped. vigil serve runs it with the readiness reminders.
func ContactReminders(ctx context.Context, st store.Store, staleAfter time.Duration,
	now time.Time) (scope.StaleRemindResult, error) {
	if staleAfter <= 0 {
		staleAfter = scope.DefaultStaleAfter
	}
	cs, err := st.ListContacts(ctx, store.ContactFilter{VerifiedBefore: now.Add(-staleAfter)})
	if err != nil || len(cs) == 0 {
		return scope.StaleRemindResult{}, err
	}
	users, err := st.ListUsers(ctx, store.UserFilter{})
	if err != nil {
		return scope.StaleRemindResult{}, err
	}
	var people []scope.Recipient
	for _, u := range users {
		comms := u.Tenant == "" && slices.Contains(u.Roles, auth.RoleCommunications)
		if u.Disabled || u.Email == "" || !comms && u.Tenant == "" {
			continue
		}
		people = append(people, scope.Recipient{Name: u.Name, Email: u.Email, Tenant: u.Tenant,
			Communications: comms})
	}
	d := notify.NewDispatcher(st, store.NotifyDirectory(st))
	return scope.RemindStale(ctx, d, cs, people, now, staleAfter)
}
