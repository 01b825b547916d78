package scope

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Reminder queues one reminder, stored once per key (notify.Dispatcher and
// readiness.Notifier have this method).
type Reminder interface {
	Remind(ctx context.Context, key, person, email, subject, body string) error
}

// Recipient is a person who may be told of stale contacts: a user with
// the communications role (Tenant empty, Communications set), who hears of
// every tenant's, or a tenant-admin (Tenant set), who hears of its own
// tenant's only.
type Recipient struct {
	Name           string
	Email          string
	Tenant         string
	Communications bool
}

// StaleRemindResult counts the reminders RemindStale queued (one already
// queued this week is counted but stored once) and the stale contacts.
type StaleRemindResult struct {
	Stale          int `json:"stale"`
	Communications int `json:"communications"`
	TenantAdmins   int `json:"tenant_admins"`
}

// RemindStale queues this week's reminders of the contacts that are stale
// at now (maxAge as in Contact.Stale): to each communications recipient,
// one message listing all of them; to each tenant-admin, one listing its
// own tenant's. Nobody is told when nothing is stale, a tenant-admin is
// not told when its tenant's contacts are fresh, and a recipient without
// an e-mail address is skipped. Keys are remind:contacts:<name>:<ISO
// week>, so a person gets at most one a week however often RemindStale
// runs. A failed reminder is joined to the error and the others still go.
func RemindStale(ctx context.Context, n Reminder, contacts []Contact, people []Recipient,
	now time.Time, maxAge time.Duration) (StaleRemindResult, error) {
	var res StaleRemindResult
	if n == nil {
		return res, nil
	}
	var stale []Contact
	for _, c := range contacts {
		if c.Stale(now, maxAge) {
			stale = append(stale, c)
		}
	}
	res.Stale = len(stale)
	if len(stale) == 0 {
		return res, nil
	}
	slices.SortStableFunc(stale, func(a, b Contact) int {
		return strings.Compare(a.Tenant, b.Tenant)
	})
	people = slices.Clone(people)
	slices.SortFunc(people, func(a, b Recipient) int { return strings.Compare(a.Name, b.Name) })
	year, week := now.UTC().ISOWeek()
	slot := fmt.Sprintf("%d-W%02d", year, week)
	var errs []error
	for i, p := range people {
		if strings.TrimSpace(p.Email) == "" || strings.TrimSpace(p.Name) == "" ||
			i > 0 && people[i-1].Name == p.Name {
			continue
		}
		var lines []string
		for _, c := range stale {
			if p.Tenant == "" && p.Communications || p.Tenant != "" && c.Tenant == p.Tenant {
				lines = append(lines, staleLine(c))
			}
		}
		if len(lines) == 0 {
			continue
		}
		intro := "These tenant contacts' details are stale; ask each tenant to confirm or " +
			"correct them, then mark them verified:\n\n"
		if p.Tenant != "" {
			intro = "These designated administrators of " + p.Tenant + " have stale " +
				"details; confirm or correct them, then mark them verified:\n\n"
		}
		err := n.Remind(ctx, "remind:contacts:"+p.Name+":"+slot, p.Name, p.Email,
			fmt.Sprintf("Stale tenant contacts: %d", len(lines)),
			intro+strings.Join(lines, "\n")+"\n")
		if err != nil {
			errs = append(errs, fmt.Errorf("remind %s: %w", p.Name, err))
			continue
		}
		if p.Tenant != "" {
			res.TenantAdmins++
		} else {
			res.Communications++
		}
	}
	return res, errors.Join(errs...)
}

// staleLine renders one stale contact of a reminder.
func staleLine(c Contact) string {
	when := "never verified"
	if !c.Verified.IsZero() {
		when = "last verified " + c.Verified.UTC().Format(time.DateOnly)
	}
	return fmt.Sprintf("- %s: %s (%s)", c.Tenant, c.Name, when)
}
