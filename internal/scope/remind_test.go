package scope

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// outbox is a Reminder that keeps one message per key, as the notification
// outbox does, and fails for the people in fail.
type outbox struct {
	msgs map[string]sent
	fail map[string]bool
}

type sent struct{ person, email, subject, body string }

func (o *outbox) Remind(_ context.Context, key, person, email, subject, body string) error {
	if o.fail[person] {
		return errors.New("outbox down")
	}
	if _, ok := o.msgs[key]; !ok {
		o.msgs[key] = sent{person, email, subject, body}
	}
	return nil
}

func TestRemindStale(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) // Wednesday of 2026-W49
	fresh := now.AddDate(0, 0, -10)
	old := now.AddDate(0, -7, 0)
	contacts := []Contact{
		{Tenant: "globex", Name: "Gina", Verified: old},
		{Tenant: "acme", Name: "Ann", Verified: fresh},
		{Tenant: "acme", Name: "Abe"},
		{Tenant: "initech", Name: "Ivo", Verified: fresh},
		{Tenant: "acme", Name: "Alf", Verified: old},
	}
	people := []Recipient{
		{Name: "cora", Email: "cora@example.com", Communications: true},
		{Name: "carl", Email: "carl@example.com", Communications: true},
		{Name: "nomail", Communications: true},
		{Name: "acme-admin", Email: "a@acme.example", Tenant: "acme"},
		{Name: "globex-admin", Email: "g@globex.example", Tenant: "globex"},
		{Name: "initech-admin", Email: "i@initech.example", Tenant: "initech"},
		{Name: "acme-nomail", Tenant: "acme"},
		{Name: "staff", Email: "s@example.com"},
	}
	const all = "- acme: Abe (never verified)\n- acme: Alf (last verified 2026-05-02)\n" +
		"- globex: Gina (last verified 2026-05-02)\n"
	for _, tc := range []struct {
		name     string
		contacts []Contact
		runs     []time.Time
		fail     map[string]bool
		want     map[string][]string // key: email, subject, listed lines
		wantRes  StaleRemindResult
		wantErr  string
	}{
		{
			name: "communications all, each tenant-admin its own", contacts: contacts,
			runs: []time.Time{now},
			want: map[string][]string{
				"remind:contacts:carl:2026-W49": {"carl@example.com",
					"Stale tenant contacts: 3", all},
				"remind:contacts:cora:2026-W49": {"cora@example.com",
					"Stale tenant contacts: 3", all},
				"remind:contacts:acme-admin:2026-W49": {"a@acme.example",
					"Stale tenant contacts: 2",
					"- acme: Abe (never verified)\n- acme: Alf (last verified 2026-05-02)\n"},
				"remind:contacts:globex-admin:2026-W49": {"g@globex.example",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
			},
			wantRes: StaleRemindResult{Stale: 3, Communications: 2, TenantAdmins: 2},
		},
		{
			name: "nothing stale, nobody told", runs: []time.Time{now},
			contacts: []Contact{{Tenant: "acme", Name: "Ann", Verified: fresh}},
			want:     map[string][]string{},
		},
		{
			name: "once per ISO week across runs", contacts: contacts[:1],
			runs: []time.Time{now, now.Add(time.Hour), now.AddDate(0, 0, 4),
				now.AddDate(0, 0, 5), now.AddDate(0, 0, 6)},
			want: map[string][]string{
				"remind:contacts:carl:2026-W49": {"carl@example.com",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
				"remind:contacts:cora:2026-W49": {"cora@example.com",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
				"remind:contacts:globex-admin:2026-W49": {"g@globex.example",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
				"remind:contacts:carl:2026-W50": {"carl@example.com",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
				"remind:contacts:cora:2026-W50": {"cora@example.com",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
				"remind:contacts:globex-admin:2026-W50": {"g@globex.example",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
			},
			wantRes: StaleRemindResult{Stale: 1, Communications: 2, TenantAdmins: 1},
		},
		{
			name: "a failure does not stop the others", contacts: contacts[:1],
			runs: []time.Time{now}, fail: map[string]bool{"carl": true},
			want: map[string][]string{
				"remind:contacts:cora:2026-W49": {"cora@example.com",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
				"remind:contacts:globex-admin:2026-W49": {"g@globex.example",
					"Stale tenant contacts: 1", "- globex: Gina (last verified 2026-05-02)\n"},
			},
			wantRes: StaleRemindResult{Stale: 1, Communications: 1, TenantAdmins: 1},
			wantErr: "remind carl: outbox down",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &outbox{msgs: map[string]sent{}, fail: tc.fail}
			var res StaleRemindResult
			var err error
			for _, at := range tc.runs {
				res, err = RemindStale(t.Context(), o, tc.contacts, people, at, 0)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" &&
				(err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("RemindStale: error %v, want %q", err, tc.wantErr)
			}
			if res != tc.wantRes {
				t.Errorf("last run: %+v, want %+v", res, tc.wantRes)
			}
			got := map[string][]string{}
			for k, m := range o.msgs {
				if !strings.HasPrefix(k, "remind:contacts:"+m.person+":") {
					t.Errorf("key %s is not of %s", k, m.person)
				}
				_, list, _ := strings.Cut(m.body, ":\n\n")
				got[k] = []string{m.email, m.subject, list}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("reminders (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRemindStaleMaxAge: the age given replaces the default of 180 days.
func TestRemindStaleMaxAge(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	cs := []Contact{{Tenant: "acme", Name: "Ann", Verified: now.AddDate(0, 0, -40)}}
	people := []Recipient{{Name: "cora", Email: "c@example.com", Communications: true}}
	for _, tc := range []struct {
		age  time.Duration
		want int
	}{{0, 0}, {60 * 24 * time.Hour, 0}, {30 * 24 * time.Hour, 1}} {
		o := &outbox{msgs: map[string]sent{}}
		res, err := RemindStale(t.Context(), o, cs, people, now, tc.age)
		if err != nil || res.Communications != tc.want || len(o.msgs) != tc.want {
			t.Errorf("age %v: %+v, %d messages, %v; want %d", tc.age, res, len(o.msgs), err,
				tc.want)
		}
	}
}
